"""The SQLite connection that runs each statement in one trip to its thread
(db/sqlite_driver.py): what SQLAlchemy gets back is what aiosqlite would give; and
when the installed aiosqlite or SQLAlchemy does not fit it, the stock driver instead.

The tests below the fixture run on both: "fast" is the engine `make_engine` makes by
default (the one-trip driver, which must be on with the versions pyproject.toml pins),
"stock" one whose check reported a problem."""
from __future__ import annotations

import logging
from datetime import datetime, timezone

import aiosqlite
import pytest
from sqlalchemy import func, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from db import sqlite_driver
from db.migrate import upgrade_to_head_async
from db.models import Account, Base, ProcessedUpdate, School
from db.session import make_engine, make_sessionmaker
from db.sqlite_driver import Connection

NOW = datetime(2026, 11, 10, 15, 0, tzinfo=timezone.utc)


def a_school() -> School:
    """Accounts and handled updates belong to a school (foreign keys are on)."""
    return School(id=1, name="De Regenboog", timezone="Europe/Amsterdam", default_language="nl", created_at=NOW)


def _internals_changed() -> str:
    return "pretend: aiosqlite changed"


@pytest.fixture(params=["fast", "stock"])
async def sqlite(request, tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path}/driver.db"
    await upgrade_to_head_async(url)
    engine = make_engine(url) if request.param == "fast" else make_engine(url, sqlite_check=_internals_changed)
    yield engine
    await engine.dispose()


def test_the_fast_driver_fits_the_pinned_versions():
    # If this fails, the installed aiosqlite or SQLAlchemy (see pyproject.toml's pins)
    # no longer fits db/sqlite_driver.py: the bot still works, on the slower stock driver.
    assert sqlite_driver.check() is None


async def test_the_engine_uses_the_one_hop_connection_or_the_stock_one(sqlite, request):
    async with sqlite.connect() as conn:
        raw = await conn.get_raw_connection()
        if request.node.callspec.params["sqlite"] == "fast":
            assert isinstance(raw.driver_connection, Connection), sqlite_driver.check()
        else:
            assert type(raw.driver_connection) is aiosqlite.Connection
        pragmas = [(await conn.exec_driver_sql(f"PRAGMA {name}")).scalar() for name in
                   ("journal_mode", "foreign_keys", "busy_timeout")]
    assert pragmas == ["wal", 1, 30000]


async def test_rows_rowcount_and_generated_keys(sqlite):
    sessionmaker = make_sessionmaker(sqlite)
    async with sessionmaker() as session:
        session.add(a_school())
        await session.flush()
        accounts = [Account(school_id=1, telegram_user_id=100 + i, chat_id=100 + i, created_at=NOW, updated_at=NOW)
                    for i in range(3)]
        session.add_all(accounts)
        await session.commit()
        assert sorted(a.id for a in accounts) == [1, 2, 3]  # lastrowid reached the ORM
        changed = await session.execute(update(Account).where(Account.telegram_user_id >= 101)
                                        .values(language="tr").execution_options(synchronize_session=False))
        assert changed.rowcount == 2
        await session.execute(insert(ProcessedUpdate), [{"school_id": 1, "update_id": n, "processed_at": NOW} for n in range(50)])
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
        session.add(a_school())
        await session.flush()
        session.add(ProcessedUpdate(school_id=1, update_id=7, processed_at=NOW))
        await session.commit()
        session.add(ProcessedUpdate(school_id=1, update_id=7, processed_at=NOW))
        with pytest.raises(IntegrityError):
            await session.commit()
        await session.rollback()
        await session.execute(insert(ProcessedUpdate).values(school_id=1, update_id=8, processed_at=NOW))
        await session.rollback()
        assert (await session.scalars(select(ProcessedUpdate.update_id))).all() == [7]


async def test_a_bad_statement_raises_and_the_connection_goes_on(sqlite):
    async with sqlite.connect() as conn:
        with pytest.raises(Exception, match="no such table"):
            await conn.execute(text("SELECT * FROM nowhere"))
        await conn.rollback()
        assert (await conn.execute(text("SELECT 41 + 1"))).scalar() == 42


# -- the check, and the fallback -------------------------------------------------------------

async def test_when_the_check_fails_the_stock_driver_does_everything(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="db.session"):
        engine = make_engine(f"sqlite+aiosqlite:///{tmp_path}/stock.db", sqlite_check=_internals_changed)
    assert [r.getMessage() for r in caplog.records if r.name == "db.session"] == [
        "SQLite: the one-trip driver (db/sqlite_driver.py) is off: pretend: aiosqlite changed; "
        "using SQLAlchemy's stock aiosqlite driver, slower"]
    try:
        async with engine.begin() as conn:
            assert type((await conn.get_raw_connection()).driver_connection) is aiosqlite.Connection
            await conn.run_sync(Base.metadata.create_all)
        sessionmaker = make_sessionmaker(engine)
        async with sessionmaker() as session:
            session.add(a_school())
            await session.flush()
            session.add(Account(school_id=1, telegram_user_id=5, chat_id=5, created_at=NOW, updated_at=NOW))
            session.add(ProcessedUpdate(school_id=1, update_id=1, processed_at=NOW))
            await session.commit()
            session.add(ProcessedUpdate(school_id=1, update_id=1, processed_at=NOW))
            with pytest.raises(IntegrityError):
                await session.commit()
            await session.rollback()
        async with sessionmaker() as session:
            assert (await session.execute(select(Account.telegram_user_id, Account.chat_id))).all() == [(5, 5)]
            assert (await session.scalars(select(ProcessedUpdate.processed_at))).all() == [NOW]
    finally:
        await engine.dispose()


def test_the_check_looks_at_aiosqlites_internals():
    class NoExecute(aiosqlite.Connection):
        _execute = None

    class SyncExecute(aiosqlite.Connection):
        def _execute(self, fn, *args, **kwargs):
            return fn(*args, **kwargs)

    class NoConn(aiosqlite.Connection):
        _conn = None

    class OtherConstructor(aiosqlite.Connection):
        def __init__(self, database: str, *, iter_chunk_size: int = 64) -> None:
            super().__init__(lambda: None, iter_chunk_size)

    assert sqlite_driver.internals_problem() is None
    assert "_execute is not a coroutine" in sqlite_driver.internals_problem(NoExecute)
    assert "_execute is not a coroutine" in sqlite_driver.internals_problem(SyncExecute)
    assert "_conn is not a property" in sqlite_driver.internals_problem(NoConn)
    assert "constructor" in sqlite_driver.internals_problem(OtherConstructor)


def test_the_check_looks_at_sqlalchemys_dialect():
    class Raises(sqlite_driver.SQLiteDialect_aiosqlite):
        def create_connect_args(self, url):
            raise NotImplementedError("gone")

    class Elsewhere(sqlite_driver.SQLiteDialect_aiosqlite):
        def create_connect_args(self, url):
            return ["/tmp/other.db"], {}

    assert "NotImplementedError: gone" in sqlite_driver.internals_problem(dialect_class=Raises)
    assert "gave ['/tmp/other.db']" in sqlite_driver.internals_problem(dialect_class=Elsewhere)


def test_the_self_test_runs_a_statement_through_sqlalchemy():
    class NoThread(Connection):  # aiosqlite before 0.22: the connection was the thread
        def __init__(self, *args) -> None:
            super().__init__(*args)
            del self._thread

    class WrongRows(sqlite_driver.Cursor):
        async def fetchall(self) -> list:
            await super().fetchall()
            return []

    class LosesRows(Connection):
        def cursor(self):
            return WrongRows(self)

    class StockCursor(Connection):  # would work, but is not the one-trip cursor
        cursor = aiosqlite.Connection.cursor

    assert sqlite_driver.self_test_problem() is None
    assert sqlite_driver.self_test_problem(NoThread) == (
        "self-test: AttributeError: 'NoThread' object has no attribute '_thread'")
    assert sqlite_driver.self_test_problem(LosesRows).startswith("self-test: ")
    assert sqlite_driver.self_test_problem(StockCursor) is None


async def test_the_check_can_run_inside_an_event_loop():
    assert sqlite_driver.self_test_problem() is None
