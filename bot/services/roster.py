"""Roster import: the school's classes, pupils and families from a CSV export.

Two steps, kept apart:

1. `parse_roster` reads the file (UTF-8, with or without BOM; comma or semicolon
   separated) and checks it. It returns validated `RosterRow`s or raises
   `RosterError` listing every problem with its physical line number (header = 1).
   No database is involved.
2. `import_roster` makes the database match the rows: creates or updates teachers,
   classes, pupils, households and guardians, and sets `active=False` on pupils,
   households and guardians that are no longer in the file (history is kept).
   Coordinators and account links are never touched. A dry run does the same work
   and rolls it back, so its summary says exactly what a real import would change.

One row per pupil-guardian pair, with the columns in `COLUMNS` (order free, names
case-insensitive, extra columns ignored) and, if the school has them, the `OPTIONAL` ones:
`postcode`, the household's Dutch ("1234 AB") or Belgian ("1234") postcode (see
`bot/services/areas.py`). As with every column, the file is what counts: an empty cell, or
no postcode column, means the household has no postcode.
"""
from __future__ import annotations

import codecs
import csv
import io
import unicodedata
from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.languages import SUPPORTED_LANGUAGES, normalise_language
from bot.services.areas import normalise_postcode
from db.models import (
    ROLE_TEACHER,
    Guardian,
    Household,
    Pupil,
    School,
    SchoolClass,
    Staff,
    pupil_households,
)

COLUMNS = (
    "pupil_id",
    "pupil_name",
    "class",
    "teacher",
    "household_id",
    "guardian_name",
    "guardian_phone",
    "guardian_language",
)
OPTIONAL = ("postcode",)  # columns a roster may leave out
NON_EMPTY = ("pupil_id", "pupil_name", "class", "household_id", "guardian_name")
# The longest value each column may hold, taken from the schema (PostgreSQL enforces it).
MAX_LENGTHS = {
    "pupil_id": Pupil.__table__.c.external_id.type.length,
    "pupil_name": Pupil.__table__.c.name.type.length,
    "class": SchoolClass.__table__.c.name.type.length,
    "teacher": Staff.__table__.c.name.type.length,
    "household_id": Household.__table__.c.external_id.type.length,
    "guardian_name": Guardian.__table__.c.name.type.length,
    "guardian_phone": Guardian.__table__.c.phone.type.length,
}
MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
MAX_PROBLEMS = 50
PHONE_SEPARATORS = "-()./"
FILE_LINE = 0  # RosterProblem.line for a problem with the file as a whole


# --- results and errors ------------------------------------------------------------


@dataclass(frozen=True)
class RosterProblem:
    line: int  # physical line in the file (header = 1); 0 = the file as a whole
    message: str  # in English, for the coordinator's terminal

    def __str__(self) -> str:
        where = "file" if self.line <= FILE_LINE else f"line {self.line}"
        return f"{where}: {self.message}"


class RosterError(Exception):
    """The roster cannot be imported; nothing was written."""

    def __init__(self, problems: list[RosterProblem], omitted: int = 0) -> None:
        self.problems = list(problems)
        self.omitted = omitted  # further problems not listed (over MAX_PROBLEMS)
        super().__init__(str(self))

    def __str__(self) -> str:
        lines = [str(problem) for problem in self.problems]
        if self.omitted:
            lines.append(f"... and {self.omitted} more problem(s) not listed")
        return "\n".join(lines)


def _fail(line: int, message: str) -> RosterError:
    return RosterError([RosterProblem(line, message)])


@dataclass(frozen=True)
class RosterRow:
    """One valid pupil-guardian row, cells trimmed, phone and language normalised."""

    line: int
    pupil_id: str
    pupil_name: str
    class_name: str
    teacher: str | None
    household_id: str
    guardian_name: str
    guardian_phone: str | None
    guardian_language: str
    postcode: str | None = None  # normalised; None when empty or the file has no postcode column

    def content(self) -> tuple:
        """Everything but the line number: two rows with equal content are duplicates."""
        return (
            self.pupil_id, self.pupil_name, self.class_name, self.teacher, self.household_id,
            self.guardian_name, self.guardian_phone, self.guardian_language, self.postcode,
        )


@dataclass
class ImportSummary:
    classes_created: int = 0
    classes_updated: int = 0
    teachers_created: int = 0
    pupils_created: int = 0
    pupils_updated: int = 0
    pupils_deactivated: int = 0
    households_created: int = 0
    households_deactivated: int = 0
    guardians_created: int = 0
    guardians_updated: int = 0
    guardians_deactivated: int = 0
    households_reactivated: int = 0  # back in the file after having been deactivated
    postcodes_changed: int = 0  # households whose postcode was set, changed or emptied

    def changed(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self))

    def lines(self) -> list[str]:
        """What changed, in English, one line per kind of record."""
        if not self.changed():
            return ["No changes: the database already matches the roster."]
        parts = [
            ("Teachers", [(self.teachers_created, "new")]),
            ("Classes", [(self.classes_created, "new"), (self.classes_updated, "teacher changed")]),
            ("Pupils", [
                (self.pupils_created, "new"),
                (self.pupils_updated, "updated"),
                (self.pupils_deactivated, "no longer on the roster (deactivated)"),
            ]),
            ("Households", [
                (self.households_created, "new"),
                (self.households_reactivated, "back on the roster (reactivated)"),
                (self.households_deactivated, "no longer on the roster (deactivated)"),
                (self.postcodes_changed, "postcode set or changed"),
            ]),
            ("Guardians", [
                (self.guardians_created, "new"),
                (self.guardians_updated, "updated"),
                (self.guardians_deactivated, "no longer on the roster (deactivated)"),
            ]),
        ]
        lines = []
        for label, counts in parts:
            said = [f"{n} {what}" for n, what in counts if n]
            if said:
                lines.append(f"{label}: {', '.join(said)}")
        return lines


# --- step 1: parse and validate ------------------------------------------------------


def parse_roster(data: bytes, default_language: str) -> list[RosterRow]:
    """The valid rows of the file, exact duplicates dropped; RosterError lists all problems.

    `default_language` (the school's) is used where the language cell is empty.
    """
    default = normalise_language(default_language)
    if default is None:
        raise ValueError(f"default language {default_language!r} is not a supported language")
    text = _decode(data)
    delimiter = _detect_delimiter(text)
    records = _records(text, delimiter)
    first = next(records, None)
    if first is None:
        raise _fail(1, "the file is empty; expected a header line: " + ",".join(COLUMNS))
    header_line, header = first
    positions = _header_positions(header_line, header)

    problems: list[RosterProblem] = []
    rows: list[RosterRow] = []
    for count, (line, cells) in enumerate(records, start=1):
        if count > MAX_ROWS:
            raise _fail(line, f"the file has more than {MAX_ROWS} rows; split it or remove old rows")
        row = _read_row(line, cells, positions, len(header), delimiter, default, problems)
        if row is not None:
            rows.append(row)
    if not rows and not problems:
        raise _fail(header_line + 1, "the file has a header but no pupil rows")
    problems.extend(_contradictions(rows))
    if problems:
        problems.sort(key=lambda p: p.line)
        raise RosterError(problems[:MAX_PROBLEMS], omitted=max(0, len(problems) - MAX_PROBLEMS))
    return _without_duplicates(rows)


def _decode(data: bytes) -> str:
    if len(data) > MAX_BYTES:
        raise _fail(FILE_LINE, f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise _fail(1, "the file is UTF-16 ('Unicode text'); save it as 'CSV UTF-8' instead")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise _fail(
            line,
            f"the file is not UTF-8 text (byte 0x{data[exc.start]:02x}); save it as 'CSV UTF-8'",
        ) from None
    return text


def _detect_delimiter(text: str) -> str:
    """Semicolon when the header line has more semicolons than commas, else comma."""
    header = next((line for line in io.StringIO(text, newline="") if line.strip()), "")
    return ";" if header.count(";") > header.count(",") else ","


def _records(text: str, delimiter: str):
    """(first physical line, cells) of every non-blank record, header included."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    line = 1
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                yield line, cells
            line = reader.line_num + 1
    except csv.Error as exc:
        raise _fail(line, f"cannot read this line as CSV: {exc}") from None


def _header_positions(line: int, header: list[str]) -> dict[str, int]:
    names = [cell.strip().lower() for cell in header]
    problems = [
        RosterProblem(line, f"column {name!r} appears more than once in the header")
        for name in COLUMNS
        if names.count(name) > 1
    ]
    missing = [name for name in COLUMNS if name not in names]
    if missing:
        problems.append(RosterProblem(line, "missing column(s): " + ", ".join(missing)))
    if problems:
        raise RosterError(problems)
    positions = {name: names.index(name) for name in COLUMNS}
    for name in OPTIONAL:
        if names.count(name) > 1:
            raise _fail(line, f"column {name!r} appears more than once in the header")
        if name in names:
            positions[name] = names.index(name)
    return positions


def _read_row(
    line: int,
    cells: list[str],
    positions: dict[str, int],
    header_width: int,
    delimiter: str,
    default_language: str,
    problems: list[RosterProblem],
) -> RosterRow | None:
    """The row, or None after adding its problems."""
    needed = max(positions.values()) + 1
    if len(cells) < needed:
        problems.append(RosterProblem(line, f"only {len(cells)} cell(s), the header has {header_width}"))
        return None
    if any(cell.strip() for cell in cells[header_width:]):
        problems.append(RosterProblem(
            line, f"more cells than the header has; put quotes around values that contain {delimiter!r}"
        ))
        return None
    values = {name: cells[index].strip() for name, index in positions.items()}
    hidden = [
        f"{name} (column {positions[name] + 1}) contains an invisible control character "
        f"(U+{ord(character):04X}); delete the cell's content, type it again and save the file"
        for name, value in values.items()
        if (character := _control_character(value)) is not None
    ]
    if hidden:
        # Say where, never what: the row's other checks would quote the cells, which are
        # personal data that may end up in a terminal's scrollback or a log.
        problems.extend(RosterProblem(line, message) for message in hidden)
        return None
    found: list[str] = []
    for name, value in values.items():
        found.extend(_cell_problems(name, value))
    phone, phone_problem = _normalise_phone(values["guardian_phone"])
    language, language_problem = _language(values["guardian_language"], default_language)
    postcode, postcode_problem = _postcode(values.get("postcode", ""))
    found.extend(p for p in (phone_problem, language_problem, postcode_problem) if p)
    if found:
        problems.extend(RosterProblem(line, message) for message in found)
        return None
    return RosterRow(
        line=line,
        pupil_id=values["pupil_id"],
        pupil_name=values["pupil_name"],
        class_name=values["class"],
        teacher=values["teacher"] or None,
        household_id=values["household_id"],
        guardian_name=values["guardian_name"],
        guardian_phone=phone,
        guardian_language=language,
        postcode=postcode,
    )


def _control_character(value: str) -> str | None:
    """The first character no name, id or phone number contains: a control character
    (Unicode Cc: NUL, escape, tab, ...) or a byte order mark inside the text. Line breaks
    are left to `_cell_problems`, which explains them better (a stray quote)."""
    for character in value:
        if character not in "\r\n" and (character == "\ufeff" or unicodedata.category(character) == "Cc"):
            return character
    return None


def _cell_problems(name: str, value: str) -> list[str]:
    if not value:
        return [f"{name} is empty"] if name in NON_EMPTY else []
    if "\n" in value or "\r" in value:
        return [f"{name} spans several lines; check for a stray quote (\")"]
    limit = MAX_LENGTHS.get(name)
    if limit is not None and len(value) > limit:
        return [f"{name} is longer than {limit} characters"]
    return []


def _normalise_phone(raw: str) -> tuple[str | None, str | None]:
    """(phone without whitespace, None) or (None, problem). Empty is allowed."""
    phone = "".join(raw.split())
    if not phone:
        return None, None
    if any(ch.isalpha() for ch in phone):
        return None, f"guardian_phone {raw!r} contains letters"
    body = phone[1:] if phone.startswith("+") else phone
    if not any(ch.isdigit() for ch in body) or any(
        not (ch.isascii() and ch.isdigit()) and ch not in PHONE_SEPARATORS for ch in body
    ):
        return None, f"guardian_phone {raw!r} is not a phone number (digits, optionally starting with +)"
    return phone, None


def _postcode(raw: str) -> tuple[str | None, str | None]:
    """(normalised postcode, None) or (None, problem). Empty is allowed."""
    if not raw:
        return None, None
    postcode = normalise_postcode(raw)
    if postcode is None:
        return None, f"postcode {raw!r} is not a postcode (Dutch like '1234 AB', Belgian like '1234')"
    return postcode, None


def _language(raw: str, default: str) -> tuple[str, str | None]:
    if not raw:
        return default, None
    language = normalise_language(raw)
    if language is None:
        supported = ", ".join(SUPPORTED_LANGUAGES)
        return default, f"unknown guardian_language {raw!r} (use one of: {supported})"
    return language, None


def _contradictions(rows: list[RosterRow]) -> list[RosterProblem]:
    """Rows that disagree with an earlier row about the same pupil, class or guardian."""
    problems: list[RosterProblem] = []
    pupils: dict[str, RosterRow] = {}
    teachers: dict[str, RosterRow] = {}
    guardians: dict[tuple[str, str], RosterRow] = {}
    postcodes: dict[str, RosterRow] = {}

    def disagree(row: RosterRow, first: RosterRow, field: str, template: str) -> None:
        here, there = getattr(row, field), getattr(first, field)
        if here != there:
            message = template.format(here=_shown(here), there=_shown(there), line=first.line)
            problems.append(RosterProblem(row.line, message))

    for row in rows:
        first = pupils.setdefault(row.pupil_id, row)
        pupil = f"pupil {row.pupil_id}"
        disagree(row, first, "pupil_name", pupil + " is named {here} here but {there} on line {line}")
        disagree(
            row, first, "class_name",
            pupil + " is in class {here} here but in {there} on line {line} (a pupil is in one class only)",
        )
        if row.teacher:
            first = teachers.setdefault(row.class_name, row)
            disagree(
                row, first, "teacher",
                f"class {row.class_name!r}" + " has teacher {here} here but {there} on line {line}"
                " (a class has one teacher)",
            )
        if row.postcode:
            first = postcodes.setdefault(row.household_id, row)
            disagree(row, first, "postcode",
                     f"household {row.household_id}" + " has postcode {here} here but {there} on line {line}")
        first = guardians.setdefault((row.household_id, row.guardian_name), row)
        guardian = f"guardian {row.guardian_name!r} of household {row.household_id}"
        disagree(row, first, "guardian_phone", guardian + " has phone {here} here but {there} on line {line}")
        disagree(
            row, first, "guardian_language", guardian + " has language {here} here but {there} on line {line}"
        )
    return problems


def _shown(value: str | None) -> str:
    return repr(value) if value else "(empty)"


def _without_duplicates(rows: list[RosterRow]) -> list[RosterRow]:
    seen: set[tuple] = set()
    unique = []
    for row in rows:
        if row.content() not in seen:
            seen.add(row.content())
            unique.append(row)
    return unique


# --- step 2: make the database match ------------------------------------------------


@dataclass
class _Roster:
    """The file's rows grouped the way the database stores them (insertion-ordered)."""

    classes: dict[str, str | None]  # class name -> teacher name
    teacher_lines: dict[str, int]  # teacher name -> first line naming them
    pupils: dict[str, RosterRow]  # external id -> a row with the pupil's name and class
    pupil_households: dict[str, list[str]]  # pupil external id -> household external ids
    households: dict[str, None]  # external ids, ordered
    postcodes: dict[str, str]  # household external id -> postcode (households with one)
    guardians: dict[tuple[str, str], RosterRow]  # (household external id, name) -> a row

    @classmethod
    def from_rows(cls, rows: list[RosterRow]) -> _Roster:
        roster = cls({}, {}, {}, {}, {}, {}, {})
        for row in rows:
            if row.teacher or row.class_name not in roster.classes:
                roster.classes[row.class_name] = row.teacher
            if row.teacher:
                roster.teacher_lines.setdefault(row.teacher, row.line)
            roster.pupils.setdefault(row.pupil_id, row)
            links = roster.pupil_households.setdefault(row.pupil_id, [])
            if row.household_id not in links:
                links.append(row.household_id)
            roster.households.setdefault(row.household_id, None)
            if row.postcode:
                roster.postcodes.setdefault(row.household_id, row.postcode)
            roster.guardians.setdefault((row.household_id, row.guardian_name), row)
        return roster


@dataclass
class _Database:
    """What the database holds for the school, keyed the way the roster names things."""

    staff: dict[str, Staff]  # by name, every role
    classes: dict[str, SchoolClass]
    pupils: dict[str, Pupil]  # by external id
    households: dict[str, Household]  # by external id
    guardians: dict[tuple[int, str], Guardian]  # by (household row id, name)
    links: dict[int, set[int]]  # pupil row id -> household row ids

    @classmethod
    async def load(cls, session: AsyncSession, school_id: int) -> _Database:
        async def all_of(model):
            query = select(model).where(model.school_id == school_id).execution_options(populate_existing=True)
            return (await session.scalars(query)).all()

        link_rows = await session.execute(
            select(pupil_households.c.pupil_id, pupil_households.c.household_id)
            .join(Pupil, Pupil.id == pupil_households.c.pupil_id)
            .where(Pupil.school_id == school_id)
        )
        links: dict[int, set[int]] = {}
        for pupil_id, household_id in link_rows:
            links.setdefault(pupil_id, set()).add(household_id)
        return cls(
            staff={s.name: s for s in await all_of(Staff)},
            classes={c.name: c for c in await all_of(SchoolClass)},
            pupils={p.external_id: p for p in await all_of(Pupil)},
            households={h.external_id: h for h in await all_of(Household)},
            guardians={(g.household_id, g.name): g for g in await all_of(Guardian)},
            links=links,
        )


async def import_roster(
    session: AsyncSession,
    school_id: int,
    data: bytes,
    *,
    default_language: str,
    now: datetime,
    dry_run: bool = False,
) -> ImportSummary:
    """Make the school's roster match the file; commit unless `dry_run`.

    Raises RosterError (nothing written) when the file or its fit with the database
    is wrong. On any error, and after a dry run, the session is rolled back, which
    expires the objects it had loaded.
    """
    roster = _Roster.from_rows(parse_roster(data, default_language))
    try:
        if await session.get(School, school_id) is None:
            raise ValueError(f"no school with id {school_id}")
        db = await _Database.load(session, school_id)
        _check_teachers(roster, db)
        summary = ImportSummary()
        await _apply_teachers(session, school_id, roster, db, summary, now)
        await _apply_classes(session, school_id, roster, db, summary)
        await _apply_households(session, school_id, roster, db, summary)
        updated = await _apply_pupils(session, school_id, roster, db, summary)
        await _apply_links(session, roster, db, summary, updated)
        await _apply_guardians(session, school_id, roster, db, summary, now)
        await session.flush()
    except Exception:
        await session.rollback()
        raise
    if dry_run:
        await session.rollback()
    else:
        await session.commit()
    return summary


def _check_teachers(roster: _Roster, db: _Database) -> None:
    """A teacher's name must not be taken by the coordinator (names are unique per school)."""
    problems = [
        RosterProblem(line, f"teacher {name!r} has the name of a {db.staff[name].role}, not a teacher")
        for name, line in roster.teacher_lines.items()
        if name in db.staff and db.staff[name].role != ROLE_TEACHER
    ]
    if problems:
        raise RosterError(problems)


async def _apply_teachers(session, school_id, roster: _Roster, db: _Database, summary, now) -> None:
    for name in roster.teacher_lines:
        if name not in db.staff:
            staff = Staff(
                school_id=school_id, name=name, role=ROLE_TEACHER, language=None, active=True, created_at=now
            )
            session.add(staff)
            db.staff[name] = staff
            summary.teachers_created += 1
    await session.flush()


async def _apply_classes(session, school_id, roster: _Roster, db: _Database, summary) -> None:
    for name, teacher in roster.classes.items():
        teacher_id = db.staff[teacher].id if teacher else None
        school_class = db.classes.get(name)
        if school_class is None:
            school_class = SchoolClass(school_id=school_id, name=name, teacher_id=teacher_id)
            session.add(school_class)
            db.classes[name] = school_class
            summary.classes_created += 1
        elif school_class.teacher_id != teacher_id:
            school_class.teacher_id = teacher_id
            summary.classes_updated += 1
    await session.flush()


async def _apply_households(session, school_id, roster: _Roster, db: _Database, summary) -> None:
    for external_id in roster.households:
        household = db.households.get(external_id)
        if household is None:
            household = Household(school_id=school_id, external_id=external_id, active=True,
                                  postcode=roster.postcodes.get(external_id))
            session.add(household)
            db.households[external_id] = household
            summary.households_created += 1
            continue
        if not household.active:
            household.active = True
            summary.households_reactivated += 1
        if household.postcode != roster.postcodes.get(external_id):
            household.postcode = roster.postcodes.get(external_id)
            summary.postcodes_changed += 1
    for external_id, household in db.households.items():
        if external_id not in roster.households and household.active:
            household.active = False
            summary.households_deactivated += 1
    await session.flush()


async def _apply_pupils(session, school_id, roster: _Roster, db: _Database, summary) -> set[str]:
    """Create, update and deactivate pupils; the external ids of those created or updated."""
    touched: set[str] = set()
    for external_id, row in roster.pupils.items():
        class_id = db.classes[row.class_name].id
        pupil = db.pupils.get(external_id)
        if pupil is None:
            pupil = Pupil(
                school_id=school_id, external_id=external_id, name=row.pupil_name, class_id=class_id, active=True
            )
            session.add(pupil)
            db.pupils[external_id] = pupil
            summary.pupils_created += 1
            touched.add(external_id)
        elif (pupil.name, pupil.class_id, pupil.active) != (row.pupil_name, class_id, True):
            pupil.name, pupil.class_id, pupil.active = row.pupil_name, class_id, True
            summary.pupils_updated += 1
            touched.add(external_id)
    for external_id, pupil in db.pupils.items():
        if external_id not in roster.pupils and pupil.active:
            pupil.active = False
            summary.pupils_deactivated += 1
    await session.flush()
    return touched


async def _apply_links(session, roster: _Roster, db: _Database, summary, touched: set[str]) -> None:
    """Each pupil in the file belongs to exactly the households the file names."""
    to_insert: list[dict[str, int]] = []
    for external_id, household_external_ids in roster.pupil_households.items():
        pupil_id = db.pupils[external_id].id
        wanted = {db.households[h].id for h in household_external_ids}
        current = db.links.get(pupil_id, set())
        if wanted == current:
            continue
        to_insert.extend({"pupil_id": pupil_id, "household_id": h} for h in sorted(wanted - current))
        stale = current - wanted
        if stale:
            await session.execute(
                delete(pupil_households).where(
                    pupil_households.c.pupil_id == pupil_id, pupil_households.c.household_id.in_(stale)
                )
            )
        if external_id not in touched:
            summary.pupils_updated += 1
    if to_insert:
        await session.execute(insert(pupil_households), to_insert)


async def _apply_guardians(session, school_id, roster: _Roster, db: _Database, summary, now) -> None:
    from bot.services.privacy import forgotten_key

    wanted_keys = set()
    forgotten = {g.forgotten_key for g in db.guardians.values() if g.forgotten_key}
    for (household_external_id, name), row in roster.guardians.items():
        household_id = db.households[household_external_id].id
        wanted_keys.add((household_id, name))
        guardian = db.guardians.get((household_id, name))
        if guardian is None and forgotten_key(school_id, household_external_id, name) in forgotten:
            continue  # they asked to be forgotten: the roster does not bring them back
        if guardian is None:
            session.add(Guardian(
                school_id=school_id, household_id=household_id, name=name, phone=row.guardian_phone,
                language=row.guardian_language, active=True, created_at=now,
            ))
            summary.guardians_created += 1
        elif (guardian.phone, guardian.language, guardian.active) != (row.guardian_phone, row.guardian_language, True):
            guardian.phone, guardian.language, guardian.active = row.guardian_phone, row.guardian_language, True
            summary.guardians_updated += 1
    for key, guardian in db.guardians.items():
        if key not in wanted_keys and guardian.active:
            guardian.active = False
            summary.guardians_deactivated += 1
