"""Two dispatchers (as two bot processes would run them) sharing one database and one
outbox. Telegram's limits are per bot, so only the one holding the bot's sending lease
sends; every message goes out exactly once. When the holder stops renewing its lease
(its process died), the other takes over and sends what came since."""
from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime, timedelta, timezone

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


# A school afternoon, whatever the hour CI runs at: broadcasts wait out the quiet hours.
AFTERNOON = datetime(2026, 11, 10, 15, 0, tzinfo=timezone.utc)


async def statuses(runtime) -> dict[str, int]:
    """How many outbox rows are in each status."""
    async with runtime.sessionmaker() as session:
        return dict((await session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))).all())


async def two_workers(double, database_url: str, households: int, clocks=None, **overrides):
    """Two workers' runtimes (two engines, two pools, two clocks) on a freshly wiped database
    with a school of `households` linked families and an announcement to all of them queued;
    returns the settings, the clocks, the runtimes, the families' chats and the school's id."""
    engine = make_engine(database_url)
    await wipe(engine)
    await engine.dispose()
    pace = dict(outbox_rate=400.0, outbox_chat_seconds=0.0, outbox_lease_seconds=30) | overrides
    settings = make_settings(database_url, bot_token=double.token, telegram_api_url=double.url, **pace)
    clocks = clocks or [MovableClock(AFTERNOON), MovableClock(AFTERNOON)]
    now = clocks[0].now()
    workers = [await build_runtime(settings, clock) for clock in clocks]
    chats = await big_school.build(workers[0].sessionmaker, now, households=households)
    async with workers[0].sessionmaker() as session:
        school_id = await session.scalar(select(School.id))
        await broadcasts.create(session, school_id, "guardians", None, {}, created_by=None,
                                progress_account_id=None, now=now)
    return settings, clocks, workers, chats, school_id


async def test_one_dispatcher_sends_for_the_bot_and_the_other_takes_over_when_it_dies(double, database_url):
    settings, clocks, workers, chats, school_id = await two_workers(double, database_url, HOUSEHOLDS)
    now = clocks[0].now()
    bots = [Bot(double.token, base_url=settings.bot_base_url) for _ in workers]
    try:
        for bot in bots:
            await bot.initialize()
        dispatchers = [Dispatcher(rt, bot) for rt, bot in zip(workers, bots)]
        for d in dispatchers:
            d.batch = 10  # small claims: the lease is checked between them
        handled = await asyncio.gather(*(d.dispatch_due() for d in dispatchers))
        assert sorted(handled) == [0, len(chats)]  # one sent everything, the other nothing
        holder, other = dispatchers if handled[0] else dispatchers[::-1]
        per_chat = Counter(int(c.params["chat_id"]) for c in double.calls_of("sendMessage"))
        assert {chat: per_chat[chat] for chat in chats.values()} == {chat: 1 for chat in chats.values()}

        # A second announcement while the holder lives: the other still sends nothing ...
        async with workers[0].sessionmaker() as session:
            await broadcasts.create(session, school_id, "guardians", None, {}, created_by=None,
                                    progress_account_id=None, now=now)
        assert await other.dispatch_due() == 0
        # ... until the holder's lease has run out without being renewed (it died).
        for clock in clocks:
            clock.advance(timedelta(seconds=31))
        assert await other.dispatch_due() == len(chats)
        assert await holder.dispatch_due() == 0  # and the old holder, back, waits its turn
    finally:
        for bot in bots:
            await bot.shutdown()
    try:
        per_chat = Counter(int(c.params["chat_id"]) for c in double.calls_of("sendMessage"))
        assert {chat: per_chat[chat] for chat in chats.values()} == {chat: 2 for chat in chats.values()}
        assert await statuses(workers[0]) == {"sent": 2 * len(chats)}
    finally:
        for rt in workers:
            await rt.engine.dispose()


async def test_a_429_seen_by_one_worker_pauses_the_bot_in_every_worker(double, database_url):
    from bot.sandbox.api import Failure

    settings, clocks, workers, chats, _ = await two_workers(double, database_url, 20)
    bots = [Bot(double.token, base_url=settings.bot_base_url) for _ in workers]
    sent_before = len(double.calls_of("sendMessage"))
    try:
        for bot in bots:
            await bot.initialize()
        first, second = dispatchers = [Dispatcher(rt, bot) for rt, bot in zip(workers, bots)]
        for d in dispatchers:
            d.batch = 5
            d.pacer.pause = lambda seconds: None  # this test moves the clock instead of waiting
        # Telegram tells the first worker to wait 20 seconds.
        double.failures.append(Failure(429, "Too Many Requests: retry after 20", retry_after=20, method="sendMessage"))
        await first.dispatch_due()
        assert first.paused()
        delivered = len(double.calls_of("sendMessage")) - sent_before
        await first.release_lease()  # the first worker stops: the second takes over at once ...
        assert await second.dispatch_due() == 0  # ... but waits out Telegram's 20 seconds
        assert len(double.calls_of("sendMessage")) - sent_before == delivered
        for clock in clocks:
            clock.advance(timedelta(seconds=21))
        assert await second.dispatch_due() > 0
    finally:
        for bot in bots:
            await bot.shutdown()
    try:
        per_chat = Counter(int(c.params["chat_id"]) for c in double.calls_of("sendMessage")[sent_before:])
        # Everyone once; the one refused with the 429 got it on the second try.
        assert sorted(per_chat.values()) == [1] * (len(chats) - 1) + [2]
        assert set(per_chat) == set(chats.values())
        assert await statuses(workers[0]) == {"sent": len(chats)}
    finally:
        for rt in workers:
            await rt.engine.dispose()


async def test_a_worker_whose_batch_outlasts_its_lease_sends_no_more_once_another_took_over(double, database_url):
    """The machine stalls while the first worker sends a batch, for longer than its lease:
    the second takes the bot over. Then the first sends only what it had already handed to
    Telegram, and the second sends the rest (and, at least once, what was in flight)."""
    settings, clocks, workers, chats, _ = await two_workers(double, database_url, 20)
    bots = [Bot(double.token, base_url=settings.bot_base_url) for _ in workers]
    sent_before = len(double.calls_of("sendMessage"))
    double.hold_sends = asyncio.Event()
    try:
        for bot in bots:
            await bot.initialize()
        first, second = [Dispatcher(rt, bot) for rt, bot in zip(workers, bots)]
        first.batch = 20
        first_round = asyncio.create_task(first.dispatch_due())
        while double.held < 8:  # its senders' first messages are on their way to Telegram
            await asyncio.sleep(0.01)
        in_flight = {int(c.params["chat_id"]) for c in double.calls_of("sendMessage")[sent_before:]}
        for clock in clocks:
            clock.advance(timedelta(seconds=settings.outbox_lease_seconds + 1))
        second_round = asyncio.create_task(second.dispatch_due())
        while not second.holding:
            await asyncio.sleep(0.01)
        double.hold_sends.set()
        await asyncio.gather(first_round, second_round)
    finally:
        double.hold_sends = None
        for bot in bots:
            await bot.shutdown()
    try:
        per_chat = Counter(int(c.params["chat_id"]) for c in double.calls_of("sendMessage")[sent_before:])
        assert set(per_chat) == set(chats.values())
        # At most what was in flight went twice; the first worker sent nothing after losing the lease.
        assert {chat for chat, n in per_chat.items() if n > 1} <= in_flight and max(per_chat.values()) <= 2
        assert len(in_flight) == 8 < len(chats)
        assert await statuses(workers[0]) == {"sent": len(chats)}
    finally:
        for rt in workers:
            await rt.engine.dispose()
