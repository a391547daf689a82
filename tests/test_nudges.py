"""Households that do not answer: a first nudge after 3 days, a second 4 days later,
and 3 days after that the teacher's /calllist with the phone numbers. Families who
never linked Telegram are on the call-list at once; a decline is never nudged; an
answer between the nudges stops them. The planner may run twice at once: each
nudge is queued once.

The clock walks forward through the tests of this module, in file order (invitations
sent Tue 10 Nov 16:00; nudge 1 Fri 13 Nov 16:00; nudge 2 Tue 17 Nov 16:00; call-list
Fri 20 Nov 16:00).
"""
from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.app import plan
from bot.clock import MovableClock
from bot.services.nudges import call_list, plan_nudges
from tests.messaging_setup import NL as w, START, WED, at, book, invitation_from, invitation_of, moment, outbox_rows
from tests.messaging_setup import school, texts

MARIEKE = "Marieke de Vries"
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
    "Daan de Boer": ["Pieter de Boer: +31612345609"],  # his own household; Linda's is linked
    "Oliver Smith": ["Emily Smith: +31612345610"],
    "Zeynep Demir": ["Fatma Demir: +31612345615"],
    "Amira Benali": ["Samira Benali: +31612345617", "Youssef Benali: +31612345618"],
    "Tess Claes": ["An Claes: +32470123401"],
}
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
                                           "Sandra Dekker"], [(MARIEKE, WED, "15:00", "20:00")])
    sandra = people["sandra"]
    await sandra.click(w("Dit jaar liever niet"), message=invitation_from(sandra, MARIEKE))
    return people


def block(children: str, reason: str, phones: list[str]) -> str:
    head = w("{children} ({classes}) – {reason}", children=children, classes="Groep 3", reason=w(reason))
    return "\n".join([head, *(f"  • {p}" for p in phones)])


def nudges(user, text: str) -> list[dict]:
    return [m for m in user.messages() if m["text"] == w(text, teacher=MARIEKE)]


async def test_families_that_never_linked_are_on_the_call_list_at_once(people):
    [reply] = await people["marieke"].send("/calllist")
    text = reply["text"]
    assert text.startswith(w.n(*CALLLIST, len(NOT_LINKED)) + "\n\n")
    for children, phones in NOT_LINKED.items():
        assert block(children, "gebruikt de bot niet", phones) in text
    for linked in ("Sem Visser", "Julia Mulder", "Finn Hendriks", "Milan Dekker"):
        assert linked not in text


async def test_no_nudge_before_three_days(bot, people):
    await moment(bot, at(START.date() + timedelta(days=3), "15:59"))
    assert await plan(bot.runtime) == 0
    await bot.drain()
    assert all(not nudges(user, NUDGE1) for user in people.values())


async def test_the_first_nudge_after_three_days_queued_once_by_two_planners(bot, people):
    rt = bot.runtime
    await moment(bot, at(START.date() + timedelta(days=3), "16:00"))

    async def planner() -> int:
        async with rt.sessionmaker() as session:
            return await plan_nudges(session, rt.school_id, rt.clock.now(), rt.ladder)

    assert sum(await asyncio.gather(planner(), planner())) == 4  # Ingrid, Petra, Linda, Joost
    assert await plan(rt) == 0
    await bot.drain()
    for name in ("ingrid", "petra", "linda", "joost"):
        [nudge] = nudges(people[name], NUDGE1)
        assert [label for label, _ in people[name].buttons(nudge)] == INVITATION_BUTTONS
    assert texts(people["sandra"])[-1] == w(
        "Dank je wel dat je het laat weten. Dat is helemaal goed.\n\nWil je zeggen waarom? Dat hoeft niet.\n\n"
        "Kennismaken kan ook op een andere plek: op school, in een park, in een café of telefonisch.")
    assert len(await outbox_rows(bot, kind="nudge")) == 4
    assert (await invitation_of(bot, "Ingrid Visser", MARIEKE)).nudges_sent == 1
    assert (await invitation_of(bot, "Agnieszka Kowalska", MARIEKE)).nudges_sent == 1  # nobody to message


async def test_an_answer_between_the_nudges_stops_them(bot, people):
    joost = people["joost"]
    await joost.click(w("Kies een moment"), message=nudges(joost, NUDGE1)[0])
    await joost.click(w.short_day(WED))
    await joost.click("15:00")
    await joost.click(w("Bij ons thuis"))
    await joost.click(w("Verstuur"))
    assert people["marieke"].last_text().startswith("📩 " + w("Nieuw verzoek voor een huisbezoek"))

    await moment(bot, at(START.date() + timedelta(days=7), "15:59"))
    assert await plan(bot.runtime) == 0
    await moment(bot, at(START.date() + timedelta(days=7), "16:00"))
    assert await plan(bot.runtime) == 3
    assert await plan(bot.runtime) == 0  # the planner ticks again: nothing twice
    await bot.drain()
    for name in ("ingrid", "petra", "linda"):
        assert len(nudges(people[name], NUDGE1)) == 1 and len(nudges(people[name], NUDGE2)) == 1
        assert [label for label, _ in people[name].buttons(nudges(people[name], NUDGE2)[0])] == INVITATION_BUTTONS
    assert nudges(people["joost"], NUDGE2) == []
    assert (await invitation_of(bot, "Joost Hendriks", MARIEKE)).nudges_sent == 1


async def test_silent_families_are_on_the_call_list_three_days_after_the_second_nudge(bot, people):
    marieke = people["marieke"]
    bot.clock.set(at(START.date() + timedelta(days=10), "15:59"))
    [reply] = await marieke.send("/calllist")
    assert reply["text"].startswith(w.n(*CALLLIST, len(NOT_LINKED)) + "\n\n")
    assert "Sem Visser" not in reply["text"]

    bot.clock.set(at(START.date() + timedelta(days=10), "16:00"))
    [reply] = await marieke.send("/calllist")
    text = reply["text"]
    assert text.startswith(w.n(*CALLLIST, len(NOT_LINKED) + len(SILENT)) + "\n\n")
    for children, phones in SILENT.items():
        assert block(children, "reageert niet op berichten", phones) in text
    for children, phones in NOT_LINKED.items():
        assert block(children, "gebruikt de bot niet", phones) in text
    assert "Finn Hendriks" not in text and "Milan Dekker" not in text  # answered, declined

    async with bot.runtime.sessionmaker() as session:
        entries = await call_list(session, (await invitation_of(bot, "Ingrid Visser", MARIEKE)).teacher_id,
                                  bot.clock.now(), bot.runtime.ladder)
    assert sorted(e.reason for e in entries) == ["no_answer"] * 3 + ["not_linked"] * 9


async def test_a_declined_or_nudged_household_hears_nothing_more_for_weeks(bot, people):
    before = {name: texts(user) for name, user in people.items()}
    for _ in range(3):
        bot.clock.advance(timedelta(days=7))
        assert await plan(bot.runtime) == 0
        await bot.drain()
    assert {name: texts(user) for name, user in people.items()} == before
    assert not nudges(people["sandra"], NUDGE1) and not nudges(people["sandra"], NUDGE2)
    assert len(await outbox_rows(bot, kind="nudge")) == 7
