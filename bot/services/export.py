"""Notes for the pupil tracking system: CSV in UTF-8 with BOM (spreadsheet programs
open it right), one row per visit, and nothing a spreadsheet would run as a formula."""
from __future__ import annotations

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.questionnaire import Question
from bot.services.spreadsheet import safe
from db.models import (
    Appointment,
    AuditEntry,
    FollowUp,
    Invitation,
    Note,
    Pupil,
    SchoolClass,
    Staff,
    VisitPeriod,
    pupil_households,
)


class ExportError(ValueError):
    pass


async def export_notes(session: AsyncSession, school_id: int, period_name: str, questions: tuple[Question, ...],
                       tz: ZoneInfo, actor: str, now: datetime) -> bytes:
    period = await session.scalar(select(VisitPeriod).where(VisitPeriod.school_id == school_id,
                                                            VisitPeriod.name == period_name))
    if period is None:
        raise ExportError(f"no visit period named {period_name!r}")
    rows = (await session.execute(
        select(Note, Appointment, Invitation, Staff.name)
        .join(Appointment, Appointment.id == Note.appointment_id)
        .join(Invitation, Invitation.id == Appointment.invitation_id)
        .join(Staff, Staff.id == Note.author_id)
        .where(Invitation.period_id == period.id)
        .order_by(Appointment.starts_at, Note.id)
    )).all()
    keys = [q.key for q in questions]
    extra_keys = sorted({k for note, *_ in rows for k in (note.answers or {})} - set(keys))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["pupil_id", "date", "teacher", "venue", "outcome", *keys, *extra_keys, "follow_ups"])
    for note, appointment, invitation, teacher in rows:
        pupils = (await session.scalars(
            select(Pupil.external_id).join(pupil_households, pupil_households.c.pupil_id == Pupil.id)
            .join(SchoolClass, SchoolClass.id == Pupil.class_id)
            .where(pupil_households.c.household_id == invitation.household_id,
                   SchoolClass.teacher_id == invitation.teacher_id)
            .order_by(Pupil.external_id)
        )).all()
        follow_ups = (await session.scalars(select(FollowUp).where(FollowUp.note_id == note.id)
                                            .order_by(FollowUp.id))).all()
        answers = note.answers or {}
        cells = [";".join(pupils), appointment.starts_at.astimezone(tz).date().isoformat(), teacher,
                 appointment.venue, note.outcome]
        for key in (*keys, *extra_keys):
            answer = answers.get(key, {})
            cells.append(answer.get("text") or ("[voice message]" if answer.get("voice") else ""))
        cells.append("; ".join(f"{f.kind}{': ' + f.text if f.text else ''}{' (done)' if f.done_at else ''}"
                               for f in follow_ups))
        writer.writerow([safe(c) for c in cells])
    session.add(AuditEntry(school_id=school_id, actor=actor, action="notes_export",
                           subject=f"period:{period.name}"[:120], at=now))
    await session.commit()
    return "\ufeff".encode() + out.getvalue().encode("utf-8")
