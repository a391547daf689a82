"""The visit loop without Telegram: invitations, requests, confirmations, proposals,
declines and cancellations, and who is told about each (the outbox)."""
from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from bot.services import availability, booking
from bot.services.availability import add_window, free_slots
from bot.services.booking import (
    TEACHER_CANCEL_REASONS,
    agenda,
    answer_proposal,
    cancel_by_guardian,
    cancel_by_teacher,
    confirm,
    decline,
    no_fitting_time,
    propose,
    request_slot,
)
from bot.services.invitations import (
    InviteReport,
    NotAllowed,
    invite_linked_guardian,
    send_invitations,
    view_for_guardian,
)
from bot.services.periods import close_period
from bot.services.roster import import_roster
from db.models import Appointment, Invitation, VisitPeriod
from tests.seed import EXAMPLE_ROSTER
from tests.visit_setup import (
    JEROEN,
    MARIEKE,
    SANNE,
    TZ,
    appointment,
    guardian,
    guardians_of,
    household_id,
    invitation,
    last_outbox_id,
    link_guardian,
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
# Marieke's windows: Thursday and Friday 15:00-19:00 give 15:00, 16:15 and 17:30 each day.
THU_15, THU_1615, THU_1730 = local(THU, 15), local(THU, 16, 15), local(THU, 17, 30)
FRI_15 = local(FRI, 15)

# Linked to Telegram in the fixture; everyone else in the roster is not.
LINKED_GUARDIANS = ("Anouk Jansen", "Mark Jansen", "Ayşe Yılmaz", "Linda de Boer", "Petra Mulder", "Rob Mulder")


@dataclass
class World:
    school_id: int
    period: VisitPeriod
    marieke: int
    jeroen: int
    accounts: dict[str, int]  # name -> account id, for the linked people
    guardians: dict[str, int]  # name -> guardian id, for the linked guardians

    def g(self, name: str) -> tuple[int, ...]:
        """The guardian ids a press by this person carries."""
        return (self.guardians[name],)


@pytest.fixture
async def world(session, clock) -> World:
    now = clock.now()
    school_id = await new_school(session, now)
    await load_roster(session, school_id, now)
    accounts = {name: await link_teacher(session, name, now) for name in (MARIEKE, JEROEN)}
    accounts.update({name: await link_guardian(session, name, now) for name in LINKED_GUARDIANS})
    guardians = {name: (await guardian(session, name)).id for name in LINKED_GUARDIANS}
    period = await open_autumn(session, school_id, now)
    marieke, jeroen = (await teacher(session, MARIEKE)).id, (await teacher(session, JEROEN)).id
    for day in (THU, FRI):
        await add_window(session, period, marieke, day, time(15), time(19), TZ, now)
    await add_window(session, period, jeroen, THU, time(15), time(17), TZ, now)
    return World(school_id, period, marieke, jeroen, accounts, guardians)


@pytest.fixture
async def invited(session, world, clock) -> World:
    await send_invitations(session, world.period, clock.now(), sibling_visits="each")
    return world


async def invitation_id(session, household: str, teacher_name: str = MARIEKE) -> int:
    return (await invitation(session, household, teacher_name)).id


PLANNED = ("reminder_day_before", "reminder_soon", "after_visit", "morning_overview")


def told(rows) -> list[tuple[int, str]]:
    """(account, kind) of outbox rows, in a stable order."""
    return sorted((r.account_id, r.kind) for r in rows)


async def free_starts(session, world: World, clock, teacher_id: int | None = None) -> list[datetime]:
    return [s.starts_at for s in await free_slots(session, world.period, teacher_id or world.marieke, clock.now())]


async def petra_requests(session, world: World, clock, start: datetime = THU_1615) -> booking.Outcome:
    """The Mulder household (H014, Groep 3, both guardians linked) asks Marieke for a visit."""
    inv = await invitation_id(session, "H014")
    return await request_slot(session, inv, world.g("Petra Mulder"), start, "home", None, clock.now())


# -- invitations ------------------------------------------------------------------------

async def test_every_household_is_invited_once_per_class_teacher(session, world, clock):
    report = await send_invitations(session, world.period, clock.now(), sibling_visits="each")
    # 37 households, 42 (household, class teacher) pairs, 49 guardians in the example roster.
    # Messages: Jansen 3 invitations x 2 linked, Yılmaz 2 x 1 (Mehmet is not linked),
    # De Boer (H006) 1 x 1, Mulder 1 x 2.
    assert report == InviteReport(households=37, invitations_created=42, messages=11,
                                  guardians_not_linked=49 - len(LINKED_GUARDIANS))

    jansen = (await session.scalars(
        select(Invitation).where(Invitation.household_id == await household_id(session, "H001"))
    )).all()
    marieke, jeroen, sanne = [(await teacher(session, n)).id for n in (MARIEKE, JEROEN, SANNE)]
    assert sorted(i.teacher_id for i in jansen) == sorted([marieke, jeroen, sanne])  # Groep 3, 5 and 7
    assert {i.status for i in jansen} == {"pending"}

    # Daan (P005) lives in two households: both are invited by his teacher, separately.
    for split in ("H006", "H007"):
        assert (await invitation(session, split, MARIEKE)).status == "pending"

    rows = await outbox(session)
    assert {r.kind for r in rows} == {"invitation"}
    per_account = Counter(r.account_id for r in rows)
    a = world.accounts
    assert per_account == {a["Anouk Jansen"]: 3, a["Mark Jansen"]: 3, a["Ayşe Yılmaz"]: 2, a["Linda de Boer"]: 1,
                           a["Petra Mulder"]: 1, a["Rob Mulder"]: 1}
    anouks = {r.payload["invitation"] for r in rows if r.account_id == a["Anouk Jansen"]}
    assert anouks == {i.id for i in jansen}
    assert {r.payload["guardian"] for r in rows if r.account_id == a["Anouk Jansen"]} == {
        world.guardians["Anouk Jansen"]}


async def test_sending_again_reaches_only_new_households_and_classes(session, world, clock):
    await send_invitations(session, world.period, clock.now(), sibling_visits="each")
    before = await last_outbox_id(session)
    again = await send_invitations(session, world.period, clock.now(), sibling_visits="each")
    assert again == InviteReport(0, 0, 0, 0)
    assert await outbox(session, after=before) == []

    # A new pupil in a new household, and a sibling of Zofia (H004) in Groep 7.
    extra = ("P041,Noah Bakker,Groep 5,Jeroen Bakker,H038,Eva Bakker,+31 6 1234 5699,nl\n"
             "P042,Kacper Kowalski,Groep 7,Sanne Vermeulen,H004,Agnieszka Kowalska,+31 6 1234 5607,pl\n")
    await import_roster(session, world.school_id, EXAMPLE_ROSTER.read_bytes() + extra.encode(),
                        default_language="nl", now=clock.now())
    period = await session.get(VisitPeriod, world.period.id)
    report = await send_invitations(session, period, clock.now(), sibling_visits="each")
    assert report == InviteReport(households=2, invitations_created=2, messages=0, guardians_not_linked=2)
    assert (await invitation(session, "H038", JEROEN)).status == "pending"
    assert (await invitation(session, "H004", SANNE)).status == "pending"
    assert await session.scalar(select(func.count()).select_from(Invitation)) == 44


async def test_a_guardian_who_links_later_gets_the_households_invitations(session, invited, clock):
    before = await last_outbox_id(session)
    mehmet = await guardian(session, "Mehmet Yılmaz")
    assert await invite_linked_guardian(session, mehmet.id, clock.now()) == 0  # not linked yet: nothing
    account = await link_guardian(session, "Mehmet Yılmaz", clock.now())
    assert await invite_linked_guardian(session, mehmet.id, clock.now()) == 2  # Groep 3 and Groep 7
    rows = await outbox(session, after=before)
    assert [(r.account_id, r.kind) for r in rows] == [(account, "invitation")] * 2
    assert {r.payload["invitation"] for r in rows} == {
        await invitation_id(session, "H002", MARIEKE), await invitation_id(session, "H002", SANNE)}
    assert await invite_linked_guardian(session, 999_999, clock.now()) == 0

    await close_period(session, invited.school_id, clock.now())
    assert await invite_linked_guardian(session, mehmet.id, clock.now()) == 0


async def test_a_guardian_sees_only_their_own_households_invitations(session, invited):
    jansen_g3 = await invitation_id(session, "H001")
    seen = await view_for_guardian(session, jansen_g3, invited.g("Anouk Jansen"))
    assert seen.children == ("Emma Jansen",) and seen.class_names == ("Groep 3",)
    assert seen.teacher.name == MARIEKE and seen.guardian.name == "Anouk Jansen"
    assert seen.appointment is None

    with pytest.raises(NotAllowed):
        await view_for_guardian(session, jansen_g3, invited.g("Linda de Boer"))
    # Daan's father (H007) and mother (H006) have separate invitations.
    pieter = (await guardian(session, "Pieter de Boer")).id
    with pytest.raises(NotAllowed):
        await view_for_guardian(session, await invitation_id(session, "H006"), (pieter,))
    assert (await view_for_guardian(session, await invitation_id(session, "H007"), (pieter,))).children == (
        "Daan de Boer",)
    for unknown in (999_999, -1):
        with pytest.raises(NotAllowed):
            await view_for_guardian(session, unknown, invited.g("Anouk Jansen"))
    with pytest.raises(NotAllowed):
        await view_for_guardian(session, jansen_g3, ())


# -- asking for a time --------------------------------------------------------------------

async def test_a_request_reaches_the_teacher_and_the_other_guardian(session, invited, clock):
    before = await last_outbox_id(session)
    outcome = await petra_requests(session, invited, clock)
    assert outcome.code == "requested"

    visit = await appointment(session, outcome.appointment_id)
    assert (visit.status, visit.starts_at, visit.ends_at, visit.venue) == (
        "requested", THU_1615, THU_1615 + timedelta(hours=1), "home")
    inv = await invitation(session, "H014", MARIEKE)
    assert inv.status == "requested" and inv.answered_by == invited.guardians["Petra Mulder"]
    a = invited.accounts
    rows = await outbox(session, after=before)
    assert told(rows) == sorted([(a[MARIEKE], "request"), (a["Rob Mulder"], "household_update")])
    assert next(r for r in rows if r.kind == "request").payload["appointment"] == visit.id
    assert THU_1615 not in await free_starts(session, invited, clock)


async def test_a_request_by_an_unlinked_household_tells_the_teacher_only(session, invited, clock):
    # The Vissers (H013) have one guardian and she has no Telegram link: the teacher is told,
    # nothing is queued for the household.
    before = await last_outbox_id(session)
    outcome = await request_slot(session, await invitation_id(session, "H013"), await guardians_of(session, "H013"),
                                 THU_15, "school", None, clock.now())
    assert outcome.code == "requested"
    assert told(await outbox(session, after=before)) == [(invited.accounts[MARIEKE], "request")]


async def test_a_taken_or_unoffered_time_cannot_be_requested(session, invited, clock):
    await petra_requests(session, invited, clock)
    before = await last_outbox_id(session)
    yilmaz = await invitation_id(session, "H002")
    for start in (THU_1615,  # taken by the Mulders
                  local(THU, 16),  # not on the grid
                  local(THU, 19),  # after the window
                  local(date(2026, 11, 10), 17)):  # no window (and too soon)
        outcome = await request_slot(session, yilmaz, invited.g("Ayşe Yılmaz"), start, "home", None, clock.now())
        assert outcome.code == "slot_taken"
    assert await outbox(session, after=before) == []
    assert (await invitation(session, "H002", MARIEKE)).status == "pending"
    assert [v.starts_at for v in await live_appointments(session, invited.marieke)] == [THU_1615]
    # The household can still pick a free time.
    assert (await request_slot(session, yilmaz, invited.g("Ayşe Yılmaz"), THU_1730, "home", None,
                               clock.now())).code == "requested"


async def test_only_the_household_may_request_and_only_known_venues(session, invited, clock):
    mulder = await invitation_id(session, "H014")
    with pytest.raises(NotAllowed):
        await request_slot(session, mulder, invited.g("Anouk Jansen"), THU_15, "home", None, clock.now())
    with pytest.raises(NotAllowed):
        await request_slot(session, mulder, invited.g("Petra Mulder"), THU_15, "moon", None, clock.now())
    with pytest.raises(NotAllowed):
        await request_slot(session, 999_999, invited.g("Petra Mulder"), THU_15, "home", None, clock.now())
    assert await live_appointments(session, invited.marieke) == []


async def _race(sessionmaker, invited, clock, households: tuple[str, str], start: datetime):
    async with sessionmaker() as s:
        ids = [(await invitation_id(s, h), await guardians_of(s, h)) for h in households]

    async def press(inv_id, guardian_ids):
        async with sessionmaker() as s:
            return await request_slot(s, inv_id, guardian_ids, start, "home", None, clock.now())

    return await asyncio.gather(*(press(i, g) for i, g in ids))


async def _live_at(sessionmaker, teacher_id: int, start: datetime) -> list[Appointment]:
    async with sessionmaker() as s:
        return [v for v in await live_appointments(s, teacher_id) if v.starts_at == start]


@pytest.mark.parametrize("contention", ["gather", "meet-at-the-lock", "no-lock-database-decides"])
async def test_two_households_pressing_the_same_time_at_once_get_it_once(
    sessionmaker, invited, clock, monkeypatch, contention
):
    if contention == "meet-at-the-lock":
        # Both have read and checked who they are before either takes the teacher's lock.
        barrier, take_lock = asyncio.Barrier(2), booking.lock_teacher

        async def meet_then_lock(s, teacher_id):
            await barrier.wait()
            await take_lock(s, teacher_id)

        monkeypatch.setattr(booking, "lock_teacher", meet_then_lock)
    elif contention == "no-lock-database-decides":
        # Even if the lock were missing, both seeing the slot free, the unique index refuses one.
        barrier, check = asyncio.Barrier(2), availability.is_free

        async def no_lock(s, teacher_id):
            return None

        async def check_then_meet(*args, **kwargs):
            slot = await check(*args, **kwargs)
            await barrier.wait()
            return slot

        monkeypatch.setattr(booking, "lock_teacher", no_lock)
        monkeypatch.setattr(availability, "is_free", check_then_meet)

    pairs = [(("H002", "H014"), THU_15), (("H003", "H004"), THU_1615), (("H006", "H007"), FRI_15)]
    for households, start in pairs:
        outcomes = await _race(sessionmaker, invited, clock, households, start)
        assert sorted(o.code for o in outcomes) == ["requested", "slot_taken"], (households, outcomes)
        live = await _live_at(sessionmaker, invited.marieke, start)
        assert len(live) == 1
        winner = next(o for o in outcomes if o.code == "requested")
        assert live[0].id == winner.appointment_id
    monkeypatch.undo()
    async with sessionmaker() as s:
        statuses = Counter((await s.scalars(select(Invitation.status).where(
            Invitation.teacher_id == invited.marieke))).all())
        assert statuses["requested"] == 3


async def test_the_database_refuses_two_live_visits_at_one_teachers_time(sessionmaker, invited, clock):
    now = clock.now()
    async with sessionmaker() as s:
        a, b = await invitation_id(s, "H002"), await invitation_id(s, "H003")

    def visit(invitation_id: int, start: datetime, status: str) -> Appointment:
        return Appointment(school_id=invited.school_id, invitation_id=invitation_id, teacher_id=invited.marieke,
                           starts_at=start, ends_at=start + timedelta(hours=1), venue="home", status=status,
                           created_at=now, updated_at=now)

    async with sessionmaker() as s:
        s.add(visit(a, THU_15, "confirmed"))
        await s.commit()
    for status in ("requested", "proposed", "confirmed"):
        async with sessionmaker() as s:
            s.add(visit(b, THU_15, status))
            with pytest.raises(IntegrityError):
                await s.commit()
    # Dead appointments may share the time; one invitation cannot have two live visits.
    async with sessionmaker() as s:
        s.add_all([visit(b, THU_15, "cancelled"), visit(b, THU_15, "replaced")])
        await s.commit()
    async with sessionmaker() as s:
        s.add(visit(a, FRI_15, "requested"))
        with pytest.raises(IntegrityError):
            await s.commit()
    async with sessionmaker() as s:
        assert await s.scalar(select(func.count()).select_from(Appointment)) == 3


async def test_asking_again_replaces_the_earlier_request(session, invited, clock):
    first = await petra_requests(session, invited, clock, THU_15)
    before = await last_outbox_id(session)
    second = await petra_requests(session, invited, clock, FRI_15)
    assert second.code == "requested" and second.appointment_id != first.appointment_id
    assert (await appointment(session, first.appointment_id)).status == "replaced"
    assert [(v.id, v.status) for v in await live_appointments(session, invited.marieke)] == [
        (second.appointment_id, "requested")]
    assert (invited.accounts[MARIEKE], "reschedule_request") in told(await outbox(session, after=before))
    assert THU_15 in await free_starts(session, invited, clock)
    # Moving to a time right next to one's own request is fine: it is not someone else's.
    third = await petra_requests(session, invited, clock, local(FRI, 16, 15))
    assert third.code == "requested"
    assert [v.starts_at for v in await live_appointments(session, invited.marieke)] == [local(FRI, 16, 15)]


# -- the teacher answers ----------------------------------------------------------------------

async def test_confirming_books_the_visit_and_tells_the_household(session, invited, clock):
    outcome = await petra_requests(session, invited, clock)
    before = await last_outbox_id(session)
    with pytest.raises(NotAllowed):
        await confirm(session, outcome.appointment_id, invited.jeroen, clock.now())
    assert (await confirm(session, outcome.appointment_id, invited.marieke, clock.now())).code == "confirmed"
    assert (await appointment(session, outcome.appointment_id)).status == "confirmed"
    assert (await invitation(session, "H014", MARIEKE)).status == "booked"
    a = invited.accounts
    rows = await outbox(session, after=before)
    assert told(r for r in rows if r.kind not in PLANNED) == sorted(
        [(a["Petra Mulder"], "confirmed"), (a["Rob Mulder"], "confirmed")])
    assert told(r for r in rows if r.kind in PLANNED) == sorted(  # reminders come with the confirmation
        [(a["Petra Mulder"], "reminder_day_before"), (a["Petra Mulder"], "reminder_soon"),
         (a["Rob Mulder"], "reminder_day_before"), (a["Rob Mulder"], "reminder_soon"),
         (a[MARIEKE], "after_visit"), (a[MARIEKE], "morning_overview")])

    before = await last_outbox_id(session)
    assert (await confirm(session, outcome.appointment_id, invited.marieke, clock.now())).code == "already_confirmed"
    assert await outbox(session, after=before) == []
    with pytest.raises(NotAllowed):
        await confirm(session, 999_999, invited.marieke, clock.now())


async def test_a_counter_proposal_replaces_the_request_and_can_be_accepted(session, invited, clock):
    asked = await petra_requests(session, invited, clock, THU_15)
    before = await last_outbox_id(session)
    proposed = await propose(session, asked.appointment_id, invited.marieke, FRI_15, clock.now())
    assert proposed.code == "proposed"
    assert (await appointment(session, asked.appointment_id)).status == "replaced"
    offer = await appointment(session, proposed.appointment_id)
    assert (offer.status, offer.starts_at, offer.venue) == ("proposed", FRI_15, "home")
    a = invited.accounts
    assert told(await outbox(session, after=before)) == sorted(
        [(a["Petra Mulder"], "proposal"), (a["Rob Mulder"], "proposal")])
    free = await free_starts(session, invited, clock)
    assert THU_15 in free and FRI_15 not in free

    with pytest.raises(NotAllowed):  # another household cannot answer it
        await answer_proposal(session, offer.id, invited.g("Ayşe Yılmaz"), True, clock.now())
    before = await last_outbox_id(session)
    accepted = await answer_proposal(session, offer.id, invited.g("Rob Mulder"), True, clock.now())
    assert accepted.code == "accepted"
    assert (await appointment(session, offer.id)).status == "confirmed"
    assert (await invitation(session, "H014", MARIEKE)).status == "booked"
    assert told(r for r in await outbox(session, after=before) if r.kind not in PLANNED) == sorted(
        [(a[MARIEKE], "proposal_accepted"), (a["Petra Mulder"], "household_update")])
    assert (await answer_proposal(session, offer.id, invited.g("Petra Mulder"), False, clock.now())).code == "stale"
    assert (await appointment(session, offer.id)).status == "confirmed"


async def test_a_rejected_proposal_frees_the_time_and_reopens_the_invitation(session, invited, clock):
    asked = await petra_requests(session, invited, clock, THU_15)
    proposed = await propose(session, asked.appointment_id, invited.marieke, FRI_15, clock.now())
    before = await last_outbox_id(session)
    rejected = await answer_proposal(session, proposed.appointment_id, invited.g("Petra Mulder"), False, clock.now())
    assert rejected.code == "rejected"
    assert (await appointment(session, proposed.appointment_id)).status == "cancelled"
    assert (await invitation(session, "H014", MARIEKE)).status == "pending"
    assert await live_appointments(session, invited.marieke) == []
    free = await free_starts(session, invited, clock)
    assert THU_15 in free and FRI_15 in free
    assert (invited.accounts[MARIEKE], "proposal_rejected") in told(await outbox(session, after=before))


async def test_a_proposal_needs_a_free_time(session, invited, clock):
    mulders = await petra_requests(session, invited, clock, THU_15)
    await request_slot(session, await invitation_id(session, "H002"), invited.g("Ayşe Yılmaz"), FRI_15, "home",
                       None, clock.now())
    before = await last_outbox_id(session)
    assert (await propose(session, mulders.appointment_id, invited.marieke, FRI_15, clock.now())).code == "slot_taken"
    assert (await appointment(session, mulders.appointment_id)).status == "requested"
    assert await outbox(session, after=before) == []
    with pytest.raises(NotAllowed):
        await propose(session, mulders.appointment_id, invited.jeroen, local(FRI, 17, 30), clock.now())


# -- declining and no fitting time -------------------------------------------------------------

async def test_declining_cancels_the_visit_and_tells_the_teacher_once(session, invited, clock):
    asked = await petra_requests(session, invited, clock)
    mulder = await invitation_id(session, "H014")
    with pytest.raises(NotAllowed):
        await decline(session, mulder, invited.g("Petra Mulder"), "bored", clock.now())
    before = await last_outbox_id(session)
    assert (await decline(session, mulder, invited.g("Petra Mulder"), "at_school", clock.now())).code == "declined"
    inv = await invitation(session, "H014", MARIEKE)
    assert (inv.status, inv.decline_reason) == ("declined", "at_school")
    assert (await appointment(session, asked.appointment_id)).status == "cancelled"
    assert THU_1615 in await free_starts(session, invited, clock)
    a = invited.accounts
    assert told(await outbox(session, after=before)) == sorted(
        [(a[MARIEKE], "declined"), (a["Rob Mulder"], "household_update")])

    before = await last_outbox_id(session)
    assert (await decline(session, mulder, invited.g("Rob Mulder"), None, clock.now())).code == "declined"
    assert await outbox(session, after=before) == []
    assert (await invitation(session, "H014", MARIEKE)).decline_reason == "at_school"  # kept
    with pytest.raises(NotAllowed):
        await decline(session, mulder, invited.g("Linda de Boer"), None, clock.now())


async def test_no_fitting_time_asks_the_teacher_once_and_goes_stale_after_booking(session, invited, clock):
    mulder = await invitation_id(session, "H014")
    before = await last_outbox_id(session)
    assert (await no_fitting_time(session, mulder, invited.g("Petra Mulder"), clock.now())).code == "no_fit"
    assert (await invitation(session, "H014", MARIEKE)).status == "no_fit"
    assert told(await outbox(session, after=before)) == [(invited.accounts[MARIEKE], "no_fit")]
    before = await last_outbox_id(session)
    assert (await no_fitting_time(session, mulder, invited.g("Rob Mulder"), clock.now())).code == "no_fit"
    assert await outbox(session, after=before) == []

    # The teacher adds a time; the household takes it; pressing "no fitting time" again is stale.
    asked = await petra_requests(session, invited, clock, FRI_15)
    assert (await no_fitting_time(session, mulder, invited.g("Petra Mulder"), clock.now())).code == "stale"
    await confirm(session, asked.appointment_id, invited.marieke, clock.now())
    assert (await no_fitting_time(session, mulder, invited.g("Petra Mulder"), clock.now())).code == "stale"
    assert (await invitation(session, "H014", MARIEKE)).status == "booked"
    with pytest.raises(NotAllowed):
        await no_fitting_time(session, mulder, invited.g("Ayşe Yılmaz"), clock.now())


# -- cancelling ------------------------------------------------------------------------------------

async def test_a_guardian_cancelling_frees_the_time_and_tells_the_teacher(session, invited, clock):
    asked = await petra_requests(session, invited, clock)
    await confirm(session, asked.appointment_id, invited.marieke, clock.now())
    with pytest.raises(NotAllowed):
        await cancel_by_guardian(session, asked.appointment_id, invited.g("Anouk Jansen"), clock.now())
    before = await last_outbox_id(session)
    outcome = await cancel_by_guardian(session, asked.appointment_id, invited.g("Petra Mulder"), clock.now())
    assert outcome.code == "cancelled"
    visit = await appointment(session, asked.appointment_id)
    assert (visit.status, visit.cancelled_by) == ("cancelled", "guardian")
    assert (await invitation(session, "H014", MARIEKE)).status == "pending"
    assert THU_1615 in await free_starts(session, invited, clock)
    a = invited.accounts
    assert told(await outbox(session, after=before)) == sorted(
        [(a[MARIEKE], "cancelled_by_parent"), (a["Rob Mulder"], "household_update"),
         # the confirmed visit leaves the family's calendars
         (a["Petra Mulder"], "calendar_cancel"), (a["Rob Mulder"], "calendar_cancel")])
    before = await last_outbox_id(session)
    assert (await cancel_by_guardian(session, asked.appointment_id, invited.g("Rob Mulder"), clock.now())).code == \
        "stale"
    assert await outbox(session, after=before) == []


async def test_a_teacher_cancelling_frees_the_time_and_tells_the_household(session, invited, clock):
    asked = await petra_requests(session, invited, clock)
    await confirm(session, asked.appointment_id, invited.marieke, clock.now())
    assert "bored" not in TEACHER_CANCEL_REASONS
    with pytest.raises(NotAllowed):
        await cancel_by_teacher(session, asked.appointment_id, invited.marieke, "bored", clock.now())
    with pytest.raises(NotAllowed):
        await cancel_by_teacher(session, asked.appointment_id, invited.jeroen, "ill", clock.now())
    assert (await appointment(session, asked.appointment_id)).status == "confirmed"

    before = await last_outbox_id(session)
    outcome = await cancel_by_teacher(session, asked.appointment_id, invited.marieke, "ill", clock.now())
    assert outcome.code == "cancelled"
    visit = await appointment(session, asked.appointment_id)
    assert (visit.status, visit.cancelled_by, visit.cancel_reason) == ("cancelled", "teacher", "ill")
    assert (await invitation(session, "H014", MARIEKE)).status == "pending"
    assert THU_1615 in await free_starts(session, invited, clock)
    a = invited.accounts
    assert told(await outbox(session, after=before)) == sorted(
        [(a["Petra Mulder"], "cancelled_by_teacher"), (a["Rob Mulder"], "cancelled_by_teacher"),
         (a["Petra Mulder"], "calendar_cancel"), (a["Rob Mulder"], "calendar_cancel")])
    # The household can pick the same time again.
    assert (await petra_requests(session, invited, clock)).code == "requested"


# -- a closed period -----------------------------------------------------------------------------

async def test_nothing_can_be_asked_once_the_period_is_closed(session, invited, clock):
    booked = await petra_requests(session, invited, clock)
    await confirm(session, booked.appointment_id, invited.marieke, clock.now())
    await close_period(session, invited.school_id, clock.now())
    before = await last_outbox_id(session)
    yilmaz = await invitation_id(session, "H002")
    assert (await request_slot(session, yilmaz, invited.g("Ayşe Yılmaz"), THU_15, "home", None,
                               clock.now())).code == "closed"
    assert (await decline(session, yilmaz, invited.g("Ayşe Yılmaz"), None, clock.now())).code == "closed"
    assert (await no_fitting_time(session, yilmaz, invited.g("Ayşe Yılmaz"), clock.now())).code == "closed"
    assert await outbox(session, after=before) == []
    assert (await invitation(session, "H002", MARIEKE)).status == "pending"
    # Planned visits stay planned.
    assert [v.id for v in await live_appointments(session, invited.marieke)] == [booked.appointment_id]


# -- the teacher's agenda ---------------------------------------------------------------------------

async def test_the_agenda_lists_live_visits_in_time_order_with_children_and_phones(session, invited, clock):
    friday = await petra_requests(session, invited, clock, FRI_15)
    await confirm(session, friday.appointment_id, invited.marieke, clock.now())
    thursday = await request_slot(session, await invitation_id(session, "H002"), invited.g("Ayşe Yılmaz"), THU_1730,
                                  "school", None, clock.now())
    gone = await request_slot(session, await invitation_id(session, "H006"), invited.g("Linda de Boer"), THU_15,
                              "home", None, clock.now())
    await cancel_by_guardian(session, gone.appointment_id, invited.g("Linda de Boer"), clock.now())
    wendy = await request_slot(session, await invitation_id(session, "H025", JEROEN), await guardians_of(session, "H025"),
                               THU_15, "phone", None, clock.now())

    items = await agenda(session, invited.marieke, clock.now())
    assert [(i.appointment.id, i.appointment.status) for i in items] == [
        (thursday.appointment_id, "requested"), (friday.appointment_id, "confirmed")]
    yilmaz, mulder = items
    assert yilmaz.children == ("Elif Yılmaz",) and yilmaz.class_names == ("Groep 3",)  # Emre is in Groep 7
    assert yilmaz.guardians == (("Ayşe Yılmaz", "+31612345603"), ("Mehmet Yılmaz", "+31612345604"))
    assert mulder.children == ("Julia Mulder",)
    assert mulder.guardians == (("Petra Mulder", "+31612345612"), ("Rob Mulder", "+31612345613"))
    assert mulder.invitation_id == await invitation_id(session, "H014")

    # From Friday on only Friday's visit; Jeroen's agenda is his own, a missing phone shows as None.
    assert [i.appointment.id for i in await agenda(session, invited.marieke, local(FRI, 0))] == [
        friday.appointment_id]
    jeroens = await agenda(session, invited.jeroen, clock.now())
    assert [(i.appointment.id, i.children, i.guardians) for i in jeroens] == [
        (wendy.appointment_id, ("Lieke Vos",), (("Wendy Vos", None),))]


async def test_a_press_from_before_the_households_last_change_changes_nothing(session, invited, clock):
    """Rob still looks at the invitation as it was; Petra has requested a time meanwhile."""
    mulder = await invitation_id(session, "H014")
    seen_by_rob = (await invitation(session, "H014", MARIEKE)).version
    await petra_requests(session, invited, clock)
    before = await last_outbox_id(session)

    fri = local(FRI, 15)
    stale = [
        await request_slot(session, mulder, invited.g("Rob Mulder"), fri, "home", None, clock.now(),
                           expected_version=seen_by_rob),
        await decline(session, mulder, invited.g("Rob Mulder"), None, clock.now(), expected_version=seen_by_rob),
        await no_fitting_time(session, mulder, invited.g("Rob Mulder"), clock.now(), expected_version=seen_by_rob),
    ]
    assert [o.code for o in stale] == ["stale"] * 3
    inv = await invitation(session, "H014", MARIEKE)
    assert inv.status == "requested"
    [live] = await live_appointments(session, invited.marieke)
    assert live.starts_at == THU_1615
    assert await outbox(session, after=before) == []

    current = await request_slot(session, mulder, invited.g("Rob Mulder"), fri, "home", None, clock.now(),
                                 expected_version=inv.version)
    assert current.code == "requested"
