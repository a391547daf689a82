"""Notes after a visit, follow-ups, and who may read them.

A note is about a child. Its author and the coordinator read it; nobody else, whatever
they send. Every read by the coordinator is written to the audit log. The author may
change it for 24 hours. Notes are deleted after the school's retention time.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.booking import reopen
from bot.services.invitations import NotAllowed, household_guardians, view
from bot.services.outbox import enqueue, enqueue_once
from db.models import (
    FOLLOW_UP_KINDS,
    NOTE_OUTCOMES,
    Appointment,
    AppointmentStatus,
    AuditEntry,
    FollowUp,
    Invitation,
    Note,
    Staff,
)

EDIT_WINDOW = timedelta(hours=24)
RECENT = timedelta(days=21)
MAX_ANSWER = 4096  # a whole Telegram message: what the teacher typed is kept whole


class NoteLocked(Exception):
    """The 24 hours to change a note have passed."""


@dataclass(frozen=True)
class Reader:
    staff_id: int | None
    is_coordinator: bool


@dataclass(frozen=True)
class VisitItem:
    appointment: Appointment
    children: tuple[str, ...]
    class_names: tuple[str, ...]
    note_id: int | None


async def visits_to_note(session: AsyncSession, teacher_id: int, now: datetime) -> list[VisitItem]:
    """The teacher's visits that started (or start within the hour), today's first, then recent."""
    rows = (await session.scalars(
        select(Appointment).where(Appointment.teacher_id == teacher_id,
                                  Appointment.status == AppointmentStatus.CONFIRMED,
                                  Appointment.starts_at <= now + timedelta(hours=1),
                                  Appointment.starts_at >= now - RECENT)
        .order_by(Appointment.starts_at.desc())
    )).all()
    notes = dict((await session.execute(
        select(Note.appointment_id, Note.id).where(Note.appointment_id.in_([a.id for a in rows] or [-1]))
    )).all())
    items = []
    for appointment in rows:
        v = await view(session, appointment.invitation_id)
        items.append(VisitItem(appointment, v.children, v.class_names, notes.get(appointment.id)))
    return items


async def _own_appointment(session: AsyncSession, appointment_id: int, teacher_id: int) -> Appointment:
    appointment = await session.get(Appointment, appointment_id)
    if appointment is None or appointment.teacher_id != teacher_id or appointment.status != AppointmentStatus.CONFIRMED:
        raise NotAllowed
    return appointment


async def may_write(session: AsyncSession, appointment_id: int, teacher_id: int) -> Appointment:
    appointment = await _own_appointment(session, appointment_id, teacher_id)
    if await session.scalar(select(Note.id).where(Note.appointment_id == appointment_id)) is not None:
        raise NoteLocked  # one note per visit; change it through the note itself
    return appointment


def clean_answers(answers: dict) -> dict:
    result = {}
    for key, answer in answers.items():
        if "text" in answer and answer["text"].strip():
            result[key] = {"text": answer["text"].strip()[:MAX_ANSWER]}
        elif answer.get("voice"):
            result[key] = {"voice": str(answer["voice"])[:200], "seconds": int(answer.get("seconds") or 0)}
    return result


async def save(
    session: AsyncSession, appointment_id: int, teacher_id: int, outcome: str, answers: dict,
    follow_ups: list[tuple[str, str | None]], now: datetime,
) -> Note:
    """Record the visit. 'not_home' frees the time and offers the family a new one."""
    if outcome not in NOTE_OUTCOMES or any(kind not in FOLLOW_UP_KINDS for kind, _ in follow_ups):
        raise NotAllowed
    appointment = await may_write(session, appointment_id, teacher_id)
    note = Note(school_id=appointment.school_id, appointment_id=appointment.id, author_id=teacher_id,
                outcome=outcome, answers=clean_answers(answers) if outcome != "not_home" else {},
                created_at=now, updated_at=now)
    session.add(note)
    await session.flush()
    for kind, text in follow_ups if outcome != "not_home" else ():
        session.add(FollowUp(school_id=appointment.school_id, note_id=note.id, teacher_id=teacher_id, kind=kind,
                             text=(text or "").strip()[:300] or None, created_at=now))
    invitation = await session.get(Invitation, appointment.invitation_id)
    if outcome == "at_school":
        appointment.venue, appointment.place = "school", None
    elif outcome == "by_phone":
        appointment.venue, appointment.place = "phone", None
    elif outcome == "not_home":
        await reopen(session, appointment, invitation, "teacher", "not_home", now)
        for guardian in await household_guardians(session, invitation.household_id):
            enqueue(session, school_id=appointment.school_id, account_id=guardian.account_id, kind="missed_visit",
                    payload={"appointment": appointment.id, "guardian": guardian.id}, due_at=now, now=now)
    appointment.updated_at = now
    await session.commit()
    return note


async def change_answer(session: AsyncSession, note_id: int, teacher_id: int, key: str, answer: dict,
                        now: datetime) -> Note:
    note = await session.get(Note, note_id)
    if note is None or note.author_id != teacher_id:
        raise NotAllowed
    if now - note.created_at > EDIT_WINDOW:
        raise NoteLocked
    answers = dict(note.answers or {})
    cleaned = clean_answers({key: answer})
    if cleaned:
        answers[key] = cleaned[key]
    else:
        answers.pop(key, None)
    note.answers = answers
    note.updated_at = now
    await session.commit()
    return note


@dataclass(frozen=True)
class NoteView:
    note: Note
    appointment: Appointment
    author: str
    children: tuple[str, ...]
    class_names: tuple[str, ...]
    follow_ups: tuple[FollowUp, ...]
    editable: bool


async def read(session: AsyncSession, note_id: int, reader: Reader, now: datetime) -> NoteView:
    """The note, for its author or the coordinator (logged); NotAllowed for anyone else."""
    note = await session.get(Note, note_id)
    if note is None or reader.staff_id is None:
        raise NotAllowed
    is_author = note.author_id == reader.staff_id
    if not (is_author or reader.is_coordinator):
        raise NotAllowed
    if not is_author and await session.scalar(select(Staff.school_id).where(Staff.id == reader.staff_id)) \
            != note.school_id:
        raise NotAllowed  # a coordinator reads the notes of their own school only
    if not is_author:
        session.add(AuditEntry(school_id=note.school_id, actor=f"staff:{reader.staff_id}", action="note_read",
                               subject=f"note:{note.id}", at=now))
        await session.commit()
    appointment = await session.get(Appointment, note.appointment_id)
    v = await view(session, appointment.invitation_id)
    author = await session.get(Staff, note.author_id)
    follow_ups = (await session.scalars(select(FollowUp).where(FollowUp.note_id == note.id).order_by(FollowUp.id))).all()
    return NoteView(note, appointment, author.name if author else "", v.children, v.class_names, tuple(follow_ups),
                    is_author and now - note.created_at <= EDIT_WINDOW)


async def has_note(session: AsyncSession, appointment_id: int) -> bool:
    return await session.scalar(select(Note.id).where(Note.appointment_id == appointment_id)) is not None


async def recent_notes(session: AsyncSession, school_id: int, limit: int = 30,
                       offset: int = 0) -> list[tuple[Note, Appointment]]:
    """The school's notes, newest visit first (for the coordinator's list, a page at a time)."""
    rows = await session.execute(
        select(Note, Appointment).join(Appointment, Appointment.id == Note.appointment_id)
        .where(Note.school_id == school_id).order_by(Appointment.starts_at.desc(), Note.id.desc())
        .limit(limit).offset(offset)
    )
    return list(rows.all())


async def count_notes(session: AsyncSession, school_id: int) -> int:
    return await session.scalar(select(func.count()).select_from(Note).where(Note.school_id == school_id)) or 0


async def open_follow_ups(session: AsyncSession, teacher_id: int) -> list[tuple[FollowUp, tuple[str, ...]]]:
    rows = (await session.execute(
        select(FollowUp, Appointment.invitation_id).join(Note, Note.id == FollowUp.note_id)
        .join(Appointment, Appointment.id == Note.appointment_id)
        .where(FollowUp.teacher_id == teacher_id, FollowUp.done_at.is_(None)).order_by(FollowUp.created_at)
    )).all()
    return [(f, (await view(session, invitation_id)).children) for f, invitation_id in rows]


async def tick_off(session: AsyncSession, follow_up_id: int, teacher_id: int, now: datetime) -> bool:
    follow_up = await session.get(FollowUp, follow_up_id)
    if follow_up is None or follow_up.teacher_id != teacher_id:
        raise NotAllowed
    if follow_up.done_at is not None:
        return False
    follow_up.done_at = now
    await session.commit()
    return True


async def plan_note_prompts(session: AsyncSession, school_id: int, now: datetime) -> int:
    """A visit not recorded a day after its time: ask the teacher again (once)."""
    rows = (await session.execute(
        select(Appointment, Staff.account_id).join(Staff, Staff.id == Appointment.teacher_id)
        .outerjoin(Note, Note.appointment_id == Appointment.id)
        .where(Appointment.school_id == school_id, Appointment.status == AppointmentStatus.CONFIRMED, Note.id.is_(None),
               Appointment.ends_at <= now - timedelta(days=1), Appointment.ends_at >= now - RECENT)
    )).all()
    queued = 0
    for appointment, account_id in rows:
        queued += await enqueue_once(session, school_id=school_id, account_id=account_id, kind="note_missing",
                                     payload={"appointment": appointment.id}, due_at=now, now=now,
                                     dedupe_key=f"note2:{appointment.id}", appointment_id=appointment.id)
    await session.commit()
    return queued


async def purge(session: AsyncSession, school_id: int, now: datetime, months: int) -> int:
    """Delete notes (and their follow-ups) older than the retention time."""
    cutoff = now - timedelta(days=round(months * 30.44))
    old = (await session.scalars(select(Note.id).where(Note.school_id == school_id, Note.created_at < cutoff))).all()
    if old:
        await session.execute(delete(FollowUp).where(FollowUp.note_id.in_(old)))
        await session.execute(delete(Note).where(Note.id.in_(old)))
    await session.commit()
    return len(old)
