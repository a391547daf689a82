"""The outbox dispatcher: claims due rows, renders them in the reader's current
language, sends them through Telegram within its flood limits, and records the result.

- Claiming is one `UPDATE ... RETURNING` (with `FOR UPDATE SKIP LOCKED` on PostgreSQL),
  so two dispatchers, in one process or two, never take the same row.
- A claim is a lease: a row left in `sending` by a worker that died is taken again
  when the lease has run out. A message that reached Telegram just before the crash
  can then go out twice; that window is one HTTP round trip (at-least-once).
- 429: everyone waits `retry_after`, and the row is due again after it.
  Network errors and 5xx: capped exponential backoff. 403: the chat blocked the bot;
  the account is marked unreachable and nothing more is sent to it.
- Quiet hours (school time): rows marked `quiet` wait for the morning.

APScheduler only ticks it; an update that wrote outbox rows also kicks it.
"""
from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Awaitable, Callable

from sqlalchemy import and_, or_, select, update
from telegram import InputFile
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.notices import RENDERERS
from bot.ratelimit import Pacer
from bot.runtime import Runtime
from bot.services import accounts
from bot.services.humane import in_quiet_hours
from db.models import Account, OutboxMessage

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
MAX_BACKOFF_SECONDS = 300
SENDERS = 8  # messages in flight at once

BatchListener = Callable[[list[int]], Awaitable[None]]


class Dispatcher:
    def __init__(self, runtime: Runtime, bot, pacer: Pacer | None = None) -> None:
        self.rt = runtime
        self.bot = bot
        s = runtime.settings
        self.pacer = pacer or Pacer(s.outbox_rate, per_chat=s.outbox_chat_seconds)
        self.lease = timedelta(seconds=s.outbox_lease_seconds)
        # A batch takes at most about half the lease at full speed.
        self.batch = max(1, min(100, int(s.outbox_rate * s.outbox_lease_seconds / 2)))
        self.after_batch: list[BatchListener] = []
        self._lock = asyncio.Lock()
        self._senders = asyncio.Semaphore(SENDERS)

    async def dispatch_due(self) -> int:
        """Send everything that is due now. Returns how many rows were handled."""
        handled = 0
        async with self._lock:
            while True:
                claimed = await self._claim()
                if not claimed:
                    return handled
                # Chats in parallel; within one chat, in order (a reminder never overtakes the one before).
                by_chat: dict[int, list[int]] = {}
                for message_id, account_id in claimed:
                    by_chat.setdefault(account_id, []).append(message_id)
                await asyncio.gather(*(self._deliver_in_order(ids) for ids in by_chat.values()))
                ids = [message_id for message_id, _ in claimed]
                handled += len(ids)
                for listener in self.after_batch:
                    try:
                        await listener(ids)
                    except Exception:
                        log.exception("outbox batch listener failed")

    async def _deliver_in_order(self, ids: list[int]) -> None:
        for message_id in ids:
            await self._deliver_one(message_id)

    async def _claim(self) -> list[tuple[int, int]]:
        """Claim due rows; returns (message id, account id) in due order."""
        rt = self.rt
        now = rt.clock.now()
        s = rt.settings
        due = (
            select(OutboxMessage.id)
            .where(or_(
                and_(OutboxMessage.status == "pending", OutboxMessage.due_at <= now),
                and_(OutboxMessage.status == "sending", OutboxMessage.claimed_until < now),  # a dead worker's
            ))
            # Personal messages first: a teacher's request does not wait behind a broadcast.
            .order_by(OutboxMessage.broadcast_id.is_not(None), OutboxMessage.due_at, OutboxMessage.id)
            .limit(self.batch)
        )
        if in_quiet_hours(now, s.tz, s.quiet_start, s.quiet_end):
            due = due.where(OutboxMessage.quiet.is_(False))
        async with rt.sessionmaker() as session:
            if session.get_bind().dialect.name == "postgresql":
                due = due.with_for_update(skip_locked=True)
            result = await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(due.scalar_subquery()))
                .values(status="sending", claimed_until=now + self.lease, attempts=OutboxMessage.attempts + 1)
                .returning(OutboxMessage.id, OutboxMessage.account_id, OutboxMessage.due_at)
                .execution_options(synchronize_session=False)
            )
            rows = sorted(result.all(), key=lambda row: (row.due_at, row.id))
            await session.commit()
        return [(row.id, row.account_id) for row in rows]

    async def _deliver_one(self, message_id: int) -> None:
        async with self._senders:
            try:
                await self._deliver(message_id)
            except Exception:
                log.exception("outbox %s: unexpected error; it will be retried after its lease", message_id)

    async def _deliver(self, message_id: int) -> None:
        rt = self.rt
        async with rt.sessionmaker() as session:
            message = await session.get(OutboxMessage, message_id)
            account = await session.get(Account, message.account_id)
            if account.blocked_at is not None:
                message.status, message.last_error = "failed", "blocked"
                await session.commit()
                return
            who = await accounts.identify(session, account)
            t = rt.translator(who.language(rt.settings.default_language))
            renderer = RENDERERS.get(message.kind)
            rendered = await renderer(session, rt, t, message.payload) if renderer else None
            if rendered is None:
                message.status = "skipped"
                await session.commit()
                return
            await self.pacer.acquire(account.chat_id)
            try:
                if rendered.document is not None:
                    name, content = rendered.document
                    sent = await self.bot.send_document(account.chat_id, InputFile(content, filename=name),
                                                        caption=rendered.text, reply_markup=rendered.markup)
                else:
                    sent = await self.bot.send_message(account.chat_id, rendered.text, reply_markup=rendered.markup)
            except RetryAfter as exc:
                wait = _seconds(exc.retry_after)
                self.pacer.pause(wait)
                self._retry(message, timedelta(seconds=wait), "429")
            except Forbidden:
                message.status, message.last_error = "failed", "blocked"
                account.blocked_at = rt.clock.now()
                log.warning("outbox %s: account %s blocked the bot; marked unreachable", message.id, account.id)
            except BadRequest as exc:
                message.status, message.last_error = "failed", f"bad request: {exc.message}"[:200]
                log.error("outbox %s refused by Telegram: %s", message.id, exc.message)
            except (TimedOut, NetworkError) as exc:  # PTB raises NetworkError for 5xx too
                self._retry(message, timedelta(seconds=min(MAX_BACKOFF_SECONDS, 2 ** message.attempts)),
                            type(exc).__name__)
            else:
                message.status = "sent"
                message.sent_at = rt.clock.now()
                message.telegram_message_id = sent.message_id
            await session.commit()

    def _retry(self, message: OutboxMessage, wait: timedelta, reason: str) -> None:
        message.last_error = reason
        if message.attempts >= MAX_ATTEMPTS:
            message.status = "failed"
            log.error("outbox %s: giving up after %s attempts (%s)", message.id, message.attempts, reason)
            return
        message.status = "pending"
        message.due_at = self.rt.clock.now() + wait
        log.info("outbox %s: %s, retry in %s", message.id, reason, wait)


def _seconds(value) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
