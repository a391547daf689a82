"""`homevisit announce` and `homevisit report`, as the coordinator uses them: the question
before sending holds nothing in the database, --wait shows how far the bot is, and the
report can go to a file."""
from __future__ import annotations

import asyncio
import csv
import io
import os
import sys
from datetime import datetime, timezone

import pytest
from sqlalchemy import select, text, update

from bot.cli import _parser
from db.models import Account, Guardian, OutboxMessage
from db.session import is_sqlite
from tests.seed import EXAMPLE_ROSTER, only_school
from tests.test_cli import ROOT, fresh_db  # noqa: F401  (a fixture)

PARENTS = ("Anouk Jansen", "Emily Smith")
PROMPT = "Send? [y/N] "


@pytest.fixture
async def period_with_two_parents(fresh_db, sessionmaker, cli):
    """The example roster, the period open, two parents on Telegram."""
    assert (await cli(fresh_db, "import-roster", str(EXAMPLE_ROSTER))).code == 0
    assert (await cli(fresh_db, "open-period", "--name", "Najaar", "--from", "2026-11-16", "--to",
                      "2026-11-27")).code == 0
    now = datetime.now(timezone.utc)
    async with sessionmaker() as session:
        for n, name in enumerate(PARENTS):
            account = Account(school_id=await only_school(session), telegram_user_id=900 + n, chat_id=900 + n,
                              created_at=now, updated_at=now)
            session.add(account)
            await session.flush()
            (await session.scalars(select(Guardian).where(Guardian.name == name))).one().account_id = account.id
        await session.commit()
    return fresh_db


async def start(database_url: str, *args: str) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if k not in ("BOT_TOKEN", "DATABASE_URL", "LOG_LEVEL")}
    env.update(DATABASE_URL=database_url, SCHOOL_NAME="De Regenboog", BOT_USERNAME="regenboog_test_bot")
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, cwd=ROOT, env=env, stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)


async def read_until(process: asyncio.subprocess.Process, end: str) -> str:
    """What the command prints up to and including `end` (a prompt has no newline)."""
    seen = b""
    while not seen.endswith(end.encode()):
        chunk = await asyncio.wait_for(process.stdout.read(1), timeout=60)
        if not chunk:
            errors = await process.stderr.read()
            raise AssertionError(f"the command ended before printing {end!r}; it printed:\n{seen.decode()}\n"
                                 f"and on stderr:\n{errors.decode()}")
        seen += chunk
    return seen.decode()


async def test_the_question_before_sending_holds_no_lock(period_with_two_parents, engine):
    """While the coordinator thinks about the question, a migration (which needs every
    table to itself) can run: nothing is left open in the database."""
    if is_sqlite(period_with_two_parents):
        pytest.skip("SQLite readers take no table locks; PostgreSQL shows an open transaction")
    process = await start(period_with_two_parents, "announce")
    try:
        shown = await read_until(process, PROMPT)
        assert "2 recipients on Telegram" in shown
        async with engine.connect() as connection:
            await connection.execute(text("LOCK TABLE guardians, accounts, visit_periods, schools "
                                          "IN ACCESS EXCLUSIVE MODE NOWAIT"))
            await connection.rollback()
        out, err = await asyncio.wait_for(process.communicate(b"n\n"), timeout=60)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0, err.decode()
    assert "nothing sent" in out.decode()


async def test_no_answer_at_all_sends_nothing(period_with_two_parents, sessionmaker):
    process = await start(period_with_two_parents, "announce")
    out, err = await asyncio.wait_for(process.communicate(b""), timeout=60)  # stdin closed, e.g. from cron
    assert process.returncode == 0, err.decode()
    assert "nothing sent" in out.decode() and "Traceback" not in err.decode()
    async with sessionmaker() as session:
        assert (await session.scalars(select(OutboxMessage))).all() == []


async def test_yes_at_the_question_queues_the_announcement(period_with_two_parents, sessionmaker, cli, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("ja\n"))  # the coordinator's answer (a real process: above)
    ran = await cli(period_with_two_parents, "announce")
    assert ran.code == 0, ran.err
    assert PROMPT in ran.out and "queued" in ran.out
    async with sessionmaker() as session:
        assert len((await session.scalars(select(OutboxMessage))).all()) == 2


async def test_wait_shows_progress_until_every_message_is_out(period_with_two_parents, sessionmaker):
    process = await start(period_with_two_parents, "announce", "--yes", "--wait")
    try:
        await read_until(process, "the running bot sends it now\n")
        assert await read_until(process, "\n") == "sent 0 of 2\n"
        async with sessionmaker() as session:  # the running bot sends the first ...
            first, second = (await session.scalars(select(OutboxMessage.id).order_by(OutboxMessage.id))).all()
            await session.execute(update(OutboxMessage).where(OutboxMessage.id == first)
                                  .values(status="sent", sent_at=datetime.now(timezone.utc)))
            await session.commit()
        assert await read_until(process, "\n") == "sent 1 of 2\n"
        async with sessionmaker() as session:  # ... and gives up on the second
            await session.execute(update(OutboxMessage).where(OutboxMessage.id == second)
                                  .values(status="failed", last_error="bad request: chat not found"))
            await session.commit()
        out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0, err.decode()
    lines = out.decode().splitlines()
    assert lines[0] == "sent 1 of 2, 1 failed"
    assert lines[1] == "sent 1, failed 1, blocked 0, without Telegram 47"


async def test_report_goes_to_a_file(period_with_two_parents, cli, tmp_path):
    target = tmp_path / "coverage.csv"
    ran = await cli(period_with_two_parents, "report", "--format", "csv", "--output", str(target))
    assert ran.code == 0, ran.err
    assert ran.out == "" and str(target) in ran.err
    rows = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert rows[0][:3] == ["class", "pupils", "households"]
    assert ["school", "40"] == rows[4][:2]

    as_text = tmp_path / "coverage.txt"
    ran = await cli(period_with_two_parents, "report", "--output", str(as_text))
    assert ran.code == 0 and ran.out == ""
    assert "Groep 3" in as_text.read_text(encoding="utf-8")


def test_every_option_of_every_command_is_explained():
    """`homevisit COMMAND --help` says what each option does."""
    commands = next(a for a in _parser()._actions if a.dest == "command").choices
    for name, command in commands.items():
        for action in command._actions:
            assert action.help, f"homevisit {name}: {action.option_strings or action.dest} has no help text"
