"""Roster import: what a coordinator sees after importing (or failing to import) a CSV."""
from __future__ import annotations

import codecs
import csv
import io
from collections import defaultdict
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.services.roster import (
    MAX_BYTES,
    MAX_ROWS,
    ImportSummary,
    RosterError,
    import_roster,
    parse_roster,
)
from bot.services.schools import ensure_school
from db.models import (
    ROLE_COORDINATOR,
    Account,
    Base,
    Guardian,
    Household,
    Pupil,
    SchoolClass,
    Staff,
    pupil_households,
)

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "roster.csv"
HEADER = "pupil_id,pupil_name,class,teacher,household_id,guardian_name,guardian_phone,guardian_language"


def example_lines() -> list[str]:
    """The example file's physical lines; index 0 is line 1 (the header)."""
    return EXAMPLE.read_text(encoding="utf-8").splitlines()


def to_bytes(lines: list[str]) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8")


def example_rows() -> list[dict[str, str]]:
    with EXAMPLE.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def problem_lines(exc: RosterError) -> list[int]:
    return [p.line for p in exc.problems]


@pytest.fixture
async def school(session, clock) -> int:
    """The school's id (a dry run rolls the session back, which expires loaded objects)."""
    return (await ensure_school(session, "De Regenboog", "Europe/Amsterdam", "nl", clock.now())).id


async def run_import(session, school, clock, data: bytes, **kwargs) -> ImportSummary:
    return await import_roster(session, school, data, default_language="nl", now=clock.now(), **kwargs)


async def count(session, model, *where) -> int:
    return await session.scalar(select(func.count()).select_from(model).where(*where))


async def snapshot(session) -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order."""
    tables = {}
    for table in Base.metadata.sorted_tables:
        result = await session.execute(select(table).order_by(*table.primary_key.columns))
        tables[table.name] = [tuple(row) for row in result]
    return tables


async def roster_is_empty(session) -> bool:
    return all([
        await count(session, model) == 0 for model in (Staff, SchoolClass, Pupil, Household, Guardian)
    ]) and await count(session, pupil_households) == 0


async def households_of(session, external_id: str) -> set[str]:
    result = await session.scalars(
        select(Household.external_id)
        .join(pupil_households, pupil_households.c.household_id == Household.id)
        .join(Pupil, Pupil.id == pupil_households.c.pupil_id)
        .where(Pupil.external_id == external_id)
    )
    return set(result)


async def pupil(session, external_id: str) -> Pupil:
    return await session.scalar(select(Pupil).where(Pupil.external_id == external_id))


async def guardian(session, household: str, name: str) -> Guardian:
    return await session.scalar(
        select(Guardian).join(Household, Household.id == Guardian.household_id)
        .where(Household.external_id == household, Guardian.name == name)
    )


# --- the example roster ---------------------------------------------------------------


async def test_example_roster_is_imported_completely(session, school, clock):
    rows = example_rows()
    pupils = {r["pupil_id"] for r in rows}
    classes = {r["class"]: r["teacher"] for r in rows}
    households = {r["household_id"] for r in rows}
    guardians = {(r["household_id"], r["guardian_name"]) for r in rows}
    links: dict[str, set[str]] = defaultdict(set)
    for r in rows:
        links[r["pupil_id"]].add(r["household_id"])

    summary = await run_import(session, school, clock, EXAMPLE.read_bytes())

    assert (summary.pupils_created, summary.classes_created, summary.teachers_created) == (
        len(pupils), len(classes), len(set(classes.values())),
    )
    assert (summary.households_created, summary.guardians_created) == (len(households), len(guardians))
    assert await count(session, Pupil, Pupil.active.is_(True)) == len(pupils) == 40
    assert await count(session, SchoolClass) == len(classes) == 3
    assert await count(session, Household, Household.active.is_(True)) == len(households)
    assert await count(session, Guardian, Guardian.active.is_(True)) == len(guardians)
    assert await count(session, pupil_households) == sum(len(h) for h in links.values())

    teachers = (await session.execute(
        select(SchoolClass.name, Staff.name, Staff.role, Staff.language).join(Staff, Staff.id == SchoolClass.teacher_id)
    )).all()
    assert {(c, t) for c, t, _, _ in teachers} == set(classes.items())
    assert {(role, language) for _, _, role, language in teachers} == {("teacher", None)}

    # Siblings in different classes share one household.
    pupils_of: dict[str, set[str]] = defaultdict(set)
    for r in rows:
        pupils_of[r["household_id"]].add(r["pupil_id"])
    class_of = {r["pupil_id"]: r["class"] for r in rows}
    sibling_households = [h for h, ps in pupils_of.items() if len({class_of[p] for p in ps}) > 1]
    assert sibling_households
    for h in sibling_households:
        for p in pupils_of[h]:
            assert h in await households_of(session, p)

    # A pupil whose parents live apart belongs to both households, each with its own guardian.
    split = [p for p, hs in links.items() if len(hs) > 1]
    assert split
    for p in split:
        assert await households_of(session, p) == links[p]
        names = [{g for hh, g in guardians if hh == h} for h in links[p]]
        assert all(names) and not set.intersection(*names)

    languages = {(r["household_id"], r["guardian_name"]): r["guardian_language"] for r in rows}
    stored = {(h, g.name): g.language for g, h in (await session.execute(
        select(Guardian, Household.external_id).join(Household, Household.id == Guardian.household_id)
    )).all()}
    assert stored == languages
    assert len(set(languages.values())) >= 5
    assert (await guardian(session, "H001", "Anouk Jansen")).phone == "+31612345601"
    assert (await guardian(session, "H025", "Wendy Vos")).phone is None


async def test_semicolons_bom_crlf_and_free_column_order_give_the_same_roster(session, school, clock):
    rows = example_rows()
    out = io.StringIO()
    columns = ["Guardian_Language ", "notes", *reversed(HEADER.split(",")[:-1])]
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(columns)
    for r in rows:
        writer.writerow([r.get(c.strip().lower(), "remark; with semicolon") for c in columns])
    data = codecs.BOM_UTF8 + out.getvalue().encode("utf-8")

    first = await run_import(session, school, clock, data)
    assert first.pupils_created == 40

    # The comma file describes exactly the same roster: importing it changes nothing.
    again = await run_import(session, school, clock, EXAMPLE.read_bytes())
    assert not again.changed(), again.lines()


async def test_comma_file_with_normalised_languages_and_phones(session, school, clock):
    data = to_bytes([
        HEADER,
        "P1 , Ada ,Groep 1,,H1,Bea,  +31 6 1111 2222 ,NL",
        "P2,Cas,Groep 1,,H2,Dirk,0612345678,nl-BE",
        "P3,Eva,Groep 2,Juf Ria,H3,Fleur,,fr-BE",
        "P4,Gijs,Groep 2,,H4,Hans,,",
        "P4,Gijs,Groep 2,,H4,Hans,,",  # an exact duplicate is harmless
    ])
    summary = await run_import(session, school, clock, data)
    assert (summary.pupils_created, summary.guardians_created, summary.teachers_created) == (4, 4, 1)
    found = dict((await session.execute(select(Guardian.name, Guardian.language))).all())
    assert found == {"Bea": "nl", "Dirk": "nl_BE", "Fleur": "fr", "Hans": "nl"}
    assert (await guardian(session, "H1", "Bea")).phone == "+31611112222"
    assert (await pupil(session, "P1")).name == "Ada"
    no_teacher = await session.scalar(select(SchoolClass).where(SchoolClass.name == "Groep 1"))
    assert no_teacher.teacher_id is None


# --- invalid files: every problem with its line, nothing written ----------------------


def _replace(lines: list[str], line: int, old: str, new: str) -> list[str]:
    lines = list(lines)
    assert old in lines[line - 1]
    lines[line - 1] = lines[line - 1].replace(old, new, 1)
    return lines


NEW_PUPIL = "P041,Bo Hermans,Groep 3,Marieke de Vries,H038,Kim Hermans,+31 6 1234 5699,nl"


def invalid_files() -> dict[str, tuple[bytes, int, list[str]]]:
    """name -> (file, the line to report, words the message must contain)."""
    base = example_lines()
    last = len(base) + 2  # after NEW_PUPIL, which makes the file a real change
    appended = lambda row: to_bytes([*base, NEW_PUPIL, row])  # noqa: E731
    return {
        "missing column": (
            to_bytes([HEADER.replace(",guardian_language", "").replace(",teacher", ""), *base[1:]]),
            1, ["missing", "teacher", "guardian_language"],
        ),
        "empty pupil id": (to_bytes(_replace([*base, NEW_PUPIL], 5, "P002,", ",")), 5, ["pupil_id is empty"]),
        "unknown language": (to_bytes(_replace([*base, NEW_PUPIL], 8, ",pl", ",polish")), 8, ["'polish'"]),
        "pupil in two classes": (
            appended("P001,Emma Jansen,Groep 5,Jeroen Bakker,H001,Anouk Jansen,+31 6 1234 5601,nl"),
            last, ["P001", "'Groep 5'", "'Groep 3'", "line 2"],
        ),
        "contradicting guardian phone": (
            appended("P015,Lucas Jansen,Groep 5,Jeroen Bakker,H001,Anouk Jansen,+31 6 9999 0000,nl"),
            last, ["Anouk Jansen", "phone", "line 2"],
        ),
        "phone with letters": (appended("P042,Xi,Groep 3,,H039,Yu,call me,en"), last, ["letters"]),
        "class with two teachers": (
            appended("P042,Xi,Groep 3,Joke Smit,H039,Yu,,en"), last, ["Joke Smit", "Marieke de Vries", "line 2"],
        ),
        "too few cells": (appended("P042,Xi,Groep 3"), last, ["only 3 cell"]),
    }


@pytest.mark.parametrize("case", list(invalid_files()))
def test_invalid_file_names_the_line(case):
    data, line, words = invalid_files()[case]
    with pytest.raises(RosterError) as caught:
        parse_roster(data, "nl")
    assert problem_lines(caught.value) == [line]
    text = str(caught.value)
    assert text.startswith(f"line {line}: ")
    for word in words:
        assert word in text


async def test_invalid_files_write_nothing(session, school, clock):
    for case, (data, line, _) in invalid_files().items():
        with pytest.raises(RosterError) as caught:
            await run_import(session, school, clock, data)
        assert problem_lines(caught.value) == [line], case
        assert await roster_is_empty(session), case

    await run_import(session, school, clock, EXAMPLE.read_bytes())
    before = await snapshot(session)
    for case, (data, line, _) in invalid_files().items():
        with pytest.raises(RosterError):
            await run_import(session, school, clock, data)
        assert await snapshot(session) == before, case


def test_all_problems_are_listed_not_just_the_first():
    lines = example_lines()
    lines = _replace(lines, 3, "P001,", ",")
    lines = _replace(lines, 10, ",nl", ",xx")
    lines = _replace(lines, 21, "+31 6 1234 5620", "+31 6 CALL")
    with pytest.raises(RosterError) as caught:
        parse_roster(to_bytes(lines), "nl")
    assert problem_lines(caught.value) == [3, 10, 21]
    assert str(caught.value).splitlines()[1].startswith("line 10: unknown guardian_language 'xx'")


def test_problem_list_is_capped():
    lines = [HEADER] + [f"P{i},Name,Groep 3,,H{i},G,,zz" for i in range(80)]
    with pytest.raises(RosterError) as caught:
        parse_roster(to_bytes(lines), "nl")
    assert len(caught.value.problems) == 50
    assert caught.value.problems[0].line == 2
    assert str(caught.value).endswith("... and 30 more problem(s) not listed")


def test_not_utf8_is_refused_with_its_line():
    data = to_bytes([HEADER, "P1,Ada,Groep 1,,H1,Bea,,nl"]) + "P2,Chloé,Groep 1,,H2,Dé,,fr\n".encode("cp1252")
    with pytest.raises(RosterError) as caught:
        parse_roster(data, "nl")
    assert str(caught.value) == "line 3: the file is not UTF-8 text (byte 0xe9); save it as 'CSV UTF-8'"


@pytest.mark.parametrize("data", [b"", codecs.BOM_UTF8, b"\n \r\n", b";;;;\n"])
def test_empty_file_is_refused(data):
    with pytest.raises(RosterError) as caught:
        parse_roster(data, "nl")
    assert str(caught.value).startswith("line 1: the file is empty; expected a header line: pupil_id,")


def test_header_without_rows_is_refused():
    with pytest.raises(RosterError, match="line 2: the file has a header but no pupil rows"):
        parse_roster(to_bytes([HEADER]), "nl")


def test_size_and_row_caps():
    with pytest.raises(RosterError, match="larger than 5 MB"):
        parse_roster(b"x" * (MAX_BYTES + 1), "nl")
    rows = [HEADER] + [f"P{i},N,G,,H{i},G,," for i in range(MAX_ROWS + 1)]
    with pytest.raises(RosterError, match=f"line {MAX_ROWS + 2}: the file has more than {MAX_ROWS} rows"):
        parse_roster(to_bytes(rows), "nl")


def test_unquoted_separator_in_a_name_is_caught():
    with pytest.raises(RosterError, match="line 2: more cells than the header"):
        parse_roster(to_bytes([HEADER, "P1,Jansen, Ada,Groep 1,,H1,Bea,,nl"]), "nl")


CONTROL_CHARACTERS = {"NUL": "\x00", "bell": "\x07", "escape": "\x1b", "tab": "\t", "BOM inside a cell": "\ufeff"}


def with_control_character(character: str) -> bytes:
    """The example file with the character inside a guardian's name on line 3."""
    lines = example_lines()
    assert lines[2].split(",")[5] == "Mark Jansen"
    return to_bytes(_replace(lines, 3, "Mark Jansen", f"Mark{character}Jansen"))


@pytest.mark.parametrize("character", list(CONTROL_CHARACTERS.values()), ids=list(CONTROL_CHARACTERS))
def test_control_character_in_a_cell_is_refused_with_line_and_column_but_not_the_data(character):
    with pytest.raises(RosterError) as caught:
        parse_roster(with_control_character(character), "nl")
    assert problem_lines(caught.value) == [3]
    text = str(caught.value)
    assert text.startswith("line 3: guardian_name (column 6) contains an invisible control character")
    assert f"U+{ord(character):04X}" in text
    for personal in ("Mark", "Jansen", "Emma", "P001", "H001", "+31"):
        assert personal not in text


@pytest.mark.parametrize("character", list(CONTROL_CHARACTERS.values()), ids=list(CONTROL_CHARACTERS))
async def test_control_character_writes_nothing(session, school, clock, character):
    with pytest.raises(RosterError):
        await run_import(session, school, clock, with_control_character(character))
    assert await roster_is_empty(session)


def test_control_character_in_a_phone_does_not_print_the_phone():
    data = to_bytes(_replace(example_lines(), 3, "+31 6 1234 5602", "+31 6 1234\x005602"))
    with pytest.raises(RosterError) as caught:
        parse_roster(data, "nl")
    assert str(caught.value) == ("line 3: guardian_phone (column 7) contains an invisible control character "
                                 "(U+0000); delete the cell's content, type it again and save the file")


def test_bom_at_the_start_of_the_file_is_still_fine():
    rows = parse_roster(codecs.BOM_UTF8 + EXAMPLE.read_bytes(), "nl")
    assert rows[0].pupil_id == "P001"


# --- importing again -------------------------------------------------------------------


async def test_same_file_again_changes_nothing(session, school, clock):
    await run_import(session, school, clock, EXAMPLE.read_bytes())
    before = await snapshot(session)
    clock.advance(clock.now() - clock.now().replace(year=2025))  # a year later

    summary = await run_import(session, school, clock, EXAMPLE.read_bytes())

    assert not summary.changed()
    assert summary.lines() == ["No changes: the database already matches the roster."]
    assert await snapshot(session) == before


def updated_example() -> bytes:
    lines = example_lines()
    lines = [line.replace("P009,Milan Dekker,Groep 3,Marieke de Vries", "P009,Milan Dekker,Groep 5,Jeroen Bakker")
             for line in lines]  # moved class
    lines = [line.replace("Emily Smith,+31 6 1234 5610,en", "Emily Smith,+31 6 1234 5610,nl") for line in lines]
    lines = [line.replace("Sanne Vermeulen", "Kees de Wit") for line in lines]  # new teacher for Groep 7
    lines = [line for line in lines if not line.startswith("P040,")]  # left the school
    lines = [line for line in lines if "Thomas Dubois" not in line]  # father no longer on the roster
    lines.append("P010,Zeynep Demir,Groep 3,Marieke de Vries,H016,Ali Demir,+31 6 1234 5690,tr")  # new guardian
    return to_bytes(lines)


async def test_updated_file_applies_the_changes(session, school, clock):
    await run_import(session, school, clock, EXAMPLE.read_bytes())
    account = Account(school_id=school, telegram_user_id=1001, chat_id=1001, created_at=clock.now(), updated_at=clock.now())
    session.add(account)
    await session.flush()
    (await guardian(session, "H037", "James Brown")).account_id = account.id
    coordinator = Staff(
        school_id=school, name="Ilse Coördinator", role=ROLE_COORDINATOR, language="nl", created_at=clock.now()
    )
    session.add(coordinator)
    await session.commit()
    staff_before = (await snapshot(session))["staff"]

    summary = await run_import(session, school, clock, updated_example())

    assert summary == ImportSummary(
        teachers_created=1, classes_updated=1,
        pupils_updated=2,  # P009 moved class, P032 lost a household
        pupils_deactivated=1, households_deactivated=2,
        guardians_created=1, guardians_updated=1, guardians_deactivated=2,
    )
    assert summary.lines() == [
        "Teachers: 1 new",
        "Classes: 1 teacher changed",
        "Pupils: 2 updated, 1 no longer on the roster (deactivated)",
        "Households: 2 no longer on the roster (deactivated)",
        "Guardians: 1 new, 1 updated, 2 no longer on the roster (deactivated)",
    ]
    moved = await pupil(session, "P009")
    assert await session.scalar(select(SchoolClass.name).where(SchoolClass.id == moved.class_id)) == "Groep 5"
    assert (await guardian(session, "H011", "Emily Smith")).language == "nl"
    assert (await guardian(session, "H016", "Ali Demir")).active
    assert await households_of(session, "P032") == {"H008"}
    left = await pupil(session, "P040")
    assert left is not None and not left.active
    assert await households_of(session, "P040") == {"H037"}  # history kept
    gone = await guardian(session, "H037", "James Brown")
    assert not gone.active and gone.account_id == account.id
    assert await count(session, Pupil, Pupil.active.is_(True)) == 39
    # Old teacher kept, coordinator untouched.
    assert (await snapshot(session))["staff"][: len(staff_before)] == staff_before

    # The pupil comes back: the same rows are reactivated, links and accounts intact.
    back = await run_import(session, school, clock, EXAMPLE.read_bytes())
    assert (back.pupils_updated, back.households_reactivated, back.guardians_updated) == (3, 2, 3)
    assert back.guardians_deactivated == 1  # Ali Demir is not in the original file
    returned = await guardian(session, "H037", "James Brown")
    assert returned.active and returned.id == gone.id and returned.account_id == account.id
    assert (await pupil(session, "P040")).active


async def test_teacher_named_like_the_coordinator_is_refused(session, school, clock):
    session.add(Staff(school_id=school, name="Jeroen Bakker", role=ROLE_COORDINATOR, created_at=clock.now()))
    await session.commit()
    with pytest.raises(RosterError) as caught:
        await run_import(session, school, clock, EXAMPLE.read_bytes())
    assert problem_lines(caught.value) == [21]
    assert "coordinator" in str(caught.value)
    assert await count(session, Staff) == 1 and await count(session, Pupil) == 0


# --- dry run ---------------------------------------------------------------------------


async def test_dry_run_reports_but_writes_nothing(session, school, clock):
    would = await run_import(session, school, clock, EXAMPLE.read_bytes(), dry_run=True)
    assert would.pupils_created == 40 and would.changed()
    assert await roster_is_empty(session)

    did = await run_import(session, school, clock, EXAMPLE.read_bytes())
    assert did == would

    before = await snapshot(session)
    would = await run_import(session, school, clock, updated_example(), dry_run=True)
    assert (would.pupils_deactivated, would.guardians_created, would.teachers_created) == (1, 1, 1)
    assert await snapshot(session) == before
