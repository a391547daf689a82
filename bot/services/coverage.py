"""Coverage: was every pupil's family reached, and how? Per class, for the school, per teacher.

A household is reached when it answered, whatever the channel: in the bot, on the web page,
or by phone, at the door or by letter as its teacher recorded. It is unreachable only when
nobody has reached it yet and no guardian of it can be reached on Telegram."""
from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import companions
from bot.services.period_scope import covered_class_ids
from bot.services.periods import current_period
from bot.services.spreadsheet import safe
from bot.services.visit_history import due_per_class
from db.models import (
    Account,
    Appointment,
    AppointmentStatus,
    Channel,
    Guardian,
    Invitation,
    InvitationStatus,
    Note,
    Pupil,
    SchoolClass,
    Staff,
    VisitPeriod,
    pupil_households,
)

VISITED = ("done", "at_school", "by_phone")


@dataclass
class Row:
    name: str
    pupils: int = 0
    households: int = 0
    linked: int = 0
    invited: int = 0
    booked: int = 0  # a confirmed visit still to come
    visited: int = 0
    declined: int = 0
    unreachable: int = 0  # not reached by any channel, and no guardian reachable on Telegram
    decline_reasons: Counter = field(default_factory=Counter)
    reached: Counter = field(default_factory=Counter)  # households by the channel they answered on
    visited_by: Counter = field(default_factory=Counter)  # visited households by how the visit was agreed
    pupils_visited: int = 0
    class_id: int | None = None  # None for the school's row

    @property
    def share_visited(self) -> float:
        return self.pupils_visited / self.pupils if self.pupils else 0.0


@dataclass
class TeacherRow:
    name: str
    done: int = 0
    planned: int = 0
    hours: float = 0.0


@dataclass(frozen=True)
class OtherClass:
    """A class the period does not cover (a school that visits every other year)."""

    name: str
    class_id: int
    households: int
    due: int  # households not visited in the previous period


@dataclass
class Coverage:
    period: VisitPeriod | None
    classes: list[Row]  # the classes the period covers
    school: Row  # their pupils and households
    teachers: list[TeacherRow]
    all_classes: int = 0  # the school's classes, covered or not
    others: list[OtherClass] = field(default_factory=list)  # the classes it does not cover

    @property
    def some_classes(self) -> bool:
        """The period covers some of the school's classes only."""
        return bool(self.others)


async def coverage(session: AsyncSession, school_id: int, period: VisitPeriod | None, now: datetime,
                   hours_per_visit: float = 2.0) -> Coverage:
    classes = (await session.scalars(select(SchoolClass).where(SchoolClass.school_id == school_id)
                                     .order_by(SchoolClass.name))).all()
    pupils = (await session.execute(
        select(Pupil.id, Pupil.class_id, pupil_households.c.household_id)
        .join(pupil_households, pupil_households.c.pupil_id == Pupil.id)
        .where(Pupil.school_id == school_id, Pupil.active.is_(True))
    )).all()
    households_of: dict[int, set[int]] = defaultdict(set)
    class_of: dict[int, int] = {}
    for pupil_id, class_id, household_id in pupils:
        households_of[pupil_id].add(household_id)
        class_of[pupil_id] = class_id
    guardians = (await session.execute(
        select(Guardian.household_id, Guardian.account_id, Account.blocked_at)
        .outerjoin(Account, Account.id == Guardian.account_id)
        .where(Guardian.school_id == school_id, Guardian.active.is_(True))
    )).all()
    linked = {h for h, a, _ in guardians if a is not None}
    reachable = {h for h, a, blocked in guardians if a is not None and blocked is None}

    invitations: dict = {}  # (household, teacher): the invitation's id, status, reason, channel (plain rows)
    visited_inv: dict[int, str] = {}  # invitation: the channel its visit was agreed on
    planned_inv: set[int] = set()
    if period is not None:
        for inv in (await session.execute(
            select(Invitation.id, Invitation.household_id, Invitation.teacher_id, Invitation.status,
                   Invitation.decline_reason, Invitation.reached_by).where(Invitation.period_id == period.id)
        )).all():
            invitations[(inv.household_id, inv.teacher_id)] = inv
        rows = (await session.execute(
            select(Appointment.invitation_id, Appointment.status, Appointment.channel, Note.outcome)
            .join(Invitation, Invitation.id == Appointment.invitation_id)
            .outerjoin(Note, Note.appointment_id == Appointment.id)
            .where(Invitation.period_id == period.id)
        )).all()
        for invitation_id, status, channel, outcome in rows:
            if outcome in VISITED:
                visited_inv[invitation_id] = channel
            elif status == AppointmentStatus.CONFIRMED and outcome is None:
                planned_inv.add(invitation_id)
        planned_inv -= set(visited_inv)

    def count(row: Row, pupil_ids: list[int], teacher_for) -> None:
        seen: dict[int, list] = defaultdict(list)
        for pupil_id in pupil_ids:
            row.pupils += 1
            any_visited = False
            for household_id in households_of[pupil_id]:
                inv = invitations.get((household_id, teacher_for(pupil_id)))
                seen.setdefault(household_id, [])
                if inv is not None:
                    any_visited |= inv.id in visited_inv
                    if inv not in seen[household_id]:
                        seen[household_id].append(inv)
            row.pupils_visited += any_visited
        for household_id, invs in seen.items():
            row.households += 1
            row.linked += household_id in linked
            reached_by = next((i.reached_by for i in invs if i.reached_by), None)
            if reached_by:
                row.reached[reached_by] += 1
            row.unreachable += household_id not in reachable and reached_by is None
            if not invs:
                continue
            row.invited += 1
            visited = [visited_inv[i.id] for i in invs if i.id in visited_inv]
            if visited:
                row.visited += 1
                row.visited_by[visited[0]] += 1
            elif any(i.id in planned_inv for i in invs):
                row.booked += 1
            elif all(i.status == InvitationStatus.DECLINED for i in invs):
                row.declined += 1
                for i in invs:
                    row.decline_reasons[i.decline_reason or "none"] += 1

    teacher_of_class = {c.id: c.teacher_id for c in classes}
    scope = await covered_class_ids(session, period)
    covered = [c for c in classes if scope is None or c.id in scope]
    result_classes = []
    for cls in covered:
        row = Row(cls.name, class_id=cls.id)
        count(row, [p for p, c in class_of.items() if c == cls.id], lambda p: teacher_of_class[class_of[p]])
        result_classes.append(row)
    school = Row("*")
    count(school, [p for p, c in class_of.items() if scope is None or c in scope],
          lambda p: teacher_of_class[class_of[p]])
    not_covered = [c for c in classes if scope is not None and c.id not in scope]
    due = await due_per_class(session, school_id, [c.id for c in not_covered], period, now)
    others = [OtherClass(c.name, c.id, due[c.id].households, due[c.id].due) for c in not_covered]

    teachers = []
    # Hours for every staff member who went: the visit's teacher, and a colleague who went along.
    along = await companions.visits_along(session, period.id) if period is not None else Counter()
    staff = (await session.scalars(select(Staff).where(Staff.school_id == school_id,
                                                       or_(Staff.role == "teacher", Staff.id.in_(list(along))))
                                   .order_by(Staff.name))).all()
    # A period for some classes only: the teachers of those classes (and whoever visited), not all 48.
    in_period = {teacher_of_class[c] for c in scope} if scope is not None else None
    for teacher in staff:
        mine = [i for (h, t), i in invitations.items() if t == teacher.id]
        if in_period is not None and teacher.id not in in_period and not mine and not along[teacher.id]:
            continue
        done = sum(1 for i in mine if i.id in visited_inv)
        planned = sum(1 for i in mine if i.id in planned_inv)
        teachers.append(TeacherRow(teacher.name, done, planned, (done + along[teacher.id]) * hours_per_visit))
    return Coverage(period, result_classes, school, teachers, len(classes), others)


async def of_current_period(session: AsyncSession, school_id: int, now: datetime,
                            hours_per_visit: float = 2.0) -> Coverage:
    """The coverage of the open period (`/coverage`, `homevisit report`, the dashboard)."""
    return await coverage(session, school_id, await current_period(session, school_id), now, hours_per_visit)


def as_csv(report: Coverage) -> str:
    """The report as a spreadsheet (`homevisit report --format csv`, the dashboard's
    download): a row per class and one for the school, then a row per teacher."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["class", "pupils", "households", "linked", "invited", "booked", "visited", "declined",
                     "unreachable", "share_pupils_visited", "decline_reasons",
                     *(f"reached_{c}" for c in Channel), *(f"visited_{c}" for c in Channel)])
    for row in [*report.classes, report.school]:
        writer.writerow([safe(cell) for cell in (
            row.name if row.name != "*" else "school", row.pupils, row.households, row.linked, row.invited,
            row.booked, row.visited, row.declined, row.unreachable, f"{row.share_visited:.3f}",
            "; ".join(f"{k}={v}" for k, v in sorted(row.decline_reasons.items())),
            *(row.reached[c] for c in Channel), *(row.visited_by[c] for c in Channel))])
    writer.writerow([])
    writer.writerow(["teacher", "visits_done", "visits_planned", "hours"])
    for teacher in report.teachers:
        writer.writerow([safe(cell) for cell in (teacher.name, teacher.done, teacher.planned, f"{teacher.hours:g}")])
    return out.getvalue()
