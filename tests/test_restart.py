"""Killing the bot with SIGKILL in the middle of a broadcast and starting it again:
every family gets its message exactly once. The bot runs as a real `homevisit run`
process against the Bot API double."""
from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import func, select

from bot.services import broadcasts
from db.models import OutboxMessage, School
from db.session import make_engine, make_sessionmaker
from tests import big_school
from tests.databases import wipe

ROOT = Path(__file__).resolve().parent.parent
HOUSEHOLDS = 120


def start_bot(double, database_url: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "WEBHOOK_"))}
    # The pace is not what this is about: 100 a second (one batch of 100 claimed at once, most
    # of it still claimed when the first bot dies) instead of Telegram's 29.5.
    env.update(BOT_TOKEN=double.token, TELEGRAM_API_URL=double.url, DATABASE_URL=database_url,
               SCHOOL_NAME="De Regenboog", OUTBOX_LEASE_SECONDS="2", QUIET_HOURS="00:00-00:00", OUTBOX_RATE="100")
    return subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


async def wait_for(condition, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


def announcements(double, chats) -> dict[int, int]:
    return {chat: sum(1 for m in double.messages_to(chat) if m["text"].startswith("📣")) for chat in chats}


async def test_sigkill_during_a_broadcast_loses_nothing_and_doubles_nothing(double, database_url):
    engine = make_engine(database_url)
    await wipe(engine)
    sessionmaker = make_sessionmaker(engine)
    now = datetime.now(timezone.utc)
    chats = await big_school.build(sessionmaker, now, households=HOUSEHOLDS)
    async with sessionmaker() as session:
        school_id = await session.scalar(select(School.id))
        broadcast = await broadcasts.create(session, school_id, "guardians", None, {}, created_by=None,
                                            progress_account_id=None, now=now)

    first = start_bot(double, database_url)
    try:
        await wait_for(lambda: sum(announcements(double, chats.values()).values()) >= 40, "the first 40 messages")
        double.hold_sends = asyncio.Event()  # the next message hangs in flight...
        await wait_for(lambda: double.held >= 1, "a message in flight")
        first.send_signal(signal.SIGKILL)  # ...and the bot dies with it
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
    delivered_before = sum(announcements(double, chats.values()).values())
    # What was in flight when the bot died never reached Telegram: the held message, and any
    # request the bot had written but the double had not read yet (it shares the test's loop).
    double.drop_held = True
    double.hold_sends.set()
    double.release_polls()  # its long poll too
    await wait_for(lambda: double.open_connections() == 0, "the dead bot's connections to close")
    double.release_polls(False)
    double.hold_sends = None
    double.drop_held = False
    assert double.dropped >= 1
    assert delivered_before < len(chats)  # the broadcast really was cut off

    second = start_bot(double, database_url)
    try:
        async def remaining() -> int:
            async with sessionmaker() as session:
                return await session.scalar(
                    select(func.count()).select_from(OutboxMessage)
                    .where(OutboxMessage.broadcast_id == broadcast.id,
                           OutboxMessage.status.in_(("pending", "sending"))))

        deadline = time.monotonic() + 90
        while await remaining():
            assert second.poll() is None, second.stderr.read().decode()[-2000:]
            assert time.monotonic() < deadline, "the restarted bot did not finish the broadcast"
            await asyncio.sleep(0.2)
    finally:
        double.release_polls()  # its long poll answers at once: SIGTERM need not wait it out
        second.send_signal(signal.SIGTERM)
        try:
            await asyncio.to_thread(second.wait, timeout=15)  # the double keeps answering meanwhile
        except subprocess.TimeoutExpired:
            second.kill()
        double.release_polls(False)
        await engine.dispose()

    counts = announcements(double, chats.values())
    assert set(counts.values()) == {1}, {chat: n for chat, n in counts.items() if n != 1}
