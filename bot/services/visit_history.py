"""When each household was last visited, in earlier periods: a school that visits every
other year sees who is due.

A visit took place when its appointment was confirmed, its time has come, and the note
(if the teacher wrote one) says the visit happened (done, at school, by phone). A note
saying "not at home" cancels the appointment, so it is never counted. A confirmed visit
without a note counts too: notes are deleted after the retention time (two years by
default), and the visit itself did take place."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.period_scope import natural
from db.models import (
    Appointment,
    AppointmentStatus,
    Household,
    Invitation,
    Note,
    Pupil,
    VisitPeriod,
    pupil_households,
)

VISITED = ("done", "at_school", "by_phone")


@dataclass(frozen=True)
class HouseholdHistory:
    household_id: int
    children: tuple[str, ...]  # the household's pupils in the class asked about
    last_visit: datetime | None  # the start of its last visit in an earlier period; None: never


@dataclass(frozen=True)
class ClassDue:
    households: int
    due: int  # not visited in the previous period


async def earlier_periods(session: AsyncSession, school_id: int, period: VisitPeriod | None) -> list[int]:
    """The ids of the school's periods before this one (every period when it is None), latest first."""
    query = select(VisitPeriod.id).where(VisitPeriod.school_id == school_id)
    if period is not None:
        query = query.where(VisitPeriod.id != period.id, VisitPeriod.first_day <= period.first_day)
    return list((await session.scalars(query.order_by(VisitPeriod.last_day.desc(), VisitPeriod.id.desc()))).all())


async def last_visits(session: AsyncSession, school_id: int, household_ids, period_ids: list[int],
                      now: datetime) -> dict[int, datetime]:
    """Per household, the start of its last visit in these periods (households never visited
    in them are left out)."""
    household_ids = set(household_ids)
    if not household_ids or not period_ids:
        return {}
    rows = await session.execute(
        select(Invitation.household_id, func.max(Appointment.starts_at))
        .join(Appointment, Appointment.invitation_id == Invitation.id)
        .outerjoin(Note, Note.appointment_id == Appointment.id)
        .where(Invitation.school_id == school_id, Invitation.period_id.in_(period_ids),
               Invitation.household_id.in_(household_ids), Appointment.status == AppointmentStatus.CONFIRMED,
               Appointment.starts_at <= now, or_(Note.id.is_(None), Note.outcome.in_(VISITED)))
        .group_by(Invitation.household_id)
    )
    return {household_id: at for household_id, at in rows.all()}


async def class_households(session: AsyncSession, school_id: int, class_id: int, period: VisitPeriod | None,
                           now: datetime) -> list[HouseholdHistory]:
    """The households of a class's active pupils, each with its last visit before `period`
    (in any earlier period), in the order of the children's names."""
    children: dict[int, list[str]] = defaultdict(list)
    for household_id, name in (await session.execute(
        select(pupil_households.c.household_id, Pupil.name)
        .join(Pupil, Pupil.id == pupil_households.c.pupil_id)
        .join(Household, Household.id == pupil_households.c.household_id)
        .where(Pupil.school_id == school_id, Pupil.class_id == class_id, Pupil.active.is_(True),
               Household.active.is_(True))
    )).all():
        children[household_id].append(name)
    visits = await last_visits(session, school_id, children, await earlier_periods(session, school_id, period), now)
    found = [HouseholdHistory(h, tuple(sorted(names, key=natural)), visits.get(h)) for h, names in children.items()]
    return sorted(found, key=lambda h: (tuple(natural(n) for n in h.children), h.household_id))


async def due_per_class(session: AsyncSession, school_id: int, class_ids, period: VisitPeriod | None,
                        now: datetime) -> dict[int, ClassDue]:
    """Per class: its households, and how many of them were not visited in the period before
    `period` (all of them, when there was none)."""
    class_ids = set(class_ids)
    if not class_ids:
        return {}
    households: dict[int, set[int]] = defaultdict(set)
    for class_id, household_id in (await session.execute(
        select(Pupil.class_id, pupil_households.c.household_id)
        .join(pupil_households, pupil_households.c.pupil_id == Pupil.id)
        .join(Household, Household.id == pupil_households.c.household_id)
        .where(Pupil.school_id == school_id, Pupil.class_id.in_(class_ids), Pupil.active.is_(True),
               Household.active.is_(True))
    )).all():
        households[class_id].add(household_id)
    previous = (await earlier_periods(session, school_id, period))[:1]
    everyone = set().union(*households.values()) if households else set()
    visited = await last_visits(session, school_id, everyone, previous, now)
    return {c: ClassDue(len(households[c]), len(households[c] - set(visited))) for c in class_ids}
