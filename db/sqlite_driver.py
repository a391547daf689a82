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
"""
from __future__ import annotations

import sqlite3
from functools import partial
from typing import Any, Callable, Iterable

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import SQLiteDialect_aiosqlite
from sqlalchemy.engine import URL


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


def async_creator(url: URL, connect_args: dict[str, Any]) -> Callable:
    """For `create_async_engine(async_creator=...)`: connects as SQLAlchemy's aiosqlite
    dialect would (same path and arguments), with the cursor above."""
    args, kwargs = SQLiteDialect_aiosqlite().create_connect_args(url)
    kwargs.update(connect_args)
    database = args[0] if args else kwargs.pop("database")

    async def connect() -> Connection:
        connection = Connection(partial(sqlite3.connect, database, **kwargs), 64)
        connection._thread.daemon = True  # as SQLAlchemy does: never keep the process alive
        return await connection

    return connect
