"""Two workers on PostgreSQL (as a board's two `homevisit run` processes) send one
announcement to 2,000 families through one bot, with the Bot API double holding them
to Telegram's limits: 30 messages in any second per bot, a short burst per chat.

The limits are per bot, so only the worker holding the bot's lease sends; the pace stays
at the limit and never over it. Midway Telegram answers the sending worker "429: retry
after 5", and that worker dies before it can send again: the other takes the lease over
when it runs out, but it, too, waits until Telegram's five seconds have passed (the pause
is in the database), then sends the rest. Every family gets the announcement once.

Time is virtual, so the test takes seconds, not the 70 a real broadcast takes: the
pacers, the double's limits and the workers' clocks read one clock, which jumps to the
next moment a pacer waits for. Two pacers waiting at once both wake on time, so two
workers sending at once would show as twice the rate."""
from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections import Counter
from datetime import datetime, timedelta

import pytest
from telegram import Bot

from bot.clock import Clock
from bot.outbox import Dispatcher
from bot.ratelimit import Pacer
from bot.sandbox.api import Failure
from bot.transport import AiohttpRequest
from tests.test_two_dispatchers import AFTERNOON, two_workers

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)

FAMILIES = 2_000
LIMIT = 30  # messages a second per bot, as Telegram (and the double) count them
RETRY_AFTER = 5
TICK = 1.0  # seconds between a worker's outbox ticks (the bot's job queue), in virtual time


class VirtualTime:
    """One clock for the pacers, the double and the workers' business clocks. A sleeper
    waits until the clock reaches its moment; a driver task moves the clock on to the
    earliest moment a sleeper waits for. While a worker is at work (`busy`), only its
    pacer's waits move the clock: its database round trips take no virtual time, and the
    workers' idle ticks wait for them. With no one at work, the ticks move it. A request
    on its way to the double (`in_flight`) holds the clock, so it arrives at the moment it
    was sent."""

    def __init__(self) -> None:
        self.t = 0.0
        self.busy = 0
        self.in_flight = 0
        self.frozen = lambda: False
        self._pacing: list[tuple[float, int, asyncio.Future]] = []
        self._ticks: list[tuple[float, int, asyncio.Future]] = []
        self._order = itertools.count()

    def monotonic(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:  # the pacers'
        await self._wait(self._pacing, seconds)

    async def tick(self, seconds: float) -> None:  # a worker's, between outbox rounds
        await self._wait(self._ticks, seconds)

    async def _wait(self, queue: list, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        wake = asyncio.get_running_loop().create_future()
        heapq.heappush(queue, (self.t + seconds, next(self._order), wake))
        await wake

    async def drive(self) -> None:
        while True:
            await asyncio.sleep(0.0005)  # real: the sends and the database round trips in flight
            if self.in_flight or self.frozen():
                continue
            queues = [q for q in (self._pacing, self._ticks) if q]
            if self.busy:
                queues = [q for q in queues if q is self._pacing]
            if not queues:
                continue
            self.t = max(self.t, min(q[0][0] for q in queues))
            for queue in (self._pacing, self._ticks):
                while queue and queue[0][0] <= self.t:
                    _, _, wake = heapq.heappop(queue)
                    if not wake.done():  # not cancelled
                        wake.set_result(None)


class TimedRequest(AiohttpRequest):
    """The outbox's transport, holding the virtual clock while a request is on its way."""

    def __init__(self, vt: VirtualTime) -> None:
        super().__init__(connection_pool_size=8)
        self.vt = vt

    async def do_request(self, *args, **kwargs):
        self.vt.in_flight += 1
        try:
            return await super().do_request(*args, **kwargs)
        finally:
            self.vt.in_flight -= 1


class VirtualClock(Clock):
    def __init__(self, vt: VirtualTime, start: datetime) -> None:
        self.vt, self.start = vt, start

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.vt.t)


async def until(what: str, condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.01)


def most_in_one_second(times: list[float]) -> int:
    times = sorted(times)
    most, first = 0, 0
    for last, at in enumerate(times):
        while times[first] <= at - 1.0:
            first += 1
        most = max(most, last - first + 1)
    return most


async def test_two_workers_send_a_2000_family_broadcast_at_the_bots_limit_and_a_429_pauses_both(
        double, database_url):
    vt = VirtualTime()
    clocks = [VirtualClock(vt, AFTERNOON), VirtualClock(vt, AFTERNOON)]
    # The production pace (29.5 a second, a second per chat) and a short lease, so the
    # survivor takes over within seconds of the other's death.
    settings, _, workers, chats, _ = await two_workers(double, database_url, FAMILIES, clocks,
                                                       outbox_rate=29.5, outbox_chat_seconds=1.0,
                                                       outbox_lease_seconds=3)
    double.monotonic = vt.monotonic
    double.enforce_limits, double.global_per_second = True, LIMIT
    sent_before = len(double.calls)
    bots = [Bot(double.token, base_url=settings.bot_base_url, request=TimedRequest(vt)) for _ in workers]
    driver = asyncio.create_task(vt.drive())
    loops: list[asyncio.Task] = []
    try:
        for bot in bots:
            await bot.initialize()
        dispatchers = [Dispatcher(rt, bot, Pacer(settings.outbox_rate, per_chat=settings.outbox_chat_seconds,
                                                 monotonic=vt.monotonic, sleep=vt.sleep))
                       for rt, bot in zip(workers, bots)]
        handled = [0, 0]

        async def worker(n: int) -> None:  # a process's outbox tick
            while True:
                vt.busy += 1
                try:
                    handled[n] += await dispatchers[n].dispatch_due()
                finally:
                    vt.busy -= 1
                await vt.tick(TICK)

        def delivered() -> list:
            refused = {id(call) for call in double.too_many + double.failed}
            return [c for c in double.calls[sent_before:] if c.method == "sendMessage" and id(c) not in refused]

        loops = [asyncio.create_task(worker(n)) for n in (0, 1)]
        await until("a third of the families reached", lambda: len(delivered()) >= FAMILIES // 3)
        # Telegram tells whoever sends now to wait; the clock stands still while that worker dies.
        vt.frozen = lambda: bool(double.failed)
        double.failures.append(Failure(429, f"Too Many Requests: retry after {RETRY_AFTER}",
                                       retry_after=RETRY_AFTER, method="sendMessage"))
        await until("the 429", lambda: double.failed)
        holder = next(n for n, d in enumerate(dispatchers) if d.holding)
        await until("the pause recorded", dispatchers[holder].paused)
        calls = -1
        while calls != len(double.calls):  # what it had in flight is answered
            calls = len(double.calls)
            await asyncio.sleep(0.05)
        loops[holder].cancel()  # the worker's process dies, its lease not given back
        survivor = 1 - holder
        assert handled[survivor] == 0  # so far only the lease's holder sent for the bot
        vt.frozen = lambda: False
        await until("every family reached", lambda: len({c.params["chat_id"] for c in delivered()}) >= FAMILIES)
        await until("the survivor's round done", lambda: handled[survivor] > 0)
        sends = delivered()
    finally:
        for task in (*loops, driver):
            task.cancel()
        await asyncio.gather(*loops, driver, return_exceptions=True)
        for bot in bots:
            await bot.shutdown()
        for rt in workers:
            await rt.engine.dispose()

    t429 = double.failed[0].at
    # Nothing lost, nothing doubled: the family refused with the 429 got it on the next try.
    per_chat = Counter(int(c.params["chat_id"]) for c in sends)
    assert set(per_chat) == set(chats.values()) and set(per_chat.values()) == {1}
    # The bot never went over Telegram's limits, before, during or after the change of worker.
    assert double.too_many == []
    assert most_in_one_second([c.at for c in sends]) <= LIMIT
    # The 429 paused the bot in both workers: nobody sent in the five seconds after it ...
    assert not [c for c in sends if t429 < c.at < t429 + RETRY_AFTER]
    # ... and the survivor sent the rest (it took the lease over once the dead one's ran out).
    assert handled[survivor] == len([c for c in sends if c.at > t429]) > 0
    # Up to the 429 the pace was the bot's limit, less the outbox's margin (29.5 a second).
    before = sorted(c.at for c in sends if c.at <= t429)
    assert len(before) / (before[-1] - before[0]) >= 0.9 * LIMIT
