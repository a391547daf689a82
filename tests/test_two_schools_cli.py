"""Two schools of a board on one database, seen from the command line and the calendar
feeds: every verb that takes `--school` reads and changes the school it is told and
nothing of the other's, whose rows stay exactly as they were.

De Regenboog (A: the example roster) and De Zonnebloem (B) are numbered the same way:
both have households H001-H004, pupils P001-P005, a "Groep 3" taught by a Marieke de
Vries, an Anouk Jansen and an Ayşe Yılmaz as parents, and a visit period of the same
name, each with a visit noted at H001. So a query that forgets its school would show up:
it would count, list, renew, print or export the other school's look-alikes.

One setup per module (and backend), made through the command line where a coordinator
would use it and through the services for the rest (links, bookings, notes). The tests
run in order only in that the last one closes A's period."""
from __future__ import annotations

import asyncio
import csv
import io
import json
import logging
import re
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pypdfium2 as pdfium
import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from bot import logs
from bot.clock import MovableClock
from bot.config import Settings
from bot.i18n import Catalogs
from bot.runtime import Runtime
from bot.schools_file import load_schools
from bot.services import calendar, notes
from bot.services.availability import add_window
from bot.services.booking import confirm, request_slot
from bot.services.periods import current_period
from bot.services.personal_links import hash_token
from bot.web import build_board_web_app
from db.models import (
    Account,
    Base,
    Broadcast,
    Guardian,
    Household,
    Invitation,
    InviteToken,
    OutboxMessage,
    OutboxStatus,
    Pupil,
    School,
    SchoolClass,
    Staff,
    VisitPeriod,
    WebLink,
    period_classes,
    pupil_households,
)
from db.session import make_engine, make_sessionmaker
from tests.conftest import Ran, make_settings
from tests.databases import wipe
from tests.seed import EXAMPLE_ROSTER
from tests.web_setup import fields

TZ = ZoneInfo("Europe/Amsterdam")
A, B = "regenboog", "zonnebloem"
PUBLIC_URL = "https://board.example.nl"
MARIEKE, NOAH = "Marieke de Vries", "Noah Wouters"
INEKE = "Ineke Bos"  # B's coordinator, not on Telegram
PERIOD = "Huisbezoeken najaar"  # both schools' open period
B_OLD_PERIOD = "Zonnebloem voorjaar"  # B's closed one; A has no period of that name

SCHOOLS = """
[[school]]
key = "regenboog"
name = "De Regenboog"
bot_token = "111111:REGENBOOG-token"
bot_username = "regenboog_bot"
timezone = "Europe/Amsterdam"

[[school]]
key = "zonnebloem"
name = "De Zonnebloem"
bot_token = "222222:ZONNEBLOEM-token"
bot_username = "zonnebloem_bot"
timezone = "Europe/Amsterdam"
default_language = "en"
"""

HEADER = "pupil_id,pupil_name,class,teacher,household_id,guardian_name,guardian_phone,guardian_language\n"
B_ROSTER = HEADER + """\
P001,Roos Jansen,Groep 3,Marieke de Vries,H001,Anouk Jansen,+31 6 1234 5601,nl
P002,Deniz Yılmaz,Groep 3,Marieke de Vries,H002,Ayşe Yılmaz,+31 6 1234 5603,tr
P003,Sven Wouters,Groep 3,Marieke de Vries,H003,Karlijn Wouters,+31 6 2222 0003,nl
P004,Fiep Kuijpers,Groep 4,Noah Wouters,H004,Tom Kuijpers,+31 6 2222 0004,nl
P005,Ravi Kumar,Groep 4,Noah Wouters,H040,Priya Kumar,+31 6 2222 0005,en
"""
# A household each school adds after its invitations went out (so not invited yet).
A_LATE = "P041,Vera Hoekstra,Groep 3,Marieke de Vries,H041,Lies Hoekstra,+31 6 1234 5649,nl\n"
B_LATE = "P006,Bas Visscher,Groep 4,Noah Wouters,H050,Greet Visscher,+31 6 2222 0006,nl\n"
A_ROSTER = EXAMPLE_ROSTER.read_text(encoding="utf-8")

A_NOTE, A_FOLLOW_UP = "Emma is trots op haar zwemdiploma", "Drie prentenboeken over paarden"
B_NOTE, B_FOLLOW_UP = "Roos is trots op haar eerste boekverslag", "Een pasje voor de bibliotheek"
# What only one school has: none of it may appear in what the other school's verbs print.
ONLY_A = ("Emma Jansen", "Elif", "Emre", "Yasmine", "Jeroen Bakker", "Sanne Vermeulen", "Groep 5", "Groep 7",
          "Regenboog", "Linda de Boer", "Daan de Boer", "Vera Hoekstra", "Lies Hoekstra", "H041", A_NOTE,
          A_FOLLOW_UP)
# (Not Noah Wouters, B's teacher: A adds a coordinator of that name.)
ONLY_B = ("Roos", "Deniz", "Sven", "Karlijn", "Fiep", "Kuijpers", "Ravi", "Priya", "Groep 4",
          "Bas Visscher", "Greet", INEKE, "Zonnebloem", "zonnebloem", "H040", "H050", "+316222200", B_NOTE, B_FOLLOW_UP)

# The same person has the same Telegram id at both schools.
ANOUK, MARIEKE_ID, LINDA, JEROEN, KARLIJN, PRIYA, NOAH_ID = range(8_300_001, 8_300_008)
LINKED = {A: {"guardians": {"Anouk Jansen": ANOUK, "Linda de Boer": LINDA},
              "staff": {MARIEKE: MARIEKE_ID, "Jeroen Bakker": JEROEN}},
          B: {"guardians": {"Anouk Jansen": ANOUK, "Karlijn Wouters": KARLIJN, "Priya Kumar": PRIYA},
              "staff": {MARIEKE: MARIEKE_ID, NOAH: NOAH_ID}}}


RANDOM = re.compile(r"https?://\S+|^UID:.*$", re.M)  # links and calendar ids: random letters, not names


def none_of(words: tuple[str, ...], text: str) -> list[str]:
    """The words of the other school that the text shows (it should show none)."""
    text = RANDOM.sub("", text)
    return [w for w in words if w in text]


# -- the command line, once per module -----------------------------------------------------

class ModuleCli:
    """`homevisit ARGS` in this process, as the `cli` fixture runs it (in a thread, beside
    the event loop), but usable by a module's setup: the output is caught per call, and the
    environment (DATABASE_URL, SCHOOLS_FILE, ...) is the module's, set by the `board` fixture."""

    async def __call__(self, *args: str) -> Ran:
        from bot.cli import main

        def call() -> Ran:
            raw, err = io.BytesIO(), io.StringIO()
            out = io.TextIOWrapper(raw, encoding="utf-8", newline="", write_through=True)  # export-notes: bytes
            root = logging.getLogger()
            handlers, level = root.handlers[:], root.level
            named = {name: logging.getLogger(name).level for name in (*logs.OURS, *logs.QUIETER)}
            try:
                with redirect_stdout(out), redirect_stderr(err):
                    try:
                        code = main(list(args))
                    except SystemExit as exc:  # argparse refused the arguments
                        code = exc.code
                out.flush()
            finally:
                root.handlers[:], root.level = handlers, level
                for name, named_level in named.items():
                    logging.getLogger(name).setLevel(named_level)
            return Ran(code, raw.getvalue().decode("utf-8"), err.getvalue())

        return await asyncio.to_thread(call)

    async def ok(self, *args: str) -> Ran:
        ran = await self(*args)
        assert ran.code == 0, (args, ran.err)
        return ran


@dataclass
class Board:
    cli: ModuleCli
    engine: object
    sessionmaker: object
    settings: dict[str, Settings]
    ids: dict[str, int]  # school key -> school id
    clock: MovableClock
    tmp: Path
    feed_tokens: dict[str, str]
    failed: dict[str, list[int]]  # school key -> ids of its messages that failed for good

    async def rows(self, key: str) -> dict[str, list[tuple]]:
        return await rows_of(self.engine, self.ids[key])


def plain(value):
    return json.dumps(value, sort_keys=True) if isinstance(value, (dict, list)) else value


async def rows_of(engine, school_id: int) -> dict[str, list[tuple]]:
    """Every row of the school, per table, each as its (column, value) pairs: what a verb
    for the other school must leave exactly as it was."""
    pupils, accounts, periods = Pupil.__table__, Account.__table__, VisitPeriod.__table__
    found: dict[str, list[tuple]] = {}
    skipped = set()
    async with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            if "school_id" in table.c:
                query = select(table).where(table.c.school_id == school_id)
            elif table.name == "schools":
                query = select(table).where(table.c.id == school_id)
            elif table is pupil_households:
                query = (select(table).join(pupils, pupils.c.id == table.c.pupil_id)
                         .where(pupils.c.school_id == school_id))
            elif table is period_classes:
                query = (select(table).join(periods, periods.c.id == table.c.period_id)
                         .where(periods.c.school_id == school_id))
            elif "account_id" in table.c:
                query = (select(table).join(accounts, accounts.c.id == table.c.account_id)
                         .where(accounts.c.school_id == school_id))
            else:
                skipped.add(table.name)
                continue
            rows = (await conn.execute(query.order_by(*table.primary_key.columns))).mappings().all()
            found[table.name] = [tuple((column, plain(value)) for column, value in row.items()) for row in rows]
    assert skipped == {"outbox_leases"}, f"a table this test does not know how to scope: {skipped}"
    return found


def changes(before: dict[str, list[tuple]], after: dict[str, list[tuple]]) -> dict[str, dict[str, list[tuple]]]:
    """Per table, the rows that went and came (empty: nothing changed)."""
    result = {}
    for name in before.keys() | after.keys():
        old, new = set(before.get(name, [])), set(after.get(name, []))
        if old != new:
            result[name] = {"gone": sorted(old - new, key=repr), "new": sorted(new - old, key=repr)}
    return result


def added(before: dict[str, list[tuple]], after: dict[str, list[tuple]], table: str) -> list[dict]:
    """The rows of the table that were not there before (by id)."""
    known = {dict(row)["id"] for row in before[table]}
    return [dict(row) for row in after[table] if dict(row)["id"] not in known]


def at(day: date, hhmm: str) -> datetime:
    hours, minutes = map(int, hhmm.split(":"))
    return datetime.combine(day, time(hours, minutes), tzinfo=TZ).astimezone(timezone.utc)


# -- lookups within one school -------------------------------------------------------------

async def guardian_of(session, school_id: int, name: str) -> Guardian:
    return (await session.scalars(select(Guardian).where(Guardian.school_id == school_id,
                                                         Guardian.name == name))).one()


async def staff_of(session, school_id: int, name: str) -> Staff:
    return (await session.scalars(select(Staff).where(Staff.school_id == school_id, Staff.name == name))).one()


async def household_of(session, school_id: int, external_id: str) -> Household:
    return (await session.scalars(select(Household).where(Household.school_id == school_id,
                                                          Household.external_id == external_id))).one()


async def invitation_of(session, school_id: int, household: str, teacher: str) -> Invitation:
    return (await session.scalars(
        select(Invitation).join(Household, Household.id == Invitation.household_id)
        .join(Staff, Staff.id == Invitation.teacher_id)
        .where(Invitation.school_id == school_id, Household.external_id == household, Staff.name == teacher)
        .execution_options(populate_existing=True))).one()


async def link(session, person: Guardian | Staff, telegram_id: int, now: datetime) -> int:
    """A Telegram account for the person, as following their personal link gives them."""
    account = Account(school_id=person.school_id, telegram_user_id=telegram_id, chat_id=telegram_id, language=None,
                      telegram_language=None, created_at=now, updated_at=now)
    session.add(account)
    await session.flush()
    person.account_id = account.id
    await session.commit()
    return account.id


async def visit(session, school_id: int, household: str, guardian: str, start: datetime, now: datetime) -> int:
    """Marieke's confirmed visit: the household asks for `start` and she confirms."""
    invitation = await invitation_of(session, school_id, household, MARIEKE)
    presser = (await guardian_of(session, school_id, guardian)).id
    asked = await request_slot(session, invitation.id, (presser,), start, "home", None, now)
    assert asked.code == "requested", asked
    teacher = (await staff_of(session, school_id, MARIEKE)).id
    assert (await confirm(session, asked.appointment_id, teacher, now)).code == "confirmed"
    return asked.appointment_id


# -- the board -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
async def board(database_url, tmp_path_factory):
    engine = make_engine(database_url)
    await wipe(engine)
    tmp = tmp_path_factory.mktemp("board")
    (tmp / "schools.toml").write_text(SCHOOLS, encoding="utf-8")
    rosters = {}
    for name, text in (("a.csv", A_ROSTER), ("b.csv", B_ROSTER), ("a-late.csv", A_ROSTER + A_LATE),
                       ("b-late.csv", B_ROSTER + B_LATE)):
        rosters[name] = tmp / name
        rosters[name].write_text(text, encoding="utf-8")
    env = {"DATABASE_URL": database_url, "SCHOOLS_FILE": str(tmp / "schools.toml"), "PUBLIC_URL": PUBLIC_URL,
           "SCHOOL_NAME": "De Regenboog",
           "SIBLING_VISITS": "each"}  # the Jansens' visits are planned per teacher here (siblings: test_siblings.py)
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(tmp)  # no .env file
        for name in ("BOT_TOKEN", "BOT_USERNAME", "WEBHOOK_URL", "WEBHOOK_SECRET", "LOG_LEVEL", "WORKER_NAME",
                     "SCHOOL_PHONE", "DEFAULT_LANGUAGE", "INVITE_DAYS_VALID"):
            mp.delenv(name, raising=False)
        for name, value in env.items():
            mp.setenv(name, value)
        cli = ModuleCli()
        now = datetime.now(timezone.utc).replace(microsecond=0)  # the command line runs on the real clock
        today = now.astimezone(TZ).date()
        day = today + timedelta(days=7)

        await cli.ok("import-roster", "--school", A, str(rosters["a.csv"]))
        await cli.ok("import-roster", "--school", B, str(rosters["b.csv"]))
        await cli.ok("add-staff", "--school", B, "--name", INEKE, "--role", "coordinator")
        await cli.ok("open-period", "--school", B, "--name", B_OLD_PERIOD, "--from", str(today - timedelta(days=90)),
                     "--to", str(today - timedelta(days=80)))
        await cli.ok("close-period", "--school", B)
        for key in (A, B):
            await cli.ok("open-period", "--school", key, "--name", PERIOD, "--from", str(today),
                         "--to", str(today + timedelta(days=27)))

        sessionmaker = make_sessionmaker(engine)
        async with sessionmaker() as session:
            ids = {s.key: s.id for s in (await session.scalars(select(School))).all()}
            accounts = {}
            for key in (A, B):
                for name, telegram_id in LINKED[key]["guardians"].items():
                    accounts[key, name] = await link(session, await guardian_of(session, ids[key], name),
                                                     telegram_id, now)
                for name, telegram_id in LINKED[key]["staff"].items():
                    accounts[key, name] = await link(session, await staff_of(session, ids[key], name),
                                                     telegram_id, now)
        for key in (A, B):
            await cli.ok("send-invitations", "--school", key)
        await cli.ok("invite-links", "--school", B)  # B's people hold live links and web links

        feed_tokens, failed = {}, {}
        async with sessionmaker() as session:
            for key, (note, follow_up, second) in {A: (A_NOTE, A_FOLLOW_UP, ("H006", "Linda de Boer")),
                                                   B: (B_NOTE, B_FOLLOW_UP, ("H003", "Karlijn Wouters"))}.items():
                school_id = ids[key]
                period = await current_period(session, school_id)
                marieke = await staff_of(session, school_id, MARIEKE)
                await add_window(session, period, marieke.id, day, time(15), time(19), TZ, now)
                at_h001 = await visit(session, school_id, "H001", "Anouk Jansen", at(day, "15:00"), now)
                await visit(session, school_id, *second, at(day, "16:15"), now)
                await notes.save(session, at_h001, marieke.id, "done", {"proud": {"text": note}},
                                 [("books", follow_up)], now)
                feed_tokens[key] = await calendar.feed_token(session, marieke.id)
            # Telegram refused some invitations for good: one of Anouk's at each school, Priya's at B.
            for key, names in ((A, ("Anouk Jansen",)), (B, ("Anouk Jansen", "Priya Kumar"))):
                failed[key] = []
                for name in names:
                    row = (await session.scalars(select(OutboxMessage).where(
                        OutboxMessage.school_id == ids[key], OutboxMessage.kind == "invitation",
                        OutboxMessage.account_id == accounts[key, name]).order_by(OutboxMessage.id).limit(1))).one()
                    row.status, row.attempts, row.last_error = OutboxStatus.FAILED, 5, "bad request: chat not found"
                    failed[key].append(row.id)
            await session.commit()

        await cli.ok("import-roster", "--school", A, str(rosters["a-late.csv"]))
        await cli.ok("import-roster", "--school", B, str(rosters["b-late.csv"]))

        base = make_settings(database_url, schools_file=str(tmp / "schools.toml"), public_url=PUBLIC_URL)
        settings = {s.school_key: s for s in load_schools(base)}
        yield Board(cli, engine, sessionmaker, settings, ids, MovableClock(now), tmp, feed_tokens, failed)
    await engine.dispose()


# -- the roster and the staff ---------------------------------------------------------------

async def test_import_roster_changes_only_its_schools_roster(board):
    """A's new file drops a pupil (P040) and gives Anouk a new number: at A only. B's roster,
    with the same household and pupil ids, the same class and teacher, stays as it was."""
    text = (A_ROSTER + A_LATE).replace("+31 6 1234 5601", "+31 6 9999 0001")
    text = "".join(line for line in text.splitlines(keepends=True) if not line.startswith("P040,"))
    path = board.tmp / "a-new.csv"
    path.write_text(text, encoding="utf-8")
    before_a, before_b = await board.rows(A), await board.rows(B)

    dry = await board.cli.ok("import-roster", "--school", A, str(path), "--dry-run")
    assert "dry run" in dry.out and none_of(ONLY_B, dry.out + dry.err) == []
    assert await board.rows(A) == before_a and await board.rows(B) == before_b

    ran = await board.cli.ok("import-roster", "--school", A, str(path))
    assert none_of(ONLY_B, ran.out + ran.err) == []
    assert changes(before_b, await board.rows(B)) == {}
    async with board.sessionmaker() as session:
        for key, phone, p040_active in ((A, "+31699990001", False), (B, "+31612345601", None)):
            anouk = await guardian_of(session, board.ids[key], "Anouk Jansen")
            assert anouk.phone == phone, key
            p040 = await session.scalar(select(Pupil.active).where(Pupil.school_id == board.ids[key],
                                                                   Pupil.external_id == "P040"))
            assert p040 is p040_active, key  # B has no P040 at all
        b_pupils = (await session.scalars(select(Pupil.external_id).where(Pupil.school_id == board.ids[B],
                                                                          Pupil.active.is_(True)))).all()
        assert sorted(b_pupils) == ["P001", "P002", "P003", "P004", "P005", "P006"]


async def test_add_staff_adds_to_its_school_and_links_there(board):
    """Noah Wouters teaches at B; A can make a Noah Wouters its coordinator (a lookup across
    schools would find B's teacher and refuse), with a link of A's bot for A's Noah."""
    before_b = await board.rows(B)
    ran = await board.cli.ok("add-staff", "--school", A, "--name", NOAH, "--role", "coordinator")
    token = re.fullmatch(r"coordinator Noah Wouters: https://t\.me/regenboog_bot\?start=([\w-]+)",
                         ran.out.splitlines()[0]).group(1)
    assert changes(before_b, await board.rows(B)) == {}
    async with board.sessionmaker() as session:
        noah_a = await staff_of(session, board.ids[A], NOAH)
        noah_b = await staff_of(session, board.ids[B], NOAH)
        assert (noah_a.role, noah_b.role) == ("coordinator", "teacher")
        issued = (await session.scalars(select(InviteToken).where(InviteToken.token_hash == hash_token(token)))).one()
        assert (issued.school_id, issued.staff_id) == (board.ids[A], noah_a.id)


async def test_invite_links_lists_and_renews_only_its_schools_people(board):
    """Exactly A's people without Telegram, each once (Ayşe Yılmaz of H002 is at both
    schools: A's row names A's children); B's live links and web pages keep working."""
    async with board.sessionmaker() as session:
        a = board.ids[A]
        staff = (await session.scalars(select(Staff).where(Staff.school_id == a, Staff.active.is_(True),
                                                           Staff.account_id.is_(None)))).all()
        guardians = (await session.execute(
            select(Guardian.name, Household.external_id, Household.id)
            .join(Household, Household.id == Guardian.household_id)
            .where(Guardian.school_id == a, Guardian.active.is_(True), Guardian.account_id.is_(None)))).all()
        children = {}
        for _, _, household_id in guardians:
            children[household_id] = "; ".join(sorted((await session.scalars(
                select(Pupil.name).join(pupil_households, pupil_households.c.pupil_id == Pupil.id)
                .where(pupil_households.c.household_id == household_id, Pupil.active.is_(True)))).all()))
    expected = sorted([(s.role, s.name, "", "") for s in staff]
                      + [("guardian", name, household, children[household_id])
                         for name, household, household_id in guardians])
    before_b = await board.rows(B)

    ran = await board.cli.ok("invite-links", "--school", A, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(ran.out)))
    assert sorted((r["role"], r["name"], r["household_id"], r["pupils"]) for r in rows) == expected
    assert ("guardian", "Ayşe Yılmaz", "H002", "Elif Yılmaz; Emre Yılmaz") in expected
    assert all(r["link"].startswith("https://t.me/regenboog_bot?start=") for r in rows)
    assert none_of(ONLY_B, ran.out + ran.err) == []
    assert changes(before_b, await board.rows(B)) == {}
    async with board.sessionmaker() as session:  # every fresh link and web page is A's
        tokens = [r["link"].rpartition("=")[2] for r in rows]
        schools = (await session.scalars(select(InviteToken.school_id)
                                         .where(InviteToken.token_hash.in_([hash_token(t) for t in tokens])))).all()
        assert len(schools) == len(rows) and set(schools) == {board.ids[A]}
        pages = [r["web_link"].rpartition("/")[2] for r in rows if r["web_link"]]
        assert pages and set((await session.scalars(select(WebLink.school_id).where(
            WebLink.token_hash.in_([hash_token(p) for p in pages])))).all()) == {board.ids[A]}


# -- letters and web pages ---------------------------------------------------------------

def pdf_text(pdf: bytes) -> str:
    document = pdfium.PdfDocument(pdf)
    try:
        texts = []
        for page in document:
            textpage = page.get_textpage()
            texts.append(textpage.get_text_range())
            textpage.close()
            page.close()
        return "\n".join(texts)
    finally:
        document.close()


async def test_letters_print_only_the_schools_households(board):
    """A's letter for H002 names A's children (B's H002 is another family), renews A's
    links only; a household or class that only B has is one line and issues nothing."""
    out = board.tmp / "a-letters.pdf"
    before_a, before_b = await board.rows(A), await board.rows(B)
    ran = await board.cli.ok("letters", "--school", A, "--household", "H002", "--all", "--output", str(out))
    assert ran.out.startswith("1 letter written to")
    text = " ".join(pdf_text(out.read_bytes()).split())
    assert "Elif Yılmaz" in text and "Emre Yılmaz" in text and "Regenboog" in text
    assert none_of(ONLY_B, text) == [] and none_of(ONLY_B, ran.out + ran.err) == []
    assert changes(before_b, await board.rows(B)) == {}
    after_a = await board.rows(A)
    [token] = added(before_a, after_a, "invite_tokens")  # for the first of A's H002 without Telegram
    [page] = added(before_a, after_a, "web_links")
    async with board.sessionmaker() as session:
        h002 = await household_of(session, board.ids[A], "H002")
        ayse = await guardian_of(session, board.ids[A], "Ayşe Yılmaz")
    assert (token["school_id"], token["guardian_id"]) == (board.ids[A], ayse.id)
    assert (page["school_id"], page["household_id"]) == (board.ids[A], h002.id)

    before_a = await board.rows(A)
    for args, error in (
            (("--household", "H040"), "homevisit: no household 'H040' with a pupil on the roster; "
                                      "no letters were written"),
            (("--class", "Groep 4"), "homevisit: no class named 'Groep 4' (the classes: Groep 3, Groep 5, "
                                     "Groep 7); no letters were written")):
        missing = board.tmp / "never.pdf"
        refused = await board.cli("letters", "--school", A, *args, "--all", "--output", str(missing))
        assert (refused.code, refused.out, refused.err) == (1, "", error + "\n")
        assert not missing.exists()
    assert await board.rows(A) == before_a and await board.rows(B) == before_b


async def test_web_link_renews_the_schools_household_only(board):
    before_b = await board.rows(B)
    ran = await board.cli.ok("web-link", "--school", A, "--household", "H002")
    token = re.fullmatch(re.escape(PUBLIC_URL) + r"/v/([\w-]{32})", ran.out.strip()).group(1)
    async with board.sessionmaker() as session:
        link = (await session.scalars(select(WebLink).where(WebLink.token_hash == hash_token(token)))).one()
        assert link.school_id == board.ids[A]
        assert link.household_id == (await household_of(session, board.ids[A], "H002")).id
    assert changes(before_b, await board.rows(B)) == {}  # B's H002 keeps its page

    before_a = await board.rows(A)
    refused = await board.cli("web-link", "--school", A, "--household", "H040")
    assert (refused.code, refused.out, refused.err) == (1, "", "error: no household 'H040' on the roster\n")
    assert await board.rows(A) == before_a and await board.rows(B) == before_b


# -- the visit period ----------------------------------------------------------------------

async def test_send_invitations_invites_the_schools_new_household_only(board):
    """Both schools added a household after their invitations went out: A's command invites
    A's (H041), and B's H050 waits for B's."""
    before_b = await board.rows(B)
    ran = await board.cli.ok("send-invitations", "--school", A)
    assert ran.out.startswith("1 households invited (1 invitations); 0 messages queued")
    assert changes(before_b, await board.rows(B)) == {}
    async with board.sessionmaker() as session:
        period = await current_period(session, board.ids[A])
        invited = await invitation_of(session, board.ids[A], "H041", MARIEKE)
        assert invited.period_id == period.id
        h050 = await household_of(session, board.ids[B], "H050")
        assert await session.scalar(select(Invitation.id).where(Invitation.household_id == h050.id)) is None


async def test_announce_goes_to_the_schools_readers_only(board):
    """A has two parents on Telegram, both in Groep 3 (B three more, two in its Groep 3), and
    two staff (B two more). A class only B has is unknown to A."""
    async with board.sessionmaker() as session:
        accounts = {name: (await guardian_of(session, board.ids[A], name)).account_id
                    for name in LINKED[A]["guardians"]}
        accounts |= {name: (await staff_of(session, board.ids[A], name)).account_id for name in LINKED[A]["staff"]}
    before_b = await board.rows(B)
    for audience, readers in ((("--audience", "guardians"), ("Anouk Jansen", "Linda de Boer")),
                              (("--audience", "class", "--class", "Groep 3"), ("Anouk Jansen", "Linda de Boer")),
                              (("--audience", "staff"), (MARIEKE, "Jeroen Bakker"))):
        ran = await board.cli.ok("announce", "--school", A, *audience, "--yes")
        assert "De Regenboog" in ran.out and none_of(ONLY_B, ran.out + ran.err) == []
        assert re.search(r"^2 recipients on Telegram;", ran.out, re.M), ran.out
        broadcast_id = int(re.search(r"announcement (\d+) queued", ran.out).group(1))
        async with board.sessionmaker() as session:
            assert (await session.get(Broadcast, broadcast_id)).school_id == board.ids[A]
            queued = (await session.execute(select(OutboxMessage.school_id, OutboxMessage.account_id)
                                            .where(OutboxMessage.broadcast_id == broadcast_id))).all()
        assert sorted(queued) == sorted((board.ids[A], accounts[name]) for name in readers)
    assert changes(before_b, await board.rows(B)) == {}

    before_a = await board.rows(A)
    refused = await board.cli("announce", "--school", A, "--audience", "class", "--class", "Groep 4", "--yes")
    assert (refused.code, refused.out, refused.err) == (1, "", "homevisit: no class named 'Groep 4'\n")
    assert await board.rows(A) == before_a


async def test_report_counts_the_schools_classes_and_teachers_only(board):
    async with board.sessionmaker() as session:
        a = board.ids[A]
        pupils = dict((await session.execute(
            select(SchoolClass.name, func.count(Pupil.id)).join(Pupil, Pupil.class_id == SchoolClass.id)
            .where(SchoolClass.school_id == a, Pupil.active.is_(True)).group_by(SchoolClass.name))).all())
    assert set(pupils) == {"Groep 3", "Groep 5", "Groep 7"}
    before_b = await board.rows(B)

    text = await board.cli.ok("report", "--school", A)
    assert "Groep 3" in text.out and none_of(ONLY_B, text.out + text.err) == []
    ran = await board.cli.ok("report", "--school", A, "--format", "csv")
    assert none_of(ONLY_B, ran.out) == []
    classes, teachers = ran.out.split("\r\n\r\n")
    rows = {r["class"]: r for r in csv.DictReader(io.StringIO(classes))}
    assert {name: int(rows[name]["pupils"]) for name in pupils} == pupils and set(rows) == {*pupils, "school"}
    assert int(rows["school"]["pupils"]) == sum(pupils.values())
    # H001 noted, H006 to come (so too at B's Groep 3, with Marieke de Vries too).
    assert (int(rows["Groep 3"]["visited"]), int(rows["Groep 3"]["booked"])) == (1, 1)
    assert (int(rows["school"]["visited"]), int(rows["school"]["booked"])) == (1, 1)
    visits = {r["teacher"]: (int(r["visits_done"]), int(r["visits_planned"]))
              for r in csv.DictReader(io.StringIO(teachers))}
    assert visits == {MARIEKE: (1, 1), "Jeroen Bakker": (0, 0), "Sanne Vermeulen": (0, 0)}
    assert changes(before_b, await board.rows(B)) == {}


# -- after the visit -----------------------------------------------------------------------

async def test_export_notes_holds_the_schools_notes_only(board):
    """Both periods have the same name and a note at P001 of H001: each school's export
    holds its own note, and writes its own audit line."""
    before_a, before_b = await board.rows(A), await board.rows(B)
    exported = {}
    for key in (A, B):
        ran = await board.cli.ok("export-notes", "--school", key, "--period", PERIOD)
        assert ran.out.startswith("\ufeff")
        exported[key] = ran
    a_rows = list(csv.DictReader(io.StringIO(exported[A].out.lstrip("\ufeff"))))
    b_rows = list(csv.DictReader(io.StringIO(exported[B].out.lstrip("\ufeff"))))
    assert [(r["pupil_id"], r["teacher"], r["proud"], r["follow_ups"]) for r in a_rows] == [
        ("P001", MARIEKE, A_NOTE, f"books: {A_FOLLOW_UP}")]
    assert [(r["pupil_id"], r["proud"], r["follow_ups"]) for r in b_rows] == [("P001", B_NOTE, f"books: {B_FOLLOW_UP}")]
    assert none_of(ONLY_B, exported[A].out) == [] and none_of(ONLY_A, exported[B].out) == []

    for key, before in ((A, before_a), (B, before_b)):
        after = await board.rows(key)
        assert set(changes(before, after)) == {"audit_log"}
        [audit] = added(before, after, "audit_log")
        assert (audit["school_id"], audit["actor"], audit["action"]) == (board.ids[key], "cli", "notes_export")

    out = board.tmp / "a-notes.csv"
    written = await board.cli.ok("export-notes", "--school", A, "--period", PERIOD, "--output", str(out))
    assert written.err.strip() == f"notes written to {out}" and out.read_bytes().decode() == exported[A].out

    before_a = await board.rows(A)
    refused = await board.cli("export-notes", "--school", A, "--period", B_OLD_PERIOD)
    assert (refused.code, refused.out, refused.err) == (1, "", f"homevisit: no visit period named {B_OLD_PERIOD!r}\n")
    assert await board.rows(A) == before_a


async def test_outbox_lists_and_requeues_the_schools_failures_only(board):
    [a_failed], b_failed = board.failed[A], board.failed[B]
    before_b = await board.rows(B)
    count = await board.cli.ok("outbox", "--school", A)
    assert count.out.startswith("1 message failed for good")
    listed = await board.cli.ok("outbox", "--school", A, "--failed")
    ids = [int(m[1]) for line in listed.out.splitlines() if (m := re.match(r"^\s*(\d+)  ", line))]
    assert ids == [a_failed] and "guardian Anouk Jansen" in listed.out
    assert none_of(ONLY_B, listed.out) == []

    refused = await board.cli("outbox", "--school", A, "--retry", str(b_failed[0]))
    assert refused.code == 1 and refused.err.startswith(
        f"homevisit: not a message that failed for good: {b_failed[0]}; nothing was queued")
    retried = await board.cli.ok("outbox", "--school", A, "--retry-all")
    assert retried.out.startswith("1 message queued again")
    assert changes(before_b, await board.rows(B)) == {}
    async with board.sessionmaker() as session:
        states = dict((await session.execute(select(OutboxMessage.id, OutboxMessage.status)
                                             .where(OutboxMessage.id.in_([a_failed, *b_failed])))).all())
    assert states == {a_failed: OutboxStatus.PENDING, **{i: OutboxStatus.FAILED for i in b_failed}}
    b_count = await board.cli.ok("outbox", "--school", B)
    assert b_count.out.startswith("2 messages failed for good")


# -- the calendar feeds --------------------------------------------------------------------

def runtime(board: Board, key: str) -> Runtime:
    return Runtime(board.settings[key], board.clock, board.engine, board.sessionmaker, Catalogs(), board.ids[key],
                   owns_engine=False)


async def fetch(client: TestClient, token: str) -> tuple[int, str]:
    response = await client.get(f"/calendar/{token}.ics")
    return response.status, await response.text()


async def test_a_teachers_feed_lists_her_schools_visits_in_her_schools_settings(board):
    """Marieke teaches at both: each of her feeds holds that school's two visits, named in
    that school's language; a process serving only A does not know B's feed."""
    async with board.sessionmaker() as session:
        uids = {key: set((await session.scalars(select(Invitation.calendar_uid).where(
            Invitation.school_id == board.ids[key], Invitation.status == "booked"))).all()) for key in (A, B)}
    # No webhook is served (no WEBHOOK_URL), so the bots' applications are not needed.
    both = build_board_web_app([(None, runtime(board, A), "/a"), (None, runtime(board, B), "/b")])
    only_a = build_board_web_app([(None, runtime(board, A), "/a")])
    async with TestClient(TestServer(both)) as client:
        status, a_feed = await fetch(client, board.feed_tokens[A])
        assert status == 200
        a = fields(a_feed)
        assert a["X-WR-CALNAME"] == ["Huisbezoeken van Marieke de Vries"]
        assert a["SUMMARY"] == ["Huisbezoek: Emma Jansen", "Huisbezoek: Daan de Boer"]
        assert set(a["UID"]) == uids[A] and none_of(ONLY_B, a_feed) == []

        status, b_feed = await fetch(client, board.feed_tokens[B])
        assert status == 200
        b = fields(b_feed)
        assert b["X-WR-CALNAME"] == ["Home visits of Marieke de Vries"]  # B speaks English by default
        assert b["SUMMARY"] == ["Home visit: Roos Jansen", "Home visit: Sven Wouters"]
        assert set(b["UID"]) == uids[B] and none_of(ONLY_A, b_feed) == []
    async with TestClient(TestServer(only_a)) as client:
        assert (await fetch(client, board.feed_tokens[A]))[0] == 200
        assert (await fetch(client, board.feed_tokens[B])) == (404, "not found")


# -- last: the period ends at one school ---------------------------------------------------

async def test_close_period_closes_the_schools_period_and_open_period_ignores_the_others(board):
    before_b = await board.rows(B)
    closed = await board.cli.ok("close-period", "--school", A)
    assert closed.out.strip() == f"visit period {PERIOD!r} is closed"
    again = await board.cli("close-period", "--school", A)  # B's is open, but it is not A's
    assert (again.code, again.err) == (1, "homevisit: no visit period is open\n")
    assert changes(before_b, await board.rows(B)) == {}

    today = board.clock.now().astimezone(TZ).date()
    opened = await board.cli.ok("open-period", "--school", A, "--name", "Huisbezoeken voorjaar",
                                "--from", str(today + timedelta(days=60)), "--to", str(today + timedelta(days=80)))
    assert opened.out.startswith("visit period 'Huisbezoeken voorjaar' is open")
    assert changes(before_b, await board.rows(B)) == {}
    async with board.sessionmaker() as session:
        periods = (await session.execute(select(VisitPeriod.school_id, VisitPeriod.name, VisitPeriod.status)
                                         .order_by(VisitPeriod.id))).all()
    assert [(school, name, str(status)) for school, name, status in periods] == [
        (board.ids[B], B_OLD_PERIOD, "closed"), (board.ids[A], PERIOD, "closed"), (board.ids[B], PERIOD, "open"),
        (board.ids[A], "Huisbezoeken voorjaar", "open")]

    # The notes of A's closed period are still A's to export.
    ran = await board.cli.ok("export-notes", "--school", A, "--period", PERIOD)
    assert A_NOTE in ran.out and B_NOTE not in ran.out
