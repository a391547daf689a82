"""The outbox dispatcher: claims due rows, renders them in the reader's current
language, sends them through Telegram within its flood limits, and records the result.

- One worker at a time sends for a bot: Telegram's limits are per bot, not per process.
  The right to send is a lease in the database (`outbox_leases`), renewed while the
  worker sends and taken over by another when it is not renewed (a dead worker).
- Claiming is one `UPDATE ... RETURNING` (with `FOR UPDATE SKIP LOCKED` on PostgreSQL),
  so even two dispatchers never take the same row. Claim, commit, send, then record the
  result in a short transaction of its own: no transaction is open while a message
  waits for the pacer or for Telegram (on SQLite that would hold the write lock).
- A claim is a lease too: a row left in `sending` by a worker that died is taken again
  when the lease has run out. A message that reached Telegram just before the crash
  can then go out twice; that window is one HTTP round trip (at-least-once).
- 429: everyone waits `retry_after`, and the row is due again after it. The pause is
  written to the bot's lease row (`paused_until`), so whichever worker sends for the bot
  next, in this process or another, waits it out too.
  Network errors, 5xx and unexpected errors: capped exponential backoff. After
  MAX_ATTEMPTS (however they ended, a dead worker's included) the row is parked as
  `failed` with the reason: the coordinator sees the count and can retry them.
  403: the chat blocked the bot; the account is marked unreachable.
- A text longer than Telegram takes goes out as several messages, never cut.
- Quiet hours (school time): rows marked `quiet` wait for the morning.

APScheduler only ticks it; an update that wrote outbox rows also kicks it.
"""
from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Awaitable, Callable

from sqlalchemy import and_, or_, select, update
from telegram import InputFile
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.notices import RENDERERS, Rendered
from bot.ratelimit import Pacer
from bot.runtime import Runtime
from bot.screens.fit import split_text, utf16_length
from bot.services import outbox as outbox_rows
from bot.services.humane import in_quiet_hours
from bot.services.outbox import BLOCKED
from db.inserts import insert_or_ignore
from db.models import Account, OutboxLease, OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
MAX_BACKOFF_SECONDS = 300
SENDERS = 8  # a bot's messages in flight at once; also the database slots a process's outboxes share
MAX_CAPTION = 1024  # Telegram's limit for a document's caption
UPDATES_FIRST_SECONDS = 0.05  # at most this long a message waits for the updates in hand
HANDOVER_SECONDS = 1.0  # taking over from another worker: its last sends leave Telegram's one-second window

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
        self._in_flight = asyncio.Semaphore(SENDERS)  # this bot's messages between claim and record
        # Reading, rendering and recording (the database's part): shared by a board's schools in one
        # process, so their outboxes together leave the pool and the event loop to the updates.
        self._db_slots = runtime.outbox_db_slots or asyncio.Semaphore(SENDERS)
        token = s.bot_token or ""
        self.lease_name = f"bot:{token.split(':')[0]}"
        self.holder = uuid.uuid4().hex
        self.paused_until: datetime | None = None  # Telegram's last 429 for this bot, as the lease row has it
        self.holding = False
        self.renew_at: datetime | None = None  # half the lease: a long batch renews it before sending on
        self._renewing = asyncio.Lock()
        self.share = runtime.lease_share  # a board's worker: its part of the bots' leases (bot/lease_share.py)

    async def hold_lease(self) -> bool:
        """Take or renew the right to send for this bot; False while another worker holds it,
        or (a board's worker) while this worker already holds its part of the bots' leases."""
        now = self.rt.clock.now()
        until = now + self.lease
        async with self.rt.sessionmaker() as session:
            if self.share is not None:
                await self.share.beat(session, now)
                if not self.holding and not self.share.may_take():
                    await session.commit()
                    return False
            # Renewing reads the pause a 429 left in the same round trip; a new lease row has none.
            renewed = (await session.execute(
                update(OutboxLease)
                .where(OutboxLease.name == self.lease_name,
                       or_(OutboxLease.holder == self.holder, OutboxLease.expires_at < now))
                .values(holder=self.holder, expires_at=until).returning(OutboxLease.paused_until)
                .execution_options(synchronize_session=False))).first()
            held = renewed is not None or await insert_or_ignore(
                session, OutboxLease.__table__, {"name": self.lease_name, "holder": self.holder, "expires_at": until},
                on=("name",))
            if held:
                self.paused_until = renewed.paused_until if renewed is not None else None
            await session.commit()
        self.renew_at = now + self.lease / 2 if held else None
        if held and not self.holding and renewed is not None:
            # Another worker held the lease and may have sent a moment ago: wait out Telegram's
            # window (real time) so its last second and this worker's first do not add up.
            self.pacer.pause(HANDOVER_SECONDS)
        self.holding = held
        if self.share is not None:
            (self.share.held.add if held else self.share.held.discard)(self.lease_name)
        return held

    async def still_holding(self) -> bool:
        """Before each send: the lease is still this worker's. A batch that takes long (a slow
        or busy machine) renews it when half has passed, so it never runs out while this
        worker sends; if another worker has taken it meanwhile, this one sends no more."""
        if self.renew_at is not None and self.rt.clock.now() < self.renew_at:
            return True
        async with self._renewing:
            if self.renew_at is not None and self.rt.clock.now() < self.renew_at:
                return True
            return await self.hold_lease()

    async def pause_everywhere(self, seconds: float) -> None:
        """Telegram said 429: no worker sends for this bot until `seconds` from now."""
        until = self.rt.clock.now() + timedelta(seconds=seconds)
        async with self.rt.sessionmaker() as session:
            await session.execute(
                update(OutboxLease).where(OutboxLease.name == self.lease_name,
                                          or_(OutboxLease.paused_until.is_(None), OutboxLease.paused_until < until))
                .values(paused_until=until).execution_options(synchronize_session=False))
            # No worker has sent for the bot yet (a reply's 429): a lease row nobody holds, paused.
            await insert_or_ignore(session, OutboxLease.__table__,
                                   {"name": self.lease_name, "holder": "",
                                    "expires_at": self.rt.clock.now() - timedelta(seconds=1),
                                    "paused_until": until}, on=("name",))
            await session.commit()
        self.paused_until = max(self.paused_until or until, until)

    def paused(self) -> bool:
        return self.paused_until is not None and self.paused_until > self.rt.clock.now()

    async def release_lease(self) -> None:
        """Stopping: another worker may send at once instead of waiting out the lease (after
        the handover's second)."""
        self.holding, self.renew_at = False, None
        if self.share is not None:
            self.share.held.discard(self.lease_name)
        async with self.rt.sessionmaker() as session:
            await session.execute(
                update(OutboxLease).where(OutboxLease.name == self.lease_name, OutboxLease.holder == self.holder)
                .values(expires_at=self.rt.clock.now() - timedelta(seconds=1))
                .execution_options(synchronize_session=False))
            await session.commit()

    async def dispatch_due(self) -> int:
        """Send everything that is due now, if this worker may send for the bot. Returns how
        many rows were handled."""
        handled = 0
        async with self._lock:
            while True:
                if self.share is not None and self.holding and self.share.over_part():
                    await self.release_lease()  # this worker holds more than its part: another takes this bot
                    return handled
                if not await self.hold_lease() or self.paused():
                    return handled  # another worker sends, or Telegram asked the bot to wait
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
            .where(OutboxMessage.school_id == rt.school_id)  # this bot's school only
            .where(or_(
                and_(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.due_at <= now),
                # a dead worker's:
                and_(OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.claimed_until < now),
            ))
            # Personal messages first: a teacher's request does not wait behind a broadcast.
            .order_by(OutboxMessage.broadcast_id.is_not(None), OutboxMessage.due_at, OutboxMessage.id)
            .limit(self.batch)
        )
        if in_quiet_hours(now, s.tz, s.quiet_start, s.quiet_end):
            due = due.where(OutboxMessage.quiet.is_(False))
        due = due.where(OutboxMessage.attempts < MAX_ATTEMPTS)
        async with rt.sessionmaker() as session:
            # A row whose workers kept dying while sending it is not tried for ever.
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.school_id == rt.school_id, OutboxMessage.status == OutboxStatus.SENDING,
                       OutboxMessage.claimed_until < now, OutboxMessage.attempts >= MAX_ATTEMPTS)
                .values(status=OutboxStatus.FAILED, last_error=f"gave up after {MAX_ATTEMPTS} attempts")
                .execution_options(synchronize_session=False))
            if session.get_bind().dialect.name == "postgresql":
                due = due.with_for_update(skip_locked=True)
            result = await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(due.scalar_subquery()))
                .values(status=OutboxStatus.SENDING, claimed_until=now + self.lease,
                        attempts=OutboxMessage.attempts + 1)
                .returning(OutboxMessage.id, OutboxMessage.account_id, OutboxMessage.due_at)
                .execution_options(synchronize_session=False)
            )
            rows = sorted(result.all(), key=lambda row: (row.due_at, row.id))
            await session.commit()
        return [(row.id, row.account_id) for row in rows]

    async def _deliver_one(self, message_id: int) -> None:
        async with self._in_flight:
            try:
                await self._deliver(message_id)
            except Exception:  # recording failed too (database gone): the claim's lease brings it back
                log.exception("outbox %s: could not be delivered or recorded", message_id)

    async def _deliver(self, message_id: int) -> None:
        # 1. Read and render, in a transaction that ends before anything waits; updates first.
        if self.rt.updates_in_hand is not None:
            await self.rt.updates_in_hand.wait_idle(UPDATES_FIRST_SECONDS)
        async with self._db_slots:
            prepared = await self._prepare(message_id)
        if prepared is None:
            return
        account_id, attempts, chat_id, rendered = prepared
        if not await self.still_holding():
            return  # another worker sends for the bot now: it takes this row over when its claim runs out
        # 2. Send, with no transaction open.
        try:
            sent_id = await self._send(chat_id, rendered)
        except RetryAfter as exc:
            wait = _seconds(exc.retry_after)
            self.pacer.pause(wait)
            try:
                await self.pause_everywhere(wait)
            except Exception:  # the database is gone: this worker's pacer still waits
                log.warning("outbox: could not record the 429 pause", exc_info=True)
            result = self._retry("429", attempts, timedelta(seconds=wait))
        except Forbidden:
            log.warning("outbox %s: account %s blocked the bot; marked unreachable", message_id, account_id)
            result = Result("failed", error=BLOCKED, blocked_account=account_id)
        except BadRequest as exc:
            log.error("outbox %s refused by Telegram: %s", message_id, exc.message)
            result = Result("failed", error=f"bad request: {exc.message}"[:200])
        except (TimedOut, NetworkError) as exc:  # PTB raises NetworkError for 5xx too
            result = self._retry(type(exc).__name__, attempts)
        except Exception as exc:
            log.exception("outbox %s: unexpected error while sending", message_id)
            result = self._retry(f"error: {type(exc).__name__}", attempts)
        else:
            result = Result("sent", telegram_message_id=sent_id)
        # 3. Record the result in a short transaction of its own.
        async with self._db_slots:
            await self._record(message_id, result)

    async def _prepare(self, message_id: int) -> tuple[int, int, int, Rendered] | None:
        """The row, its reader and the rendered message; None when there is nothing to send
        (the outcome is recorded)."""
        rt = self.rt
        async with rt.sessionmaker() as session:
            row = await outbox_rows.delivery(session, message_id)  # the row and its reader, in one query
            if row is None or row.status != OutboxStatus.SENDING:
                return None
            try:
                if row.blocked:
                    await self._record(message_id, Result("failed", error=BLOCKED))
                    return None
                t = rt.translator(row.reader.language(rt.settings.default_language))
                renderer = RENDERERS.get(row.kind)
                rendered = await renderer(session, rt, t, row.payload) if renderer else None
            except Exception as exc:
                log.exception("outbox %s: could not be rendered", message_id)
                await self._record(message_id, self._retry(f"error: {type(exc).__name__}", row.attempts))
                return None
        if rendered is None:
            await self._record(message_id, Result("skipped"))
            return None
        return row.account_id, row.attempts, row.chat_id, rendered

    async def _send(self, chat_id: int, rendered: Rendered) -> int:
        """Send the rendered message: a long text as several messages (the buttons on the
        last), a file with its caption. Returns the id of the last message."""
        texts = split_text(rendered.text)
        document = rendered.document
        if document is not None and len(texts) == 1 and utf16_length(texts[0]) <= MAX_CAPTION:
            await self.pacer.acquire(chat_id)
            name, content = document
            sent = await self.bot.send_document(chat_id, InputFile(content, filename=name), caption=texts[0],
                                                reply_markup=rendered.markup)
            return sent.message_id
        for number, text in enumerate(texts, 1):
            await self.pacer.acquire(chat_id)
            last = number == len(texts) and document is None
            sent = await self.bot.send_message(chat_id, text, reply_markup=rendered.markup if last else None)
        if document is not None:  # a caption too long for Telegram: the text above, the file on its own
            await self.pacer.acquire(chat_id)
            name, content = document
            sent = await self.bot.send_document(chat_id, InputFile(content, filename=name),
                                                reply_markup=rendered.markup)
        return sent.message_id

    def _retry(self, reason: str, attempts: int, wait: timedelta | None = None) -> Result:
        """Try again later, or park the message as failed when it had its attempts."""
        if attempts >= MAX_ATTEMPTS:
            log.error("outbox: giving up after %s attempts (%s)", attempts, reason)
            return Result("failed", error=reason[:200])
        wait = wait if wait is not None else timedelta(seconds=min(MAX_BACKOFF_SECONDS, 2 ** attempts))
        log.info("outbox: %s, retry in %s", reason, wait)
        return Result("pending", error=reason, due_at=self.rt.clock.now() + wait)

    async def _record(self, message_id: int, result: Result) -> None:
        now = self.rt.clock.now()
        values: dict = {"status": result.status, "last_error": result.error}
        if result.status == OutboxStatus.SENT:
            values.update(sent_at=now, telegram_message_id=result.telegram_message_id)
        if result.due_at is not None:
            values["due_at"] = result.due_at
        async with self.rt.sessionmaker() as session:
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == message_id, OutboxMessage.status == OutboxStatus.SENDING)
                .values(**values).execution_options(synchronize_session=False))
            if result.blocked_account is not None:
                await session.execute(update(Account).where(Account.id == result.blocked_account)
                                      .values(blocked_at=now).execution_options(synchronize_session=False))
            await session.commit()


@dataclass(frozen=True)
class Result:
    status: str  # sent, pending (again), failed, skipped
    error: str | None = None
    telegram_message_id: int | None = None
    due_at: datetime | None = None
    blocked_account: int | None = None


def _seconds(value) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
