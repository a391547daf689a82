"""A second visitor on a confirmed visit: a colleague of the same school (a user of the
bot, who then sees the visit in their agenda, feed and morning overview) and/or an
interpreter (a name and a phone number, not a user of the bot). The family hears who
will come; the colleague hears when they are added or taken off. And the family's answer
to "would an interpreter help?", asked once in the booking flow.

Every change is checked here: the visit is the teacher's own and confirmed, the colleague
is an active staff member of the same school and not the teacher, an interpreter has a
name. Messages go through the outbox in the same transaction as the change."""
from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import booking, siblings
from bot.services.invitations import view_for_guardian
from bot.services.outbox import enqueue
from bot.services.reminders import DEFAULT_PLAN, ReminderPlan, schedule_overview
from db.locking import lock_teacher, release
from db.models import (
    ACTIVE_APPOINTMENT_STATES,
    Appointment,
    AppointmentStatus,
    Invitation,
    Note,
    Staff,
)

log = logging.getLogger(__name__)

NAME_MAX = 120  # appointments.interpreter_name
PHONE_MAX = 40  # appointments.interpreter_phone
PHONE_DIGITS = (6, 15)  # a phone number has this many digits (E.164 has at most 15)
_PHONE_CHARS = re.compile(r"^\+?[0-9 ()./-]+$")
DUTCH = ("nl", "nl_BE")
VISITED = ("done", "at_school", "by_phone")  # a note's outcomes where the visitors went (as in coverage)


@dataclass(frozen=True)
class Outcome:
    # added, removed, saved, unchanged, stale (not a confirmed visit of this teacher any more),
    # not_colleague (no active staff member of this school), self, busy, no_name, phone_like, too_long, bad_phone
    code: str
    appointment_id: int | None = None


@dataclass(frozen=True)
class Company:
    """Who goes to a visit: its teacher, and the second visitors if any."""

    teacher: str
    colleague: str | None
    colleague_id: int | None
    interpreter: str | None
    interpreter_phone: str | None


# -- what was typed ---------------------------------------------------------------------

def clean_name(text: str | None) -> tuple[str | None, str | None]:
    """(the interpreter's name, None), or (None, why not): `no_name`, `phone_like`, `too_long`."""
    name = " ".join((text or "").split())
    if not name:
        return None, "no_name"
    if len(name) > NAME_MAX:
        return None, "too_long"
    if not any(ch.isalpha() for ch in name):
        return None, "phone_like" if any(ch.isdigit() for ch in name) else "no_name"
    return name, None


def clean_phone(text: str | None) -> str | None:
    """A phone number as typed (spaces tidied), when it looks like one: 6 to 15 digits, an
    optional + in front, and only spaces, brackets, dots, dashes or slashes between. Else None."""
    phone = " ".join((text or "").split())
    if not phone or len(phone) > PHONE_MAX or not _PHONE_CHARS.match(phone):
        return None
    digits = sum(ch.isdigit() for ch in phone)
    return phone if PHONE_DIGITS[0] <= digits <= PHONE_DIGITS[1] else None


# -- reading -------------------------------------------------------------------------------

async def teachers_visit(session: AsyncSession, appointment_id: int, teacher_id: int) -> Appointment | None:
    """The teacher's own confirmed visit, read afresh; else None (which reveals nothing)."""
    appointment = await session.get(Appointment, appointment_id, populate_existing=True)
    if appointment is None or appointment.teacher_id != teacher_id or appointment.status != AppointmentStatus.CONFIRMED:
        return None
    return appointment


async def company(session: AsyncSession, appointment: Appointment) -> Company:
    teacher = await session.get(Staff, appointment.teacher_id)
    colleague = await session.get(Staff, appointment.colleague_id) if appointment.colleague_id else None
    return Company(teacher.name if teacher else "", colleague.name if colleague else None,
                   colleague.id if colleague else None, appointment.interpreter_name, appointment.interpreter_phone)


async def colleagues(session: AsyncSession, appointment: Appointment) -> list[tuple[int, str]]:
    """(id, name) of everyone who may go along: the school's active staff but the teacher, by name."""
    rows = await session.execute(
        select(Staff.id, Staff.name).where(Staff.school_id == appointment.school_id, Staff.active.is_(True),
                                           Staff.id != appointment.teacher_id).order_by(Staff.name))
    return [(r.id, r.name) for r in rows.all()]


async def _busy(session: AsyncSession, appointment: Appointment, staff_id: int) -> bool:
    """The colleague has a visit of their own (or goes along to one) at the same time."""
    clash = await session.scalar(
        select(func.count()).select_from(Appointment).where(
            or_(Appointment.teacher_id == staff_id, Appointment.colleague_id == staff_id),
            Appointment.status.in_(ACTIVE_APPOINTMENT_STATES), Appointment.id != appointment.id,
            Appointment.starts_at < appointment.ends_at, Appointment.ends_at > appointment.starts_at))
    return bool(clash)


# -- changing --------------------------------------------------------------------------------

async def _turn(session: AsyncSession, appointment_id: int, teacher_id: int) -> Appointment | None:
    """The teacher's lock, then their confirmed visit read afresh (None: released, nothing to do)."""
    await lock_teacher(session, teacher_id)
    appointment = await teachers_visit(session, appointment_id, teacher_id)
    if appointment is None:
        await release(session)
    return appointment


def _tell_colleague(session: AsyncSession, appointment: Appointment, colleague: Staff | None, kind: str,
                    now: datetime, quiet: bool = True) -> None:
    if colleague is None:
        return
    enqueue(session, school_id=appointment.school_id, account_id=colleague.account_id, kind=kind,
            payload={"appointment": appointment.id, "colleague": colleague.id}, due_at=now, now=now, quiet=quiet)


async def tell_colleague(session: AsyncSession, appointment: Appointment, kind: str, now: datetime, *,
                         quiet: bool = True) -> None:
    """The colleague going along, if any, hears what became of the visit: `colleague_added` when
    a moved visit is confirmed at its new time, `colleague_cancelled` when it is cancelled
    (at once, `quiet=False`, when it is tonight's visit and something came up)."""
    if appointment.colleague_id is not None:
        _tell_colleague(session, appointment, await session.get(Staff, appointment.colleague_id), kind, now, quiet)


async def _tell_family(session: AsyncSession, appointment: Appointment, now: datetime) -> None:
    """The family hears who will come, when the visit is still to come."""
    if appointment.starts_at > now:
        invitation = await session.get(Invitation, appointment.invitation_id)
        await booking.tell_household(session, invitation, "companions", {"appointment": appointment.id}, now)


async def add_colleague(session: AsyncSession, appointment_id: int, teacher_id: int, colleague_id: int,
                        now: datetime, plan: ReminderPlan = DEFAULT_PLAN) -> Outcome:
    """A colleague goes along (in place of an earlier one, who is told)."""
    appointment = await _turn(session, appointment_id, teacher_id)
    if appointment is None:
        return Outcome("stale", appointment_id)
    colleague = await session.get(Staff, colleague_id)
    if colleague is None or colleague.school_id != appointment.school_id or not colleague.active:
        await release(session)
        log.warning("staff %s asked for staff %s as a colleague: not of the school", teacher_id, colleague_id)
        return Outcome("not_colleague", appointment_id)
    if colleague.id == teacher_id:
        await release(session)
        return Outcome("self", appointment_id)
    if appointment.colleague_id == colleague.id:
        await release(session)
        return Outcome("unchanged", appointment_id)
    if await _busy(session, appointment, colleague.id):
        await release(session)
        return Outcome("busy", appointment_id)
    before = await session.get(Staff, appointment.colleague_id) if appointment.colleague_id else None
    appointment.colleague_id = colleague.id
    appointment.updated_at = now
    _tell_colleague(session, appointment, before, "colleague_removed", now)
    _tell_colleague(session, appointment, colleague, "colleague_added", now)
    await schedule_overview(session, appointment, colleague, now, plan)
    await _tell_family(session, appointment, now)
    await session.commit()
    return Outcome("added", appointment_id)


async def remove_colleague(session: AsyncSession, appointment_id: int, teacher_id: int, now: datetime) -> Outcome:
    appointment = await _turn(session, appointment_id, teacher_id)
    if appointment is None:
        return Outcome("stale", appointment_id)
    if appointment.colleague_id is None:
        await release(session)
        return Outcome("unchanged", appointment_id)
    before = await session.get(Staff, appointment.colleague_id)
    appointment.colleague_id = None
    appointment.updated_at = now
    # Their agenda, feed and morning overview read the visit afresh: it is gone from them now.
    _tell_colleague(session, appointment, before, "colleague_removed", now)
    await _tell_family(session, appointment, now)
    await session.commit()
    return Outcome("removed", appointment_id)


async def set_interpreter(session: AsyncSession, appointment_id: int, teacher_id: int, name: str | None,
                          phone: str | None, now: datetime) -> Outcome:
    """An interpreter goes along: a name (required) and a phone number (optional, checked loosely)."""
    cleaned, why = clean_name(name)
    if cleaned is None:
        return Outcome(why, appointment_id)
    number = None
    if phone is not None and phone.strip():
        number = clean_phone(phone)
        if number is None:
            return Outcome("bad_phone", appointment_id)
    appointment = await _turn(session, appointment_id, teacher_id)
    if appointment is None:
        return Outcome("stale", appointment_id)
    appointment.interpreter_name, appointment.interpreter_phone = cleaned, number
    appointment.updated_at = now
    await _tell_family(session, appointment, now)
    await session.commit()
    return Outcome("saved", appointment_id)


async def remove_interpreter(session: AsyncSession, appointment_id: int, teacher_id: int, now: datetime) -> Outcome:
    appointment = await _turn(session, appointment_id, teacher_id)
    if appointment is None:
        return Outcome("stale", appointment_id)
    if appointment.interpreter_name is None:
        await release(session)
        return Outcome("unchanged", appointment_id)
    appointment.interpreter_name = appointment.interpreter_phone = None
    appointment.updated_at = now
    await _tell_family(session, appointment, now)
    await session.commit()
    return Outcome("removed", appointment_id)


def carry_over(old: Appointment, new: Appointment) -> None:
    """A visit moved to a new appointment row keeps its second visitors."""
    new.colleague_id = old.colleague_id
    new.interpreter_name, new.interpreter_phone = old.interpreter_name, old.interpreter_phone


# -- the interpreter question ------------------------------------------------------------------

def ask_interpreter(invitation: Invitation, *languages: str | None) -> bool:
    """Ask the family whether an interpreter would help: once (not after it answered, so not
    on a reschedule), and only when the reader's or the guardian's language is not Dutch."""
    return invitation.interpreter_wanted is None and any(lang and lang not in DUTCH for lang in languages)


async def answer_interpreter(session: AsyncSession, invitation_id: int, guardian_ids: tuple[int, ...],
                             wanted: bool) -> None:
    """The family's answer; NotAllowed for someone not of the household. Not a new version of
    the invitation: the booking flow the question sits in goes on."""
    view = await view_for_guardian(session, invitation_id, guardian_ids)
    # Siblings visited together: every teacher of the joint visit reads the same answer.
    for invitation in await siblings.members(session, view.invitation):
        invitation.interpreter_wanted = wanted
    await session.commit()


# -- coverage ----------------------------------------------------------------------------------

async def visits_along(session: AsyncSession, period_id: int) -> Counter:
    """Per staff member, the visits of this period they went to as the colleague (a note says
    the visit took place)."""
    rows = await session.execute(
        select(Appointment.colleague_id, func.count())
        .join(Invitation, Invitation.id == Appointment.invitation_id)
        .join(Note, and_(Note.appointment_id == Appointment.id, Note.outcome.in_(VISITED)))
        .where(Invitation.period_id == period_id, Appointment.colleague_id.is_not(None))
        .group_by(Appointment.colleague_id))
    return Counter({staff_id: n for staff_id, n in rows.all()})

