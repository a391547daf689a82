"""Taking updates in fairly: one person flooding the bot never blocks everyone else.

- Each person's updates are handled one at a time, in order. A person's update that
  waits for their previous one holds no handler slot while it waits.
- At most `slots` updates are handled at once overall (CONCURRENT_UPDATES).
- A person with `backlog` updates already waiting gets their next ones dropped (and
  logged) until the bot has caught up with them: someone sending faster than their own
  replies can go out cannot queue unbounded work.
- A handler that must wait (Telegram asked this chat to slow down) gives its slot back
  while it waits (`yielding_sleep`), so one chat's limit never holds the others up.
"""
from __future__ import annotations

import asyncio
import contextvars
import logging
from typing import Any, Awaitable

from telegram import Update
from telegram.ext import BaseUpdateProcessor

log = logging.getLogger(__name__)

# Updates waiting for their person's turn or a slot; beyond this the fetcher waits.
MAX_WAITING = 4096


class Slot:
    """One update's claim on a handler slot, which it can give back while it waits."""

    def __init__(self, slots: asyncio.Semaphore) -> None:
        self._slots = slots
        self.held = False

    async def take(self) -> None:
        await self._slots.acquire()
        self.held = True

    def give_back(self) -> None:
        if self.held:
            self.held = False
            self._slots.release()


class UpdatesInHand:
    """How many updates this process is handling now, over every school's application. The
    outbox lets them go first: a parent's answer is not kept waiting behind a broadcast."""

    def __init__(self) -> None:
        self.count = 0
        self._idle = asyncio.Event()
        self._idle.set()

    def enter(self) -> None:
        self.count += 1
        self._idle.clear()

    def leave(self) -> None:
        self.count -= 1
        if self.count == 0:
            self._idle.set()

    async def wait_idle(self, at_most: float) -> None:
        """Until no update is in hand, or `at_most` seconds (the outbox is never starved)."""
        if self.count:
            try:
                await asyncio.wait_for(self._idle.wait(), at_most)
            except asyncio.TimeoutError:
                pass


_slot: contextvars.ContextVar[Slot | None] = contextvars.ContextVar("homevisit_slot", default=None)


async def yielding_sleep(seconds: float) -> None:
    """Sleep without holding the current update's handler slot."""
    slot = _slot.get()
    if slot is None or not slot.held:
        await asyncio.sleep(seconds)
        return
    slot.give_back()
    try:
        await asyncio.sleep(seconds)
    finally:
        await slot.take()


class FairUpdateProcessor(BaseUpdateProcessor):
    def __init__(self, slots: int, *, backlog: int = 10, in_hand: UpdatesInHand | None = None) -> None:
        super().__init__(MAX_WAITING)
        self.in_hand = in_hand or UpdatesInHand()
        self.slots = slots
        self.backlog = backlog
        self._semaphore_slots = asyncio.BoundedSemaphore(slots)
        # Per person: their lock and how many of their updates are in flight or waiting.
        self._turns: dict[int, tuple[asyncio.Lock, int]] = {}
        self._dropped: set[int] = set()
        self.dropped = 0

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    def was_dropped(self, update: object) -> bool:
        """True (once) for an update this processor decided not to handle."""
        update_id = getattr(update, "update_id", None)
        if update_id in self._dropped:
            self._dropped.discard(update_id)
            return True
        return False

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        person = _person(update)
        if person is not None and self._turns.get(person, (None, 0))[1] > self.backlog:
            self.dropped += 1
            self._dropped.add(update.update_id)
            log.warning("update %s dropped: user %s has %s updates waiting already", update.update_id, person,
                        self.backlog)
            await coroutine  # HomevisitApplication.process_update sees it was dropped and only reports it done
            return
        lock = self._turn(person)
        try:
            async with lock:
                slot = Slot(self._semaphore_slots)
                await slot.take()
                token = _slot.set(slot)
                self.in_hand.enter()
                try:
                    await coroutine
                finally:
                    self.in_hand.leave()
                    _slot.reset(token)
                    slot.give_back()
        finally:
            self._leave(person)

    def _turn(self, person: int | None):
        if person is None:
            return _NoLock()
        lock, users = self._turns.get(person, (None, 0))
        if lock is None:
            lock = asyncio.Lock()
        self._turns[person] = (lock, users + 1)
        return lock

    def _leave(self, person: int | None) -> None:
        if person is None:
            return
        lock, users = self._turns[person]
        if users <= 1:
            del self._turns[person]
        else:
            self._turns[person] = (lock, users - 1)


class _NoLock:
    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, *exc: object) -> None:
        return None


def _person(update: object) -> int | None:
    if isinstance(update, Update) and update.effective_user is not None:
        return update.effective_user.id
    return None
