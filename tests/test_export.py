"""`homevisit export-notes`: the visit notes of a period as CSV for the pupil tracking
system. UTF-8 with BOM, one row per visit with a note, every answer in its own column,
nothing a spreadsheet would run as a formula, voice messages named not linked, and each
export written to the audit log. Through the service and the command line."""
from __future__ import annotations

import asyncio
import csv
import io
import os
import sys
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.questionnaire import DEFAULT, DEFAULT_KEYS
from bot.services import notes
from bot.services.export import ExportError, export_notes
from bot.services.invitations import send_invitations
from bot.services.periods import PeriodDraft, close_period, open_period
from db.models import AuditEntry, FollowUp
from tests.after_visit import FRI, MON, THU, at, confirmed_visit, windows
from tests.visit_setup import (
    MARIEKE,
    SANNE,
    TZ,
    load_roster,
    new_school,
    open_autumn,
    teacher,
)

ROOT = Path(__file__).resolve().parent.parent
BOM = b"\xef\xbb\xbf"
PERIOD = "Huisbezoeken najaar 2026"
COLUMNS = ["pupil_id", "date", "teacher", "venue", "outcome", *DEFAULT_KEYS, "follow_ups"]
VOICE = {"voice": "AwACAgQAAxkBAAIBZ2V0aWQtZ2VoZWlt", "seconds": 14}


class School:
    school_id: int
    note_ids: dict[str, int]


@pytest.fixture
async def school(session, clock) -> School:
    """Four notes in the autumn period (and one visit without a note yet)."""
    now = clock.now()
    s = School()
    s.school_id = await new_school(session, now)
    await load_roster(session, s.school_id, now)
    period = await open_autumn(session, s.school_id, now)
    for name in (MARIEKE, SANNE):
        await windows(session, period, name, (THU, FRI, MON), now)
    await send_invitations(session, period, now, sibling_visits="each")
    jansen = await confirmed_visit(session, "H001", MARIEKE, "Anouk Jansen", at(THU, "15:00"), now)
    de_boer = await confirmed_visit(session, "H006", MARIEKE, "Linda de Boer", at(THU, "16:15"), now)
    mulder = await confirmed_visit(session, "H014", MARIEKE, "Petra Mulder", at(FRI, "15:00"), now, venue="park")
    willems = await confirmed_visit(session, "H029", SANNE, "Els Willems", at(THU, "17:30"), now)
    await confirmed_visit(session, "H015", MARIEKE, "Sandra Dekker", at(MON, "15:00"), now)  # still to come

    clock.set(at(FRI, "20:00"))
    marieke, sanne = (await teacher(session, MARIEKE)).id, (await teacher(session, SANNE)).id
    s.note_ids = {}
    note = await notes.save(session, jansen, marieke, "done", {
        "proud": {"text": "=SUM(A1:A9)"},
        "at_home": {"text": "+31 6 1234 5601 belt liever"},
        "reading": VOICE,
        "hopes": {"text": "Dat Emma, Lucas en Noor\nsamen naar de bieb gaan"},
    }, [("books", "Prentenboeken over dieren"), ("library", None)], clock.now())
    s.note_ids["P001"] = note.id
    note = await notes.save(session, de_boer, marieke, "at_school", {
        "proud": {"text": "@juf: dank voor het gesprek"},
        "at_home": {"text": "-2 graden buiten, maar binnen warm"},
    }, [("care_talk", "=HYPERLINK(\"x\")")], clock.now())
    s.note_ids["P005"] = note.id
    s.note_ids["P008"] = (await notes.save(session, mulder, marieke, "not_home", {}, [], clock.now())).id
    s.note_ids["P028"] = (await notes.save(session, willems, sanne, "by_phone", {
        "agreements": {"text": "Volgende maand bellen"}}, [("other", None)], clock.now())).id
    library = await session.scalar(select(FollowUp).where(FollowUp.note_id == s.note_ids["P001"],
                                                          FollowUp.kind == "library"))
    await notes.tick_off(session, library.id, marieke, clock.now())
    return s


def rows_of(data: bytes) -> tuple[list[str], dict[str, dict[str, str]]]:
    assert data.startswith(BOM)
    reader = csv.reader(io.StringIO(data[len(BOM):].decode("utf-8"), newline=""))
    header, *rows = list(reader)
    return header, {row[0]: dict(zip(header, row)) for row in rows}


async def audit(session) -> list[AuditEntry]:
    return list((await session.scalars(select(AuditEntry).where(AuditEntry.action == "notes_export")
                                       .order_by(AuditEntry.id).execution_options(populate_existing=True))).all())


async def test_one_row_per_visit_with_a_note(session, school, clock):
    data = await export_notes(session, school.school_id, PERIOD, DEFAULT, TZ, "cli", clock.now())
    header, rows = rows_of(data)

    assert header == COLUMNS
    assert sorted(rows) == ["P001", "P005", "P008", "P028"]  # Sandra's visit on Monday has no note yet
    jansen = rows["P001"]  # the Groep 3 visit: Emma only, not her brother and sister in Groep 5 and 7
    assert (jansen["date"], jansen["teacher"], jansen["venue"], jansen["outcome"]) == (
        "2026-11-12", MARIEKE, "home", "done")
    assert jansen["reading"] == "[voice message]"
    assert VOICE["voice"] not in data.decode("utf-8")
    assert jansen["hopes"] == "Dat Emma, Lucas en Noor\nsamen naar de bieb gaan"
    assert jansen["homework"] == "" and jansen["agreements"] == ""
    assert jansen["follow_ups"] == "books: Prentenboeken over dieren; library (done)"

    assert (rows["P005"]["venue"], rows["P005"]["outcome"]) == ("school", "at_school")  # Daan, from H006
    assert rows["P005"]["follow_ups"] == 'care_talk: =HYPERLINK("x")'  # starts with a letter: harmless
    assert (rows["P008"]["date"], rows["P008"]["venue"], rows["P008"]["outcome"]) == ("2026-11-13", "park",
                                                                                    "not_home")
    assert all(rows["P008"][key] == "" for key in DEFAULT_KEYS) and rows["P008"]["follow_ups"] == ""
    assert (rows["P028"]["teacher"], rows["P028"]["venue"], rows["P028"]["agreements"]) == (
        SANNE, "phone", "Volgende maand bellen")
    assert rows["P028"]["follow_ups"] == "other"


async def test_answers_a_spreadsheet_would_run_get_a_quote(session, school, clock):
    _, rows = rows_of(await export_notes(session, school.school_id, PERIOD, DEFAULT, TZ, "cli", clock.now()))
    assert rows["P001"]["proud"] == "'=SUM(A1:A9)"
    assert rows["P001"]["at_home"] == "'+31 6 1234 5601 belt liever"
    assert rows["P005"]["at_home"] == "'-2 graden buiten, maar binnen warm"
    assert rows["P005"]["proud"] == "'@juf: dank voor het gesprek"
    assert rows["P028"]["agreements"] == "Volgende maand bellen"  # ordinary text stays as it is


async def test_every_export_is_in_the_audit_log(session, school, clock):
    assert await audit(session) == []
    await export_notes(session, school.school_id, PERIOD, DEFAULT, TZ, "staff:7", clock.now())
    await export_notes(session, school.school_id, PERIOD, DEFAULT, TZ, "cli", clock.now())
    entries = await audit(session)
    assert [(e.actor, e.subject, e.at) for e in entries] == [("staff:7", f"period:{PERIOD}", clock.now()),
                                                             ("cli", f"period:{PERIOD}", clock.now())]


async def test_answers_to_a_question_no_longer_asked_are_kept(session, school, clock):
    questions = DEFAULT[:2]  # the school shortened its questionnaire after these visits
    header, rows = rows_of(await export_notes(session, school.school_id, PERIOD, questions, TZ, "cli", clock.now()))
    assert header == ["pupil_id", "date", "teacher", "venue", "outcome", "proud", "at_home", "agreements", "hopes",
                      "reading", "follow_ups"]
    assert rows["P001"]["reading"] == "[voice message]" and rows["P028"]["agreements"] == "Volgende maand bellen"


async def test_closed_period_still_exports_and_another_period_has_only_its_own(session, school, clock):
    await close_period(session, school.school_id, clock.now())
    await open_period(session, school.school_id, PeriodDraft("Voorjaar 2027", date(2027, 3, 1), date(2027, 3, 26)),
                      clock.now())
    _, rows = rows_of(await export_notes(session, school.school_id, PERIOD, DEFAULT, TZ, "cli", clock.now()))
    assert len(rows) == 4
    header, rows = rows_of(await export_notes(session, school.school_id, "Voorjaar 2027", DEFAULT, TZ, "cli",
                                              clock.now()))
    assert header == COLUMNS and rows == {}


async def test_unknown_period_is_an_error_and_logs_nothing(session, school, clock):
    with pytest.raises(ExportError, match="Voorjaar"):
        await export_notes(session, school.school_id, "Voorjaar", DEFAULT, TZ, "cli", clock.now())
    assert await audit(session) == []


# -- the command line ----------------------------------------------------------------------------

async def homevisit(database_url: str, *args: str) -> tuple[int, bytes, str]:
    environment = {k: v for k, v in os.environ.items()
                   if k not in ("BOT_TOKEN", "BOT_USERNAME", "DATABASE_URL", "QUESTIONNAIRE_FILE")}
    environment.update(DATABASE_URL=database_url, SCHOOL_NAME="De Regenboog", SCHOOL_TIMEZONE="Europe/Amsterdam")
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", *args, cwd=ROOT, env=environment,
                                                   stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), 120)
    return process.returncode, out, err.decode()


async def test_export_notes_command(session, school, database_url, tmp_path):
    code, out, err = await homevisit(database_url, "export-notes", "--period", PERIOD)
    assert code == 0, err
    assert out.startswith(BOM)
    header, rows = rows_of(out)
    assert header == COLUMNS and sorted(rows) == ["P001", "P005", "P008", "P028"]
    assert [rows[p][k] for p, k in [("P001", "proud"), ("P001", "at_home"), ("P005", "at_home"),
                                    ("P005", "proud")]] == [
        "'=SUM(A1:A9)", "'+31 6 1234 5601 belt liever", "'-2 graden buiten, maar binnen warm",
        "'@juf: dank voor het gesprek"]
    assert rows["P001"]["reading"] == "[voice message]"

    target = tmp_path / "notities.csv"
    code, out, err = await homevisit(database_url, "export-notes", "--period", PERIOD, "--output", str(target))
    assert code == 0 and out == b"" and f"notes written to {target}" in err
    assert rows_of(target.read_bytes()) == (header, rows)
    assert [(e.actor, e.subject) for e in await audit(session)] == [("cli", f"period:{PERIOD}")] * 2


async def test_export_notes_of_an_unknown_period_says_so(session, school, database_url):
    code, out, err = await homevisit(database_url, "export-notes", "--period", "Voorjaar")
    assert code == 1 and out == b""
    assert err.strip() == "homevisit: no visit period named 'Voorjaar'"
    assert await audit(session) == []
