"""What a teacher agreed with a family outside the bot: by phone, at the door, or by a
letter the family sent back. A visit agreed this way is a confirmed appointment like
one booked in the bot (agenda, reminders, calendar feed, note prompt, coverage); a "not
this year" counts as declined; a call nobody answered is kept, for the call list.

The same rules as in the bot: one live appointment per invitation (a later booking by the
family replaces the teacher's record, and the other way round), the teacher's lock
around every change of their time, and messages to the household's linked guardians in
the outbox, in the same transaction. Everything recorded is in the audit log.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import availability, companions, reminders, siblings
from bot.services.booking import (
    Outcome,
    cancel_appointment,
    end_appointment,
    mark_answered,
    tell_household,
    withdraw_from_calendars,
)
from bot.services.errors import NotAllowed
from bot.services.invitations import (
    DECLINE_REASONS,
    household_guardians,
    live_appointment,
    view,
)
from bot.services.periods import current_period
from bot.services.reminders import DEFAULT_PLAN, ReminderPlan
from db.locking import lock_teacher, release
from db.models import (
    VENUES,
    Account,
    Appointment,
    AppointmentStatus,
    AuditEntry,
    CallAttempt,
    Channel,
    Invitation,
    InvitationStatus,
    PeriodStatus,
    Staff,
    VisitPeriod,
)

# The channels a teacher records (the bot and the web page record themselves).
RECORDED = (Channel.PHONE, Channel.DOOR, Channel.LETTER)
CALLS_BEFORE_A_LETTER = 3
SAME_CALL = timedelta(minutes=10)  # a second "no answer" this soon is the same call (a double tap)


async def _teachers_invitation(session: AsyncSession, invitation_id: int, teacher_id: int
                               ) -> tuple[Invitation, VisitPeriod] | None:
    """The invitation of this teacher's class, under the teacher's lock, read afresh, while its
    period is open; None (lock released) when the period is closed. NotAllowed for another's."""
    invitation = await session.get(Invitation, invitation_id)
    if invitation is None or invitation.teacher_id != teacher_id:
        raise NotAllowed
    await lock_teacher(session, teacher_id)
    invitation = await session.get(Invitation, invitation_id, populate_existing=True)
    period = await session.get(VisitPeriod, invitation.period_id, populate_existing=True)
    if period.status != PeriodStatus.OPEN:
        await release(session)
        return None
    return invitation, period


def _audit(session: AsyncSession, invitation: Invitation, teacher_id: int, action: str, now: datetime) -> None:
    session.add(AuditEntry(school_id=invitation.school_id, actor=f"staff:{teacher_id}", action=action,
                           subject=f"invitation:{invitation.id}", at=now))


def _answered(invitation: Invitation, status: InvitationStatus, reason: str | None, channel: Channel,
              now: datetime) -> None:
    """The family answered, through its teacher (no guardian pressed a button)."""
    invitation.status = status
    invitation.decline_reason = reason
    mark_answered(invitation, channel, now)


async def _time_is_free(session: AsyncSession, period: VisitPeriod, invitation: Invitation, start: datetime,
                        now: datetime, own: int | None, tz) -> bool:
    """Any moment in the period that keeps the travel time from the teacher's other visits."""
    if start <= now or not period.first_day <= start.astimezone(tz).date() <= period.last_day:
        return False
    end = start + timedelta(minutes=period.visit_minutes)
    buffer = timedelta(minutes=period.buffer_minutes)
    for other in await session.scalars(
        select(Appointment).where(Appointment.teacher_id == invitation.teacher_id,
                                  Appointment.status.in_((AppointmentStatus.REQUESTED, AppointmentStatus.PROPOSED,
                                                          AppointmentStatus.CONFIRMED)))
    ):
        if other.id != own and start < other.ends_at + buffer and other.starts_at - buffer < end:
            return False
    return True


async def record_visit(
    session: AsyncSession, invitation_id: int, teacher_id: int, start: datetime, venue: str, place: str | None,
    channel: Channel, now: datetime, *, any_time: bool = False, plan: ReminderPlan = DEFAULT_PLAN,
) -> Outcome:
    """A visit agreed outside the bot, at one of the teacher's free times or (`any_time`,
    the family asked for another moment) any free moment in the period, which it then
    blocks. Replaces the household's earlier request or visit."""
    if venue not in VENUES or channel not in RECORDED:
        raise NotAllowed
    held = await _teachers_invitation(session, invitation_id, teacher_id)
    if held is None:
        return Outcome("closed", invitation_id=invitation_id)
    invitation, period = held
    previous = await live_appointment(session, invitation.id)
    own = previous.id if previous else None
    if any_time:
        free = await _time_is_free(session, period, invitation, start, now, own, plan.tz)
    else:
        free = await availability.is_free(session, period, teacher_id, start, now, ignore_appointment=own) is not None
    if not free:
        await release(session)
        return Outcome("slot_taken", invitation_id=invitation_id)
    if previous is not None:
        await end_appointment(session, previous, AppointmentStatus.REPLACED, now)
        await session.flush()
    appointment = Appointment(
        school_id=invitation.school_id, invitation_id=invitation.id, teacher_id=teacher_id, starts_at=start,
        ends_at=start + timedelta(minutes=period.visit_minutes), venue=venue, place=(place or None),
        status=AppointmentStatus.CONFIRMED, confirmed_at=now, channel=channel, created_at=now, updated_at=now)
    if previous is not None:  # the visit moved: a colleague or interpreter who would come still does
        companions.carry_over(previous, appointment)
    session.add(appointment)
    _answered(invitation, InvitationStatus.BOOKED, None, channel, now)
    await siblings.leave(session, invitation)  # agreed with this teacher: their part alone (siblings.py)
    await session.flush()
    await reminders.schedule(session, appointment, now, plan)
    await tell_household(session, invitation, "confirmed", {"appointment": appointment.id}, now)
    await withdraw_from_calendars(session, previous, invitation, now)
    _audit(session, invitation, teacher_id, "visit_recorded", now)
    await session.commit()
    return Outcome("confirmed", appointment.id, invitation.id)


async def record_decline(session: AsyncSession, invitation_id: int, teacher_id: int, reason: str | None,
                         channel: Channel, now: datetime) -> Outcome:
    """'Not this year', said to the teacher: respected as in the bot, never nudged about again."""
    if (reason is not None and reason not in DECLINE_REASONS) or channel not in RECORDED:
        raise NotAllowed
    held = await _teachers_invitation(session, invitation_id, teacher_id)
    if held is None:
        return Outcome("closed", invitation_id=invitation_id)
    invitation, _ = held
    previous = await live_appointment(session, invitation.id)
    if previous is not None:
        await cancel_appointment(session, previous, "teacher", "declined", now)
    _answered(invitation, InvitationStatus.DECLINED, reason, channel, now)
    await siblings.leave(session, invitation)  # said to this teacher: their part alone, as for a visit recorded
    await tell_household(session, invitation, "household_update", {"invitation": invitation.id}, now)
    await withdraw_from_calendars(session, previous, invitation, now)
    _audit(session, invitation, teacher_id, "decline_recorded", now)
    await session.commit()
    return Outcome("declined", invitation_id=invitation.id)


async def record_no_answer(session: AsyncSession, invitation_id: int, teacher_id: int, now: datetime) -> int:
    """The teacher phoned and nobody answered. Returns how many calls are unanswered now."""
    invitation = await session.get(Invitation, invitation_id)
    if invitation is None or invitation.teacher_id != teacher_id:
        raise NotAllowed
    calls = (await unanswered_calls(session, [invitation.id])).get(invitation.id, [])
    if calls and now - calls[-1] < SAME_CALL:
        return len(calls)
    session.add(CallAttempt(school_id=invitation.school_id, invitation_id=invitation.id, teacher_id=teacher_id,
                            at=now))
    _audit(session, invitation, teacher_id, "no_answer_recorded", now)
    await session.commit()
    return len(calls) + 1


async def unanswered_calls(session: AsyncSession, invitation_ids: list[int]) -> dict[int, list[datetime]]:
    """The calls nobody answered, per invitation, oldest first."""
    if not invitation_ids:
        return {}
    calls: dict[int, list[datetime]] = {}
    for invitation_id, at in (await session.execute(
        select(CallAttempt.invitation_id, CallAttempt.at).where(CallAttempt.invitation_id.in_(invitation_ids))
        .order_by(CallAttempt.at)
    )).all():
        calls.setdefault(invitation_id, []).append(at)
    return calls


@dataclass(frozen=True)
class Family:
    """One household of the teacher's class as the teacher sees it, with where it stands."""

    invitation: Invitation
    children: tuple[str, ...]
    class_names: tuple[str, ...]
    guardians: tuple[tuple[str, str | None, bool], ...]  # (name, phone, on Telegram)
    appointment: Appointment | None
    calls: tuple[datetime, ...]


async def families(session: AsyncSession, teacher_id: int, invitation_id: int | None = None) -> list[Family]:
    """The teacher's households in the open period (or the one of `invitation_id`), by child's name."""
    teacher = await session.get(Staff, teacher_id)
    period = await current_period(session, teacher.school_id) if teacher else None
    if period is None:
        return []
    query = select(Invitation).where(Invitation.period_id == period.id, Invitation.teacher_id == teacher_id)
    if invitation_id is not None:
        query = query.where(Invitation.id == invitation_id)
    invitations = (await session.scalars(query)).all()
    calls = await unanswered_calls(session, [i.id for i in invitations])
    result = []
    for invitation in invitations:
        v = await view(session, invitation.id)
        guardians = []
        for g in await household_guardians(session, invitation.household_id):
            account = await session.get(Account, g.account_id) if g.account_id else None
            guardians.append((g.name, g.phone, account is not None and account.blocked_at is None))
        result.append(Family(invitation, v.children, v.class_names, tuple(guardians), v.appointment,
                             tuple(calls.get(invitation.id, ()))))
    return sorted(result, key=lambda f: (f.children, f.invitation.id))
