"""Logging: every line carries the update id and the worker.

`configure(level, worker)` (called once by `homevisit`) installs one handler on the root
logger, so records of every library (python-telegram-bot, aiohttp, SQLAlchemy, ...) get
the same format:

    2026-11-10 16:00:01 INFO bot.outbox [worker=host:123 update=1042]: ...

Log lines say what happened to which update or row, never what people wrote or who they
are: no message texts, names or phone numbers.
"""
from __future__ import annotations

import contextvars
import logging
import os
import socket
import sys

# The Telegram update being handled by the current task (set in bot/context.py).
update_id: contextvars.ContextVar[int | None] = contextvars.ContextVar("homevisit_update_id", default=None)

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
FORMAT = "%(asctime)s %(levelname)s %(name)s [worker=%(worker)s update=%(update_id)s]: %(message)s"
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
# DEBUG is for homevisit's own loggers. Libraries log what people wrote at DEBUG
# (python-telegram-bot every update and request, aiosqlite every statement with its
# values), so they stay at INFO at most.
OURS = ("bot", "db", "bench")
# ... and these are quieter still: httpx logs every URL, the bot's token in it, at INFO.
QUIETER = {"httpx": logging.WARNING, "httpcore": logging.WARNING, "alembic": logging.WARNING}


def default_worker() -> str:
    """`<hostname>:<pid>`: tells apart the processes that share one database."""
    return f"{socket.gethostname()}:{os.getpid()}"


class ContextFilter(logging.Filter):
    """Adds `update_id` ("-" outside an update) and `worker` to every record it sees."""

    def __init__(self, worker: str) -> None:
        super().__init__()
        self.worker = worker

    def filter(self, record: logging.LogRecord) -> bool:
        current = update_id.get()
        record.update_id = "-" if current is None else current
        record.worker = self.worker
        return True


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever `sys.stderr` is when a record comes (as logging's last resort does)."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def configure(level: str = "INFO", worker: str | None = None) -> logging.Handler:
    """Log at `level` (one of LEVELS) to standard error, each line with worker and update.
    Calling it again replaces the handler it installed before."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, _StderrHandler)]:
        root.removeHandler(handler)
    handler = _StderrHandler()
    handler.addFilter(ContextFilter(worker or default_worker()))
    handler.setFormatter(logging.Formatter(FORMAT, DATE_FORMAT))
    root.addHandler(handler)
    numeric = logging.getLevelName(level.upper())
    root.setLevel(max(numeric, logging.INFO))
    for name in OURS:
        logging.getLogger(name).setLevel(numeric)
    for name, floor in QUIETER.items():
        logging.getLogger(name).setLevel(max(numeric, floor))
    return handler
