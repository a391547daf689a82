"""A database that cannot be reached or does not exist: every command says so in one line
(the URL without its password, and why) and exits with 1, instead of a long traceback."""
from __future__ import annotations

import asyncio
import socket

import pytest
from sqlalchemy.engine import make_url

from bot.cli import main
from tests.databases import PG_ADMIN_URL, pg_unreachable
from tests.seed import EXAMPLE_ROSTER

PASSWORD = "s3cret-pw"

VERBS = [
    ["run"],
    ["migrate"],
    ["import-roster", str(EXAMPLE_ROSTER)],
    ["import-roster", "--dry-run", str(EXAMPLE_ROSTER)],
    ["add-staff", "--name", "Wilma Hoekstra", "--role", "coordinator"],
    ["invite-links"],
    ["open-period", "--name", "Najaar", "--from", "2026-11-16", "--to", "2026-11-27"],
    ["close-period"],
    ["send-invitations"],
    ["announce", "--yes"],
    ["report"],
    ["export-notes", "--period", "Najaar"],
    ["outbox", "--failed"],
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pg_url(**parts) -> str:
    return make_url(PG_ADMIN_URL).set(password=PASSWORD, **parts).render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def pg_server():
    """The PostgreSQL server must answer, so that a missing database is the only problem."""
    import asyncpg

    async def ping():
        url = make_url(PG_ADMIN_URL)
        conn = await asyncpg.connect(host=url.host, port=url.port or 5432, user=url.username,
                                     password=url.password, database=url.database, timeout=10)
        await conn.close()

    try:
        asyncio.run(ping())
    except Exception as exc:
        pg_unreachable(f"{type(exc).__name__}: {exc}")


@pytest.fixture
def environment(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no .env file
    for name in ("WEBHOOK_URL", "WEBHOOK_SECRET", "PUBLIC_URL", "LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BOT_TOKEN", "123:abc")  # `run` needs one; it must fail before calling Telegram
    monkeypatch.setenv("BOT_USERNAME", "regenboog_test_bot")
    monkeypatch.setenv("TELEGRAM_API_URL", f"http://127.0.0.1:{free_port()}")  # nothing there either
    return monkeypatch


def run(environment, capsys, url: str, argv: list[str]) -> tuple[int, str]:
    environment.setenv("DATABASE_URL", url)
    code = main(argv)
    out, err = capsys.readouterr()
    assert out == ""
    return code, err


def assert_one_line(err: str, shown_url: str, *reason: str) -> None:
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("homevisit: ") and "Traceback" not in err
    assert shown_url in err
    assert PASSWORD not in err
    for words in reason:
        assert words in err


@pytest.mark.parametrize("argv", VERBS, ids=lambda argv: " ".join(argv[:2]))
def test_postgres_where_nothing_listens(environment, capsys, argv):
    port = free_port()
    code, err = run(environment, capsys, pg_url(host="127.0.0.1", port=port), argv)
    assert code == 1
    assert_one_line(err, f"postgresql+asyncpg://{make_url(PG_ADMIN_URL).username}:***@127.0.0.1:{port}/",
                    "connection refused", f"127.0.0.1:{port}")


@pytest.mark.parametrize("argv", VERBS, ids=lambda argv: " ".join(argv[:2]))
def test_postgres_database_that_does_not_exist(pg_server, environment, capsys, argv):
    url = pg_url(database="homevisit_no_such_database")
    code, err = run(environment, capsys, url, argv)
    assert code == 1
    assert_one_line(err, make_url(url).render_as_string(hide_password=True),
                    'database "homevisit_no_such_database" does not exist')


@pytest.mark.parametrize("argv", VERBS, ids=lambda argv: " ".join(argv[:2]))
def test_sqlite_file_in_a_directory_that_does_not_exist(environment, capsys, tmp_path, argv):
    missing = tmp_path / "no-such-directory"
    url = f"sqlite+aiosqlite:///{missing}/homevisit.db"
    code, err = run(environment, capsys, url, argv)
    assert code == 1
    assert_one_line(err, url, f"the directory {missing} does not exist")
    assert not missing.exists()


def test_a_driver_that_is_not_installed_is_one_line_too(environment, capsys):
    code, err = run(environment, capsys, "mysql+aiomysql://school:pw@127.0.0.1/homevisit", ["migrate"])
    assert code == 1
    assert_one_line(err, "mysql+aiomysql://school:***@127.0.0.1/homevisit", "aiomysql")
