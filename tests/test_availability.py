"""A teacher's availability windows and the free slots parents are offered."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.i18n import Catalogs
from bot.services import booking
from bot.services.availability import (
    MIN_LEAD,
    add_window,
    free_slots,
    list_windows,
    remove_window,
)
from bot.services.errors import RuleError
from bot.services.invitations import send_invitations
from bot.services.periods import PeriodDraft, open_period
from db.models import VisitPeriod
from tests.visit_setup import (
    JEROEN,
    MARIEKE,
    TZ,
    guardians_of,
    invitation,
    load_roster,
    local,
    new_school,
    open_autumn,
    teacher,
)

UTC = timezone.utc
THU, FRI = date(2026, 11, 12), date(2026, 11, 13)


@dataclass
class School:
    id: int
    period: VisitPeriod
    marieke: int
    jeroen: int


@pytest.fixture
async def school(session, clock) -> School:
    school_id = await new_school(session, clock.now())
    await load_roster(session, school_id, clock.now())
    period = await open_autumn(session, school_id, clock.now())
    return School(school_id, period, (await teacher(session, MARIEKE)).id, (await teacher(session, JEROEN)).id)


async def window(session, school: School, clock, day: date, start: str, end: str, teacher_id: int | None = None):
    return await add_window(session, school.period, teacher_id or school.marieke, day, time.fromisoformat(start),
                            time.fromisoformat(end), TZ, clock.now())


async def request(session, clock, household: str, start: datetime) -> booking.Outcome:
    inv = await invitation(session, household, MARIEKE)
    return await booking.request_slot(session, inv.id, await guardians_of(session, household), start, "home", None,
                                      clock.now())


def hhmm(moments) -> list[str]:
    return [m.astimezone(TZ).strftime("%a %H:%M") for m in moments]


# -- adding -------------------------------------------------------------------------

async def test_a_window_is_stored_in_utc_and_listed(session, school, clock):
    added = await window(session, school, clock, THU, "17:00", "20:00")
    # November: Amsterdam is UTC+1.
    assert added.starts_at == datetime(2026, 11, 12, 16, 0, tzinfo=UTC)
    assert added.ends_at == datetime(2026, 11, 12, 19, 0, tzinfo=UTC)
    listed = await list_windows(session, school.period.id, school.marieke)
    assert [(w.id, w.starts_at, w.ends_at, w.booked) for w in listed] == [(added.id, added.starts_at, added.ends_at, 0)]
    assert await list_windows(session, school.period.id, school.jeroen) == []


async def test_windows_on_the_first_and_last_day_are_allowed_but_not_outside(session, school, clock):
    await window(session, school, clock, school.period.first_day, "17:00", "18:00")
    await window(session, school, clock, school.period.last_day, "17:00", "18:00")
    for day in (school.period.first_day - timedelta(days=1), school.period.last_day + timedelta(days=1)):
        with pytest.raises(RuleError) as exc:
            await window(session, school, clock, day, "17:00", "18:00")
        assert exc.value.code == "outside"
    assert len(await list_windows(session, school.period.id, school.marieke)) == 2


async def test_a_window_must_end_after_it_starts_and_hold_one_visit(session, school, clock):
    for start, end, code in (("18:00", "17:00", "order"), ("17:00", "17:00", "order"),
                             ("17:00", "17:59", "short")):  # the period's visit lasts 60 minutes
        with pytest.raises(RuleError) as exc:
            await window(session, school, clock, THU, start, end)
        assert exc.value.code == code, (start, end)
    assert await list_windows(session, school.period.id, school.marieke) == []
    await window(session, school, clock, THU, "17:00", "18:00")  # exactly one visit is enough


async def test_overlapping_windows_are_refused_touching_ones_and_other_teachers_are_not(session, school, clock):
    await window(session, school, clock, THU, "15:00", "17:00")
    for start, end in (("16:00", "18:00"), ("14:00", "15:30"), ("15:30", "16:30"), ("14:00", "18:00")):
        with pytest.raises(RuleError) as exc:
            await window(session, school, clock, THU, start, end)
        assert exc.value.code == "overlap"
    await window(session, school, clock, THU, "17:00", "18:00")  # starts where the first ends
    await window(session, school, clock, THU, "14:00", "15:00")  # ends where the first starts
    await window(session, school, clock, THU, "15:00", "17:00", school.jeroen)
    assert hhmm(w.starts_at for w in await list_windows(session, school.period.id, school.marieke)) == [
        "Thu 14:00", "Thu 15:00", "Thu 17:00"]


# -- booked counts and removing ---------------------------------------------------------

async def test_listed_windows_count_live_visits_only(session, school, clock):
    thu = await window(session, school, clock, THU, "15:00", "19:00")  # 15:00 16:15 17:30
    await window(session, school, clock, FRI, "15:00", "19:00")
    await send_invitations(session, school.period, clock.now(), sibling_visits="each")
    assert (await request(session, clock, "H002", local(THU, 15))).code == "requested"
    confirmed = await request(session, clock, "H003", local(THU, 16, 15))
    await booking.confirm(session, confirmed.appointment_id, school.marieke, clock.now())
    cancelled = await request(session, clock, "H004", local(THU, 17, 30))
    await booking.cancel_by_guardian(session, cancelled.appointment_id, await guardians_of(session, "H004"),
                                     clock.now())
    counts = {w.id: w.booked for w in await list_windows(session, school.period.id, school.marieke)}
    assert counts == {thu.id: 2, next(i for i in counts if i != thu.id): 0}


@pytest.mark.parametrize("confirm", [False, True], ids=["requested", "confirmed"])
async def test_a_window_with_a_live_visit_cannot_be_removed(session, school, clock, confirm):
    thu = await window(session, school, clock, THU, "15:00", "19:00")
    await send_invitations(session, school.period, clock.now(), sibling_visits="each")
    outcome = await request(session, clock, "H002", local(THU, 16, 15))
    if confirm:
        await booking.confirm(session, outcome.appointment_id, school.marieke, clock.now())
    with pytest.raises(RuleError) as exc:
        await remove_window(session, thu.id, school.marieke)
    assert exc.value.code == "holds_visit"
    assert [w.id for w in await list_windows(session, school.period.id, school.marieke)] == [thu.id]


async def test_a_window_can_be_removed_once_its_visit_is_cancelled_or_when_it_has_none(session, school, clock):
    thu = await window(session, school, clock, THU, "15:00", "19:00")
    fri = await window(session, school, clock, FRI, "15:00", "19:00")
    await send_invitations(session, school.period, clock.now(), sibling_visits="each")
    outcome = await request(session, clock, "H002", local(THU, 16, 15))
    await remove_window(session, fri.id, school.marieke)  # the visit is on Thursday
    await booking.cancel_by_teacher(session, outcome.appointment_id, school.marieke, "ill", clock.now())
    await remove_window(session, thu.id, school.marieke)
    assert await list_windows(session, school.period.id, school.marieke) == []
    assert await free_slots(session, school.period, school.marieke, clock.now()) == []


async def test_another_teachers_window_or_an_unknown_one_is_gone(session, school, clock):
    jeroens = await window(session, school, clock, THU, "15:00", "19:00", school.jeroen)
    for window_id in (jeroens.id, jeroens.id + 1000):
        with pytest.raises(RuleError) as exc:
            await remove_window(session, window_id, school.marieke)
        assert exc.value.code == "gone"
    assert len(await list_windows(session, school.period.id, school.jeroen)) == 1
    await remove_window(session, jeroens.id, school.jeroen)
    with pytest.raises(RuleError) as exc:  # removing twice: gone
        await remove_window(session, jeroens.id, school.jeroen)
    assert exc.value.code == "gone"


# -- free slots -----------------------------------------------------------------------

async def test_free_slots_are_the_teachers_own_from_several_windows_in_time_order(session, school, clock):
    await window(session, school, clock, FRI, "15:00", "17:00")
    await window(session, school, clock, THU, "18:00", "19:00")
    await window(session, school, clock, THU, "15:00", "17:00", school.jeroen)
    slots = await free_slots(session, school.period, school.marieke, clock.now())
    assert hhmm(s.starts_at for s in slots) == ["Thu 18:00", "Fri 15:00"]
    assert all(s.ends_at - s.starts_at == timedelta(minutes=60) for s in slots)


async def test_free_slots_leave_out_taken_slots_and_their_travel_buffer(session, school, clock):
    await window(session, school, clock, THU, "15:00", "19:00")  # 15:00 16:15 17:30
    await send_invitations(session, school.period, clock.now(), sibling_visits="each")
    await request(session, clock, "H002", local(THU, 16, 15))
    slots = await free_slots(session, school.period, school.marieke, clock.now())
    assert hhmm(s.starts_at for s in slots) == ["Thu 15:00", "Thu 17:30"]


async def test_a_slot_closer_than_the_minimum_lead_is_not_offered(session, school, clock):
    assert MIN_LEAD == timedelta(hours=2)
    now = clock.now()  # Tuesday 16:00 in Amsterdam
    today = now.astimezone(TZ).date()
    await window(session, school, clock, today, "17:00", "21:00")  # 17:00 18:15 19:30
    slots = await free_slots(session, school.period, school.marieke, now)
    assert hhmm(s.starts_at for s in slots) == ["Tue 18:15", "Tue 19:30"]  # 17:00 is only one hour away
    assert hhmm(s.starts_at for s in await free_slots(session, school.period, school.marieke,
                                                       now + timedelta(minutes=15))) == ["Tue 18:15", "Tue 19:30"]
    assert hhmm(s.starts_at for s in await free_slots(session, school.period, school.marieke,
                                                       now + timedelta(minutes=16))) == ["Tue 19:30"]
    assert await free_slots(session, school.period, school.marieke, now + timedelta(hours=4)) == []


async def test_times_across_the_end_of_summer_time_read_the_same_on_the_clock(session, clock):
    """The clocks go back on Sunday 25 October 2026: 17:00 is 15:00 UTC before, 16:00 UTC after."""
    clock.set(datetime(2026, 10, 12, 9, 0, tzinfo=UTC))
    school_id = await new_school(session, clock.now())
    await load_roster(session, school_id, clock.now())
    period = await open_period(session, school_id, PeriodDraft("Herfst", date(2026, 10, 19), date(2026, 10, 30)),
                               clock.now())
    marieke = (await teacher(session, MARIEKE)).id
    friday, monday = date(2026, 10, 23), date(2026, 10, 26)
    for day in (friday, monday):
        await add_window(session, period, marieke, day, time(17), time(19), ZoneInfo("Europe/Amsterdam"), clock.now())

    slots = await free_slots(session, period, marieke, clock.now())
    assert [s.starts_at for s in slots] == [datetime(2026, 10, 23, 15, 0, tzinfo=UTC),
                                           datetime(2026, 10, 26, 16, 0, tzinfo=UTC)]
    assert [s.ends_at - s.starts_at for s in slots] == [timedelta(hours=1)] * 2
    catalogs = Catalogs()
    dutch = catalogs.translator("nl", ZoneInfo("Europe/Amsterdam"))
    english = catalogs.translator("en", ZoneInfo("Europe/Amsterdam"))
    assert [dutch.time(s.starts_at) for s in slots] == ["17:00", "17:00"]
    assert [english.time(s.starts_at) for s in slots] == ["17:00", "17:00"]
    assert [dutch.time(s.ends_at) for s in slots] == ["18:00", "18:00"]
    windows = await list_windows(session, period.id, marieke)
    assert [english.time(w.ends_at) for w in windows] == ["19:00", "19:00"]
