"""INSERT ... ON CONFLICT DO NOTHING on PostgreSQL and SQLite alike: for rows that two
workers (or a retried update) may both write, where the second write means "already done"."""
from __future__ import annotations

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession


async def insert_or_ignore(session: AsyncSession, table: Table, values: dict, *, on: tuple[str, ...]) -> bool:
    """Insert the row unless one with the same `on` columns exists; True when inserted."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    result = await session.execute(insert(table).values(**values).on_conflict_do_nothing(index_elements=list(on)))
    return result.rowcount == 1
