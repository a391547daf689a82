"""The `homevisit` command line, run as a coordinator would, on SQLite and PostgreSQL.

Most commands run in this process (the `cli` fixture: `main()` with the settings in the
environment); what only a real process shows runs as one: the exit codes and one-line
errors of `python -m bot`, and a question answered on its standard input."""
from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.services import web_links
from db.models import Guardian, Household, InviteToken, Staff, WebLink
from tests.seed import EXAMPLE_ROSTER, only_school

ROOT = Path(__file__).resolve().parent.parent
LINK = re.compile(r"^https://t\.me/regenboog_test_bot\?start=[A-Za-z0-9_-]{32}$")


def homevisit(database_url: str, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in ("BOT_TOKEN", "BOT_USERNAME", "DATABASE_URL")}
    environment.update(DATABASE_URL=database_url, BOT_USERNAME="regenboog_test_bot", SCHOOL_NAME="De Regenboog")
    environment.update(env or {})
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
async def fresh_db(engine, database_url):
    """A wiped, migrated database (the `engine` fixture wipes it)."""
    return database_url


async def test_migrate_import_and_invite_links(fresh_db, sessionmaker, cli):
    assert (await cli(fresh_db, "migrate")).code == 0

    imported = await cli(fresh_db, "import-roster", str(EXAMPLE_ROSTER))
    assert imported.code == 0, imported.err
    again = await cli(fresh_db, "import-roster", str(EXAMPLE_ROSTER))
    assert "nothing to change" in again.out

    result = await cli(fresh_db, "invite-links", "--format", "csv", PUBLIC_URL="https://bezoek.example")
    assert result.code == 0, result.err
    rows = list(csv.DictReader(io.StringIO(result.out)))
    assert list(rows[0]) == ["role", "name", "pupils", "household_id", "language", "link", "web_link"]
    # One web page per household: both of Emma's parents get the same one, every household its own.
    web = {row["household_id"]: row["web_link"] for row in rows if row["role"] == "guardian"}
    assert all(re.fullmatch(r"https://bezoek\.example/v/[A-Za-z0-9_-]{32}", link) for link in web.values())
    assert len(set(web.values())) == len(web)
    assert {row["web_link"] for row in rows if row["household_id"] == "H001"} == {web["H001"]}
    assert {row["web_link"] for row in rows if row["role"] != "guardian"} == {""}
    assert "web pages (one per household)" in result.err
    async with sessionmaker() as session:
        found = await web_links.find(session, web["H001"].rsplit("/", 1)[1], datetime.now(timezone.utc))
        assert found is not None and (await session.get(Household, found.household_id)).external_id == "H001"
        # Only the hash is stored.
        assert await session.scalar(select(func.count()).select_from(WebLink).where(
            WebLink.token_hash == web["H001"].rsplit("/", 1)[1])) == 0
    async with sessionmaker() as session:
        guardians = await session.scalar(select(func.count()).select_from(Guardian))
        teachers = await session.scalar(select(func.count()).select_from(Staff))
    assert len(rows) == guardians + teachers
    assert all(LINK.match(row["link"]) for row in rows)
    anouk = next(row for row in rows if row["name"] == "Anouk Jansen")
    assert anouk["role"] == "guardian" and anouk["household_id"] == "H001" and anouk["language"] == "nl"
    assert anouk["pupils"] == "Emma Jansen; Lucas Jansen; Noor Jansen"
    assert {row["language"] for row in rows} >= {"nl", "tr", "ar", "pl", "uk", "fr", "de", "en"}

    # Issuing again replaces the older unused links: only the newest set works.
    second = await cli(fresh_db, "invite-links", PUBLIC_URL="")  # (a blank setting is no setting)
    assert second.code == 0
    assert second.out.count("https://t.me/regenboog_test_bot?start=") == len(rows)
    async with sessionmaker() as session:
        live = await session.scalar(select(func.count()).select_from(InviteToken)
                                    .where(InviteToken.replaced_at.is_(None)))
    assert live == len(rows)


async def test_web_link_renews_one_households_page(fresh_db, sessionmaker, cli):
    assert (await cli(fresh_db, "import-roster", str(EXAMPLE_ROSTER))).code == 0
    env = {"PUBLIC_URL": "https://bezoek.example"}
    first = await cli(fresh_db, "web-link", "--household", "H003", **env)
    second = await cli(fresh_db, "web-link", "--household", "H003", **env)
    assert first.code == second.code == 0, first.err
    old, new = (r.out.strip().rsplit("/", 1)[1] for r in (first, second))
    assert "older web link no longer works" in second.err
    async with sessionmaker() as session:
        now = datetime.now(timezone.utc)
        assert await web_links.find(session, old, now) is None and await web_links.find(session, new, now) is not None
    # A real process: `python -m bot` exits with the command's 1 and says why in one line.
    unknown = homevisit(fresh_db, "web-link", "--household", "H999", env=env)
    assert unknown.returncode == 1 and unknown.stderr.strip() == "error: no household 'H999' on the roster"
    no_url = await cli(fresh_db, "web-link", "--household", "H003", PUBLIC_URL="")
    assert no_url.code == 1 and "PUBLIC_URL" in no_url.err


async def test_add_staff_prints_a_personal_link(fresh_db, cli):
    result = await cli(fresh_db, "add-staff", "--name", "Wilma Hoekstra", "--role", "coordinator")
    assert result.code == 0, result.err
    link = result.out.split(": ", 1)[1].split()[0]
    assert LINK.match(link)
    clash = await cli(fresh_db, "add-staff", "--name", "Wilma Hoekstra", "--role", "teacher")
    assert clash.code == 1 and "already on the staff as coordinator" in clash.err


async def test_invalid_roster_is_refused_with_line_numbers_and_dry_run_writes_nothing(fresh_db, tmp_path,
                                                                                      sessionmaker, cli):
    bad = tmp_path / "bad.csv"
    bad.write_text(EXAMPLE_ROSTER.read_text(encoding="utf-8")
                   + "P900,Nieuw Kind,Groep 3,Marieke de Vries,H900,Ouder,,klingon\n", encoding="utf-8")
    result = await cli(fresh_db, "import-roster", str(bad))
    assert result.code == 1
    lines = len(EXAMPLE_ROSTER.read_text(encoding="utf-8").splitlines()) + 1
    assert f"line {lines}" in result.err and "klingon" in result.err

    dry = await cli(fresh_db, "import-roster", "--dry-run", str(EXAMPLE_ROSTER))
    assert dry.code == 0 and "dry run" in dry.out
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Guardian)) == 0


def test_missing_username_and_token_is_one_clear_line(tmp_path):
    db = f"sqlite+aiosqlite:///{tmp_path}/x.db"
    result = homevisit(db, "invite-links", env={"BOT_USERNAME": ""})
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "BOT_USERNAME" in result.stderr


def test_run_without_token_names_the_variable(tmp_path):
    result = homevisit(f"sqlite+aiosqlite:///{tmp_path}/x.db", "run")
    assert result.returncode == 2
    assert "BOT_TOKEN" in result.stderr and result.stderr.strip().count("\n") == 0


async def test_every_subcommand_explains_itself(cli, tmp_path):
    for command in ("migrate", "import-roster", "add-staff", "invite-links", "run"):
        result = await cli(f"sqlite+aiosqlite:///{tmp_path}/x.db", command, "--help")
        assert result.code == 0 and "usage: homevisit" in result.out


async def test_partial_export_is_not_taken_for_the_whole_school(fresh_db, tmp_path, sessionmaker, cli):
    assert (await cli(fresh_db, "import-roster", str(EXAMPLE_ROSTER))).code == 0
    lines = EXAMPLE_ROSTER.read_text(encoding="utf-8").splitlines()
    one_class = tmp_path / "groep3.csv"
    one_class.write_text("\n".join([lines[0], *[l for l in lines[1:] if ",Groep 3," in l]]) + "\n", encoding="utf-8")

    refused = await cli(fresh_db, "import-roster", str(one_class))
    assert refused.code == 1 and "--allow-removals" in refused.err
    async with sessionmaker() as session:
        from db.models import Pupil
        assert await session.scalar(select(func.count()).select_from(Pupil).where(Pupil.active.is_(True))) == 40

    applied = await cli(fresh_db, "import-roster", "--allow-removals", str(one_class))
    assert applied.code == 0
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Pupil).where(Pupil.active.is_(True))) < 40


async def test_open_period_and_send_invitations_from_the_command_line(fresh_db, sessionmaker, cli):
    from db.models import Invitation, OutboxMessage, VisitPeriod

    assert (await cli(fresh_db, "import-roster", str(EXAMPLE_ROSTER))).code == 0
    assert (await cli(fresh_db, "send-invitations")).code == 1  # no period yet
    opened = await cli(fresh_db, "open-period", "--name", "Huisbezoeken najaar", "--from", "2026-11-16",
                       "--to", "2026-11-27")
    assert opened.code == 0, opened.err
    assert "60 min visits with 15 min travel time" in opened.out
    again = await cli(fresh_db, "open-period", "--name", "Tweede", "--from", "2026-11-16", "--to", "2026-11-27")
    assert again.code == 1 and "already open" in again.err
    bad = await cli(fresh_db, "open-period", "--name", "X", "--from", "16-11-2026", "--to", "2026-11-27")
    assert bad.code == 2 and "YYYY-MM-DD" in bad.err

    sent = await cli(fresh_db, "send-invitations")
    assert sent.code == 0, sent.err
    async with sessionmaker() as session:
        invitations = await session.scalar(select(func.count()).select_from(Invitation))
        queued = await session.scalar(select(func.count()).select_from(OutboxMessage))
    assert invitations > 37  # every household, once per class teacher
    assert queued == 0  # nobody linked Telegram yet: nothing to send
    assert f"({invitations} invitations)" in sent.out
    assert "0 households invited" in (await cli(fresh_db, "send-invitations")).out

    assert (await cli(fresh_db, "close-period")).code == 0
    async with sessionmaker() as session:
        assert (await session.scalar(select(VisitPeriod.status))) == "closed"


async def test_announce_from_the_command_line_queues_one_message_per_linked_person(fresh_db, sessionmaker, cli):
    from db.models import Account, Guardian, OutboxMessage

    assert (await cli(fresh_db, "import-roster", str(EXAMPLE_ROSTER))).code == 0
    assert (await cli(fresh_db, "open-period", "--name", "Najaar", "--from", "2026-11-16", "--to",
                      "2026-11-27")).code == 0
    async with sessionmaker() as session:  # two parents have linked Telegram
        for n, name in enumerate(("Anouk Jansen", "Emily Smith")):
            account = Account(school_id=await only_school(session), telegram_user_id=900 + n, chat_id=900 + n,
                              created_at=datetime.now(timezone.utc), updated_at=datetime.now(timezone.utc))
            session.add(account)
            await session.flush()
            (await session.scalars(select(Guardian).where(Guardian.name == name))).one().account_id = account.id
        await session.commit()

    # A real process, asked on its standard input (and printing the texts through a pipe).
    declined = subprocess.run([sys.executable, "-m", "bot", "announce"], cwd=ROOT, input="n\n", text=True,
                              capture_output=True, timeout=60,
                              env={**os.environ, "DATABASE_URL": fresh_db, "SCHOOL_NAME": "De Regenboog"})
    assert "nothing sent" in declined.stdout
    assert "--- en ---\n📣 Home visits at De Regenboog" in declined.stdout
    assert "--- nl ---\n📣 Huisbezoeken bij De Regenboog" in declined.stdout
    sent = await cli(fresh_db, "announce", "--yes", "--line", "nl=Vragen? Bel de school.")
    assert sent.code == 0, sent.err
    assert "2 recipients on Telegram" in sent.out and "47 without Telegram" in sent.out
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)
                                    .where(OutboxMessage.kind == "announcement")) == 2
