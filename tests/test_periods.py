"""The visit period: opened by the coordinator, one open per school at a time."""
from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from bot.services.errors import RuleError
from bot.services.periods import PeriodDraft, close_period, current_period, open_period
from db.models import VisitPeriod
from tests.visit_setup import AUTUMN, new_school


@pytest.fixture
async def school(session, clock) -> int:
    return await new_school(session, clock.now())


async def test_a_period_gets_one_hour_visits_and_a_quarter_hour_buffer_by_default(session, school, clock):
    period = await open_period(session, school, PeriodDraft("  Huisbezoeken \t najaar ", date(2026, 11, 9),
                                                            date(2026, 12, 4)), clock.now())
    assert (period.visit_minutes, period.buffer_minutes) == (60, 15)
    assert period.status == "open"
    assert period.name == "Huisbezoeken najaar"  # extra spaces squeezed
    assert period.opened_at == clock.now()
    current = await current_period(session, school)
    assert current is not None and current.id == period.id


async def test_chosen_visit_length_and_buffer_are_kept(session, school, clock):
    period = await open_period(session, school, replace(AUTUMN, visit_minutes=45, buffer_minutes=0), clock.now())
    assert (period.visit_minutes, period.buffer_minutes) == (45, 0)


INVALID = [
    (dict(name="   "), "name"),
    (dict(name="x" * 101), "name"),
    (dict(last_day=date(2026, 11, 8)), "days"),
    (dict(last_day=date(2026, 11, 9) + timedelta(days=121)), "days"),
    (dict(visit_minutes=14), "visit"),
    (dict(visit_minutes=241), "visit"),
    (dict(buffer_minutes=-1), "buffer"),
    (dict(buffer_minutes=121), "buffer"),
]


async def test_an_invalid_draft_is_refused_with_a_reason_code(session, school, clock):
    for change, code in INVALID:
        with pytest.raises(RuleError) as exc:
            await open_period(session, school, replace(AUTUMN, **change), clock.now())
        assert exc.value.code == code, change
        assert str(exc.value)  # a readable text for the log or CLI
    assert await current_period(session, school) is None


async def test_the_limits_themselves_are_allowed(session, school, clock):
    draft = replace(AUTUMN, name="x" * 100, last_day=AUTUMN.first_day + timedelta(days=120),
                    visit_minutes=240, buffer_minutes=120)
    period = await open_period(session, school, draft, clock.now())
    assert period.status == "open"
    await close_period(session, school, clock.now())
    one_day = replace(AUTUMN, last_day=AUTUMN.first_day, visit_minutes=15, buffer_minutes=0)
    assert (await open_period(session, school, one_day, clock.now())).first_day == one_day.last_day


async def test_a_second_open_period_is_refused(session, school, clock):
    first = await open_period(session, school, AUTUMN, clock.now())
    with pytest.raises(RuleError) as exc:
        await open_period(session, school, replace(AUTUMN, name="Voorjaar"), clock.now())
    assert exc.value.code == "already_open"
    assert (await current_period(session, school)).id == first.id


@pytest.mark.parametrize("both_checked_first", [False, True], ids=["gather", "both-checked-first"])
async def test_two_coordinators_opening_at_the_same_moment_give_one_open_period(
    sessionmaker, school, clock, monkeypatch, both_checked_first
):
    if both_checked_first:
        # Worst case: both see "nothing open" before either writes; the database must refuse one.
        from bot.services import periods

        barrier = asyncio.Barrier(2)
        check = periods.current_period

        async def check_then_wait(s, school_id):
            found = await check(s, school_id)
            await barrier.wait()
            return found

        monkeypatch.setattr(periods, "current_period", check_then_wait)

    async def attempt(name: str):
        async with sessionmaker() as s:
            try:
                return await open_period(s, school, replace(AUTUMN, name=name), clock.now())
            except RuleError as exc:
                return exc

    results = await asyncio.gather(attempt("Najaar A"), attempt("Najaar B"))
    opened = [r for r in results if isinstance(r, VisitPeriod)]
    refused = [r for r in results if isinstance(r, RuleError)]
    assert len(opened) == 1 and len(refused) == 1
    assert refused[0].code == "already_open"
    monkeypatch.undo()
    async with sessionmaker() as s:
        count = await s.scalar(select(func.count()).select_from(VisitPeriod).where(VisitPeriod.status == "open"))
        assert count == 1
        assert (await current_period(s, school)).name == opened[0].name


async def test_closing_ends_the_period_and_allows_a_new_one(session, school, clock):
    assert await close_period(session, school, clock.now()) is None  # nothing open: nothing to close
    first = await open_period(session, school, AUTUMN, clock.now())
    clock.advance(timedelta(days=30))
    closed = await close_period(session, school, clock.now())
    assert closed.id == first.id
    assert closed.status == "closed" and closed.closed_at == clock.now()
    assert await current_period(session, school) is None
    spring = await open_period(session, school, replace(AUTUMN, name="Voorjaar", first_day=date(2027, 3, 1),
                                                        last_day=date(2027, 3, 26)), clock.now())
    assert (await current_period(session, school)).id == spring.id


async def test_a_period_belongs_to_one_school(session, school, clock):
    from bot.services.schools import ensure_school

    other = (await ensure_school(session, "De Wilg", "Europe/Amsterdam", "nl", clock.now())).id
    await open_period(session, school, AUTUMN, clock.now())
    assert await current_period(session, other) is None
    assert (await open_period(session, other, AUTUMN, clock.now())).school_id == other
