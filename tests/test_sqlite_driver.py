"""The SQLite connection that runs each statement in one trip to its thread
(db/sqlite_driver.py): what SQLAlchemy gets back is what aiosqlite would give."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import func, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from db.migrate import upgrade_to_head_async
from db.models import Account, ProcessedUpdate
from db.session import make_engine, make_sessionmaker
from db.sqlite_driver import Connection

NOW = datetime(2026, 11, 10, 15, 0, tzinfo=timezone.utc)


@pytest.fixture
async def sqlite(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path}/driver.db"
    await upgrade_to_head_async(url)
    engine = make_engine(url)
    yield engine
    await engine.dispose()


async def test_the_engine_uses_the_one_hop_connection(sqlite):
    async with sqlite.connect() as conn:
        raw = await conn.get_raw_connection()
        assert isinstance(raw.driver_connection, Connection)
        pragmas = [(await conn.exec_driver_sql(f"PRAGMA {name}")).scalar() for name in
                   ("journal_mode", "foreign_keys", "busy_timeout")]
    assert pragmas == ["wal", 1, 30000]


async def test_rows_rowcount_and_generated_keys(sqlite):
    sessionmaker = make_sessionmaker(sqlite)
    async with sessionmaker() as session:
        accounts = [Account(telegram_user_id=100 + i, chat_id=100 + i, created_at=NOW, updated_at=NOW)
                    for i in range(3)]
        session.add_all(accounts)
        await session.commit()
        assert sorted(a.id for a in accounts) == [1, 2, 3]  # lastrowid reached the ORM
        changed = await session.execute(update(Account).where(Account.telegram_user_id >= 101)
                                        .values(language="tr").execution_options(synchronize_session=False))
        assert changed.rowcount == 2
        await session.execute(insert(ProcessedUpdate), [{"update_id": n, "processed_at": NOW} for n in range(50)])
        await session.commit()
    async with sessionmaker() as session:
        languages = (await session.execute(select(Account.telegram_user_id, Account.language)
                                           .order_by(Account.telegram_user_id))).all()
        assert languages == [(100, None), (101, "tr"), (102, "tr")]
        assert await session.scalar(select(func.count()).select_from(ProcessedUpdate)) == 50
        first = await session.scalar(select(ProcessedUpdate).order_by(ProcessedUpdate.update_id))
        assert first.processed_at == NOW  # the UTC type still converts on the way back
        streamed = [row async for row in await session.stream_scalars(
            select(ProcessedUpdate.update_id).order_by(ProcessedUpdate.update_id))]
        assert streamed == list(range(50))


async def test_constraint_violation_and_rollback(sqlite):
    sessionmaker = make_sessionmaker(sqlite)
    async with sessionmaker() as session:
        session.add(ProcessedUpdate(update_id=7, processed_at=NOW))
        await session.commit()
        session.add(ProcessedUpdate(update_id=7, processed_at=NOW))
        with pytest.raises(IntegrityError):
            await session.commit()
        await session.rollback()
        await session.execute(insert(ProcessedUpdate).values(update_id=8, processed_at=NOW))
        await session.rollback()
        assert (await session.scalars(select(ProcessedUpdate.update_id))).all() == [7]


async def test_a_bad_statement_raises_and_the_connection_goes_on(sqlite):
    async with sqlite.connect() as conn:
        with pytest.raises(Exception, match="no such table"):
            await conn.execute(text("SELECT * FROM nowhere"))
        await conn.rollback()
        assert (await conn.execute(text("SELECT 41 + 1"))).scalar() == 42
