"""The team's debrief: what the visits of a period came to, as counts a team can discuss
without recognising a family. Per class and for the school: how the visits went (the notes'
outcomes), the follow-ups agreed (their themes), the reasons families gave for "not this
year", and how families were reached. No names, no note text; only numbers.

What is counted, for the school's open period (else the one that ended last):

- **outcome**: visit notes by outcome (a family not at home and visited later has two notes);
- **theme**: follow-ups agreed at visits, by kind (`FollowUp.kind`, the choice the teacher
  taps in the note: books, library membership, a homework place, a talk with the care
  coordinator, something else). The follow-up's own line of text is never read;
- **decline_reason**: invitations answered "not this year", by the reason given (`none` when
  the family gave none);
- **reached**: invitations answered, by the channel the answer came on (bot, web, phone,
  letter, door).

An invitation (one household, one teacher) belongs to the classes of that teacher in which
the household has a child; the school's row counts every invitation of the period once.

**Small numbers.** A count of 1 or 2 is never given: it reads "fewer than 3". 0 is given
as 0 (no family can be recognised in a count of none). And no small number can be worked
out from the school's total: for each item (say "library membership") the school's total
is about the sum of the classes', so one class's "fewer than 3" beside exact numbers for
all other classes would give it away. So, per item, whenever the classes' hidden counts
could be worked out from the school's total (each of them 1 or 2, their sum known), the
smallest count of 3 or more among the classes is hidden too ("hidden"), and the next, until
every "fewer than 3" could be 1 as well as 2; where no count is left to hide, the school's
total of that item is hidden. There are no row totals, so nothing is derived across items.
"""
from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.invitations import DECLINE_REASONS
from bot.services.periods import latest_period
from bot.services.spreadsheet import safe
from db.models import (
    FOLLOW_UP_KINDS,
    Appointment,
    Channel,
    FollowUp,
    Invitation,
    InvitationStatus,
    Note,
    Pupil,
    SchoolClass,
    VisitPeriod,
    pupil_households,
)

SMALLEST_SHOWN = 3  # a count below this (and above 0) is never shown
FEWER_THAN_3 = "fewer_than_3"  # a count of 1 or 2
HIDDEN = "hidden"  # a count of 3 or more, hidden so that a count of 1 or 2 cannot be worked out

OUTCOME, THEME, DECLINE_REASON, REACHED = "outcome", "theme", "decline_reason", "reached"
NO_REASON = "none"
CATEGORIES: dict[str, tuple[str, ...]] = {
    OUTCOME: ("done", "at_school", "by_phone", "not_home"),
    THEME: FOLLOW_UP_KINDS,
    DECLINE_REASON: (*DECLINE_REASONS, NO_REASON),
    REACHED: (Channel.BOT.value, Channel.WEB.value, Channel.PHONE.value, Channel.LETTER.value, Channel.DOOR.value),
}
ITEMS: tuple[tuple[str, str], ...] = tuple((c, k) for c, keys in CATEGORIES.items() for k in keys)


@dataclass(frozen=True)
class Cell:
    """One count as it may be shown: `count` is None when it is suppressed (then `suppressed`
    says why); the true number of a suppressed cell never leaves this module."""

    count: int | None
    suppressed: str | None = None


@dataclass
class Scope:
    name: str  # the class's name; "*" for the school
    class_id: int | None = None
    cells: dict[tuple[str, str], Cell] = field(default_factory=dict)

    def cell(self, category: str, key: str) -> Cell:
        return self.cells[category, key]


@dataclass
class Debrief:
    period: VisitPeriod | None
    school: Scope
    classes: list[Scope]


# -- counting ------------------------------------------------------------------------------

async def debrief(session: AsyncSession, school_id: int, period: VisitPeriod | None) -> Debrief:
    """The debrief of `period` (None: nothing counted), every query scoped by `school_id`."""
    classes = (await session.execute(
        select(SchoolClass.id, SchoolClass.name, SchoolClass.teacher_id)
        .where(SchoolClass.school_id == school_id).order_by(SchoolClass.name, SchoolClass.id))).all()
    school_counts: Counter = Counter()
    class_counts: dict[int, Counter] = {c.id: Counter() for c in classes}
    if period is not None and period.school_id == school_id:
        classes_of = await _classes_of_invitations(session, school_id, period.id, classes)

        def add(invitation_id: int, category: str, key: str) -> None:
            school_counts[category, key] += 1
            for class_id in classes_of.get(invitation_id, ()):
                class_counts[class_id][category, key] += 1

        for inv in (await session.execute(
            select(Invitation.id, Invitation.status, Invitation.decline_reason, Invitation.reached_by)
            .where(Invitation.school_id == school_id, Invitation.period_id == period.id))).all():
            if inv.status == InvitationStatus.DECLINED:
                add(inv.id, DECLINE_REASON, inv.decline_reason if inv.decline_reason in DECLINE_REASONS else NO_REASON)
            if inv.reached_by in CATEGORIES[REACHED]:
                add(inv.id, REACHED, inv.reached_by)
        for invitation_id, outcome in (await session.execute(
            select(Appointment.invitation_id, Note.outcome)
            .join(Appointment, Appointment.id == Note.appointment_id)
            .join(Invitation, Invitation.id == Appointment.invitation_id)
            .where(Note.school_id == school_id, Invitation.school_id == school_id,
                   Invitation.period_id == period.id))).all():
            if outcome in CATEGORIES[OUTCOME]:
                add(invitation_id, OUTCOME, outcome)
        for invitation_id, kind in (await session.execute(
            select(Appointment.invitation_id, FollowUp.kind)
            .join(Note, Note.id == FollowUp.note_id)
            .join(Appointment, Appointment.id == Note.appointment_id)
            .join(Invitation, Invitation.id == Appointment.invitation_id)
            .where(FollowUp.school_id == school_id, Invitation.school_id == school_id,
                   Invitation.period_id == period.id))).all():
            if kind in CATEGORIES[THEME]:
                add(invitation_id, THEME, kind)
    shown_school, shown_classes = protect(school_counts, [class_counts[c.id] for c in classes])
    return Debrief(period, Scope("*", None, shown_school),
                   [Scope(c.name, c.id, cells) for c, cells in zip(classes, shown_classes)])


async def _classes_of_invitations(session: AsyncSession, school_id: int, period_id: int,
                                  classes) -> dict[int, set[int]]:
    """Invitation -> the classes it belongs to: those of its teacher where the household has a
    child (a child who has left since still counts: the debrief looks back)."""
    teacher_of = {c.id: c.teacher_id for c in classes}
    household_classes: dict[int, set[int]] = defaultdict(set)
    for class_id, household_id in (await session.execute(
        select(Pupil.class_id, pupil_households.c.household_id)
        .join(pupil_households, pupil_households.c.pupil_id == Pupil.id)
        .where(Pupil.school_id == school_id))).all():
        household_classes[household_id].add(class_id)
    found: dict[int, set[int]] = {}
    for invitation_id, household_id, teacher_id in (await session.execute(
        select(Invitation.id, Invitation.household_id, Invitation.teacher_id)
        .where(Invitation.school_id == school_id, Invitation.period_id == period_id))).all():
        found[invitation_id] = {c for c in household_classes.get(household_id, ())
                                if teacher_of.get(c) == teacher_id}
    return found


async def of_latest_period(session: AsyncSession, school_id: int) -> Debrief:
    """The debrief of the open period, else of the one that ended last (`/debrief`, the CLI)."""
    return await debrief(session, school_id, await latest_period(session, school_id))


# -- small numbers -------------------------------------------------------------------------

def _small(n: int) -> bool:
    return 0 < n < SMALLEST_SHOWN


def _safe(values: list[int], primary: set[int], secondary: set[int]) -> bool:
    """Whether every primary cell could be 1 as well as 2, for someone who knows the shown
    cells and the sum of the suppressed ones (school total minus the shown classes), and that
    a primary cell is 1 or 2 and a secondary one 3 or more."""
    if not primary:
        return True
    total = sum(values[i] for i in primary | secondary)
    others = len(primary) - 1
    low = others + SMALLEST_SHOWN * len(secondary)
    high = float("inf") if secondary else 2 * others
    return all(low <= total - v <= high for v in (1, 2))


def protect(school: Counter, classes: list[Counter]) -> tuple[dict, list[dict]]:
    """The cells of the school and of each class, small counts suppressed (see the module)."""
    school_cells: dict[tuple[str, str], Cell] = {}
    class_cells: list[dict[tuple[str, str], Cell]] = [{} for _ in classes]
    for item in ITEMS:
        values = [c[item] for c in classes]
        primary = {i for i, v in enumerate(values) if _small(v)}
        secondary: set[int] = set()
        school_hidden = False
        if not _small(school[item]):
            candidates = sorted((v, i) for i, v in enumerate(values) if v >= SMALLEST_SHOWN)
            while not _safe(values, primary, secondary):
                if not candidates:  # the school's total would tell: hide it instead
                    school_hidden, secondary = True, set()
                    break
                secondary.add(candidates.pop(0)[1])
        total = school[item]
        school_cells[item] = (Cell(None, FEWER_THAN_3) if _small(total) else Cell(None, HIDDEN) if school_hidden
                              else Cell(total))
        for i, v in enumerate(values):
            class_cells[i][item] = (Cell(None, FEWER_THAN_3) if i in primary else Cell(None, HIDDEN)
                                    if i in secondary else Cell(v))
    return school_cells, class_cells


# -- the spreadsheet -----------------------------------------------------------------------

CSV_HEADER = ("period", "scope", "category", "key", "count", "suppressed")


def as_csv(report: Debrief) -> str:
    """One row per (scope, category, key): `scope` is `school` or the class's name; `count` is
    the number, or empty when suppressed, and then `suppressed` says why: `fewer_than_3` (1 or
    2) or `hidden` (3 or more, hidden so that a smaller count cannot be worked out)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    if report.period is None:
        return out.getvalue()
    for scope in (report.school, *report.classes):
        for category, key in ITEMS:
            cell = scope.cell(category, key)
            writer.writerow([safe(v) for v in (
                report.period.name, "school" if scope.class_id is None else scope.name, category, key,
                "" if cell.count is None else cell.count, cell.suppressed or "")])
    return out.getvalue()
