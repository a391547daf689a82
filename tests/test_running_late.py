"""The visit evening: the teacher runs late (from today's /agenda), the family runs late or
something came up (on the reminder of the visit's day). These same-evening messages go out
at once, quiet hours or not; a nudge at night still waits for the morning.

The clock walks forward through the tests of this module, in file order:

    Tue 10 Nov   Marieke's families book Tuesday 17 Nov: Samira (Arabic) 17:30, Ingrid 18:45,
                 Joost 21:15, and Sandra Wednesday 18 Nov 17:30; Esther books Jeroen Tuesday 17:30.
                 The teachers confirm each.
    Sat 14 Nov   21:15 Petra links (so her first nudge falls due on Tuesday at 21:15)
    Mon 16 Nov   the day before: no "running late" anywhere yet
    Tue 17 Nov   16:00 Marieke runs late for Samira's 17:30; 16:10 something came up at Samira's;
                 16:45 Ingrid's reminder: the family runs late; Marieke runs late for Ingrid's 18:45;
                 21:30 Marieke runs late for Joost's 21:15 (quiet hours), Petra's nudge waits
    Wed 18 Nov   08:00 Petra's nudge goes out
"""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from bot.app import plan
from bot.clock import MovableClock
from bot.i18n import FSI
from bot.services import booking, companions
from db.models import Account, Appointment, Guardian, Invitation, Staff
from tests.messaging_setup import (
    MON,
    START,
    TUE,
    WED,
    at,
    invitation_from,
    link_parent,
    moment,
    outbox_rows,
    school,
    texts,
)
from tests.messaging_setup import NL as w
from tests.words import Words

ar = Words("ar")
MARIEKE, JEROEN = "Marieke de Vries", "Jeroen Bakker"
SAT14 = date(2026, 11, 14)
NO_LONGER = "Deze knop werkt niet meer. Kijk bij /help wat je kunt doen."

TO_FAMILY = ("⏰ {teacher} is ongeveer {count} minuut later voor het huisbezoek van vandaag om {time}. Tot zo!",
             "⏰ {teacher} is ongeveer {count} minuten later voor het huisbezoek van vandaag om {time}. Tot zo!")
SENT = ("⏰ Verstuurd: het gezin van {children} weet dat je ongeveer {count} minuut later bent voor het huisbezoek "
        "van {time}.",
        "⏰ Verstuurd: het gezin van {children} weet dat je ongeveer {count} minuten later bent voor het huisbezoek "
        "van {time}.")
HOW_LATE = "Hoeveel later ben je voor het huisbezoek van {time} ({children})? Het gezin krijgt meteen een bericht."
LATE_BUTTON = "Ik ben later: {time}"
MINUTES = ("{count} minuut", "{count} minuten")
MARK = ("{count} minuut later", "{count} minuten later")
FAMILY_LATE = "Het gezin van {children} is wat later voor het huisbezoek van {time}."
CAME_UP = ("Bij het gezin van {children} is iets tussengekomen: het huisbezoek van {when} gaat niet door. Het moment "
           "is weer vrij; het gezin kan een nieuw moment kiezen.")
WE_ARE_LATE, SOMETHING = "Wij zijn wat later", "Er is iets tussengekomen"
THANKS = "Dank je wel! {teacher} weet nu dat jullie wat later zijn. Tot straks!"
FAMILY_REFUSAL = "Dit huisbezoek is niet vandaag, of het gaat niet meer door. Kijk bij /myvisit hoe het nu staat."
NOT_TODAY = "Dit huisbezoek is niet vandaag. Dat je later bent, laat je het gezin op de dag zelf weten."
GONE = "Dit huisbezoek staat niet meer vast of is al voorbij. Kijk bij /agenda hoe het nu staat."
SOON = "🔔 Over ongeveer {count} uur: het huisbezoek van {teacher}, {when}. Tot zo!"
NUDGE1 = ("Een vriendelijke herinnering: {teacher} komt graag bij jullie op huisbezoek. Kies een moment wanneer het "
          "jou uitkomt. Nee zeggen mag ook.")
SORRY = "Sorry, er ging iets mis aan mijn kant. Probeer het straks nog eens."


@pytest.fixture(scope="module")
def module_clock(database_url) -> MovableClock:
    return MovableClock(START)  # one per backend: this module moves it


async def book(bot, parent, teacher: str, day: date, hhmm: str) -> None:
    """The parent asks for a visit at home at this time: in chat (in Dutch), or, for a family
    of another language (whom the booking flow asks about an interpreter), through the same service."""
    if parent.language_code == "nl":
        await parent.click(w("Kies een moment"), message=invitation_from(parent, teacher))
        await parent.click(w.short_day(day))
        await parent.click(w.time(at(day, hhmm)))
        await parent.click(w("Bij ons thuis"))
        await parent.click(w("Verstuur"))
        return
    rt = bot.runtime
    async with rt.sessionmaker() as session:
        guardian = (await session.scalars(select(Guardian).join(Account, Account.id == Guardian.account_id)
                                          .where(Account.telegram_user_id == parent.id))).one()
        invitation = await session.scalar(select(Invitation.id).join(Staff, Staff.id == Invitation.teacher_id).where(
            Invitation.household_id == guardian.household_id, Staff.name == teacher))
        outcome = await booking.request_slot(session, invitation, (guardian.id,), at(day, hhmm), "home", None,
                                             rt.clock.now())
    assert outcome.code == "requested"
    await bot.drain()


@pytest.fixture(scope="module")
async def people(bot):
    people = await school(bot, [MARIEKE, JEROEN],
                          ["Samira Benali", "Youssef Benali", "Ingrid Visser", "Joost Hendriks", "Sandra Dekker",
                           "Esther Meijer"],
                          [(MARIEKE, TUE, "15:00", "22:30"), (MARIEKE, WED, "15:00", "20:00"),
                           (JEROEN, TUE, "15:00", "20:00")])
    people["samira"].language_code = people["youssef"].language_code = "ar"
    for name, teacher, day, hhmm in [("samira", MARIEKE, TUE, "17:30"), ("ingrid", MARIEKE, TUE, "18:45"),
                                     ("joost", MARIEKE, TUE, "21:15"), ("sandra", MARIEKE, WED, "17:30"),
                                     ("esther", JEROEN, TUE, "17:30")]:
        await book(bot, people[name], teacher, day, hhmm)
        confirmer = people["jeroen" if teacher == JEROEN else "marieke"]
        await confirmer.click(w("Bevestigen"), message=confirmer.latest())
    bot.clock.set(at(SAT14, "21:15"))
    people["petra"] = await link_parent(bot, "Petra Mulder")
    return people


async def visit(bot, guardian_name: str) -> Appointment:
    """The household's visit, as it is now."""
    async with bot.runtime.sessionmaker() as session:
        return (await session.scalars(
            select(Appointment).join(Invitation, Invitation.id == Appointment.invitation_id)
            .join(Guardian, Guardian.household_id == Invitation.household_id)
            .where(Guardian.name == guardian_name).order_by(Appointment.id.desc())
            .execution_options(populate_existing=True))).first()


def late_asks(user, message: dict) -> list[str]:
    return [label for label, data in user.buttons(message) if data.startswith("v2:late_ask:")]


def late_to_family(words: Words, minutes: int, hhmm: str) -> str:
    return words.n(*TO_FAMILY, minutes, teacher=words.iso(MARIEKE), time=words.time(at(TUE, hhmm)))


def as_now(user, message: dict) -> dict:
    """The message as the person's phone shows it now (after edits)."""
    return next(m for m in user.messages() if m["message_id"] == message["message_id"])


def reminder(user) -> dict:
    """The newest reminder this person got."""
    return [m for m in user.messages() if m["text"].startswith("🔔")][-1]


async def test_the_day_before_nothing_offers_running_late(bot, people):
    marieke, ingrid = people["marieke"], people["ingrid"]
    await moment(bot, at(MON, "17:00"))
    assert "reply_markup" not in reminder(ingrid)  # the day-before reminder: no evening buttons
    [agenda] = await marieke.send("/agenda")
    assert late_asks(marieke, agenda) == []


async def test_todays_agenda_offers_running_late_for_each_confirmed_visit_of_today(bot, people):
    marieke = people["marieke"]
    await moment(bot, at(TUE, "16:00"))
    [agenda] = await marieke.send("/agenda")
    assert late_asks(marieke, agenda) == ["⏰ " + w(LATE_BUTTON, time=hhmm) for hhmm in ("17:30", "18:45", "21:15")]


async def test_the_family_hears_at_once_in_arabic_that_the_teacher_runs_late(bot, people):
    marieke, samira, youssef = people["marieke"], people["samira"], people["youssef"]
    [agenda] = await marieke.send("/agenda")
    await marieke.click(w(LATE_BUTTON, time="17:30"), message=agenda)
    assert marieke.last_text() == w(HOW_LATE, time="17:30", children="Amira Benali (Groep 3)")
    await marieke.click(w.n(*MINUTES, 10))

    told = late_to_family(ar, 10, "17:30")
    assert FSI + MARIEKE in told  # the name and the time keep their order inside right-to-left text
    assert samira.last_text() == told and youssef.last_text() == told
    assert marieke.last_text() == w.n(*SENT, 10, children="Amira Benali (Groep 3)", time="17:30")
    assert (await visit(bot, "Samira Benali")).late_minutes == 10
    assert {r.quiet for r in await outbox_rows(bot, kind="running_late")} == {False}


async def test_a_second_press_with_the_same_minutes_sends_nothing_again(bot, people):
    marieke, samira = people["marieke"], people["samira"]
    told, shown = texts(samira).count(late_to_family(ar, 10, "17:30")), len(marieke.messages())
    sent_screen = marieke.last_text()
    await marieke.click(w.n(*MINUTES, 10))
    assert texts(samira).count(late_to_family(ar, 10, "17:30")) == told == 1
    assert marieke.last_text() == sent_screen and len(marieke.messages()) == shown  # no "sorry", no new message
    assert len(await outbox_rows(bot, kind="running_late")) == 2  # one for each guardian, once


async def test_the_family_says_something_came_up_and_may_choose_a_new_time(bot, people):
    marieke, samira, youssef = people["marieke"], people["samira"], people["youssef"]
    await moment(bot, at(TUE, "16:10"))
    day_of = reminder(samira)  # 15:30, two hours before
    assert day_of["text"] == ar.n(SOON, SOON, 2, teacher=ar.iso(MARIEKE), when=ar(
        "{when}, {where}", when=ar.when(at(TUE, "17:30")), where=ar("bij jullie thuis")))
    assert [label for label, _ in samira.buttons(day_of)] == ["⏰ " + ar(WE_ARE_LATE), "🙁 " + ar(SOMETHING)]

    heard_by_youssef = len(youssef.messages())
    await samira.click(ar(SOMETHING), message=day_of)
    assert samira.last_text() == ar(
        "Is er iets tussengekomen? Dan gaat het huisbezoek van vandaag om {time} niet door. {teacher} krijgt "
        "meteen bericht, en jullie kunnen een nieuw moment kiezen.", time=ar.time(at(TUE, "17:30")),
        teacher=ar.iso(MARIEKE))
    await samira.click(ar("Ja, afzeggen"))
    assert as_now(samira, day_of)["text"] == ar(
        "Het huisbezoek is afgezegd. {teacher} krijgt bericht.\n\nWil je een nieuw moment kiezen?",
        teacher=ar.iso(MARIEKE))
    assert marieke.last_text() == "🙁 " + w(CAME_UP, children="Amira Benali (Groep 3)", when=w.when(at(TUE, "17:30")))
    cancelled = await visit(bot, "Samira Benali")
    assert (cancelled.status, cancelled.cancelled_by, cancelled.cancel_reason) == ("cancelled", "guardian", "came_up")
    [to_teacher] = await outbox_rows(bot, kind="cancelled_by_parent")
    assert to_teacher.quiet is False and to_teacher.status == "sent"
    assert len(youssef.messages()) > heard_by_youssef  # the other guardian hears of it too

    await samira.click(ar("Kies een moment"), message=as_now(samira, day_of))  # as after any cancellation
    assert any(label.startswith(ar.short_day(WED)) for label, _ in samira.buttons())


async def test_a_cancelled_visit_takes_no_more_evening_buttons(bot, people):
    marieke, samira, youssef = people["marieke"], people["samira"], people["youssef"]
    heard, late_told = len(marieke.messages()), texts(samira).count(late_to_family(ar, 15, "17:30"))
    answer = await youssef.click(ar(WE_ARE_LATE), message=reminder(youssef))  # his own reminder, still on his phone
    assert answer["text"] == ar(FAMILY_REFUSAL) and answer.get("show_alert") in (True, "true", "True")
    assert len(marieke.messages()) == heard

    cancelled = await visit(bot, "Samira Benali")
    [choice] = [m for m in marieke.messages()
                if any(data == f"v2:late:{cancelled.id}:15" for _, data in marieke.buttons(m))]
    answer = await marieke.click(w.n(*MINUTES, 15), message=choice)
    assert answer["text"] == w(GONE) and answer.get("show_alert") in (True, "true", "True")
    assert texts(samira).count(late_to_family(ar, 15, "17:30")) == late_told == 0
    assert (await visit(bot, "Samira Benali")).late_minutes == 10


async def test_the_family_runs_late_and_the_teacher_hears_it_at_once_and_once(bot, people):
    marieke, ingrid, jeroen = people["marieke"], people["ingrid"], people["jeroen"]
    await moment(bot, at(TUE, "16:45"))
    async with bot.runtime.sessionmaker() as session:  # Jeroen comes along to the Vissers' visit
        ids = dict((await session.execute(select(Staff.name, Staff.id))).all())
        added = await companions.add_colleague(session, (await visit(bot, "Ingrid Visser")).id, ids[MARIEKE],
                                               ids[JEROEN], bot.clock.now())
    assert added.code == "added"
    await bot.drain()
    day_of = reminder(ingrid)
    _, data = ingrid.find_button(w(WE_ARE_LATE), day_of)
    await ingrid.press(data, message=day_of)
    assert ingrid.last_text() == w(THANKS, teacher=MARIEKE)
    assert [label for label, _ in ingrid.buttons()] == ["🙁 " + w(SOMETHING)]  # that may still come
    late = "⏰ " + w(FAMILY_LATE, children="Sem Visser (Groep 3)", time="18:45")
    assert marieke.last_text() == late
    assert jeroen.last_text() == late  # the colleague who comes along hears it too
    rows = await outbox_rows(bot, kind="family_late")
    assert len(rows) == 2 and not any(row.quiet for row in rows)

    await ingrid.press(data, message=day_of)  # a double tap
    assert texts(marieke).count(late) == 1 and texts(jeroen).count(late) == 1 and SORRY not in texts(ingrid)


async def test_the_teacher_runs_late_in_dutch_and_the_agenda_shows_it(bot, people):
    marieke, ingrid = people["marieke"], people["ingrid"]
    [agenda] = await marieke.send("/agenda")
    await marieke.click(w(LATE_BUTTON, time="18:45"), message=agenda)
    await marieke.click(w.n(*MINUTES, 15))
    assert ingrid.last_text() == late_to_family(w, 15, "18:45")
    assert marieke.last_text() == w.n(*SENT, 15, children="Sem Visser (Groep 3)", time="18:45")

    [agenda] = await marieke.send("/agenda")
    [line] = [line for line in agenda["text"].split("\n") if "Sem Visser" in line]
    assert line.endswith(" – ⏰ " + w.n(*MARK, 15))
    assert not any("⏰" in line for line in agenda["text"].split("\n") if "Finn Hendriks" in line)


async def test_a_late_button_for_another_day_or_another_teacher_changes_nothing(bot, people):
    marieke, sandra, esther = people["marieke"], people["sandra"], people["esther"]
    wednesday, jeroens = await visit(bot, "Sandra Dekker"), await visit(bot, "Esther Meijer")
    before = {name: len(user.messages()) for name, user in people.items()}

    for data in (f"v2:late_ask:{wednesday.id}", f"v2:late:{wednesday.id}:15"):
        answer = await marieke.press(data, message=marieke.latest())
        assert answer["text"] == w(NOT_TODAY) and answer.get("show_alert") in (True, "true", "True")
    answer = await sandra.press(f"v2:day_of:{wednesday.id}:late", message=sandra.latest())
    assert answer["text"] == w(FAMILY_REFUSAL)
    for data in (f"v2:late_ask:{jeroens.id}", f"v2:late:{jeroens.id}:30"):  # forged: Jeroen's visit
        answer = await marieke.press(data, message=marieke.latest())
        assert answer["text"] == w(NO_LONGER) and answer.get("show_alert") in (True, "true", "True")
    answer = await people["ingrid"].press(f"v2:day_of:{jeroens.id}:up", message=people["ingrid"].latest())
    assert answer["text"] == w(NO_LONGER)

    assert {name: len(user.messages()) for name, user in people.items()} == before
    assert (await visit(bot, "Sandra Dekker")).late_minutes is None
    assert (await visit(bot, "Esther Meijer")).late_minutes is None
    assert SORRY not in texts(marieke)


async def test_at_half_past_nine_the_late_message_goes_out_while_a_nudge_waits(bot, people):
    marieke, joost, petra = people["marieke"], people["joost"], people["petra"]
    bot.clock.set(at(TUE, "21:30"))  # quiet hours: 21:00-08:00
    await plan(bot.runtime)
    await bot.drain()
    nudge = w(NUDGE1, teacher=MARIEKE)
    [waiting] = await outbox_rows(bot, kind="nudge")
    assert waiting.status == "pending" and waiting.quiet and nudge not in texts(petra)

    [agenda] = await marieke.send("/agenda")
    assert late_asks(marieke, agenda) == ["⏰ " + w(LATE_BUTTON, time="21:15")]  # begun, not over
    await marieke.click(w(LATE_BUTTON, time="21:15"), message=agenda)
    await marieke.click(w.n(*MINUTES, 30))
    assert joost.last_text() == late_to_family(w, 30, "21:15")
    assert nudge not in texts(petra)

    await moment(bot, at(WED, "08:00"))
    await bot.drain()
    assert texts(petra).count(nudge) == 1
    assert texts(joost).count(late_to_family(w, 30, "21:15")) == 1
