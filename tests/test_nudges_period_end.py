"""Nudges stop with the visit period: after its last day nobody is asked to pick a
time, even while the coordinator has not closed the period yet."""
from __future__ import annotations

from datetime import date

from bot.services.invitations import send_invitations
from bot.services.nudges import plan_nudges
from tests.visit_setup import (
    AUTUMN,
    MARIEKE,
    invitation,
    link_guardian,
    load_roster,
    local,
    new_school,
    open_autumn,
)

LAST_DAY = AUTUMN.last_day  # Friday 4 December 2026


async def _silent_school(session, clock):
    school_id = await new_school(session, clock.now())
    await load_roster(session, school_id, clock.now())
    await link_guardian(session, "Ingrid Visser", clock.now())
    period = await open_autumn(session, school_id, clock.now())
    await send_invitations(session, period, clock.now())
    return school_id


async def test_no_nudge_once_the_last_day_has_passed(session, clock):
    school_id = await _silent_school(session, clock)
    # Saturday morning after the last day: a week of silence, but no visit can be chosen any more.
    saturday = local(date(2026, 12, 5), 10)
    assert await plan_nudges(session, school_id, saturday, today=date(2026, 12, 5)) == 0
    assert (await invitation(session, "H013", MARIEKE)).nudges_sent == 0


async def test_the_last_day_itself_still_gets_its_nudge(session, clock):
    school_id = await _silent_school(session, clock)
    last_morning = local(LAST_DAY, 9)
    assert await plan_nudges(session, school_id, last_morning, today=LAST_DAY) == 1  # Ingrid, Sem's mother
    assert (await invitation(session, "H013", MARIEKE)).nudges_sent == 1
