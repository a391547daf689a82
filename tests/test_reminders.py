"""Reminders around a confirmed visit, over the Bot API double with a clock the tests
move: the parent hears the day before at 17:00 and about two hours before, the
teacher gets a morning overview on the day and a prompt for a note afterwards. A
reschedule moves them; a cancellation drops them. Each arrives exactly once.

The clock walks forward through the tests of this module, in file order:

    Tue 10 Nov   Ingrid books Tue 17 Nov 17:30; Petra books Tue 15:00 and moves to Mon 16 Nov 16:15;
                 Sandra books Tue 18:45 and cancels. Marieke confirms each.
    Sun 15 Nov   17:00  Petra: day-before reminder (for Monday)
    Mon 16 Nov   08:00  Marieke: overview (Petra)   14:15 Petra: soon   17:00 Ingrid: day-before
                 17:15  Marieke: after-visit (Petra)
    Tue 17 Nov   08:00  Marieke: overview (Ingrid)  15:30 Ingrid: soon  18:30 Marieke: after-visit (Ingrid)
"""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from bot.clock import MovableClock
from bot.services.reminders import REMINDER_KINDS
from db.models import Appointment
from tests.messaging_setup import (
    MON,
    START,
    SUN15,
    TUE,
    WED,
    at,
    book,
    count_starting,
    moment,
    outbox_rows,
    school,
    texts,
)
from tests.messaging_setup import NL as w

MARIEKE = "Marieke de Vries"
DAY_BEFORE = ("🔔 Morgen komt {teacher} op huisbezoek: {when}. Fijn!\n\nLukt het toch niet? "
              "Verzetten of afzeggen kan met /myvisit.")
SOON = "🔔 Over ongeveer {count} uur: het huisbezoek van {teacher}, {when}. Tot zo!"
AFTER = ("Hoe ging het huisbezoek bij het gezin van {children} ({when})? Schrijf een korte notitie nu het nog vers "
         "is: waar is het gezin trots op, en wat spraken jullie af?")
OVERVIEW = ("☀️ Goedemorgen! Vandaag heb je {count} huisbezoek:",
            "☀️ Goedemorgen! Vandaag heb je {count} huisbezoeken:")


@pytest.fixture(scope="module")
def module_clock(database_url) -> MovableClock:
    return MovableClock(START)  # one per backend: this module moves it


def at_home(when: datetime) -> str:
    return w("{when}, {where}", when=w.when(when), where=w("bij jullie thuis"))


def day_before(when: datetime) -> str:
    return w(DAY_BEFORE, teacher=MARIEKE, when=at_home(when))


def soon(when: datetime) -> str:
    return w.n(SOON, SOON, 2, teacher=MARIEKE, when=at_home(when))


def after(children: str, when: datetime) -> str:
    return w(AFTER, children=children, when=w.when(when))


def reminders_of(user) -> list[str]:
    return [text for text in texts(user) if text.startswith("🔔")]


@pytest.fixture(scope="module")
async def people(bot):
    people = await school(bot, [MARIEKE], ["Ingrid Visser", "Petra Mulder", "Sandra Dekker"],
                          [(MARIEKE, MON, "15:00", "20:00"), (MARIEKE, TUE, "15:00", "20:00")])
    marieke = people["marieke"]

    async def booked(parent, day, hhmm):
        await book(parent, MARIEKE, day, hhmm)
        await marieke.click(w("Bevestigen"), message=marieke.latest())
        assert parent.last_text().startswith(w.first_line(
            "✅ Het huisbezoek staat vast!\n\n{teacher} komt {when}.\n\nVeranderen of afzeggen kan altijd met "
            "/myvisit."))

    await booked(people["ingrid"], TUE, "17:30")

    petra = people["petra"]  # books Tuesday 15:00, then moves to Monday 16:15
    await booked(petra, TUE, "15:00")
    [status] = await petra.send("/myvisit")
    await petra.click(w("Ander moment kiezen"), message=status)
    await petra.click(w.short_day(MON))
    await petra.click("16:15")
    await petra.click(w("Verstuur"))
    assert marieke.last_text().startswith("🔁 " + w("Een gezin wil het huisbezoek verzetten"))
    await marieke.click(w("Bevestigen"), message=marieke.latest())
    assert petra.last_text() == w(
        "✅ Het huisbezoek staat vast!\n\n{teacher} komt {when}.\n\nVeranderen of afzeggen kan altijd met /myvisit.",
        teacher=MARIEKE, when=at_home(at(MON, "16:15")))

    sandra = people["sandra"]  # books Tuesday 18:45, then cancels
    await booked(sandra, TUE, "18:45")
    [status] = await sandra.send("/myvisit")
    await sandra.click(w("Afzeggen"), message=status)
    await sandra.click(w("Ja, afzeggen"))
    assert marieke.last_text().startswith("✖️ ")
    return people


async def test_the_reminders_of_the_old_and_cancelled_times_are_dropped_at_once(bot, people):
    async with bot.runtime.sessionmaker() as session:
        appointments = (await session.scalars(select(Appointment))).all()
    confirmed = {a.id for a in appointments if a.status == "confirmed"}
    changed = {a.id for a in appointments if a.status in ("replaced", "cancelled")}
    assert len(confirmed) == 2 and len(changed) == 2  # Ingrid's and Petra's new time; Petra's old, Sandra's
    rows = [r for r in await outbox_rows(bot) if r.kind in REMINDER_KINDS]
    assert {r.appointment_id for r in rows if r.status == "pending"} == confirmed
    assert {(r.status, r.last_error) for r in rows if r.appointment_id in changed} == {("skipped", "visit changed")}


async def test_nothing_arrives_before_the_day_before(bot, people):
    sent = {name: len(user.messages()) for name, user in people.items()}
    await moment(bot, at(SUN15, "16:59"))
    assert {name: len(user.messages()) for name, user in people.items()} == sent


async def test_the_moved_visit_is_reminded_the_day_before_at_five(bot, people):
    petra = people["petra"]
    await moment(bot, at(SUN15, "17:00"))
    assert reminders_of(petra) == [day_before(at(MON, "16:15"))]
    await bot.drain()
    await moment(bot, at(SUN15, "20:00"))
    assert reminders_of(petra) == [day_before(at(MON, "16:15"))]
    assert reminders_of(people["ingrid"]) == [] and reminders_of(people["sandra"]) == []


async def test_the_teacher_gets_the_overview_of_the_day_at_eight(bot, people):
    marieke = people["marieke"]
    await moment(bot, at(MON, "07:59"))
    assert count_starting(marieke, "☀️") == 0
    await moment(bot, at(MON, "08:00"))
    overview = [text for text in texts(marieke) if text.startswith("☀️")]
    assert overview == ["\n".join([
        w.n(*OVERVIEW, 1),
        w("{time} {children} – {where}", time="16:15", children="Julia Mulder", where=w("bij het gezin thuis"))
        + " – 📞 +31612345612, +31612345613",
    ])]


async def test_the_soon_reminder_comes_two_hours_before(bot, people):
    petra = people["petra"]
    await moment(bot, at(MON, "14:14"))
    assert len(reminders_of(petra)) == 1
    await moment(bot, at(MON, "14:15"))
    assert reminders_of(petra) == [day_before(at(MON, "16:15")), soon(at(MON, "16:15"))]


async def test_the_day_before_reminder_for_tuesday_and_none_for_the_old_or_cancelled_times(bot, people):
    ingrid, petra, sandra = people["ingrid"], people["petra"], people["sandra"]
    await moment(bot, at(MON, "16:59"))
    assert reminders_of(ingrid) == []
    await moment(bot, at(MON, "17:00"))
    assert reminders_of(ingrid) == [day_before(at(TUE, "17:30"))]
    await bot.drain()
    assert reminders_of(ingrid) == [day_before(at(TUE, "17:30"))]
    # Petra's old Tuesday time and Sandra's cancelled one would have been reminded now too.
    assert len(reminders_of(petra)) == 2 and reminders_of(sandra) == []


async def test_the_teacher_is_asked_for_a_note_after_the_visit(bot, people):
    marieke = people["marieke"]
    note = after("Julia Mulder (Groep 3)", at(MON, "16:15"))
    await moment(bot, at(MON, "17:14"))
    assert note not in texts(marieke)
    await moment(bot, at(MON, "17:15"))  # 60 minutes after 16:15
    assert texts(marieke).count(note) == 1


async def test_visit_day_overview_soon_reminder_and_note(bot, people):
    ingrid, marieke = people["ingrid"], people["marieke"]
    await moment(bot, at(TUE, "08:00"))
    overview = [text for text in texts(marieke) if text.startswith("☀️")]
    assert len(overview) == 2
    assert overview[1] == "\n".join([
        w.n(*OVERVIEW, 1),
        w("{time} {children} – {where}", time="17:30", children="Sem Visser", where=w("bij het gezin thuis"))
        + " – 📞 +31612345611",
    ])  # not Petra's old time nor Sandra's cancelled visit

    await moment(bot, at(TUE, "15:29"))
    assert reminders_of(ingrid) == [day_before(at(TUE, "17:30"))]
    await moment(bot, at(TUE, "15:30"))
    assert reminders_of(ingrid) == [day_before(at(TUE, "17:30")), soon(at(TUE, "17:30"))]

    note = after("Sem Visser (Groep 3)", at(TUE, "17:30"))
    await moment(bot, at(TUE, "18:29"))
    assert note not in texts(marieke)
    await moment(bot, at(TUE, "18:30"))
    assert texts(marieke).count(note) == 1


async def test_each_arrives_once_and_the_old_and_cancelled_times_never(bot, people):
    before = {name: texts(user) for name, user in people.items()}
    await moment(bot, at(WED, "12:00"))
    await bot.drain()
    bot.clock.advance(timedelta(days=3))
    await bot.drain()
    assert {name: texts(user) for name, user in people.items()} == before
    assert reminders_of(people["petra"]) == [day_before(at(MON, "16:15")), soon(at(MON, "16:15"))]
    assert reminders_of(people["sandra"]) == []
    notes = [text for text in texts(people["marieke"]) if text.startswith(w.first_line(AFTER).split("{")[0])]
    assert len(notes) == 2  # Petra's moved visit and Ingrid's; not Sandra's cancelled one

