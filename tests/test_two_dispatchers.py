"""Two dispatchers (as two bot processes would run them) sharing one database and one
outbox: every message goes out exactly once. The claim is `UPDATE ... RETURNING` with
`FOR UPDATE SKIP LOCKED` on PostgreSQL."""
from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime, timezone

from sqlalchemy import func, select
from telegram import Bot

from bot.app import build_runtime
from bot.clock import MovableClock
from bot.outbox import Dispatcher
from bot.services import broadcasts
from db.models import OutboxMessage, School
from db.session import make_engine
from tests import big_school
from tests.conftest import make_settings
from tests.databases import wipe

HOUSEHOLDS = 200


async def test_two_dispatchers_send_each_message_once(double, database_url):
    engine = make_engine(database_url)
    await wipe(engine)
    await engine.dispose()
    settings = make_settings(database_url, bot_token=double.token, telegram_api_url=double.url,
                             outbox_rate=400.0, outbox_chat_seconds=0.0)
    # A school afternoon, whatever the hour CI runs at: broadcasts wait out the quiet hours.
    now = datetime(2026, 11, 10, 15, 0, tzinfo=timezone.utc)
    workers = [await build_runtime(settings, MovableClock(now)) for _ in range(2)]  # two engines, two pools
    chats = await big_school.build(workers[0].sessionmaker, now, households=HOUSEHOLDS)
    async with workers[0].sessionmaker() as session:
        school_id = await session.scalar(select(School.id))
        await broadcasts.create(session, school_id, "guardians", None, {}, created_by=None,
                                progress_account_id=None, now=now)

    bots = [Bot(double.token, base_url=settings.bot_base_url) for _ in workers]
    try:
        for bot in bots:
            await bot.initialize()
        dispatchers = [Dispatcher(rt, bot) for rt, bot in zip(workers, bots)]
        for d in dispatchers:
            d.batch = 10  # small claims, so the two really interleave
        handled = await asyncio.gather(*(d.dispatch_due() for d in dispatchers))
    finally:
        for bot in bots:
            await bot.shutdown()
    try:
        assert all(n > 0 for n in handled), handled  # both took part
        assert sum(handled) == len(chats)
        per_chat = Counter(int(c.params["chat_id"]) for c in double.calls_of("sendMessage"))
        assert {chat: per_chat[chat] for chat in chats.values()} == {chat: 1 for chat in chats.values()}
        async with workers[0].sessionmaker() as session:
            statuses = dict((await session.execute(
                select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))).all())
        assert statuses == {"sent": len(chats)}
    finally:
        for rt in workers:
            await rt.engine.dispose()
