"""The classes a visit period covers. A school that visits every other year opens a period
for some classes only (rows in `period_classes`); a period without rows covers every
class. Invitations, nudges, the call-list and coverage ask here, in Python
(`covered_class_ids`) or inside their own query (`covers`, `invitation_covered`)."""
from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import and_, exists, insert, not_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement

from bot.services.errors import RuleError
from db.models import Pupil, SchoolClass, VisitPeriod, period_classes, pupil_households

SHOWN_KNOWN = 12  # class names named in the error about an unknown one


@dataclass(frozen=True)
class ClassChoice:
    id: int
    name: str


class UnknownClasses(RuleError):
    """Names that are no class of the school; `known` are the school's classes."""

    def __init__(self, unknown: list[str], known: list[str]) -> None:
        listed = ", ".join(known[:SHOWN_KNOWN]) + (f" and {len(known) - SHOWN_KNOWN} more"
                                                  if len(known) > SHOWN_KNOWN else "")
        names = ", ".join(repr(n) for n in unknown)
        super().__init__("unknown_class", f"no class named {names} (the classes: {listed or 'none yet'})")
        self.unknown, self.known = unknown, known


def natural(text: str) -> tuple:
    """'Groep 2' before 'Groep 10'."""
    return tuple(int(p) if p.isdigit() else p.casefold() for p in re.split(r"(\d+)", text))


def _same(name: str) -> str:
    return " ".join(name.split()).casefold()


async def school_classes(session: AsyncSession, school_id: int) -> list[ClassChoice]:
    """The school's classes, in natural order (Groep 2 before Groep 10)."""
    rows = (await session.execute(select(SchoolClass.id, SchoolClass.name)
                                  .where(SchoolClass.school_id == school_id))).all()
    return sorted((ClassChoice(i, n) for i, n in rows), key=lambda c: natural(c.name))


async def classes_named(session: AsyncSession, school_id: int, names: list[str]) -> list[int]:
    """The ids of these classes (spaces and case as people type them); UnknownClasses
    naming every name that is no class of the school."""
    classes = await school_classes(session, school_id)
    by_name = {_same(c.name): c.id for c in classes}
    wanted = [n for n in (" ".join(n.split()) for n in names) if n]
    unknown = [n for n in wanted if _same(n) not in by_name]
    if unknown or not wanted:
        raise UnknownClasses(unknown or [""], [c.name for c in classes])
    return list(dict.fromkeys(by_name[_same(n)] for n in wanted))


async def only_school_classes(session: AsyncSession, school_id: int, class_ids) -> list[int]:
    """Those of these ids that are classes of the school (a forged id is dropped)."""
    ids = {int(i) for i in class_ids or ()}
    if not ids:
        return []
    return list((await session.scalars(select(SchoolClass.id).where(SchoolClass.school_id == school_id,
                                                                    SchoolClass.id.in_(ids)))).all())


async def set_classes(session: AsyncSession, period: VisitPeriod, class_ids) -> None:
    """Let the period cover these classes of its school (none: every class). No commit."""
    wanted = {int(i) for i in class_ids or ()}
    ids = await only_school_classes(session, period.school_id, wanted)
    if len(ids) != len(wanted):
        raise RuleError("classes", "a class of another school, or one that does not exist")
    if ids:
        await session.execute(insert(period_classes), [{"period_id": period.id, "class_id": i} for i in ids])


async def covered_class_ids(session: AsyncSession, period: VisitPeriod | None) -> set[int] | None:
    """The ids of the classes the period covers; None when it covers every class."""
    if period is None:
        return None
    ids = set((await session.scalars(select(period_classes.c.class_id)
                                     .where(period_classes.c.period_id == period.id))).all())
    return ids or None


async def covered_classes(session: AsyncSession, period: VisitPeriod | None) -> list[ClassChoice] | None:
    """The classes the period covers, by name in natural order; None for every class."""
    ids = await covered_class_ids(session, period)
    if ids is None:
        return None
    return [c for c in await school_classes(session, period.school_id) if c.id in ids]


def covers(period_id, class_column) -> ColumnElement[bool]:
    """A WHERE clause: period `period_id` (a value or a column) covers the class in
    `class_column`: it has no rows (every class), or a row for that class."""
    return or_(
        not_(exists().where(period_classes.c.period_id == period_id)),
        exists().where(period_classes.c.period_id == period_id, period_classes.c.class_id == class_column),
    )


def invitation_covered(invitation) -> ColumnElement[bool]:
    """A WHERE clause on the Invitation entity (or an alias of it): the household has an active
    pupil of this teacher in a class that the invitation's period covers."""
    return or_(
        not_(exists().where(period_classes.c.period_id == invitation.period_id)),
        exists(select(Pupil.id)
               .join(pupil_households, pupil_households.c.pupil_id == Pupil.id)
               .join(SchoolClass, SchoolClass.id == Pupil.class_id)
               .join(period_classes, and_(period_classes.c.class_id == Pupil.class_id,
                                          period_classes.c.period_id == invitation.period_id))
               .where(pupil_households.c.household_id == invitation.household_id,
                      SchoolClass.teacher_id == invitation.teacher_id, Pupil.active.is_(True))),
    )
