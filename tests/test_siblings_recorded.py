"""Siblings' joint visit when a teacher records what a family said outside the bot, and a
visit moved by the teacher that keeps its second visitor: through the services, on both
databases.

    Jansen (H1): Emma in Groep 3 (Marieke), Lucas in Groep 5 (Jeroen), visited together.
"""
from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import select

from bot.services import arrangements, companions
from bot.services.availability import add_window
from bot.services.booking import confirm, request_slot
from bot.services.invitations import invitations_of_guardians, live_appointment, send_invitations
from bot.services.periods import PeriodDraft, open_period
from bot.services.roster import import_roster
from bot.services.schools import ensure_school
from db.models import Channel, Guardian, Invitation, InvitationStatus, Staff
from tests.words import SCHOOL_TZ

THU = date(2026, 11, 19)
NOW = datetime(2026, 11, 10, 12, 0, tzinfo=SCHOOL_TZ)
MARIEKE, JEROEN, SANNE = "Marieke de Vries", "Jeroen Bakker", "Sanne Vermeulen"
ROSTER = (
    "pupil_id,pupil_name,class,teacher,household_id,guardian_name,guardian_phone,guardian_language\n"
    f"P1,Emma Jansen,Groep 3,{MARIEKE},H1,Anouk Jansen,+31 6 1234 5601,nl\n"
    f"P2,Lucas Jansen,Groep 5,{JEROEN},H1,Anouk Jansen,+31 6 1234 5601,nl\n"
    f"P3,Bram Bos,Groep 7,{SANNE},H2,Anja Bos,+31 6 1234 5602,nl\n"
).encode()


def at(hhmm: str) -> datetime:
    hours, minutes = map(int, hhmm.split(":"))
    return datetime.combine(THU, time(hours, minutes), tzinfo=SCHOOL_TZ)


async def _school(session):
    school = await ensure_school(session, "De Regenboog", "Europe/Amsterdam", "nl", NOW)
    await import_roster(session, school.id, ROSTER, default_language="nl", now=NOW)
    period = await open_period(session, school.id, PeriodDraft("Huisbezoeken", date(2026, 11, 16),
                                                               date(2026, 11, 27)), NOW)
    staff = dict((await session.execute(select(Staff.name, Staff.id))).all())
    for name in (MARIEKE, JEROEN, SANNE):
        await add_window(session, period, staff[name], THU, time(15), time(21), SCHOOL_TZ, NOW)
    await send_invitations(session, period, NOW)
    parts = {teacher: invitation for teacher, invitation in (await session.execute(
        select(Staff.name, Invitation).join(Staff, Staff.id == Invitation.teacher_id)
        .join(Guardian, Guardian.household_id == Invitation.household_id)
        .where(Guardian.name == "Anouk Jansen"))).all()}
    anouk = await session.scalar(select(Guardian.id).where(Guardian.name == "Anouk Jansen"))
    return staff, parts, anouk


async def test_a_no_said_to_one_teacher_is_that_teachers_part_alone(session):
    staff, parts, anouk = await _school(session)
    assert parts[MARIEKE].joint_id == parts[JEROEN].joint_id is not None  # one invitation for the two
    [shown] = await invitations_of_guardians(session, (anouk,))
    assert shown.invitation.id == parts[MARIEKE].joint_id

    outcome = await arrangements.record_decline(session, parts[MARIEKE].id, staff[MARIEKE], "no_time",
                                                Channel.PHONE, NOW)
    assert outcome.code == "declined"
    for invitation in parts.values():
        await session.refresh(invitation)
    assert parts[MARIEKE].status == InvitationStatus.DECLINED
    # Jeroen's part is still open, now on its own: the family sees it, and can still choose a time.
    assert parts[JEROEN].status == InvitationStatus.PENDING and parts[JEROEN].joint_id is None
    assert {v.invitation.id for v in await invitations_of_guardians(session, (anouk,))} == {
        parts[JEROEN].id, parts[MARIEKE].id}
    asked = await request_slot(session, parts[JEROEN].id, (anouk,), at("17:30"), "home", None, NOW)
    assert asked.code == "requested"


async def test_a_visit_the_teacher_moves_after_a_phone_call_keeps_its_colleague(session):
    staff, parts, anouk = await _school(session)
    asked = await request_slot(session, parts[MARIEKE].id, (anouk,), at("16:15"), "home", None, NOW)
    assert asked.code == "requested"
    confirmed = await confirm(session, asked.appointment_id, staff[MARIEKE], NOW)
    assert confirmed.code == "confirmed"
    added = await companions.add_colleague(session, asked.appointment_id, staff[MARIEKE], staff[SANNE], NOW)
    assert added.code == "added"

    moved = await arrangements.record_visit(session, parts[MARIEKE].id, staff[MARIEKE], at("18:45"), "home", None,
                                            Channel.PHONE, NOW)
    assert moved.code == "confirmed"
    visit = await live_appointment(session, parts[MARIEKE].id)
    assert (visit.starts_at, visit.colleague_id) == (at("18:45"), staff[SANNE])
