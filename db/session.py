"""Engines and sessions. One `AsyncSession` per update or per command."""
from __future__ import annotations

import logging
from typing import Callable

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from db import sqlite_driver

log = logging.getLogger(__name__)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def make_engine(url: str, *, sqlite_check: Callable[[], str | None] | None = None, **kwargs) -> AsyncEngine:
    """`sqlite_check` says whether SQLite may use the one-trip driver (None: yes; a
    string: why not). By default `sqlite_driver.check`, which looks at the installed
    aiosqlite and SQLAlchemy; when it finds a problem the engine uses SQLAlchemy's stock
    aiosqlite driver, unchanged, and logs one warning line."""
    # A database error names its statement but never the values in it: they are names,
    # phone numbers and notes, and errors end up in logs.
    kwargs.setdefault("hide_parameters", True)
    if is_sqlite(url):
        connect_args = kwargs.pop("connect_args", {"timeout": 30})
        if "async_creator" not in kwargs:
            problem = (sqlite_check or sqlite_driver.check)()
            if problem is None:
                kwargs["async_creator"] = sqlite_driver.async_creator(make_url(url), connect_args)
            else:
                log.warning("SQLite: the one-trip driver (db/sqlite_driver.py) is off: %s; "
                            "using SQLAlchemy's stock aiosqlite driver, slower", problem)
                kwargs["connect_args"] = connect_args
        if make_url(url).database not in (None, "", ":memory:"):
            # Each update in flight holds a connection (CONCURRENT_UPDATES, 16 by default),
            # besides the outbox and the scheduled jobs. Keep them all open: a new SQLite
            # connection costs its pragmas and SQLAlchemy's set-up, every time.
            kwargs.setdefault("pool_size", 24)
            kwargs.setdefault("max_overflow", 16)
            # Sessions and connections end their own transactions (commit, or rollback on
            # close), so the pool's extra rollback on every return is a wasted trip to the
            # connection's thread.
            kwargs.setdefault("pool_reset_on_return", None)
        engine = create_async_engine(url, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    # As for SQLite: room for every update in flight without opening and closing
    # overflow connections all the time (each costs a connect and asyncpg's set-up).
    kwargs.setdefault("pool_size", 20)
    kwargs.setdefault("max_overflow", 10)
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(url, **kwargs)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
    finally:
        cursor.close()


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
