"""The outbox's pacing, on a simulated clock: at most `rate` sends in any second, and
per chat a short burst then one a second."""
from __future__ import annotations

import asyncio

from bot.ratelimit import Pacer


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


def busiest_window(times: list[float], width: float = 1.0) -> int:
    times = sorted(times)
    return max(sum(1 for u in times if t <= u < t + width) for t in times)


async def test_global_rate_is_never_exceeded_in_any_second():
    clock = FakeTime()
    pacer = Pacer(29, monotonic=clock.monotonic, sleep=clock.sleep)
    sent = []
    for chat in range(300):
        await pacer.acquire(chat)
        sent.append(clock.now)
    assert busiest_window(sent) <= 30  # Telegram's limit; 29 a second nominal
    assert 300 / (sent[-1] - sent[0]) > 28.5  # and it keeps close to the limit


async def test_one_chat_gets_a_short_burst_then_one_a_second():
    clock = FakeTime()
    pacer = Pacer(29, burst=3, monotonic=clock.monotonic, sleep=clock.sleep)
    sent = []
    for _ in range(6):
        await pacer.acquire(42)
        sent.append(clock.now - 100.0)
    assert sent[:3] == [0.0, pytest_approx(1 / 29), pytest_approx(2 / 29)]
    assert sent[3] >= 1.0 and sent[4] >= 2.0 and sent[5] >= 3.0


async def test_a_429_pauses_everyone():
    clock = FakeTime()
    pacer = Pacer(29, monotonic=clock.monotonic, sleep=clock.sleep)
    await pacer.acquire(1)
    pacer.pause(5)
    await pacer.acquire(2)
    assert clock.now >= 105.0


def pytest_approx(value):
    import pytest

    return pytest.approx(value, abs=1e-9)


async def test_the_outbox_waits_for_the_updates_in_hand_but_is_never_starved():
    from bot.intake import UpdatesInHand

    in_hand = UpdatesInHand()
    in_hand.enter()  # a parent's press is being handled
    waiting = asyncio.create_task(in_hand.wait_idle(60))
    await asyncio.sleep(0)
    assert not waiting.done()  # the outbox's next message waits ...
    in_hand.leave()
    await asyncio.wait_for(waiting, 1)  # ... until the press is done
    in_hand.enter()
    in_hand.enter()
    in_hand.leave()
    await asyncio.wait_for(in_hand.wait_idle(0.01), 1)  # one still in hand: it waits no longer than asked
    assert in_hand.count == 1
