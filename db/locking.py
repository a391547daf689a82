"""Row locks that work on PostgreSQL and SQLite alike.

PostgreSQL: `SELECT ... FOR UPDATE` on the row. SQLite has no row locks; its writers
take turns on the whole database, so we make the transaction's first statement a
write (a no-op UPDATE of the row): from then on no other writer can interleave, and
busy_timeout makes the others wait instead of failing.
"""
from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Staff


async def lock_teacher(session: AsyncSession, teacher_id: int) -> None:
    """Serialise every change to one teacher's time (bookings, windows)."""
    if session.in_transaction():
        # A read snapshot taken earlier could be stale; start afresh.
        await session.commit()
    if session.get_bind().dialect.name == "sqlite":
        await session.execute(update(Staff).where(Staff.id == teacher_id).values(active=Staff.active))
    else:
        await session.execute(select(Staff.id).where(Staff.id == teacher_id).with_for_update())


async def release(session: AsyncSession) -> None:
    """End a locked transaction that changed nothing, e.g. before returning a refusal.

    Unlike a rollback this keeps the loaded objects usable: a rollback expires every
    object in the session, and reading an expired attribute afterwards (the caller's
    period, or `invitation.id` for the reply) needs IO, which async SQLAlchemy refuses
    with MissingGreenlet. Only the lock's own no-op write is committed.
    """
    await session.commit()
