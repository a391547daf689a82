"""Households that do not answer: a first nudge after 3 days, a second 4 days later,
and 3 days after that the teacher's /calllist with the phone numbers. Families who
never linked Telegram are on the call-list at once; a decline is never nudged; an
answer between the nudges stops them. Silence counts from a family's last sign of
life: a cancelled visit, or linking Telegram late, brings no nudge or call-list at
once. The planner may run twice at once: each nudge is queued once.

The clock walks forward through the tests of this module, in file order (day 0 = Tue
10 Nov 16:00, when the invitations go out): nudge 1 on day 3; Pieter links on day 5
and Joost answers; nudge 2 on day 7; Joost cancels on day 8, Pieter's nudge 1; the
call-list on day 10; Linda books and Marieke cancels; Joost's and Pieter's nudge 2 on
day 12; back on the call-list on days 14 and 15; then weeks of nothing.
"""
from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest

from bot.app import plan
from bot.clock import MovableClock
from bot.services.nudges import call_list, plan_nudges
from tests.messaging_setup import NL as w
from tests.messaging_setup import (
    START,
    WED,
    at,
    invitation_from,
    invitation_of,
    link_parent,
    moment,
    outbox_rows,
    school,
    texts,
)

MARIEKE = "Marieke de Vries"
THU26 = date(2026, 11, 26)
NUDGE1 = ("Een vriendelijke herinnering: {teacher} komt graag bij jullie op huisbezoek. Kies een moment wanneer het "
          "jou uitkomt. Nee zeggen mag ook.")
NUDGE2 = ("Nog één keer, daarna laten we je met rust: {teacher} zou jullie graag ontmoeten, thuis of ergens anders. "
          "Tik op een knop, dat is genoeg.")
CALLLIST = ("📞 Bellijst: {count} gezin om even te bellen", "📞 Bellijst: {count} gezinnen om even te bellen")
INVITATION_BUTTONS = ["📅 " + w("Kies een moment"), "📍 " + w("Ergens anders afspreken"),
                      "🙅 " + w("Dit jaar liever niet")]
# Marieke's Groep 3 households whose guardians have not linked Telegram (examples/roster.csv).
NOT_LINKED = {
    "Emma Jansen": ["Anouk Jansen: +31612345601", "Mark Jansen: +31612345602"],
    "Elif Yılmaz": ["Ayşe Yılmaz: +31612345603", "Mehmet Yılmaz: +31612345604"],
    "Yasmine El Amrani": ["Khadija El Amrani: +31612345605", "Mohammed El Amrani: +31612345606"],
    "Zofia Kowalska": ["Agnieszka Kowalska: +31612345607"],
    "Oliver Smith": ["Emily Smith: +31612345610"],
    "Zeynep Demir": ["Fatma Demir: +31612345615"],
    "Amira Benali": ["Samira Benali: +31612345617", "Youssef Benali: +31612345618"],
    "Tess Claes": ["An Claes: +32470123401"],
}
PIETER = ["Pieter de Boer: +31612345609"]  # Daan's father, a household of his own; links on day 5
SILENT = {
    "Sem Visser": ["Ingrid Visser: +31612345611"],
    "Julia Mulder": ["Petra Mulder: +31612345612", "Rob Mulder: +31612345613"],
    "Daan de Boer": ["Linda de Boer: +31612345608"],
}


@pytest.fixture(scope="module")
def module_clock(database_url) -> MovableClock:
    return MovableClock(START)


@pytest.fixture(scope="module")
async def people(bot):
    people = await school(bot, [MARIEKE], ["Ingrid Visser", "Petra Mulder", "Linda de Boer", "Joost Hendriks",
                                           "Sandra Dekker"],
                          [(MARIEKE, WED, "15:00", "20:00"), (MARIEKE, THU26, "15:00", "20:00")])
    sandra = people["sandra"]
    await sandra.click(w("Dit jaar liever niet"), message=invitation_from(sandra, MARIEKE))
    return people


def day(n: int, hhmm: str):
    """`n` days after the invitations went out, at this local time."""
    return at(START.date() + timedelta(days=n), hhmm)


async def planned(bot) -> int:
    """Run the planner tick; how many nudges it queued."""
    before = len(await outbox_rows(bot, kind="nudge"))
    await plan(bot.runtime)
    return len(await outbox_rows(bot, kind="nudge")) - before


def block(children: str, reason: str, phones: list[str]) -> str:
    head = w("{children} ({classes}) – {reason}", children=children, classes="Groep 3", reason=w(reason))
    return "\n".join([head, *(f"  • {p}" for p in phones)])


def nudges(user, text: str) -> list[dict]:
    return [m for m in user.messages() if m["text"] == w(text, teacher=MARIEKE)]


async def test_families_that_never_linked_are_on_the_call_list_at_once(people):
    [reply] = await people["marieke"].send("/calllist")
    text = reply["text"]
    assert text.startswith(w.n(*CALLLIST, len(NOT_LINKED) + 1) + "\n\n")
    for children, phones in [*NOT_LINKED.items(), ("Daan de Boer", PIETER)]:
        assert block(children, "gebruikt de bot niet", phones) in text
    for linked in ("Sem Visser", "Julia Mulder", "Finn Hendriks", "Milan Dekker", "Linda de Boer"):
        assert linked not in text


async def test_no_nudge_before_three_days(bot, people):
    await moment(bot, day(3, "15:59"))
    assert await planned(bot) == 0
    await bot.drain()
    assert all(not nudges(user, NUDGE1) for user in people.values())


async def test_the_first_nudge_after_three_days_queued_once_by_two_planners(bot, people):
    rt = bot.runtime
    await moment(bot, day(3, "16:00"))

    async def planner() -> int:
        async with rt.sessionmaker() as session:
            return await plan_nudges(session, rt.school_id, rt.clock.now(), rt.ladder)

    assert sum(await asyncio.gather(planner(), planner())) == 4  # Ingrid, Petra, Linda, Joost
    assert await planned(bot) == 0
    await bot.drain()
    for name in ("ingrid", "petra", "linda", "joost"):
        [nudge] = nudges(people[name], NUDGE1)
        assert [label for label, _ in people[name].buttons(nudge)] == INVITATION_BUTTONS
    assert texts(people["sandra"])[-1] == w(
        "Dank je wel dat je het laat weten. Dat is helemaal goed.\n\nWil je zeggen waarom? Dat hoeft niet.\n\n"
        "Kennismaken kan ook op een andere plek: op school, in een park, in een café of telefonisch.")
    assert len(await outbox_rows(bot, kind="nudge")) == 4
    assert (await invitation_of(bot, "Ingrid Visser", MARIEKE)).nudges_sent == 1
    assert (await invitation_of(bot, "Agnieszka Kowalska", MARIEKE)).nudges_sent == 0  # nobody to nudge yet


async def test_a_guardian_who_links_late_gets_the_invitation_and_no_nudge_at_once(bot, people):
    bot.clock.set(day(5, "12:00"))
    pieter = people["pieter"] = await link_parent(bot, "Pieter de Boer")
    assert "Daan de Boer (Groep 3)" in invitation_from(pieter, MARIEKE)["text"]
    assert await planned(bot) == 0
    [reply] = await people["marieke"].send("/calllist")
    assert "Pieter de Boer" not in reply["text"]


async def test_an_answer_between_the_nudges_stops_them(bot, people):
    joost = people["joost"]
    await joost.click(w("Kies een moment"), message=nudges(joost, NUDGE1)[0])
    await joost.click(w.short_day(WED))
    await joost.click("15:00")
    await joost.click(w("Bij ons thuis"))
    await joost.click(w("Verstuur"))
    assert people["marieke"].last_text().startswith("📩 " + w("Nieuw verzoek voor een huisbezoek"))

    await moment(bot, day(7, "15:59"))
    assert await planned(bot) == 0
    await moment(bot, day(7, "16:00"))
    assert await planned(bot) == 3
    assert await planned(bot) == 0  # the planner ticks again: nothing twice
    await bot.drain()
    for name in ("ingrid", "petra", "linda"):
        assert len(nudges(people[name], NUDGE1)) == 1 and len(nudges(people[name], NUDGE2)) == 1
        assert [label for label, _ in people[name].buttons(nudges(people[name], NUDGE2)[0])] == INVITATION_BUTTONS
    assert nudges(people["joost"], NUDGE2) == [] and nudges(people["pieter"], NUDGE1) == []
    assert (await invitation_of(bot, "Joost Hendriks", MARIEKE)).nudges_sent == 1


async def test_a_family_that_cancels_is_not_nudged_at_once(bot, people):
    joost = people["joost"]
    bot.clock.set(day(8, "10:00"))
    [status] = await joost.send("/myvisit")
    await joost.click(w("Afzeggen"), message=status)
    await joost.click(w("Ja, afzeggen"))
    assert await planned(bot) == 0  # they just answered: the ladder counts from there
    await bot.drain()
    assert nudges(joost, NUDGE2) == []


async def test_the_late_linker_is_nudged_three_days_after_linking(bot, people):
    pieter = people["pieter"]
    await moment(bot, day(8, "11:59"))
    assert await planned(bot) == 0
    await moment(bot, day(8, "12:00"))
    assert await planned(bot) == 1
    await bot.drain()
    assert len(nudges(pieter, NUDGE1)) == 1 and nudges(pieter, NUDGE2) == []


async def test_silent_families_are_on_the_call_list_three_days_after_the_second_nudge(bot, people):
    marieke = people["marieke"]
    bot.clock.set(day(10, "15:59"))
    [reply] = await marieke.send("/calllist")
    assert reply["text"].startswith(w.n(*CALLLIST, len(NOT_LINKED)) + "\n\n")
    assert "Sem Visser" not in reply["text"]

    bot.clock.set(day(10, "16:00"))
    [reply] = await marieke.send("/calllist")
    text = reply["text"]
    assert text.startswith(w.n(*CALLLIST, len(NOT_LINKED) + len(SILENT)) + "\n\n")
    for children, phones in SILENT.items():
        assert block(children, "reageert niet op berichten", phones) in text
    for children, phones in NOT_LINKED.items():
        assert block(children, "gebruikt de bot niet", phones) in text
    for answered in ("Finn Hendriks", "Milan Dekker", "Pieter de Boer"):  # cancelled, declined, linked late
        assert answered not in text

    async with bot.runtime.sessionmaker() as session:
        entries = await call_list(session, (await invitation_of(bot, "Ingrid Visser", MARIEKE)).teacher_id,
                                  bot.clock.now(), bot.runtime.ladder)
    assert sorted(e.reason for e in entries) == ["no_answer"] * 3 + ["not_linked"] * len(NOT_LINKED)


async def test_a_visit_the_teacher_cancels_does_not_make_the_family_silent(bot, people):
    linda, marieke = people["linda"], people["marieke"]
    silent = block("Daan de Boer", "reageert niet op berichten", SILENT["Daan de Boer"])
    bot.clock.set(day(10, "17:00"))
    [status] = await linda.send("/myvisit")
    await linda.click(w("Kies een moment"), message=status)
    await linda.click(w.short_day(THU26))
    await linda.click("15:00")
    await linda.click(w("Bij ons thuis"))
    await linda.click(w("Verstuur"))
    await marieke.click(w("Bevestigen"), message=marieke.latest())
    assert silent not in (await marieke.send("/calllist"))[0]["text"]

    bot.clock.set(day(11, "12:00"))
    [agenda] = await marieke.send("/agenda")
    await marieke.click(w("Afzeggen: {day} {time}", day=w.short_day(THU26), time="15:00"), message=agenda)
    await marieke.click(w("Ik ben ziek"))
    assert silent not in (await marieke.send("/calllist"))[0]["text"]  # Linda answered; Marieke cancelled


async def test_the_second_nudge_counts_from_the_last_sign_of_life(bot, people):
    joost, pieter = people["joost"], people["pieter"]
    await moment(bot, day(12, "09:59"))  # four days after Joost cancelled
    assert await planned(bot) == 0
    await moment(bot, day(12, "10:00"))
    assert await planned(bot) == 1
    await bot.drain()
    assert len(nudges(joost, NUDGE2)) == 1  # (he answered on the first one, which now shows his choice)
    await moment(bot, day(12, "11:59"))  # four days after Pieter's first
    assert await planned(bot) == 0
    await moment(bot, day(12, "12:00"))
    assert await planned(bot) == 1
    await bot.drain()
    assert len(nudges(pieter, NUDGE1)) == 1 and len(nudges(pieter, NUDGE2)) == 1


async def test_back_on_the_call_list_after_three_more_quiet_days(bot, people):
    marieke = people["marieke"]
    for moment_, children, phones in [
        (day(14, "12:00"), "Daan de Boer", SILENT["Daan de Boer"]),  # Linda, after Marieke cancelled
        (day(15, "10:00"), "Finn Hendriks", ["Joost Hendriks: +31612345616"]),  # Joost, after his second nudge
        (day(15, "12:00"), "Daan de Boer", PIETER),  # Pieter, after his second nudge
    ]:
        silent = block(children, "reageert niet op berichten", phones)
        bot.clock.set(moment_ - timedelta(minutes=1))
        assert silent not in (await marieke.send("/calllist"))[0]["text"]
        bot.clock.set(moment_)
        assert silent in (await marieke.send("/calllist"))[0]["text"]


async def test_a_declined_or_nudged_household_hears_nothing_more_for_weeks(bot, people):
    before = {name: texts(user) for name, user in people.items()}
    for _ in range(3):
        bot.clock.advance(timedelta(days=7))
        assert await planned(bot) == 0
        await bot.drain()
    assert {name: texts(user) for name, user in people.items()} == before
    assert not nudges(people["sandra"], NUDGE1) and not nudges(people["sandra"], NUDGE2)
    assert len(await outbox_rows(bot, kind="nudge")) == 10
