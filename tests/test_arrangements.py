"""What a teacher records of a family reached outside the bot, without Telegram: a visit
agreed by phone, at the door or by letter is a confirmed appointment (with its reminders,
the household's linked guardians told, the nudges stopped); "not this year" a decline;
a call nobody answered is kept. One live appointment per invitation, whoever made it;
another class's family is refused; everything is in the audit log; coverage counts each
household by how it was reached."""
from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from sqlalchemy import select

from bot.services.arrangements import (
    families,
    record_decline,
    record_no_answer,
    record_visit,
)
from bot.services.availability import add_window, free_slots
from bot.services.booking import cancel_by_teacher, confirm, request_slot
from bot.services.coverage import coverage
from bot.services.errors import NotAllowed
from bot.services.invitations import send_invitations
from bot.services.periods import close_period
from db.models import Appointment, AuditEntry, Channel, OutboxMessage
from tests.after_visit import link
from tests.visit_setup import (
    JEROEN,
    MARIEKE,
    TZ,
    guardians_of,
    invitation,
    last_outbox_id,
    link_teacher,
    live_appointments,
    load_roster,
    local,
    new_school,
    open_autumn,
    outbox,
    teacher,
)

THU, FRI = date(2026, 11, 12), date(2026, 11, 13)
THU_15, THU_1615 = local(THU, 15), local(THU, 16, 15)


@pytest.fixture
async def school(session, clock):
    """The example roster, Marieke and Jeroen, Petra Mulder (H014) on Telegram, the
    invitations out and Marieke's times on Thursday 15:00-19:00."""
    now = clock.now()
    school_id = await new_school(session, now)
    await load_roster(session, school_id, now)
    for name in (MARIEKE, JEROEN):
        await link_teacher(session, name, now)
    await link(session, "Petra Mulder", now)
    period = await open_autumn(session, school_id, now)
    marieke = (await teacher(session, MARIEKE)).id
    await add_window(session, period, marieke, THU, time(15), time(19), TZ, now)
    await send_invitations(session, period, now)
    return school_id, period, marieke


async def audit(session, action: str) -> list[AuditEntry]:
    return list((await session.scalars(select(AuditEntry).where(AuditEntry.action == action))).all())


async def test_a_visit_agreed_by_phone_is_a_confirmed_visit_with_reminders(session, school, clock):
    _, period, marieke = school
    inv = await invitation(session, "H001", MARIEKE)  # the Jansens: not on Telegram
    outcome = await record_visit(session, inv.id, marieke, THU_1615, "home", None, Channel.PHONE, clock.now())
    assert outcome.code == "confirmed"
    visit = await session.get(Appointment, outcome.appointment_id)
    assert (visit.status, visit.channel, visit.starts_at) == ("confirmed", "phone", THU_1615)
    assert visit.ends_at - visit.starts_at == timedelta(minutes=period.visit_minutes)
    inv = await invitation(session, "H001", MARIEKE)
    assert (inv.status, inv.reached_by) == ("booked", "phone")
    kinds = {r.kind for r in await outbox(session) if r.appointment_id == visit.id}
    assert kinds == {"after_visit"}  # the teacher's note prompt; nobody of the family to remind
    assert THU_1615 not in [s.starts_at for s in await free_slots(session, period, marieke, clock.now())]
    [entry] = await audit(session, "visit_recorded")
    assert (entry.actor, entry.subject) == (f"staff:{marieke}", f"invitation:{inv.id}")


async def test_a_linked_guardian_is_told_and_a_waiting_request_replaced(session, school, clock):
    _, _, marieke = school
    inv = await invitation(session, "H014", MARIEKE)
    asked = await request_slot(session, inv.id, await guardians_of(session, "H014"), THU_15, "home", None,
                               clock.now())
    since = await last_outbox_id(session)
    outcome = await record_visit(session, inv.id, marieke, THU_1615, "school", None, Channel.DOOR, clock.now())
    assert outcome.code == "confirmed"
    assert [(a.id, a.starts_at) for a in await live_appointments(session, marieke)] == [
        (outcome.appointment_id, THU_1615)]
    assert (await session.get(Appointment, asked.appointment_id, populate_existing=True)).status == "replaced"
    told = [r for r in await outbox(session, after=since) if r.kind == "confirmed"]
    assert len(told) == 1 and told[0].payload["appointment"] == outcome.appointment_id


async def test_another_moment_outside_the_times_blocks_it_and_stays_in_the_period(session, school, clock):
    _, period, marieke = school
    emma, elif_ = await invitation(session, "H001", MARIEKE), await invitation(session, "H002", MARIEKE)
    morning = local(FRI, 10)
    assert (await record_visit(session, emma.id, marieke, morning, "phone", None, Channel.LETTER, clock.now(),
                               any_time=True)).code == "confirmed"
    too_close = morning + timedelta(minutes=period.visit_minutes)  # no travel time between
    for start in (too_close, local(period.last_day + timedelta(days=1), 10), clock.now() - timedelta(hours=1)):
        assert (await record_visit(session, elif_.id, marieke, start, "home", None, Channel.PHONE, clock.now(),
                                   any_time=True)).code == "slot_taken"
    # Without "another moment" only the teacher's free times are taken.
    assert (await record_visit(session, elif_.id, marieke, local(FRI, 16), "home", None, Channel.PHONE,
                               clock.now())).code == "slot_taken"
    assert (await invitation(session, "H002", MARIEKE)).status == "pending"


async def test_a_later_booking_in_the_bot_replaces_the_record(session, school, clock):
    _, _, marieke = school
    inv = await invitation(session, "H014", MARIEKE)
    recorded = await record_visit(session, inv.id, marieke, THU_15, "home", None, Channel.PHONE, clock.now())
    asked = await request_slot(session, inv.id, await guardians_of(session, "H014"), THU_1615, "home", None,
                               clock.now())
    assert asked.code == "requested"
    assert (await confirm(session, asked.appointment_id, marieke, clock.now())).code == "confirmed"
    assert [a.id for a in await live_appointments(session, marieke)] == [asked.appointment_id]
    assert (await session.get(Appointment, recorded.appointment_id, populate_existing=True)).status == "replaced"
    assert (await invitation(session, "H014", MARIEKE)).reached_by == "bot"


async def test_not_this_year_ends_a_planned_visit_and_stops_the_nudges(session, school, clock):
    _, _, marieke = school
    inv = await invitation(session, "H014", MARIEKE)
    visit = await record_visit(session, inv.id, marieke, THU_15, "home", None, Channel.PHONE, clock.now())
    outcome = await record_decline(session, inv.id, marieke, "elsewhere", Channel.PHONE, clock.now())
    assert outcome.code == "declined"
    assert await live_appointments(session, marieke) == []
    assert (await session.get(Appointment, visit.appointment_id, populate_existing=True)).status == "cancelled"
    inv = await invitation(session, "H014", MARIEKE)
    assert (inv.status, inv.decline_reason, inv.reached_by) == ("declined", "elsewhere", "phone")
    pending = (await session.scalars(select(OutboxMessage).where(OutboxMessage.appointment_id == visit.appointment_id,
                                                                 OutboxMessage.status == "pending"))).all()
    assert pending == []  # the reminders of the visit went with it
    assert len(await audit(session, "decline_recorded")) == 1


async def test_calls_without_answer_are_counted_once_per_call(session, school, clock):
    _, _, marieke = school
    inv = await invitation(session, "H004", MARIEKE)
    now = clock.now()
    assert await record_no_answer(session, inv.id, marieke, now) == 1
    assert await record_no_answer(session, inv.id, marieke, now + timedelta(minutes=2)) == 1  # a double tap
    assert await record_no_answer(session, inv.id, marieke, now + timedelta(hours=3)) == 2
    [family] = await families(session, marieke, inv.id)
    assert family.calls == (now, now + timedelta(hours=3))
    assert len(await audit(session, "no_answer_recorded")) == 2


async def test_a_family_of_another_class_is_refused_and_nothing_written(session, school, clock):
    _, _, marieke = school
    jeroen = (await teacher(session, JEROEN)).id
    bram = await invitation(session, "H020", JEROEN)
    since = await last_outbox_id(session)
    with pytest.raises(NotAllowed):
        await record_visit(session, bram.id, marieke, THU_15, "home", None, Channel.PHONE, clock.now())
    with pytest.raises(NotAllowed):
        await record_decline(session, bram.id, marieke, None, Channel.DOOR, clock.now())
    with pytest.raises(NotAllowed):
        await record_no_answer(session, bram.id, marieke, clock.now())
    assert await families(session, marieke, bram.id) == []
    assert len(await families(session, jeroen)) == 14
    with pytest.raises(NotAllowed):  # the bot records itself; an unknown venue is no venue
        await record_visit(session, bram.id, jeroen, THU_15, "home", None, Channel.BOT, clock.now())
    with pytest.raises(NotAllowed):
        await record_visit(session, bram.id, jeroen, THU_15, "boat", None, Channel.PHONE, clock.now())
    assert await outbox(session, after=since) == []
    assert (await invitation(session, "H020", JEROEN)).status == "pending"
    assert await audit(session, "visit_recorded") == []


async def test_after_the_period_closed_nothing_is_recorded(session, school, clock):
    school_id, _, marieke = school
    inv = await invitation(session, "H001", MARIEKE)
    await close_period(session, school_id, clock.now())
    assert (await record_visit(session, inv.id, marieke, THU_15, "home", None, Channel.PHONE,
                               clock.now())).code == "closed"
    assert (await record_decline(session, inv.id, marieke, None, Channel.PHONE, clock.now())).code == "closed"
    assert (await invitation(session, "H001", MARIEKE)).status == "pending"


async def test_coverage_counts_how_households_were_reached(session, school, clock):
    school_id, period, marieke = school
    now = clock.now()
    emma, elif_, mulder = [await invitation(session, h, MARIEKE) for h in ("H001", "H002", "H014")]
    await record_visit(session, emma.id, marieke, THU_15, "home", None, Channel.PHONE, now)
    await record_decline(session, elif_.id, marieke, None, Channel.DOOR, now)
    asked = await request_slot(session, mulder.id, await guardians_of(session, "H014"), THU_1615, "home", None, now)
    await confirm(session, asked.appointment_id, marieke, now)
    # Petra answered in the bot, then blocked it: reached all the same.
    await link(session, "Rob Mulder", now, blocked=True)
    report = await coverage(session, school_id, period, now)
    group3 = next(r for r in report.classes if r.name == "Groep 3")
    assert dict(group3.reached) == {"phone": 1, "door": 1, "bot": 1}
    assert (group3.households, group3.booked, group3.declined) == (14, 2, 1)
    # 14 households, Petra's on Telegram; the Jansens and the Yılmazes reached outside it.
    assert group3.unreachable == 11
    assert report.school.reached["phone"] == 1

    await cancel_by_teacher(session, asked.appointment_id, marieke, "ill", now)
    assert (await coverage(session, school_id, period, now)).classes[0].reached["bot"] == 1  # still reached


async def test_families_list_where_each_stands(session, school, clock):
    _, _, marieke = school
    emma = await invitation(session, "H001", MARIEKE)
    await record_visit(session, emma.id, marieke, THU_15, "home", None, Channel.PHONE, clock.now())
    listed = await families(session, marieke)
    assert len(listed) == 14 and [f.children for f in listed] == sorted(f.children for f in listed)
    jansen = next(f for f in listed if f.invitation.id == emma.id)
    assert jansen.appointment.starts_at == THU_15 and jansen.class_names == ("Groep 3",)
    assert [(name, phone, on) for name, phone, on in jansen.guardians] == [
        ("Anouk Jansen", "+31612345601", False), ("Mark Jansen", "+31612345602", False)]
    petra = next(f for f in listed if "Julia Mulder" in f.children)
    assert ("Petra Mulder", "+31612345612", True) in petra.guardians
