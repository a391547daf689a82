"""Quiet hours (21:00–08:00 school time): what falls due at night waits for the morning
and then goes out once; what answers a person's own action goes out at once, night or
not. Then `in_quiet_hours` and `next_humane` on their own, across midnight and the
changes of summer time."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest

from bot.app import plan
from bot.clock import MovableClock
from bot.services.humane import in_quiet_hours, next_humane
from tests.messaging_setup import NL as w
from tests.messaging_setup import (
    START,
    TUE,
    at,
    book,
    invitation_from,
    link_parent,
    moment,
    outbox_rows,
    school,
    texts,
)
from tests.words import SCHOOL_TZ

MARIEKE = "Marieke de Vries"
WED11, THU12, FRI13, SAT14 = (date(2026, 11, d) for d in (11, 12, 13, 14))
UTC = timezone.utc
QUIET = (time(21, 0), time(8, 0))
SENT = ("📨 Verstuurd! {teacher} bevestigt het zo snel mogelijk. Je krijgt dan een bericht.\n\n"
        "Veranderen of afzeggen kan altijd met /myvisit.")
CONFIRMED = ("✅ Het huisbezoek staat vast!\n\n{teacher} komt {when}.\n\nVeranderen of afzeggen kan altijd met "
             "/myvisit.")
NUDGE1 = ("Een vriendelijke herinnering: {teacher} komt graag bij jullie op huisbezoek. Kies een moment wanneer het "
          "jou uitkomt. Nee zeggen mag ook.")


@pytest.fixture(scope="module")
def module_clock(database_url) -> MovableClock:
    return MovableClock(START)


@pytest.fixture(scope="module")
async def people(bot):
    return await school(bot, [MARIEKE], ["Ingrid Visser", "Petra Mulder"], [(MARIEKE, TUE, "15:00", "20:00")])


def requests_to(teacher) -> list[str]:
    return [text for text in texts(teacher) if text.startswith("📩 " + w("Nieuw verzoek voor een huisbezoek"))]


async def test_a_request_made_at_night_reaches_the_teacher_at_eight(bot, people):
    ingrid, marieke = people["ingrid"], people["marieke"]
    bot.clock.set(at(WED11, "22:30"))
    await book(ingrid, MARIEKE, TUE, "17:30")
    assert ingrid.last_text() == w(SENT, teacher=MARIEKE)  # her own action: answered at once
    assert requests_to(marieke) == []
    await moment(bot, at(WED11, "23:59"))
    assert requests_to(marieke) == []
    for hhmm in ("00:00", "03:00", "07:59"):
        await moment(bot, at(THU12, hhmm))
        assert requests_to(marieke) == []
    [row] = await outbox_rows(bot, kind="request")
    assert row.status == "pending" and row.attempts == 0

    await moment(bot, at(THU12, "08:00"))
    assert len(requests_to(marieke)) == 1
    await bot.drain()
    await moment(bot, at(THU12, "12:00"))
    assert len(requests_to(marieke)) == 1


async def test_a_confirmation_at_night_is_answered_at_once_and_told_in_the_morning(bot, people):
    ingrid, marieke = people["ingrid"], people["marieke"]
    bot.clock.set(at(THU12, "21:30"))
    await marieke.click(w("Bevestigen"), message=marieke.latest())
    assert marieke.last_text() == w(  # her own action: answered at once
        "✅ Bevestigd: {when}, {children}. Het gezin krijgt bericht.", children="Sem Visser (Groep 3)",
        when=w("{when}, {where}", when=w.when(at(TUE, "17:30")), where=w("bij het gezin thuis")))
    confirmed = w(CONFIRMED, teacher=MARIEKE, when=w("{when}, {where}", when=w.when(at(TUE, "17:30")),
                                                     where=w("bij jullie thuis")))
    await moment(bot, at(FRI13, "07:59"))
    assert confirmed not in texts(ingrid)
    await moment(bot, at(FRI13, "08:00"))
    await bot.drain()
    assert texts(ingrid).count(confirmed) == 1


async def test_a_nudge_planned_at_night_waits_for_the_morning(bot, people):
    petra = people["petra"]
    await moment(bot, at(FRI13, "23:00"))  # three days and seven hours after the invitation
    await plan(bot.runtime)
    await bot.drain()
    nudge = w(NUDGE1, teacher=MARIEKE)
    assert nudge not in texts(petra)
    [row] = await outbox_rows(bot, kind="nudge")
    assert row.status == "pending" and row.due_at == at(FRI13, "23:00")

    # Someone who links at night gets the invitation at once: it answers opening the link.
    bot.clock.set(at(FRI13, "23:30"))
    joost = await link_parent(bot, "Joost Hendriks")
    assert "Finn Hendriks (Groep 3)" in invitation_from(joost, MARIEKE)["text"]
    assert nudge not in texts(petra)  # still waiting

    for moment_ in (at(SAT14, "02:00"), at(SAT14, "07:59")):
        await moment(bot, moment_)
        assert nudge not in texts(petra)
    await moment(bot, at(SAT14, "08:00"))
    await bot.drain()
    await moment(bot, at(SAT14, "09:00"))
    assert texts(petra).count(nudge) == 1


# -- the rule on its own -----------------------------------------------------------


def ams(year: int, month: int, day: int, hour: int, minute: int = 0, fold: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SCHOOL_TZ, fold=fold)


@pytest.mark.parametrize("local, quiet", [
    (ams(2026, 11, 11, 20, 59), False),
    (ams(2026, 11, 11, 21, 0), True),
    (ams(2026, 11, 11, 23, 59), True),
    (ams(2026, 11, 12, 0, 0), True),
    (ams(2026, 11, 12, 7, 59), True),
    (ams(2026, 11, 12, 8, 0), False),
    (ams(2026, 11, 12, 12, 0), False),
])
def test_quiet_hours_run_across_midnight(local, quiet):
    assert in_quiet_hours(local.astimezone(UTC), SCHOOL_TZ, *QUIET) is quiet


def test_quiet_hours_within_one_day():
    lunch = (time(12, 0), time(13, 0))
    assert not in_quiet_hours(ams(2026, 11, 12, 11, 59), SCHOOL_TZ, *lunch)
    assert in_quiet_hours(ams(2026, 11, 12, 12, 0), SCHOOL_TZ, *lunch)
    assert not in_quiet_hours(ams(2026, 11, 12, 13, 0), SCHOOL_TZ, *lunch)
    assert not in_quiet_hours(ams(2026, 11, 12, 23, 0), SCHOOL_TZ, *lunch)


@pytest.mark.parametrize("local, expected", [
    (ams(2026, 11, 11, 15, 0), ams(2026, 11, 11, 15, 0)),  # daytime: as it is
    (ams(2026, 11, 11, 20, 59), ams(2026, 11, 11, 20, 59)),
    (ams(2026, 11, 11, 21, 0), ams(2026, 11, 12, 8, 0)),  # evening: the next morning
    (ams(2026, 11, 11, 23, 30), ams(2026, 11, 12, 8, 0)),
    (ams(2026, 11, 12, 0, 0), ams(2026, 11, 12, 8, 0)),  # after midnight: the same morning
    (ams(2026, 11, 12, 7, 59), ams(2026, 11, 12, 8, 0)),
    (ams(2026, 11, 12, 8, 0), ams(2026, 11, 12, 8, 0)),
    (ams(2026, 12, 31, 22, 0), ams(2027, 1, 1, 8, 0)),  # across the year
])
def test_next_humane_moment(local, expected):
    result = next_humane(local.astimezone(UTC), SCHOOL_TZ, *QUIET)
    assert result == expected and result.tzinfo is not None


def test_next_humane_across_the_end_of_summer_time():
    # Sunday 25 October 2026: 03:00 CEST becomes 02:00 CET; the night is an hour longer.
    evening = ams(2026, 10, 24, 22, 0)  # CEST, 20:00 UTC
    morning = next_humane(evening.astimezone(UTC), SCHOOL_TZ, *QUIET)
    assert morning == datetime(2026, 10, 25, 7, 0, tzinfo=UTC)  # 08:00 CET
    assert morning.astimezone(SCHOOL_TZ).time() == time(8, 0)
    assert morning - evening == timedelta(hours=11)
    for fold in (0, 1):  # 02:30 happens twice that night; both are quiet and wait for 08:00
        twice = ams(2026, 10, 25, 2, 30, fold=fold).astimezone(UTC)
        assert in_quiet_hours(twice, SCHOOL_TZ, *QUIET)
        assert next_humane(twice, SCHOOL_TZ, *QUIET) == datetime(2026, 10, 25, 7, 0, tzinfo=UTC)
    assert not in_quiet_hours(datetime(2026, 10, 25, 7, 0, tzinfo=UTC), SCHOOL_TZ, *QUIET)
    assert in_quiet_hours(datetime(2026, 10, 25, 6, 59, tzinfo=UTC), SCHOOL_TZ, *QUIET)
    assert not in_quiet_hours(datetime(2026, 10, 24, 18, 59, tzinfo=UTC), SCHOOL_TZ, *QUIET)  # 20:59 CEST


def test_next_humane_across_the_start_of_summer_time():
    # Sunday 29 March 2026: 02:00 CET becomes 03:00 CEST; the night is an hour shorter.
    evening = ams(2026, 3, 28, 23, 0)  # CET, 22:00 UTC
    morning = next_humane(evening.astimezone(UTC), SCHOOL_TZ, *QUIET)
    assert morning == datetime(2026, 3, 29, 6, 0, tzinfo=UTC)  # 08:00 CEST
    assert morning - evening == timedelta(hours=8)
    assert next_humane(datetime(2026, 3, 29, 1, 30, tzinfo=UTC), SCHOOL_TZ, *QUIET) == morning  # 03:30 CEST
    assert in_quiet_hours(datetime(2026, 3, 29, 5, 59, tzinfo=UTC), SCHOOL_TZ, *QUIET)
    assert not in_quiet_hours(datetime(2026, 3, 29, 6, 0, tzinfo=UTC), SCHOOL_TZ, *QUIET)
