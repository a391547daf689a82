"""Notes are kept for the school's retention time (NOTE_RETENTION_MONTHS, 24 by default)
and then deleted with their follow-ups by the planner; newer notes stay."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.app import build_runtime, plan
from bot.config import load_settings
from bot.services import notes
from bot.services.invitations import send_invitations
from db.models import Appointment, FollowUp, Note
from tests.after_visit import FRI, THU, at, confirmed_visit, windows
from tests.visit_setup import MARIEKE, load_roster, new_school, open_autumn, teacher
from tests.words import _catalogs

WRITTEN = at(FRI, "20:00")  # the older note: Friday 13 November 2026
LATER = WRITTEN + timedelta(days=60)  # the newer one: 12 January 2027


def years_after(moment, years: int):
    return moment.replace(year=moment.year + years)


def months_after(moment, months: int):
    month = moment.month - 1 + months
    return moment.replace(year=moment.year + month // 12, month=month % 12 + 1)


class Made:
    school_id: int
    old: int
    new: int


@pytest.fixture
async def made(session, clock) -> Made:
    """Two notes on Marieke's visits, written two months apart, with follow-ups."""
    now = clock.now()
    m = Made()
    m.school_id = await new_school(session, now)
    await load_roster(session, m.school_id, now)
    period = await open_autumn(session, m.school_id, now)
    await windows(session, period, MARIEKE, (THU, FRI), now)
    await send_invitations(session, period, now, sibling_visits="each")
    first = await confirmed_visit(session, "H001", MARIEKE, "Anouk Jansen", at(THU, "15:00"), now)
    second = await confirmed_visit(session, "H013", MARIEKE, "Ingrid Visser", at(FRI, "15:00"), now)
    marieke = (await teacher(session, MARIEKE)).id
    clock.set(WRITTEN)
    m.old = (await notes.save(session, first, marieke, "done", {"proud": {"text": "Trots op de moestuin"}},
                              [("books", "Prentenboeken"), ("library", None)], clock.now())).id
    clock.set(LATER)  # written late, after a reminder
    m.new = (await notes.save(session, second, marieke, "by_phone", {"hopes": {"text": "Meer lezen"}},
                              [("care_talk", None)], clock.now())).id
    return m


async def kept(sessionmaker) -> dict[int, int]:
    """Note id -> number of its follow-ups, as the database holds them now."""
    async with sessionmaker() as session:
        note_ids = (await session.scalars(select(Note.id).order_by(Note.id))).all()
        follow_ups = dict((await session.execute(
            select(FollowUp.note_id, func.count()).group_by(FollowUp.note_id))).all())
        orphans = await session.scalar(select(func.count()).select_from(FollowUp)
                                       .where(FollowUp.note_id.not_in(note_ids or [-1])))
    assert orphans == 0
    return {note_id: follow_ups.get(note_id, 0) for note_id in note_ids}


async def plan_at(database_url: str, clock, moment, **env: str) -> None:
    """What the planner tick does at `moment`, with these settings from the environment."""
    clock.set(moment)
    settings = load_settings({"DATABASE_URL": database_url, "SCHOOL_NAME": "De Regenboog", **env}, env_file=None)
    runtime = await build_runtime(settings, clock, _catalogs())
    try:
        await plan(runtime)
    finally:
        await runtime.engine.dispose()


async def test_notes_older_than_two_years_are_deleted_with_their_follow_ups(made, sessionmaker, database_url,
                                                                           clock):
    assert load_settings({}, env_file=None).note_retention_months == 24
    assert await kept(sessionmaker) == {made.old: 2, made.new: 1}

    await plan_at(database_url, clock, years_after(WRITTEN, 2) - timedelta(days=1))
    assert await kept(sessionmaker) == {made.old: 2, made.new: 1}

    await plan_at(database_url, clock, years_after(WRITTEN, 2) + timedelta(days=1))
    assert await kept(sessionmaker) == {made.new: 1}

    await plan_at(database_url, clock, years_after(LATER, 2) - timedelta(days=1))
    assert await kept(sessionmaker) == {made.new: 1}
    await plan_at(database_url, clock, years_after(LATER, 2) + timedelta(days=1))
    assert await kept(sessionmaker) == {}

    async with sessionmaker() as session:  # the visits themselves stay in the history
        assert await session.scalar(select(func.count()).select_from(Appointment)) == 2


async def test_the_school_sets_a_shorter_retention(made, sessionmaker, database_url, clock):
    await plan_at(database_url, clock, months_after(LATER, 6) - timedelta(days=7), NOTE_RETENTION_MONTHS="6")
    assert await kept(sessionmaker) == {made.new: 1}  # the older note is eight months old by now
    await plan_at(database_url, clock, months_after(LATER, 6) + timedelta(days=7), NOTE_RETENTION_MONTHS="6")
    assert await kept(sessionmaker) == {}


async def test_purge_reports_what_it_deleted_and_is_safe_to_repeat(made, session, sessionmaker, clock):
    now = years_after(WRITTEN, 2) + timedelta(days=1)
    assert await notes.purge(session, made.school_id, now, 24) == 1
    assert await notes.purge(session, made.school_id, now, 24) == 0
    assert await notes.purge(session, made.school_id + 1, years_after(LATER, 3), 24) == 0  # another school's
    assert await kept(sessionmaker) == {made.new: 1}
