"""Test databases: a fresh SQLite file and a fresh PostgreSQL database per test run.

PostgreSQL comes from HOMEVISIT_TEST_PG_URL (default: the server on 127.0.0.1:5432,
database `test`). Where no server answers, PostgreSQL tests are skipped with a clear
message; under CI (CI=true) that is a failure instead, so CI never silently skips them.
"""
from __future__ import annotations

import asyncio
import os
import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from db.models import Base
from db.session import is_sqlite

PG_ADMIN_URL = os.environ.get("HOMEVISIT_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
BACKENDS = ["sqlite", "postgresql"]


def pg_unreachable(reason: str) -> None:
    message = f"PostgreSQL not reachable at {make_url(PG_ADMIN_URL).render_as_string(hide_password=True)}: {reason}"
    if os.environ.get("CI"):
        pytest.fail(message + " (CI must run the PostgreSQL tests)", pytrace=False)
    pytest.skip(message + "; set HOMEVISIT_TEST_PG_URL to run them")


async def _admin(sql: str) -> None:
    engine = create_async_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(sql))
    finally:
        await engine.dispose()


def create_pg_database() -> str:
    name = f"homevisit_t_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    try:
        asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # connection refused, auth, missing driver...
        pg_unreachable(f"{type(exc).__name__}: {exc}")
    return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def drop_pg_database(url: str) -> None:
    name = make_url(url).database
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def create_sqlite_database(directory) -> str:
    return f"sqlite+aiosqlite:///{directory}/homevisit-{uuid.uuid4().hex[:8]}.db"


# The sequences of the tables' id columns (what TRUNCATE ... RESTART IDENTITY restarts).
_RESTART_SEQUENCES = text("""
    SELECT setval(seq.oid, 1, false) FROM pg_class seq
    JOIN pg_depend dep ON dep.objid = seq.oid AND dep.deptype IN ('a', 'i')
    JOIN pg_class tab ON tab.oid = dep.refobjid
    WHERE seq.relkind = 'S' AND tab.relname = ANY(:tables)""")


async def wipe(engine) -> None:
    """Empty every table, so each test starts from a migrated, empty database (ids from 1).

    DELETE, children first, rather than TRUNCATE: on tables this small PostgreSQL's TRUNCATE
    (new files for two dozen tables) takes about ten times as long, before every test."""
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    async with engine.begin() as conn:
        for name in tables:
            await conn.execute(text(f'DELETE FROM "{name}"'))
        if not is_sqlite(str(engine.url)):  # (SQLite numbers an emptied table's rows from 1 again)
            await conn.execute(_RESTART_SEQUENCES, {"tables": tables})
