"""Siblings in one visit (SIBLING_VISITS=together): a household with children in several
classes gets one visit of all their teachers instead of one visit per teacher.

The invitations stay one per (household, teacher), so each teacher's agenda, calendar
feed, call list and slot checks keep working; they are linked by `Invitation.joint_id`,
the smallest invitation id of the group (the *lead*, the one the family is messaged
about). The rules:

- **Invite**: only the lead's invitation is sent; it names every child and teacher.
- **Times**: those of the lead's teacher (entering through any member works the same)
  at which every other teacher of the group is free too (`joint_free_slots`).
- **No shared time** when the family opens or chooses: the group falls apart
  (`apart`): joint_id cleared and each invitation sent on its own, at once.
- **Request**: one appointment per member at the same time (`request_partners`), each
  teacher gets the request naming the others.
- **Confirm**: one confirmation by any teacher confirms every part (`confirm_joint`);
  the family hears once; the other teachers are told.
- **A teacher cancels**: only their own part; that invitation leaves the group
  (`leave`) and the family may choose a new time for it alone; the other part stands.
- **A teacher proposes another time**: their part leaves the group first and the
  proposal is for their part alone (the others' request stands): a joint time that
  suits the family has been chosen already, and the others should not lose it.
- **A teacher records a visit agreed outside the bot** (phone, door, letter): that is
  their part alone; it leaves the group (bot/services/arrangements.py).
- **The family cancels, declines, or finds no time**: it holds for every part.
- **Messages**: invitations, nudges, confirmations and the family's reminders go out for
  the lead only (bot/notices.py skips a follower's); each teacher gets their own request,
  reminders and note prompt; the other teachers hear when one confirms (`joint_confirmed`).

Races: the group's appointments are confirmed with compare-and-set updates in id order
(no second teacher lock, so two teachers confirming at once cannot deadlock: the later
one finds nothing left to confirm); every new part is a live appointment, so the unique
slot index refuses a time another family took meanwhile.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import availability, booking, reminders
from bot.services.invitations import children_of, household_guardians, live_appointment
from bot.services.outbox import enqueue
from bot.services.slots import Slot
from db.models import (
    ACTIVE_APPOINTMENT_STATES,
    Appointment,
    AppointmentStatus,
    AvailabilityWindow,
    Channel,
    Guardian,
    Invitation,
    InvitationStatus,
    Staff,
    VisitPeriod,
)

TOGETHER, EACH = "together", "each"
SIBLING_VISITS = (TOGETHER, EACH)


@dataclass(frozen=True)
class Partner:
    """Another teacher's part of a joint visit, as the family or a teacher reads it."""

    invitation: Invitation
    teacher: Staff
    children: tuple[str, ...]
    class_names: tuple[str, ...]
    appointment: Appointment | None



def link(created: list[Invitation], sibling_visits: str) -> set[int]:
    """Group a household's new invitations (flushed, so with ids) under the first of them.
    The ids of the invitations that follow a lead (no message of their own)."""
    if sibling_visits != TOGETHER:
        return set()
    by_household: dict[int, list[Invitation]] = defaultdict(list)
    for invitation in created:
        by_household[invitation.household_id].append(invitation)
    followers: set[int] = set()
    for group in by_household.values():
        if len(group) < 2:
            continue
        lead = min(i.id for i in group)
        for invitation in group:
            invitation.joint_id = lead
        followers.update(i.id for i in group if i.id != lead)
    return followers


async def members(session: AsyncSession, invitation: Invitation) -> list[Invitation]:
    """The invitations of its group, in id order (itself alone when it has none)."""
    if invitation.joint_id is None:
        return [invitation]
    return list((await session.scalars(
        select(Invitation).where(Invitation.joint_id == invitation.joint_id,
                                 Invitation.period_id == invitation.period_id)
        .order_by(Invitation.id).execution_options(populate_existing=True)
    )).all())



async def partners(session: AsyncSession, invitation: Invitation) -> tuple[Partner, ...]:
    """The other parts of its joint visit (none when it is visited on its own)."""
    if invitation.joint_id is None:
        return ()
    result = []
    for other in await members(session, invitation):
        if other.id == invitation.id:
            continue
        rows = await children_of(session, other.household_id, other.teacher_id)
        result.append(Partner(other, await session.get(Staff, other.teacher_id), tuple(r[0] for r in rows),
                              tuple(dict.fromkeys(r[1] for r in rows)), await live_appointment(session, other.id)))
    return tuple(result)


# -- times ------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Time:
    """A teacher's windows and live visits, to check times off the teacher's own grid."""

    windows: list[tuple[datetime, datetime]]
    busy: list[tuple[datetime, datetime]]
    buffer: timedelta
    not_before: datetime

    def holds(self, slot: Slot) -> bool:
        """A window holds the visit, and it keeps the travel buffer from every other visit."""
        return (slot.starts_at >= self.not_before
                and any(start <= slot.starts_at and slot.ends_at <= end for start, end in self.windows)
                and not any(slot.starts_at < end + self.buffer and start - self.buffer < slot.ends_at
                            for start, end in self.busy))


async def _time_of(session: AsyncSession, period: VisitPeriod, teacher_id: int, now: datetime,
                   ignore_appointment: int | None) -> _Time:
    windows = (await session.execute(
        select(AvailabilityWindow.starts_at, AvailabilityWindow.ends_at).where(
            AvailabilityWindow.period_id == period.id, AvailabilityWindow.teacher_id == teacher_id)
    )).all()
    busy = (await session.execute(
        select(Appointment.starts_at, Appointment.ends_at).where(
            Appointment.teacher_id == teacher_id, Appointment.status.in_(ACTIVE_APPOINTMENT_STATES),
            Appointment.id != (ignore_appointment or -1))
    )).all()
    return _Time([tuple(w) for w in windows], [tuple(b) for b in busy], timedelta(minutes=period.buffer_minutes),
                 now + availability.MIN_LEAD)


async def joint_free_slots(session: AsyncSession, period: VisitPeriod, invitation: Invitation,
                           own: list[Slot], now: datetime) -> list[Slot]:
    """Of `own` (the free slots of this invitation's teacher), those at which every other
    teacher of the group is free too (on the first teacher's grid: the others' windows
    need only hold the visit)."""
    others = [await _time_of(session, period, p.invitation.teacher_id, now,
                             p.appointment.id if p.appointment else None)
              for p in await partners(session, invitation)]
    return [slot for slot in own if all(other.holds(slot) for other in others)]


async def free_slots_or_apart(session: AsyncSession, view, now: datetime) -> list[Slot]:
    """The times the family may choose for this invitation. For a joint visit: the shared
    ones; when there are none (and nothing is planned yet), the group falls apart and the
    separate invitations go out (`apart`), and the list is empty."""
    appointment = view.appointment
    own = await availability.free_slots(session, view.period, view.invitation.teacher_id, now,
                                        ignore_appointment=appointment.id if appointment else None)
    if not view.partners:
        return own
    shared = await joint_free_slots(session, view.period, view.invitation, own, now)
    if not shared and apart_when_empty(view):
        await apart(session, view.invitation, now)
    return shared


def apart_when_empty(view) -> bool:
    """A joint visit with no shared time falls apart unless a part is planned already
    (then the family keeps it and may ask the teachers for another moment)."""
    return bool(view.partners) and view.appointment is None and all(p.appointment is None for p in view.partners)


async def apart(session: AsyncSession, invitation: Invitation, now: datetime) -> bool:
    """Dissolve the group: each invitation is visited on its own and sent to the household
    at once (an answer to their own action). False when someone else did it first."""
    joint_id = invitation.joint_id
    if joint_id is None:
        return False
    group = await members(session, invitation)
    done = await session.execute(
        update(Invitation).where(Invitation.joint_id == joint_id, Invitation.period_id == invitation.period_id)
        .values(joint_id=None, version=Invitation.version + 1).execution_options(synchronize_session=False)
    )
    if done.rowcount == 0:
        await session.rollback()
        return False
    for guardian in await household_guardians(session, invitation.household_id):
        for member in group:
            enqueue(session, school_id=member.school_id, account_id=guardian.account_id, kind="invitation",
                    payload={"invitation": member.id, "guardian": guardian.id}, due_at=now, now=now, quiet=False)
    await session.commit()
    return True


async def leave(session: AsyncSession, invitation: Invitation) -> None:
    """This invitation is visited on its own from now on; a group of one is no group."""
    if invitation.joint_id is None:
        return
    rest = [m for m in await members(session, invitation) if m.id != invitation.id]
    invitation.joint_id = None
    for member in rest:
        member.joint_id = min(m.id for m in rest) if len(rest) > 1 else None


# -- the family ---------------------------------------------------------------------------

async def request_partners(session: AsyncSession, invitation: Invitation, appointment: Appointment,
                           guardian: Guardian, channel: Channel, now: datetime) -> bool:
    """The family chose a time for the group (the request for `invitation` is written):
    ask every other teacher of the group for the same time. False when one of them is no
    longer free then (the caller rolls back)."""
    period = await session.get(VisitPeriod, invitation.period_id)
    who = booking._who(guardian, channel)
    slot = Slot(appointment.starts_at, appointment.ends_at)
    for member in await members(session, invitation):
        if member.id == invitation.id:
            continue
        previous = await live_appointment(session, member.id)
        their_time = await _time_of(session, period, member.teacher_id, now, previous.id if previous else None)
        if not their_time.holds(slot):
            return False
        if previous is not None:
            await booking.end_appointment(session, previous, AppointmentStatus.REPLACED, now)
            await session.flush()
        part = Appointment(
            school_id=member.school_id, invitation_id=member.id, teacher_id=member.teacher_id,
            starts_at=slot.starts_at, ends_at=slot.ends_at, venue=appointment.venue, place=appointment.place,
            status=AppointmentStatus.REQUESTED, channel=channel, requested_by=who, created_at=now, updated_at=now,
        )
        session.add(part)
        member.status = InvitationStatus.REQUESTED
        member.decline_reason = None
        booking.mark_answered(member, channel, now, who)
        try:
            await session.flush()
        except IntegrityError:
            return False
        await booking.tell_teacher(session, member, "reschedule_request" if previous else "request",
                                   {"appointment": part.id}, now)
    return True


async def cancel_partners(session: AsyncSession, invitation: Invitation, now: datetime, *,
                          reason: str | None = None, quiet: bool = True) -> None:
    """The family cancelled the joint visit: every other part is cancelled too (the family
    may choose a new time for all of them). `reason` and `quiet` as for the family's own
    part ("something came up" tonight reaches every teacher at once)."""
    for member in await members(session, invitation):
        appointment = await live_appointment(session, member.id) if member.id != invitation.id else None
        if appointment is None:
            continue
        await booking.reopen(session, appointment, member, "guardian", reason, now)
        await booking.tell_teacher(session, member, "cancelled_by_parent", {"appointment": appointment.id}, now,
                                   quiet=quiet)


async def partner_appointments(session: AsyncSession, appointment: Appointment) -> list[Appointment]:
    """The other teachers' live parts of the same joint visit (at the same time), if any."""
    invitation = await session.get(Invitation, appointment.invitation_id)
    if invitation is None or invitation.joint_id is None:
        return []
    found = []
    for member in await members(session, invitation):
        part = await live_appointment(session, member.id) if member.id != invitation.id else None
        if part is not None and part.starts_at == appointment.starts_at:
            found.append(part)
    return found


async def decline_partners(session: AsyncSession, invitation: Invitation, reason: str | None, channel: Channel,
                           guardian: Guardian, now: datetime) -> None:
    """'Not this year' holds for every teacher of the group."""
    for member in await members(session, invitation):
        if member.id == invitation.id or member.status == InvitationStatus.DECLINED:
            continue
        appointment = await live_appointment(session, member.id)
        if appointment is not None:
            await booking.cancel_appointment(session, appointment, "guardian", "declined", now)
        member.status = InvitationStatus.DECLINED
        member.decline_reason = reason or member.decline_reason
        booking.mark_answered(member, channel, now, booking._who(guardian, channel))
        await booking.tell_teacher(session, member, "declined", {"invitation": member.id}, now)


async def no_fit_partners(session: AsyncSession, invitation: Invitation, channel: Channel, guardian: Guardian,
                          now: datetime) -> None:
    """None of the shared times fits: every teacher of the group hears it."""
    for member in await members(session, invitation):
        if member.id == invitation.id or member.status != InvitationStatus.PENDING:
            continue
        member.status = InvitationStatus.NO_FIT
        booking.mark_answered(member, channel, now, booking._who(guardian, channel))
        await booking.tell_teacher(session, member, "no_fit", {"invitation": member.id}, now)


# -- the teachers ---------------------------------------------------------------------------

async def confirm_joint(session: AsyncSession, appointment: Appointment, invitation: Invitation, teacher_id: int,
                        now: datetime, plan) -> booking.Outcome:
    """One teacher confirms the joint visit: every part asked for at that time is confirmed
    (compare-and-set, in id order), the family hears once (about the lead's part), the
    other teachers are told. `already_confirmed` when another teacher was first."""
    group = await members(session, invitation)
    parts: list[tuple[Invitation, Appointment]] = []
    for member in group:
        part = appointment if member.id == invitation.id else await live_appointment(session, member.id)
        if part is not None and part.status == AppointmentStatus.REQUESTED and part.starts_at == appointment.starts_at:
            parts.append((member, part))
    confirmed: list[tuple[Invitation, Appointment]] = []
    for member, part in sorted(parts, key=lambda p: p[1].id):
        done = await session.execute(
            update(Appointment).where(Appointment.id == part.id, Appointment.status == AppointmentStatus.REQUESTED)
            .values(status=AppointmentStatus.CONFIRMED, confirmed_at=now, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if done.rowcount:
            confirmed.append((member, part))
    if not any(p.id == appointment.id for _, p in confirmed):
        await session.commit()  # (nothing was changed: the other teacher confirmed first)
        return booking.Outcome("already_confirmed", appointment.id, invitation.id)
    for member, part in confirmed:
        await session.refresh(part)
        await reminders.schedule(session, part, now, plan)
        member.status = InvitationStatus.BOOKED
        member.version += 1
        if part.teacher_id != teacher_id:
            await booking.tell_teacher(session, member, "joint_confirmed",
                                       {"appointment": part.id, "by": teacher_id}, now)
    lead_member, lead_part = min(confirmed, key=lambda p: p[0].id)
    await booking.tell_household(session, lead_member, "confirmed", {"appointment": lead_part.id}, now)
    await session.commit()
    return booking.Outcome("confirmed", appointment.id, invitation.id)
