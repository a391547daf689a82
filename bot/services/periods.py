"""The visit period: opened by the coordinator, one open per school at a time."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.errors import RuleError
from bot.services.period_scope import only_school_classes, set_classes
from db.models import PeriodStatus, VisitPeriod

DEFAULT_VISIT_MINUTES = 60
DEFAULT_BUFFER_MINUTES = 15


@dataclass(frozen=True)
class PeriodDraft:
    name: str
    first_day: date
    last_day: date
    visit_minutes: int = DEFAULT_VISIT_MINUTES
    buffer_minutes: int = DEFAULT_BUFFER_MINUTES
    class_ids: tuple[int, ...] = ()  # the classes it covers (every other year); none: every class


def check_draft(draft: PeriodDraft) -> None:
    if not draft.name.strip():
        raise RuleError("name", "the period needs a name")
    if len(draft.name) > 100:
        raise RuleError("name", "the name is longer than 100 characters")
    if draft.last_day < draft.first_day:
        raise RuleError("days", "the last day is before the first day")
    if (draft.last_day - draft.first_day).days > 120:
        raise RuleError("days", "a visit period is at most 120 days")
    if not 15 <= draft.visit_minutes <= 240:
        raise RuleError("visit", "a visit lasts between 15 and 240 minutes")
    if not 0 <= draft.buffer_minutes <= 120:
        raise RuleError("buffer", "the travel buffer is between 0 and 120 minutes")


async def open_period(session: AsyncSession, school_id: int, draft: PeriodDraft, now: datetime) -> VisitPeriod:
    check_draft(draft)
    if await current_period(session, school_id) is not None:
        raise RuleError("already_open", "a visit period is already open; close it first")
    if len(await only_school_classes(session, school_id, draft.class_ids)) != len(set(draft.class_ids)):
        raise RuleError("classes", "a class of another school, or one that does not exist")
    period = VisitPeriod(
        school_id=school_id, name=" ".join(draft.name.split()), first_day=draft.first_day,
        last_day=draft.last_day, visit_minutes=draft.visit_minutes, buffer_minutes=draft.buffer_minutes,
        status=PeriodStatus.OPEN, opened_at=now,
    )
    session.add(period)
    try:
        if draft.class_ids:
            await session.flush()
            await set_classes(session, period, draft.class_ids)
        await session.commit()
    except IntegrityError:  # another coordinator opened one at the same moment
        await session.rollback()
        raise RuleError("already_open", "a visit period is already open; close it first") from None
    return period


async def current_period(session: AsyncSession, school_id: int) -> VisitPeriod | None:
    return await session.scalar(
        select(VisitPeriod).where(VisitPeriod.school_id == school_id, VisitPeriod.status == PeriodStatus.OPEN)
    )


async def close_period(session: AsyncSession, school_id: int, now: datetime) -> VisitPeriod | None:
    """Close the open period: no new bookings. Planned visits stay planned."""
    period = await current_period(session, school_id)
    if period is None:
        return None
    period.status = PeriodStatus.CLOSED
    period.closed_at = now
    await session.commit()
    return period


async def latest_period(session: AsyncSession, school_id: int) -> VisitPeriod | None:
    """The open period, else the one that ended last (the notes that can be exported)."""
    return await current_period(session, school_id) or await session.scalar(
        select(VisitPeriod).where(VisitPeriod.school_id == school_id)
        .order_by(VisitPeriod.last_day.desc(), VisitPeriod.id.desc()).limit(1))
