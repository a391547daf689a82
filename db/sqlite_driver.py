"""aiosqlite with one thread hop per statement.

aiosqlite runs each sqlite3 call on the connection's own thread. SQLAlchemy's adapter
makes four such calls per statement (open a cursor, execute, fetch, close), and every
call is a round trip between the event loop and that thread: two context switches and a
wake-up of the loop. For a bot that runs a handful of small statements per update,
those hops, not SQLite, were most of the database cost (measured in `bench/`).

`Connection.cursor()` here returns a cursor that executes and fetches in one call on
the worker thread and keeps the rows; fetching and closing then need no hop. Everything
else (the worker thread, commit, rollback, close, SQLAlchemy's use of them) is
aiosqlite's own.

This leans on internals: aiosqlite's `Connection._execute`, `_conn`, `_thread` and its
constructor, SQLAlchemy's `SQLiteDialect_aiosqlite.create_connect_args`, and the way
SQLAlchemy's adapter drives a cursor (2.1 opens it with a plain `cursor()` call and
`__aenter__`; 2.0 awaits `cursor()`, which this one is not). `pyproject.toml` pins the
versions it is tested with. `check()` finds out, once a process, whether the installed
ones still fit: a look at those attributes, then one statement through a throwaway
SQLAlchemy engine on this driver. When it reports a problem, `db.session.make_engine`
logs it and uses SQLAlchemy's stock `sqlite+aiosqlite` driver instead: the same
results, a few more trips to the thread per statement.
"""
from __future__ import annotations

import asyncio
import inspect
import sqlite3
import threading
from functools import cache, partial
from typing import Any, Callable, Iterable

import aiosqlite
import sqlalchemy
from sqlalchemy.dialects.sqlite.aiosqlite import SQLiteDialect_aiosqlite
from sqlalchemy.engine import URL, make_url


def _run(connection: sqlite3.Connection, many: bool, sql: str, parameters: Any) -> tuple:
    """On the worker thread: execute, fetch everything, close the cursor."""
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(sql, parameters)
        else:
            cursor.execute(sql, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        return description, cursor.rowcount, cursor.lastrowid, rows
    finally:
        cursor.close()


class Cursor:
    """The part of aiosqlite's cursor that SQLAlchemy uses, fetched eagerly."""

    arraysize = 1

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self.description = None
        self.rowcount = -1
        self.lastrowid = None
        self._rows: list = []

    async def __aenter__(self) -> Cursor:
        return self

    async def __aexit__(self, *exc_info) -> None:
        await self.close()

    async def _run(self, many: bool, sql: str, parameters: Any) -> Cursor:
        self.description, self.rowcount, self.lastrowid, self._rows = await self._connection._execute(
            _run, self._connection._conn, many, sql, parameters)
        return self

    async def execute(self, sql: str, parameters: Iterable[Any] | None = None) -> Cursor:
        return await self._run(False, sql, () if parameters is None else parameters)

    async def executemany(self, sql: str, parameters: Iterable[Iterable[Any]]) -> Cursor:
        return await self._run(True, sql, parameters)

    async def fetchone(self):
        return self._rows.pop(0) if self._rows else None

    async def fetchmany(self, size: int | None = None) -> list:
        size = size or self.arraysize
        rows, self._rows = self._rows[:size], self._rows[size:]
        return rows

    async def fetchall(self) -> list:
        rows, self._rows = self._rows, []
        return rows

    async def close(self) -> None:
        self._rows = []


class Connection(aiosqlite.Connection):
    def cursor(self) -> Cursor:  # aiosqlite's needs a hop just to open the cursor
        return Cursor(self)


def async_creator(url: URL, connect_args: dict[str, Any], connection_class: type = Connection) -> Callable:
    """For `create_async_engine(async_creator=...)`: connects as SQLAlchemy's aiosqlite
    dialect would (same path and arguments), with the cursor above. Use it only when
    `check()` found nothing."""
    args, kwargs = SQLiteDialect_aiosqlite().create_connect_args(url)
    kwargs.update(connect_args)
    database = args[0] if args else kwargs.pop("database")

    async def connect():
        connection = connection_class(partial(sqlite3.connect, database, **kwargs), 64)
        connection._thread.daemon = True  # as SQLAlchemy does: never keep the process alive
        return await connection

    return connect


# -- does the installed aiosqlite and SQLAlchemy still fit? ----------------------------------

SELF_TEST_SECONDS = 10.0


def versions() -> str:
    return f"SQLAlchemy {sqlalchemy.__version__}, aiosqlite {getattr(aiosqlite, '__version__', '?')}"


def internals_problem(connection_class: type = aiosqlite.Connection,
                      dialect_class: type = SQLiteDialect_aiosqlite) -> str | None:
    """What of aiosqlite's and SQLAlchemy's internals that the driver uses is missing or
    different (by looking, nothing run), or None."""
    if not inspect.iscoroutinefunction(getattr(connection_class, "_execute", None)):
        return "aiosqlite.Connection._execute is not a coroutine function"
    if not isinstance(inspect.getattr_static(connection_class, "_conn", None), property):
        return "aiosqlite.Connection._conn is not a property"
    try:
        inspect.signature(connection_class).bind(sqlite3.connect, 64)
    except (TypeError, ValueError):
        return "aiosqlite.Connection(connector, iter_chunk_size) does not fit its constructor"
    if not callable(getattr(connection_class, "__await__", None)):
        return "aiosqlite.Connection is not awaitable"
    try:
        args, kwargs = dialect_class().create_connect_args(make_url("sqlite+aiosqlite:////probe/probe.db"))
        database = args[0] if args else kwargs["database"]
    except Exception as error:  # noqa: BLE001 - any failure here means "does not fit"
        return f"SQLiteDialect_aiosqlite().create_connect_args: {type(error).__name__}: {error}"
    if database != "/probe/probe.db":
        return f"SQLiteDialect_aiosqlite().create_connect_args gave {args!r}, {kwargs!r}"
    return None


async def _one_statement(connection_class: type) -> str | None:
    from sqlalchemy.ext.asyncio import create_async_engine

    url = make_url("sqlite+aiosqlite://")
    engine = create_async_engine(url, async_creator=async_creator(url, {}, connection_class))
    try:
        async with engine.connect() as conn:  # SQLAlchemy's first connect runs its own statements too
            raw = await conn.get_raw_connection()
            if not isinstance(raw.driver_connection, connection_class):
                return f"the engine's connection is a {type(raw.driver_connection).__name__}"
            result = await conn.exec_driver_sql("SELECT ? + 1 AS answer", (41,))
            rows = result.all()
            if rows != [(42,)] or list(result.keys()) != ["answer"]:
                return f"SELECT ? + 1 with 41 gave {rows!r}"
    finally:
        await engine.dispose()
    return None


def self_test_problem(connection_class: type | None = None) -> str | None:
    """Run one statement through a throwaway in-memory SQLAlchemy engine on this driver,
    on a thread of its own (so it works with or without a running event loop): what went
    wrong, or None."""
    outcome: list[str | None] = []

    def run() -> None:
        try:
            outcome.append(asyncio.run(_one_statement(connection_class or Connection)))
        except BaseException as error:  # noqa: BLE001 - whatever it is, the driver does not fit
            outcome.append(f"{type(error).__name__}: {error}")

    thread = threading.Thread(target=run, name="sqlite-driver-self-test", daemon=True)
    thread.start()
    thread.join(SELF_TEST_SECONDS)
    if not outcome:
        return f"no answer within {SELF_TEST_SECONDS:g} s"
    return outcome[0] and f"self-test: {outcome[0]}"


@cache
def check() -> str | None:
    """None when the fast driver works with the installed aiosqlite and SQLAlchemy;
    otherwise why not, for the log. Done once a process (2-20 ms, mostly imports)."""
    problem = internals_problem() or self_test_problem()
    return problem and f"{problem} ({versions()})"
