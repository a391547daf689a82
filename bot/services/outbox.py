"""Writing to the outbox: a message that must not be lost or doubled is stored in the
same transaction as the change that causes it. `bot/outbox.py` sends it later."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.accounts import IDENTITY_COLUMNS, Identity, identity_of_rows, with_people
from db.inserts import insert_or_ignore
from db.models import Account, OutboxMessage, OutboxStatus


def enqueue(
    session: AsyncSession, *, school_id: int, account_id: int | None, kind: str, payload: dict, due_at: datetime,
    now: datetime, quiet: bool = True, dedupe_key: str | None = None, appointment_id: int | None = None,
    broadcast_id: int | None = None,
) -> OutboxMessage | None:
    """Add a message for this account; nothing when the person has not linked Telegram.

    `quiet=False` for a message that answers the reader's own action: it goes out at
    night too. Everything else waits for the end of the quiet hours.
    """
    if account_id is None:
        return None
    message = OutboxMessage(school_id=school_id, account_id=account_id, kind=kind, payload=payload,
                            due_at=due_at, status=OutboxStatus.PENDING, attempts=0, created_at=now, quiet=quiet,
                            dedupe_key=dedupe_key, appointment_id=appointment_id, broadcast_id=broadcast_id)
    session.add(message)
    # Tells the update's scope to kick the dispatcher once this update is done.
    session.info["outbox_written"] = True
    return message


async def enqueue_once(
    session: AsyncSession, *, school_id: int, account_id: int | None, kind: str, payload: dict, due_at: datetime,
    now: datetime, dedupe_key: str, quiet: bool = True, appointment_id: int | None = None,
) -> bool:
    """A planned message, queued once however often (and by however many workers at once)
    it is planned: the insert does nothing when a row with this `dedupe_key` exists.
    True when this call queued it."""
    if account_id is None:
        return False
    inserted = await insert_or_ignore(session, OutboxMessage.__table__, dict(
        school_id=school_id, account_id=account_id, kind=kind, payload=payload, due_at=due_at,
        status=OutboxStatus.PENDING,
        attempts=0, created_at=now, quiet=quiet, dedupe_key=dedupe_key, appointment_id=appointment_id),
        on=("dedupe_key",))
    if inserted:
        session.info["outbox_written"] = True
    return inserted


# -- messages that failed for good --------------------------------------------------

BLOCKED = "blocked"  # `last_error` of a message whose reader blocked the bot: not a failure to retry


@dataclass(frozen=True)
class FailedMessage:
    id: int
    kind: str
    account_id: int
    attempts: int
    reason: str
    created_at: datetime


def _failed(school_id: int):
    return (OutboxMessage.school_id == school_id, OutboxMessage.status == OutboxStatus.FAILED,
            or_(OutboxMessage.last_error.is_(None), OutboxMessage.last_error != BLOCKED))


async def failed_count(session: AsyncSession, school_id: int) -> int:
    """Messages that could not be delivered after every attempt (readers who blocked the bot not counted)."""
    return await session.scalar(select(func.count()).select_from(OutboxMessage).where(*_failed(school_id))) or 0


async def failed_messages(session: AsyncSession, school_id: int, limit: int = 1000) -> list[FailedMessage]:
    rows = (await session.scalars(
        select(OutboxMessage).where(*_failed(school_id)).order_by(OutboxMessage.id).limit(limit))).all()
    return [FailedMessage(m.id, m.kind, m.account_id, m.attempts, m.last_error or "", m.created_at)
            for m in rows]


async def retry_failed(session: AsyncSession, school_id: int, ids: list[int] | None, now: datetime) -> int:
    """Queue failed messages again (these ids, or all of them): sent afresh, with a fresh count of attempts.
    Returns how many were queued; ids of other schools, or not failed, are left alone."""
    query = (update(OutboxMessage).where(*_failed(school_id))
             .values(status=OutboxStatus.PENDING, attempts=0, due_at=now, claimed_until=None, last_error=None)
             .execution_options(synchronize_session=False))
    if ids is not None:
        query = query.where(OutboxMessage.id.in_(ids or [-1]))
    result = await session.execute(query)
    await session.commit()
    if result.rowcount:
        session.info["outbox_written"] = True  # a bot update asking for this kicks the dispatcher
    return result.rowcount


@dataclass(frozen=True)
class Delivery:
    """An outbox row about to be sent, with its reader: one query per message."""

    status: str
    attempts: int
    kind: str
    payload: dict
    account_id: int
    chat_id: int
    blocked: bool
    reader: Identity


_DELIVERY = with_people(
    select(OutboxMessage.status, OutboxMessage.attempts, OutboxMessage.kind, OutboxMessage.payload,
           Account.chat_id, Account.blocked_at, Account.telegram_user_id, Account.telegram_language, *IDENTITY_COLUMNS)
    .join(Account, Account.id == OutboxMessage.account_id)
    .where(OutboxMessage.id == bindparam("message_id"))
)


async def delivery(session: AsyncSession, message_id: int) -> Delivery | None:
    rows = (await session.execute(_DELIVERY, {"message_id": message_id})).all()
    if not rows:
        return None
    first = rows[0]
    return Delivery(first.status, first.attempts, first.kind, first.payload, first.account_id, first.chat_id,
                    first.blocked_at is not None, identity_of_rows(rows, first.telegram_user_id,
                                                                   first.telegram_language))
