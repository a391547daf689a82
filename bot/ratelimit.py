"""Pacing for the outbox: under Telegram's flood limits (about 30 messages a second
per bot; about one a second per chat, with short bursts allowed). Real time, not the
business clock."""
from __future__ import annotations

import asyncio
import time


class Pacer:
    """Spaces sends evenly at `rate` a second overall (even spacing, not a burst bucket,
    keeps every one-second window at or under the rate, which is what a strict sliding
    window counts), and per chat lets `burst` through at once, then one a `per_chat`
    seconds (a generic cell-rate algorithm per chat)."""

    def __init__(self, rate: float, per_chat: float = 1.0, burst: int = 3, monotonic=time.monotonic,
                 sleep=asyncio.sleep) -> None:
        self.interval = 1.0 / rate
        self.per_chat = per_chat
        self.tolerance = (burst - 1) * per_chat
        self._next = 0.0
        self._chat_tat: dict[int, float] = {}
        self._lock = asyncio.Lock()
        self._now = monotonic
        self._sleep = sleep

    async def acquire(self, chat_id: int) -> None:
        # Per chat, outside the shared lock: wait until this chat may receive again.
        while True:
            now = self._now()
            tat = max(self._chat_tat.get(chat_id, now), now)
            ready = tat - self.tolerance
            if ready <= now:
                break
            await self._sleep(ready - now)
        self._chat_tat[chat_id] = tat + self.per_chat
        if len(self._chat_tat) > 10_000:
            self._chat_tat = {c: t for c, t in self._chat_tat.items() if t > now}
        # Overall: one send per interval, spaced from when the last one really went. Sleeping
        # inside the lock means a late wake-up delays the next send instead of bunching them.
        async with self._lock:
            delay = self._next - self._now()
            if delay > 0:
                await self._sleep(delay)
            self._next = self._now() + self.interval

    def hold_chat(self, chat_id: int, seconds: float) -> None:
        """Telegram said 429 for this chat: its next message waits `seconds`, the others not."""
        ready = self._now() + seconds
        self._chat_tat[chat_id] = max(self._chat_tat.get(chat_id, 0.0), ready + self.tolerance)

    def chat_is_busy(self, chat_id: int) -> bool:
        """Whether this chat has had more than one message in about the last `per_chat` seconds:
        a 429 then is likely the chat's own limit; otherwise it is the bot's overall one."""
        tat = self._chat_tat.get(chat_id)
        return self.per_chat > 0 and tat is not None and tat - self._now() > self.per_chat

    def pause(self, seconds: float) -> None:
        """Telegram said 429: nobody sends until it has passed."""
        self._next = max(self._next, self._now() + seconds)
