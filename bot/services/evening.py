"""The visit evening itself: the teacher runs late, the family runs late, or something came up.

These are same-evening messages: they go out at once (`quiet=False`), quiet hours or not,
since waiting for the morning would make them useless. Everything else stays quiet.

Who may: the teacher of the visit (or the colleague who comes along) says they run late;
a guardian of the household says the family runs late, or that something came up (which
cancels the visit like a guardian's cancellation, with the reason `came_up`, and offers
the family a new time). Only for a confirmed visit of today (in the school's time zone)
that has not ended yet: anything else is refused with a code the caller words, and
changes nothing.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import booking, siblings
from bot.services.errors import NotAllowed
from bot.services.invitations import InvitationView, household_guardians, view, view_for_guardian
from bot.services.outbox import enqueue, enqueue_once
from db.locking import lock_teacher, release
from db.models import Appointment, AppointmentStatus, Staff

LATE_MINUTES = (10, 15, 30)
CAME_UP = booking.CAME_UP  # Appointment.cancel_reason of "something came up" (cancelled_by "guardian")

# Outbox kinds (rendered in bot/notices.py with the texts of bot/screens/evening.py).
TEACHER_LATE = "running_late"  # to each guardian: the teacher runs {minutes} late
FAMILY_LATE = "family_late"  # to the teacher: the family runs late


@dataclass(frozen=True)
class Evening:
    """What became of a press: `code` is ok, told, already_told, cancelled, not_today or gone."""

    code: str
    appointment: Appointment | None = None
    view: InvitationView | None = None
    minutes: int | None = None


def is_today(moment: datetime, now: datetime, tz: ZoneInfo) -> bool:
    return moment.astimezone(tz).date() == now.astimezone(tz).date()


def may_run_late(appointment: Appointment, now: datetime, tz: ZoneInfo) -> bool:
    """A confirmed visit of today that has not ended: someone may say they run late for it."""
    return (appointment.status == AppointmentStatus.CONFIRMED and is_today(appointment.starts_at, now, tz)
            and now < appointment.ends_at)


def _refusal(appointment: Appointment, now: datetime, tz: ZoneInfo) -> str | None:
    if appointment.status == AppointmentStatus.CONFIRMED and not is_today(appointment.starts_at, now, tz):
        return "not_today"
    return None if may_run_late(appointment, now, tz) else "gone"


async def _visitors_appointment(session: AsyncSession, appointment_id: int, staff_id: int) -> Appointment:
    appointment = await session.get(Appointment, appointment_id, populate_existing=True)
    if appointment is None or staff_id not in (appointment.teacher_id, appointment.colleague_id):
        raise NotAllowed
    return appointment


async def _households_appointment(session: AsyncSession, appointment_id: int,
                                  guardian_ids: tuple[int, ...]) -> tuple[Appointment, InvitationView]:
    appointment = await session.get(Appointment, appointment_id, populate_existing=True)
    if appointment is None:
        raise NotAllowed
    return appointment, await view_for_guardian(session, appointment.invitation_id, guardian_ids)


# -- the teacher --------------------------------------------------------------------------

async def late_choice(session: AsyncSession, appointment_id: int, staff_id: int, now: datetime,
                      tz: ZoneInfo) -> Evening:
    """May this visitor say they run late for this visit now? (`ok`, `not_today`, `gone`)"""
    appointment = await _visitors_appointment(session, appointment_id, staff_id)
    refusal = _refusal(appointment, now, tz)
    return Evening(refusal or "ok", appointment, await view(session, appointment.invitation_id),
                   appointment.late_minutes)


async def running_late(session: AsyncSession, appointment_id: int, staff_id: int, minutes: int, now: datetime,
                       tz: ZoneInfo) -> Evening:
    """The visitor runs `minutes` late: every reachable guardian hears it at once, in their own
    language; the visit keeps the minutes (the agenda shows them). The same minutes again send
    nothing (`already_told`)."""
    if minutes not in LATE_MINUTES:
        raise NotAllowed
    appointment = await _visitors_appointment(session, appointment_id, staff_id)
    await lock_teacher(session, appointment.teacher_id)  # two presses at once: one message
    appointment = await session.get(Appointment, appointment_id, populate_existing=True)
    v = await view(session, appointment.invitation_id)
    refusal = _refusal(appointment, now, tz)
    if refusal is not None or appointment.late_minutes == minutes:
        await release(session)
        return Evening(refusal or "already_told", appointment, v, appointment.late_minutes)
    appointment.late_minutes = minutes
    appointment.updated_at = now
    for guardian in await household_guardians(session, v.invitation.household_id):
        enqueue(session, school_id=appointment.school_id, account_id=guardian.account_id, kind=TEACHER_LATE,
                payload={"appointment": appointment.id, "guardian": guardian.id, "minutes": minutes,
                         "staff": staff_id},
                due_at=now, now=now, quiet=False, appointment_id=appointment.id)
    await session.commit()
    return Evening("told", appointment, v, minutes)


# -- the family ---------------------------------------------------------------------------

async def family_visit(session: AsyncSession, appointment_id: int, guardian_ids: tuple[int, ...], now: datetime,
                       tz: ZoneInfo) -> Evening:
    """May this guardian still act on tonight's visit? (`ok`, `not_today`, `gone`)"""
    appointment, v = await _households_appointment(session, appointment_id, guardian_ids)
    return Evening(_refusal(appointment, now, tz) or "ok", appointment, v)


async def family_runs_late(session: AsyncSession, appointment_id: int, guardian_ids: tuple[int, ...],
                           now: datetime, tz: ZoneInfo) -> Evening:
    """The family runs late: the teacher hears it at once, once however often it is pressed."""
    appointment, v = await _households_appointment(session, appointment_id, guardian_ids)
    refusal = _refusal(appointment, now, tz)
    if refusal is not None:
        return Evening(refusal, appointment, v)
    teacher = await session.get(Staff, appointment.teacher_id)
    queued = await enqueue_once(
        session, school_id=appointment.school_id, account_id=teacher.account_id if teacher else None,
        kind=FAMILY_LATE, payload={"appointment": appointment.id}, due_at=now, now=now, quiet=False,
        dedupe_key=f"family_late:{appointment.id}", appointment_id=appointment.id)
    if queued:  # and everyone else who comes: a colleague, the other teachers of siblings' joint visit
        for part in [appointment, *await siblings.partner_appointments(session, appointment)]:
            for staff_id in {part.teacher_id, part.colleague_id} - {appointment.teacher_id, None}:
                visitor = await session.get(Staff, staff_id)
                await enqueue_once(
                    session, school_id=part.school_id, account_id=visitor.account_id if visitor else None,
                    kind=FAMILY_LATE, payload={"appointment": part.id}, due_at=now, now=now, quiet=False,
                    dedupe_key=f"family_late:{part.id}:{staff_id}", appointment_id=part.id)
    await session.commit()
    return Evening("told" if queued else "already_told", appointment, v)


async def something_came_up(session: AsyncSession, appointment_id: int, guardian_ids: tuple[int, ...],
                            now: datetime, tz: ZoneInfo) -> Evening:
    """Tonight's visit cannot go on: cancelled like a guardian's cancellation (reason `came_up`),
    the teacher told at once; the family may choose a new time."""
    appointment, v = await _households_appointment(session, appointment_id, guardian_ids)
    refusal = _refusal(appointment, now, tz)
    if refusal is not None:
        return Evening(refusal, appointment, v)
    outcome = await booking.cancel_by_guardian(session, appointment_id, guardian_ids, now, reason=CAME_UP,
                                               quiet=False)
    fresh = await view(session, appointment.invitation_id, v.guardian.id if v.guardian else None)
    return Evening("cancelled" if outcome.code == "cancelled" else "gone", appointment, fresh)


# -- what the outbox says -----------------------------------------------------------------

@dataclass(frozen=True)
class Notice:
    appointment: Appointment
    view: InvitationView
    visitor: str  # who runs late (the teacher, or the colleague who said so)
    minutes: int | None


async def notice(session: AsyncSession, payload: dict) -> Notice | None:
    """What a same-evening message is about, as it is when sent; None when the visit no
    longer holds (cancelled or moved meanwhile: the newer message tells)."""
    appointment = await session.get(Appointment, payload["appointment"])
    if appointment is None or appointment.status != AppointmentStatus.CONFIRMED:
        return None
    v = await view(session, appointment.invitation_id, payload.get("guardian"))
    if v is None:
        return None
    visitor = await session.get(Staff, payload.get("staff") or appointment.teacher_id)
    return Notice(appointment, v, (visitor or v.teacher).name, payload.get("minutes"))
