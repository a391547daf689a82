from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timezone

import pytest

from bot import logs
from bot.clock import MovableClock
from db.migrate import upgrade_to_head
from db.session import make_engine, make_sessionmaker
from tests.databases import (
    BACKENDS,
    create_pg_database,
    create_sqlite_database,
    drop_pg_database,
    wipe,
)

logging.getLogger("httpx").setLevel(logging.WARNING)


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request, tmp_path_factory) -> str:
    """A migrated database of each backend, shared by the whole run (wiped per test)."""
    if request.param == "sqlite":
        url = create_sqlite_database(tmp_path_factory.mktemp("db"))
        upgrade_to_head(url)
        yield url
    else:
        url = create_pg_database()
        try:
            upgrade_to_head(url)
            yield url
        finally:
            drop_pg_database(url)


@pytest.fixture
async def engine(database_url):
    engine = make_engine(database_url)
    await wipe(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessionmaker(engine):
    return make_sessionmaker(engine)


@pytest.fixture
async def session(sessionmaker):
    async with sessionmaker() as s:
        yield s


@pytest.fixture
def clock() -> MovableClock:
    # A Tuesday in the autumn visit period, 16:00 in Amsterdam.
    return MovableClock(datetime(2026, 11, 10, 15, 0, tzinfo=timezone.utc))


@pytest.fixture(scope="module")
async def double(database_url):
    """One Bot API double per test module (and backend: chats never mix across runs)."""
    from tests.botapi import BotAPIDouble

    api = BotAPIDouble()
    await api.start()
    yield api
    await api.stop()


def make_settings(database_url: str, **overrides):
    from bot.config import Settings

    values = dict(database_url=database_url, school_name="De Regenboog", school_timezone="Europe/Amsterdam",
                  default_language="nl", concurrent_updates=8,
                  # Behaviour tests need not wait for Telegram's pace; the broadcast tests use the real one.
                  outbox_rate=500.0, outbox_chat_seconds=0.0)
    values.update(overrides)
    return Settings(**values)


@pytest.fixture(scope="module")
def module_clock(database_url) -> MovableClock:
    """The clock of a module's bot; a fresh one per backend, since tests move it."""
    return MovableClock(datetime(2026, 11, 10, 15, 0, tzinfo=timezone.utc))


@pytest.fixture(scope="module")
async def bot(request, double, database_url, module_clock):
    """One running bot per test module, on a freshly wiped database of each backend, with the
    settings the module names in BOT_SETTINGS (if any)."""
    from tests.harness import BotUnderTest

    engine = make_engine(database_url)
    await wipe(engine)
    await engine.dispose()
    overrides = getattr(request.module, "BOT_SETTINGS", {})
    under_test = BotUnderTest(double, make_settings(database_url, **overrides), module_clock)
    await under_test.start()
    yield under_test
    await under_test.stop()


@dataclass
class Ran:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(monkeypatch, capsys, tmp_path):
    """`homevisit ARGS` in this process (in a thread, beside the test's event loop), with the
    settings in the environment (and `env`); returns the exit code and what it printed."""
    from bot.cli import main

    monkeypatch.chdir(tmp_path)  # no .env file
    for name in ("BOT_TOKEN", "WEBHOOK_URL", "WEBHOOK_SECRET", "PUBLIC_URL", "LOG_LEVEL", "WORKER_NAME",
                 "SCHOOL_PHONE", "DEFAULT_LANGUAGE", "INVITE_DAYS_VALID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BOT_USERNAME", "regenboog_test_bot")
    monkeypatch.setenv("SCHOOL_NAME", "De Regenboog")
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    named = {name: logging.getLogger(name).level for name in (*logs.OURS, *logs.QUIETER)}

    async def run(database_url: str, *args: str, **env: str) -> Ran:
        monkeypatch.setenv("DATABASE_URL", database_url)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        capsys.readouterr()
        try:
            code = await asyncio.to_thread(main, list(args))
        except SystemExit as exc:  # argparse refused the arguments
            code = exc.code
        out, err = capsys.readouterr()
        return Ran(code, out, err)

    yield run
    # main() installs its log handler and sets levels: put them back.
    root.handlers[:], root.level = handlers, level
    for name, named_level in named.items():
        logging.getLogger(name).setLevel(named_level)
