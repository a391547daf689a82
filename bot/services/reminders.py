"""Reminders around a confirmed visit, queued in the outbox with the confirmation and
dropped with a cancellation or a new time."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.humane import at_local, next_humane
from bot.services.outbox import enqueue, enqueue_once
from db.models import (
    Appointment,
    Guardian,
    Invitation,
    OutboxMessage,
    OutboxStatus,
    Staff,
)

REMINDER_KINDS = ("reminder_day_before", "reminder_soon", "after_visit")


@dataclass(frozen=True)
class ReminderPlan:
    tz: ZoneInfo
    day_before_at: time = time(17, 0)
    hours_before: int = 2
    overview_at: time = time(8, 0)
    quiet_start: time = time(21, 0)
    quiet_end: time = time(8, 0)


DEFAULT_PLAN = ReminderPlan(ZoneInfo("Europe/Amsterdam"))


async def schedule(session: AsyncSession, appointment: Appointment, now: datetime,
                   plan: ReminderPlan = DEFAULT_PLAN) -> None:
    """Queue the parent's two reminders, the teacher's morning overview and after-visit prompt
    (and the morning overview of a colleague going along)."""
    invitation = await session.get(Invitation, appointment.invitation_id)
    guardians = (await session.scalars(
        select(Guardian).where(Guardian.household_id == invitation.household_id, Guardian.active.is_(True),
                               Guardian.account_id.is_not(None))
    )).all()
    visit_day = appointment.starts_at.astimezone(plan.tz).date()
    day_before = at_local(visit_day - timedelta(days=1), plan.day_before_at, plan.tz)
    soon = appointment.starts_at - timedelta(hours=plan.hours_before)
    common = dict(school_id=appointment.school_id, now=now, appointment_id=appointment.id)
    for guardian in guardians:
        payload = {"appointment": appointment.id, "guardian": guardian.id}
        if day_before > now:
            enqueue(session, account_id=guardian.account_id, kind="reminder_day_before", payload=payload,
                    due_at=day_before, dedupe_key=f"rem1:{appointment.id}:{guardian.id}", **common)
        if soon > now:
            enqueue(session, account_id=guardian.account_id, kind="reminder_soon", payload=payload,
                    due_at=soon, dedupe_key=f"rem2:{appointment.id}:{guardian.id}", **common)

    if appointment.colleague_id is not None:  # the colleague going along gets the morning overview too
        await schedule_overview(session, appointment, await session.get(Staff, appointment.colleague_id), now, plan)
    teacher = await session.get(Staff, appointment.teacher_id)
    if teacher is None or teacher.account_id is None:
        return
    enqueue(session, account_id=teacher.account_id, kind="after_visit", payload={"appointment": appointment.id},
            due_at=next_humane(appointment.ends_at, plan.tz, plan.quiet_start, plan.quiet_end),
            dedupe_key=f"after:{appointment.id}", **common)
    await schedule_overview(session, appointment, teacher, now, plan)


async def schedule_overview(session: AsyncSession, appointment: Appointment, staff: Staff | None, now: datetime,
                            plan: ReminderPlan = DEFAULT_PLAN) -> None:
    """The morning overview of the visit's day for this staff member (its teacher, or the
    colleague going along): one a day, however many visits that day has. It reads their
    agenda when it is sent, so a visit they no longer go to is not in it."""
    if staff is None or staff.account_id is None:
        return
    visit_day = appointment.starts_at.astimezone(plan.tz).date()
    overview_at = at_local(visit_day, plan.overview_at, plan.tz)
    if overview_at > now:
        await session.flush()
        await enqueue_once(session, school_id=appointment.school_id, account_id=staff.account_id,
                           kind="morning_overview", payload={"teacher": staff.id, "day": visit_day.isoformat()},
                           due_at=overview_at, now=now, dedupe_key=f"overview:{staff.id}:{visit_day.isoformat()}")


async def drop(session: AsyncSession, appointment_id: int) -> None:
    """The visit moved or was cancelled: its pending reminders will not be sent."""
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.appointment_id == appointment_id, OutboxMessage.status == OutboxStatus.PENDING,
               OutboxMessage.kind.in_(REMINDER_KINDS))
        .values(status=OutboxStatus.SKIPPED, last_error="visit changed")
        .execution_options(synchronize_session=False)
    )
