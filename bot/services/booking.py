"""The life of an appointment: a parent's request, the teacher's confirmation or
counter-proposal, declines, cancellations and reschedules.

Each function checks who acts and on what, changes the state, queues the message for
the other party in the same transaction, and returns an `Outcome` the handler renders.
Slot races are settled by the database: a per-teacher lock plus a unique index on
live appointments (`uq_appointments_live_slot`).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import availability, companions, reminders, siblings
from bot.services.invitations import (
    DECLINE_REASONS,
    NotAllowed,
    household_guardians,
    live_appointment,
)
from bot.services.outbox import enqueue
from bot.services.reminders import DEFAULT_PLAN, ReminderPlan
from db.locking import lock_teacher, release
from db.models import (
    ACTIVE_APPOINTMENT_STATES,
    VENUES,
    Appointment,
    AppointmentStatus,
    Channel,
    Guardian,
    Household,
    Invitation,
    InvitationStatus,
    PeriodStatus,
    Staff,
    VisitPeriod,
)

TEACHER_CANCEL_REASONS = ("ill", "unavailable", "other")


@dataclass(frozen=True)
class Outcome:
    code: str  # requested, slot_taken, closed, confirmed, proposed, accepted, ...
    appointment_id: int | None = None
    invitation_id: int | None = None


async def _guardian_of(session: AsyncSession, invitation: Invitation, guardian_ids: tuple[int, ...]) -> Guardian:
    guardian = await session.scalar(
        select(Guardian).where(Guardian.id.in_(guardian_ids or (-1,)), Guardian.household_id == invitation.household_id,
                               Guardian.active.is_(True))
    )
    if guardian is None:
        raise NotAllowed
    return guardian


async def _household_turn(session: AsyncSession, invitation_id: int, guardian_ids: tuple[int, ...],
                          expected_version: int | None) -> tuple[Invitation | None, Guardian]:
    """A guardian acts on their household's invitation: check who they are, take the
    teacher's lock, and read the invitation afresh. None when the press came from a
    message older than the household's last change (the lock is released then)."""
    invitation = await session.get(Invitation, invitation_id)
    if invitation is None:
        raise NotAllowed
    guardian = await _guardian_of(session, invitation, guardian_ids)
    await lock_teacher(session, invitation.teacher_id)
    invitation = await session.get(Invitation, invitation_id, populate_existing=True)
    if expected_version is not None and invitation.version != expected_version:
        await release(session)
        return None, guardian
    return invitation, guardian


async def _open_turn(session: AsyncSession, invitation_id: int, guardian_ids: tuple[int, ...],
                     expected_version: int | None) -> tuple[Invitation, Guardian, VisitPeriod] | Outcome:
    """`_household_turn` while the period is open; else the Outcome to return (stale, closed)."""
    invitation, guardian = await _household_turn(session, invitation_id, guardian_ids, expected_version)
    if invitation is None:
        return Outcome("stale", invitation_id=invitation_id)
    period = await _open_period(session, invitation)
    if period is None:
        await release(session)
        return Outcome("closed", invitation_id=invitation_id)
    return invitation, guardian, period


async def _households_appointment(session: AsyncSession, appointment_id: int, guardian_ids: tuple[int, ...]
                                  ) -> tuple[Appointment, Invitation, Guardian]:
    """A guardian acts on their household's appointment: check who they are, take the
    teacher's lock, and read the appointment and its invitation afresh."""
    appointment = await session.get(Appointment, appointment_id)
    if appointment is None:
        raise NotAllowed
    invitation = await session.get(Invitation, appointment.invitation_id)
    guardian = await _guardian_of(session, invitation, guardian_ids)
    await lock_teacher(session, invitation.teacher_id)
    appointment = await session.get(Appointment, appointment_id, populate_existing=True)
    invitation = await session.get(Invitation, appointment.invitation_id, populate_existing=True)
    return appointment, invitation, guardian


async def end_appointment(session: AsyncSession, appointment: Appointment, status: AppointmentStatus,
                          now: datetime) -> None:
    """The appointment no longer holds (`cancelled`, or `replaced` by a new time): its time
    is free again and its reminders are dropped. The caller tells whoever must hear, then
    calls `withdraw_from_calendars`."""
    appointment.status = status
    appointment.updated_at = now
    await reminders.drop(session, appointment.id)


async def withdraw_from_calendars(session: AsyncSession, appointment: Appointment | None, invitation: Invitation,
                                  now: datetime) -> None:
    """A visit the family had in its calendar (it was confirmed, and is still to come) is
    taken out of it: a cancelling calendar file, after the message that tells why."""
    if appointment is not None and appointment.confirmed_at is not None and appointment.starts_at > now:
        await tell_household(session, invitation, "calendar_cancel", {"appointment": appointment.id}, now)


CAME_UP = "came_up"  # a cancel reason: something came up on the evening itself (bot/services/evening.py)


async def cancel_appointment(session: AsyncSession, appointment: Appointment, by: str, reason: str | None,
                             now: datetime) -> None:
    """The appointment is cancelled (see `end_appointment`). The caller reopens or closes
    the invitation and tells whoever must hear."""
    appointment.cancelled_by = by
    appointment.cancel_reason = reason
    await end_appointment(session, appointment, AppointmentStatus.CANCELLED, now)
    await companions.tell_colleague(session, appointment, "colleague_cancelled", now,  # a colleague going along
                                    quiet=reason != CAME_UP)


async def reopen(session: AsyncSession, appointment: Appointment, invitation: Invitation, by: str,
                 reason: str | None, now: datetime) -> None:
    """The visit is cancelled and the household may choose again (a new version of the invitation)."""
    await cancel_appointment(session, appointment, by, reason, now)
    invitation.status = InvitationStatus.PENDING
    invitation.version += 1


async def tell_teacher(session, invitation: Invitation, kind: str, payload: dict, now: datetime, *,
                       quiet: bool = True) -> None:
    teacher = await session.get(Staff, invitation.teacher_id)
    enqueue(session, school_id=invitation.school_id, account_id=teacher.account_id if teacher else None,
            kind=kind, payload=payload, due_at=now, now=now, quiet=quiet)


async def tell_household(session, invitation: Invitation, kind: str, payload: dict, now: datetime,
                          *, except_guardian: int | None = None) -> None:
    for guardian in await household_guardians(session, invitation.household_id):
        if guardian.id == except_guardian:
            continue
        enqueue(session, school_id=invitation.school_id, account_id=guardian.account_id, kind=kind,
                payload={**payload, "guardian": guardian.id}, due_at=now, now=now)


def _who(guardian: Guardian, channel: Channel) -> int | None:
    """The guardian who acted: known in the bot; on the web page the household acts."""
    return guardian.id if channel == Channel.BOT else None


def mark_answered(invitation: Invitation, channel: Channel, now: datetime, guardian_id: int | None = None) -> None:
    """The household answered, on `channel` (`guardian_id`: the guardian who did, in the bot;
    None on the web page or through the teacher): a new version of the invitation."""
    invitation.answered_by = guardian_id
    invitation.reached_by = channel
    invitation.answered_at = now
    invitation.version += 1


async def _open_period(session, invitation: Invitation) -> VisitPeriod | None:
    period = await session.get(VisitPeriod, invitation.period_id, populate_existing=True)
    return period if period is not None and period.status == PeriodStatus.OPEN else None


# -- the parent ---------------------------------------------------------------------

async def request_slot(
    session: AsyncSession, invitation_id: int, guardian_ids: tuple[int, ...], start: datetime, venue: str,
    place: str | None, now: datetime, *, expected_version: int | None = None, channel: Channel = Channel.BOT,
) -> Outcome:
    """Ask for a visit at `start`. Replaces the household's own earlier request or visit.

    `channel`: the bot (a guardian in chat), or the household's web page (`Channel.WEB`:
    the household answers, so every linked guardian hears of it)."""
    if venue not in VENUES:
        raise NotAllowed
    turn = await _open_turn(session, invitation_id, guardian_ids, expected_version)
    if isinstance(turn, Outcome):
        return turn
    invitation, guardian, period = turn
    previous = await live_appointment(session, invitation.id)
    slot = await availability.is_free(session, period, invitation.teacher_id, start, now,
                                      ignore_appointment=previous.id if previous else None)
    if slot is None:
        await release(session)
        return Outcome("slot_taken", invitation_id=invitation_id)
    if previous is not None:
        await end_appointment(session, previous, AppointmentStatus.REPLACED, now)
        await session.flush()
    appointment = Appointment(
        school_id=invitation.school_id, invitation_id=invitation.id, teacher_id=invitation.teacher_id,
        starts_at=slot.starts_at, ends_at=slot.ends_at, venue=venue, place=(place or None),
        status=AppointmentStatus.REQUESTED, channel=channel,
        requested_by=_who(guardian, channel), created_at=now, updated_at=now,
    )
    if previous is not None:  # a moved visit keeps its second visitors
        companions.carry_over(previous, appointment)
    session.add(appointment)
    invitation.status = InvitationStatus.REQUESTED
    invitation.decline_reason = None
    mark_answered(invitation, channel, now, _who(guardian, channel))
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()
        return Outcome("slot_taken", invitation_id=invitation_id)
    if invitation.joint_id is not None and not await siblings.request_partners(
            session, invitation, appointment, guardian, channel, now):
        await session.rollback()  # another teacher of the joint visit is no longer free then
        return Outcome("slot_taken", invitation_id=invitation_id)
    kind = "reschedule_request" if previous is not None else "request"
    await tell_teacher(session, invitation, kind, {"appointment": appointment.id}, now)
    await tell_household(session, invitation, "household_update", {"invitation": invitation.id}, now,
                          except_guardian=_who(guardian, channel))
    await withdraw_from_calendars(session, previous, invitation, now)
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        return Outcome("slot_taken", invitation_id=invitation_id)
    return Outcome("requested", appointment.id, invitation.id)


async def decline(session: AsyncSession, invitation_id: int, guardian_ids: tuple[int, ...], reason: str | None,
                  now: datetime, *, expected_version: int | None = None, channel: Channel = Channel.BOT) -> Outcome:
    """'Not this year': respected, told to the teacher, never nagged about again."""
    if reason is not None and reason not in DECLINE_REASONS:
        raise NotAllowed
    turn = await _open_turn(session, invitation_id, guardian_ids, expected_version)
    if isinstance(turn, Outcome):
        return turn
    invitation, guardian, _ = turn
    already = invitation.status == InvitationStatus.DECLINED
    previous = await live_appointment(session, invitation.id)
    if previous is not None:
        await cancel_appointment(session, previous, "guardian", "declined", now)
    invitation.status = InvitationStatus.DECLINED
    invitation.decline_reason = reason or invitation.decline_reason
    mark_answered(invitation, channel, now, _who(guardian, channel))
    if invitation.joint_id is not None:
        await siblings.decline_partners(session, invitation, reason, channel, guardian, now)
    if not already:
        await tell_teacher(session, invitation, "declined", {"invitation": invitation.id}, now)
        await tell_household(session, invitation, "household_update", {"invitation": invitation.id}, now,
                              except_guardian=_who(guardian, channel))
    await withdraw_from_calendars(session, previous, invitation, now)
    await session.commit()
    return Outcome("declined", invitation_id=invitation.id)


async def no_fitting_time(session: AsyncSession, invitation_id: int, guardian_ids: tuple[int, ...],
                          now: datetime, *, expected_version: int | None = None,
                          channel: Channel = Channel.BOT) -> Outcome:
    """None of the offered times fits: the teacher is asked to add times or to call."""
    # Under the teacher's lock: a request of the other guardian must not interleave.
    turn = await _open_turn(session, invitation_id, guardian_ids, expected_version)
    if isinstance(turn, Outcome):
        return turn
    invitation, guardian, _ = turn
    if invitation.status in (InvitationStatus.REQUESTED, InvitationStatus.BOOKED, InvitationStatus.DECLINED):
        await release(session)
        return Outcome("stale", invitation_id=invitation_id)
    first = invitation.status != InvitationStatus.NO_FIT
    invitation.status = InvitationStatus.NO_FIT
    mark_answered(invitation, channel, now, _who(guardian, channel))
    if first:
        await tell_teacher(session, invitation, "no_fit", {"invitation": invitation.id}, now)
    if invitation.joint_id is not None:
        await siblings.no_fit_partners(session, invitation, channel, guardian, now)
    await session.commit()
    return Outcome("no_fit", invitation_id=invitation.id)


async def cancel_by_guardian(session: AsyncSession, appointment_id: int, guardian_ids: tuple[int, ...],
                             now: datetime, *, channel: Channel = Channel.BOT, reason: str | None = None,
                             quiet: bool = True) -> Outcome:
    """`reason`: None, or "came_up" (bot/services/evening.py, whose teacher hears it at once: `quiet=False`)."""
    appointment, invitation, guardian = await _households_appointment(session, appointment_id, guardian_ids)
    if appointment.status not in ACTIVE_APPOINTMENT_STATES:
        await release(session)
        return Outcome("stale", appointment_id, invitation.id)
    await reopen(session, appointment, invitation, "guardian", reason, now)
    await tell_teacher(session, invitation, "cancelled_by_parent", {"appointment": appointment.id}, now, quiet=quiet)
    if invitation.joint_id is not None:
        await siblings.cancel_partners(session, invitation, now, reason=reason, quiet=quiet)
    await tell_household(session, invitation, "household_update", {"invitation": invitation.id}, now,
                          except_guardian=_who(guardian, channel))
    await withdraw_from_calendars(session, appointment, invitation, now)
    await session.commit()
    return Outcome("cancelled", appointment_id, invitation.id)


async def answer_proposal(session: AsyncSession, appointment_id: int, guardian_ids: tuple[int, ...], accept: bool,
                          now: datetime, plan: ReminderPlan = DEFAULT_PLAN, *,
                          channel: Channel = Channel.BOT) -> Outcome:
    appointment, invitation, guardian = await _households_appointment(session, appointment_id, guardian_ids)
    if appointment.status != AppointmentStatus.PROPOSED:
        await release(session)
        return Outcome("stale", appointment_id, invitation.id)
    if accept:
        appointment.status = AppointmentStatus.CONFIRMED
        appointment.confirmed_at = now
        await reminders.schedule(session, appointment, now, plan)
        await companions.tell_colleague(session, appointment, "colleague_added", now)  # a moved visit's colleague
        invitation.status = InvitationStatus.BOOKED
        kind = "proposal_accepted"
    else:
        await cancel_appointment(session, appointment, "guardian", "proposal", now)
        invitation.status = InvitationStatus.PENDING
        kind = "proposal_rejected"
    appointment.updated_at = now
    mark_answered(invitation, channel, now, _who(guardian, channel))
    await tell_teacher(session, invitation, kind, {"appointment": appointment.id}, now)
    await tell_household(session, invitation, "household_update", {"invitation": invitation.id}, now,
                          except_guardian=_who(guardian, channel))
    await session.commit()
    return Outcome("accepted" if accept else "rejected", appointment_id, invitation.id)


# -- the teacher ----------------------------------------------------------------------

async def _teachers_appointment(session, appointment_id: int, teacher_id: int) -> tuple[Appointment, Invitation]:
    appointment = await session.get(Appointment, appointment_id)
    if appointment is None or appointment.teacher_id != teacher_id:
        raise NotAllowed
    await lock_teacher(session, teacher_id)
    appointment = await session.get(Appointment, appointment_id, populate_existing=True)
    invitation = await session.get(Invitation, appointment.invitation_id, populate_existing=True)
    return appointment, invitation


async def confirm(session: AsyncSession, appointment_id: int, teacher_id: int, now: datetime,
                  plan: ReminderPlan = DEFAULT_PLAN) -> Outcome:
    appointment, invitation = await _teachers_appointment(session, appointment_id, teacher_id)
    if appointment.status == AppointmentStatus.CONFIRMED:
        await release(session)
        return Outcome("already_confirmed", appointment_id, invitation.id)
    if appointment.status != AppointmentStatus.REQUESTED:
        await release(session)
        return Outcome("stale", appointment_id, invitation.id)
    if invitation.joint_id is not None:  # one confirmation confirms every teacher's part
        return await siblings.confirm_joint(session, appointment, invitation, teacher_id, now, plan)
    appointment.status = AppointmentStatus.CONFIRMED
    appointment.confirmed_at = now
    await reminders.schedule(session, appointment, now, plan)
    await companions.tell_colleague(session, appointment, "colleague_added", now)  # a moved visit's colleague
    appointment.updated_at = now
    invitation.status = InvitationStatus.BOOKED
    invitation.version += 1
    await tell_household(session, invitation, "confirmed", {"appointment": appointment.id}, now)
    await session.commit()
    return Outcome("confirmed", appointment_id, invitation.id)


async def propose(session: AsyncSession, appointment_id: int, teacher_id: int, start: datetime,
                  now: datetime) -> Outcome:
    """Offer the household another free time instead of the one they asked for."""
    appointment, invitation = await _teachers_appointment(session, appointment_id, teacher_id)
    if appointment.status not in ACTIVE_APPOINTMENT_STATES:
        await release(session)
        return Outcome("stale", appointment_id, invitation.id)
    period = await _open_period(session, invitation)
    if period is None:
        await release(session)
        return Outcome("closed", appointment_id, invitation.id)
    slot = await availability.is_free(session, period, teacher_id, start, now, ignore_appointment=appointment.id)
    if slot is None:
        await release(session)
        return Outcome("slot_taken", appointment_id, invitation.id)
    await siblings.leave(session, invitation)  # a proposal is for the proposer's own part
    await end_appointment(session, appointment, AppointmentStatus.REPLACED, now)
    await session.flush()
    proposal = Appointment(
        school_id=invitation.school_id, invitation_id=invitation.id, teacher_id=teacher_id,
        starts_at=slot.starts_at, ends_at=slot.ends_at, venue=appointment.venue, place=appointment.place,
        status=AppointmentStatus.PROPOSED, requested_by=appointment.requested_by, created_at=now, updated_at=now,
    )
    companions.carry_over(appointment, proposal)  # a moved visit keeps its second visitors
    session.add(proposal)
    invitation.status = InvitationStatus.REQUESTED
    invitation.version += 1
    invitation_id = invitation.id  # a rollback expires `invitation`
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()
        return Outcome("slot_taken", appointment_id, invitation_id)
    await tell_household(session, invitation, "proposal", {"appointment": proposal.id}, now)
    await withdraw_from_calendars(session, appointment, invitation, now)
    await session.commit()
    return Outcome("proposed", proposal.id, invitation.id)


async def cancel_by_teacher(session: AsyncSession, appointment_id: int, teacher_id: int, reason: str,
                            now: datetime) -> Outcome:
    if reason not in TEACHER_CANCEL_REASONS:
        raise NotAllowed
    appointment, invitation = await _teachers_appointment(session, appointment_id, teacher_id)
    if appointment.status not in ACTIVE_APPOINTMENT_STATES:
        await release(session)
        return Outcome("stale", appointment_id, invitation.id)
    await reopen(session, appointment, invitation, "teacher", reason, now)
    await siblings.leave(session, invitation)  # only this teacher's part: the others stand
    await tell_household(session, invitation, "cancelled_by_teacher", {"appointment": appointment.id}, now)
    await withdraw_from_calendars(session, appointment, invitation, now)
    await session.commit()
    return Outcome("cancelled", appointment_id, invitation.id)


# -- reading ----------------------------------------------------------------------------

async def free_for_proposal(session: AsyncSession, appointment: Appointment, now: datetime) -> list | None:
    """The times the teacher may propose instead of this appointment; None when it no
    longer stands (changed, cancelled) or the period is closed."""
    invitation = await session.get(Invitation, appointment.invitation_id)
    period = await _open_period(session, invitation)
    if period is None or appointment.status not in ACTIVE_APPOINTMENT_STATES:
        return None
    return await availability.free_slots(session, period, appointment.teacher_id, now,
                                         ignore_appointment=appointment.id)


async def invitation_of_appointment(session: AsyncSession, appointment_id: int) -> int | None:
    return await session.scalar(select(Appointment.invitation_id).where(Appointment.id == appointment_id))


async def teachers_appointment(session: AsyncSession, appointment_id: int, teacher_id: int) -> Appointment | None:
    """The appointment, read afresh, when it is this teacher's; else None (which reveals nothing)."""
    appointment = await session.get(Appointment, appointment_id, populate_existing=True)
    return appointment if appointment is not None and appointment.teacher_id == teacher_id else None


@dataclass(frozen=True)
class AgendaItem:
    appointment: Appointment
    invitation_id: int
    children: tuple[str, ...]
    class_names: tuple[str, ...]
    guardians: tuple[tuple[str, str | None], ...]  # (name, phone)
    postcode: str | None = None  # the household's, for grouping an evening by area (bot/services/areas.py)
    interpreter_wanted: bool | None = None  # the family's answer to "would an interpreter help?"
    colleague: str | None = None  # the colleague going along, by name (bot/services/companions.py)
    lead: str | None = None  # the visit's teacher, when the reader is the colleague going along
    # Siblings visited together: the other teachers who come at the same time (bot/services/siblings.py).
    partners: tuple[str, ...] = ()


async def agenda(session: AsyncSession, teacher_id: int, since: datetime) -> list[AgendaItem]:
    """The teacher's live visits from `since` on, in time order; with those they go to as the colleague."""
    from bot.services.invitations import view

    appointments = (await session.scalars(
        select(Appointment).where(or_(Appointment.teacher_id == teacher_id, Appointment.colleague_id == teacher_id),
                                  Appointment.status.in_(ACTIVE_APPOINTMENT_STATES),
                                  Appointment.ends_at >= since)
        .order_by(Appointment.starts_at)
    )).all()
    items = []
    for appointment in appointments:
        v = await view(session, appointment.invitation_id)
        guardians = await household_guardians(session, v.invitation.household_id)
        postcode = await session.scalar(select(Household.postcode).where(Household.id == v.invitation.household_id))
        items.append(AgendaItem(appointment, v.invitation.id, v.children, v.class_names,
                                tuple((g.name, g.phone) for g in guardians), postcode=postcode,
                                interpreter_wanted=v.invitation.interpreter_wanted,
                                colleague=await session.scalar(select(Staff.name).where(
                                    Staff.id == appointment.colleague_id)) if appointment.colleague_id else None,
                                lead=v.teacher.name if appointment.teacher_id != teacher_id else None,
                                partners=tuple(p.teacher.name for p in v.partners if p.appointment is not None
                                               and p.appointment.starts_at == appointment.starts_at)))
    return items
