"""Writing to the outbox: a message that must not be lost or doubled is stored in the
same transaction as the change that causes it. `bot/outbox.py` sends it later."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import OutboxMessage


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
                            due_at=due_at, status="pending", attempts=0, created_at=now, quiet=quiet,
                            dedupe_key=dedupe_key, appointment_id=appointment_id, broadcast_id=broadcast_id)
    session.add(message)
    # Tells the update's scope to kick the dispatcher once this update is done.
    session.info["outbox_written"] = True
    return message
