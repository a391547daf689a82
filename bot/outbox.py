"""The outbox dispatcher: claims due rows, renders them in the reader's current
language, sends them through PTB, and records the result.

Claiming is one `UPDATE ... RETURNING` (with `FOR UPDATE SKIP LOCKED` on PostgreSQL),
so two dispatchers never take the same row. APScheduler only ticks it; an update that
wrote outbox rows also kicks it, so the other party hears at once.
"""
from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from sqlalchemy import select, update
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.notices import RENDERERS
from bot.runtime import Runtime
from bot.services import accounts
from db.models import Account, OutboxMessage

log = logging.getLogger(__name__)

CLAIM_FOR = timedelta(minutes=5)
MAX_ATTEMPTS = 8


class Dispatcher:
    def __init__(self, runtime: Runtime, bot) -> None:
        self.rt = runtime
        self.bot = bot
        self._lock = asyncio.Lock()

    async def dispatch_due(self, batch: int = 50) -> int:
        """Send everything that is due now. Returns how many rows were handled."""
        handled = 0
        async with self._lock:
            while True:
                ids = await self._claim(batch)
                if not ids:
                    return handled
                for message_id in ids:
                    await self._deliver(message_id)
                handled += len(ids)

    async def _claim(self, batch: int) -> list[int]:
        now = self.rt.clock.now()
        async with self.rt.sessionmaker() as session:
            due = (
                select(OutboxMessage.id)
                .where(OutboxMessage.status == "pending", OutboxMessage.due_at <= now)
                .order_by(OutboxMessage.due_at, OutboxMessage.id)
                .limit(batch)
            )
            if session.get_bind().dialect.name == "postgresql":
                due = due.with_for_update(skip_locked=True)
            result = await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(due.scalar_subquery()), OutboxMessage.status == "pending")
                .values(status="sending", claimed_until=now + CLAIM_FOR, attempts=OutboxMessage.attempts + 1)
                .returning(OutboxMessage.id)
                .execution_options(synchronize_session=False)
            )
            ids = sorted(result.scalars().all())
            await session.commit()
        return ids

    async def _deliver(self, message_id: int) -> None:
        rt = self.rt
        async with rt.sessionmaker() as session:
            message = await session.get(OutboxMessage, message_id)
            account = await session.get(Account, message.account_id)
            who = await accounts.identify(session, account)
            t = rt.translator(who.language(rt.settings.default_language))
            renderer = RENDERERS.get(message.kind)
            rendered = await renderer(session, rt, t, message.payload) if renderer else None
            if rendered is None:
                message.status = "skipped"
                await session.commit()
                return
            try:
                sent = await self.bot.send_message(account.chat_id, rendered.text, reply_markup=rendered.markup)
            except RetryAfter as exc:
                self._retry(message, timedelta(seconds=_seconds(exc.retry_after)), "429")
            except Forbidden:
                message.status = "failed"
                message.last_error = "blocked"
                log.warning("outbox %s: chat of account %s blocked the bot", message.id, account.id)
            except BadRequest as exc:
                message.status = "failed"
                message.last_error = f"bad request: {exc.message}"[:200]
                log.error("outbox %s refused by Telegram: %s", message.id, exc.message)
            except (TimedOut, NetworkError) as exc:
                self._retry(message, timedelta(seconds=min(300, 2 ** message.attempts)), type(exc).__name__)
            else:
                message.status = "sent"
                message.sent_at = rt.clock.now()
                message.telegram_message_id = sent.message_id
            await session.commit()

    def _retry(self, message: OutboxMessage, wait: timedelta, reason: str) -> None:
        if message.attempts >= MAX_ATTEMPTS:
            message.status = "failed"
        else:
            message.status = "pending"
            message.due_at = self.rt.clock.now() + wait
        message.last_error = reason
        log.info("outbox %s: %s, retry in %s", message.id, reason, wait)


def _seconds(value) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
