"""A board's two workers divide the bots' sending between them: the first to start takes
every bot, gives half back once the second is alive, and takes them all again when the
second dies."""
from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from bot.app import build_runtime
from bot.clock import MovableClock
from bot.lease_share import LeaseShare
from bot.outbox import Dispatcher
from db.models import OutboxLease
from db.session import make_engine
from tests.conftest import make_settings

BOTS = 4


async def worker(database_url: str, clock: MovableClock) -> tuple[LeaseShare, list[Dispatcher], object]:
    """One worker process of the board: an engine, a runtime and an outbox per school."""
    engine = make_engine(database_url)
    share = LeaseShare(BOTS, lease_seconds=60)
    dispatchers = []
    for n in range(BOTS):
        settings = make_settings(database_url, bot_token=f"{9100 + n}:board", school_name=f"School {n}",
                                 school_key=f"school-{n}", outbox_lease_seconds=60)
        runtime = await build_runtime(settings, clock, engine=engine)
        runtime.lease_share = share
        dispatchers.append(Dispatcher(runtime, bot=None))  # nothing is due: only the leases are at stake
    return share, dispatchers, engine


async def tick(*workers) -> None:
    """Every outbox of every worker looks for due messages, as the job queue's tick does."""
    await asyncio.gather(*(d.dispatch_due() for _, dispatchers, _ in workers for d in dispatchers))


async def holders(engine) -> dict[str, str]:
    async with engine.connect() as conn:
        return dict((await conn.execute(select(OutboxLease.name, OutboxLease.holder)
                                        .where(OutboxLease.name.startswith("bot:")))).all())


async def test_two_workers_divide_the_bots_and_one_takes_them_all_when_the_other_dies(engine, database_url, clock):
    first = await worker(database_url, clock)
    second = None
    try:
        await tick(first)
        assert len(first[0].held) == BOTS  # alone, it sends for every school

        second = await worker(database_url, clock)
        await tick(first, second)
        assert len(second[0].held) == 0  # the leases are the first's, and still good
        clock.advance(timedelta(seconds=21))  # the first worker's next heartbeat sees the second
        for _ in range(3):
            await tick(first, second)
        assert len(first[0].held) == len(second[0].held) == BOTS // 2
        by_holder = await holders(engine)
        assert len(by_holder) == BOTS  # every bot has exactly one worker sending for it
        assert {d.holder for d in first[1] if d.holding} | {d.holder for d in second[1] if d.holding} == \
            set(by_holder.values())

        # The first worker dies: no heartbeat, no renewals. Once its lease has run out ...
        clock.advance(timedelta(seconds=61))
        await tick(second)
        await tick(second)
        assert len(second[0].held) == BOTS  # ... the second sends for every school
        assert set((await holders(engine)).values()) == {d.holder for d in second[1]}
    finally:
        for w in (first, second):
            if w is not None:
                await w[2].dispose()
