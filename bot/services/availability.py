"""A teacher's availability windows and the free slots they give."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import slots as slotmath
from bot.services.errors import RuleError
from bot.services.slots import Slot
from db.locking import lock_teacher, release
from db.models import (
    ACTIVE_APPOINTMENT_STATES,
    Appointment,
    AvailabilityWindow,
    VisitPeriod,
)

# Parents need time to answer; a slot closer than this is no longer offered.
MIN_LEAD = timedelta(hours=2)


@dataclass(frozen=True)
class Window:
    id: int
    starts_at: datetime
    ends_at: datetime
    booked: int  # live appointments inside it


def to_utc(day: date, at: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=tz).astimezone(timezone.utc)


async def add_window(
    session: AsyncSession, period: VisitPeriod, teacher_id: int, day: date, start: time, end: time,
    tz: ZoneInfo, now: datetime,
) -> AvailabilityWindow:
    if not period.first_day <= day <= period.last_day:
        raise RuleError("outside", "the day is outside the visit period")
    starts_at, ends_at = to_utc(day, start, tz), to_utc(day, end, tz)
    if ends_at <= starts_at:
        raise RuleError("order", "the end is before the start")
    if ends_at - starts_at < timedelta(minutes=period.visit_minutes):
        raise RuleError("short", "the window is shorter than one visit")
    await lock_teacher(session, teacher_id)
    overlapping = await session.scalar(
        select(AvailabilityWindow.id).where(
            AvailabilityWindow.teacher_id == teacher_id, AvailabilityWindow.period_id == period.id,
            AvailabilityWindow.starts_at < ends_at, AvailabilityWindow.ends_at > starts_at,
        )
    )
    if overlapping is not None:
        await release(session)
        raise RuleError("overlap", "the window overlaps another one")
    window = AvailabilityWindow(school_id=period.school_id, period_id=period.id, teacher_id=teacher_id,
                                starts_at=starts_at, ends_at=ends_at, created_at=now)
    session.add(window)
    await session.commit()
    return window


async def list_windows(session: AsyncSession, period_id: int, teacher_id: int) -> list[Window]:
    windows = (await session.scalars(
        select(AvailabilityWindow)
        .where(AvailabilityWindow.period_id == period_id, AvailabilityWindow.teacher_id == teacher_id)
        .order_by(AvailabilityWindow.starts_at)
    )).all()
    busy = await _live_appointments(session, teacher_id)
    return [
        Window(w.id, w.starts_at, w.ends_at,
               sum(1 for s, e in busy if s < w.ends_at and e > w.starts_at))
        for w in windows
    ]


async def remove_window(session: AsyncSession, window_id: int, teacher_id: int) -> None:
    """Remove a window, unless a visit (asked for or confirmed) falls inside it."""
    await lock_teacher(session, teacher_id)
    window = await session.get(AvailabilityWindow, window_id)
    if window is None or window.teacher_id != teacher_id:
        await release(session)
        raise RuleError("gone", "no such window")
    holds = await session.scalar(
        select(Appointment.id).where(
            Appointment.teacher_id == teacher_id, Appointment.status.in_(ACTIVE_APPOINTMENT_STATES),
            Appointment.starts_at < window.ends_at, Appointment.ends_at > window.starts_at,
        ).limit(1)
    )
    if holds is not None:
        await release(session)
        raise RuleError("holds_visit", "a visit is planned in this window")
    await session.execute(delete(AvailabilityWindow).where(AvailabilityWindow.id == window_id))
    await session.commit()


async def _live_appointments(session: AsyncSession, teacher_id: int, exclude_id: int | None = None):
    query = select(Appointment.starts_at, Appointment.ends_at).where(
        Appointment.teacher_id == teacher_id, Appointment.status.in_(ACTIVE_APPOINTMENT_STATES)
    )
    if exclude_id is not None:
        query = query.where(Appointment.id != exclude_id)
    return [(s, e) for s, e in (await session.execute(query)).all()]


async def free_slots(
    session: AsyncSession, period: VisitPeriod, teacher_id: int, now: datetime, *, ignore_appointment: int | None = None
) -> list[Slot]:
    """The teacher's free slots in this period from now on (a parent's own visit can be ignored)."""
    windows = [(w.starts_at, w.ends_at) for w in (await session.scalars(
        select(AvailabilityWindow).where(
            AvailabilityWindow.period_id == period.id, AvailabilityWindow.teacher_id == teacher_id,
            AvailabilityWindow.ends_at > now,
        )
    )).all()]
    busy = await _live_appointments(session, teacher_id, ignore_appointment)
    return slotmath.free_slots(
        windows, busy, visit=timedelta(minutes=period.visit_minutes),
        buffer=timedelta(minutes=period.buffer_minutes), not_before=now + MIN_LEAD,
    )


async def is_free(session: AsyncSession, period: VisitPeriod, teacher_id: int, start: datetime, now: datetime,
                  *, ignore_appointment: int | None = None) -> Slot | None:
    for slot in await free_slots(session, period, teacher_id, now, ignore_appointment=ignore_appointment):
        if slot.starts_at == start:
            return slot
    return None
