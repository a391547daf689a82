"""The edges of a chat: a person blocks or unblocks the bot (Telegram tells us with
`my_chat_member`), asks to be forgotten (their own command menu goes too), opens a
private calendar address (sent without a link preview), wanders off half-way through
a question and comes back much later, or writes once without ever linking (nothing is
kept of them after a day)."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.app import plan
from bot.clock import MovableClock
from db.models import Account, DialogState
from tests.messaging_setup import (
    MON,
    NL,
    START,
    account_of,
    at,
    invitation_from,
    school,
)

MARIEKE = "Marieke de Vries"


@pytest.fixture(scope="module")
def module_clock(database_url) -> MovableClock:
    return MovableClock(START)


# PUBLIC_URL set: teachers can have their calendar address.
BOT_SETTINGS = {"public_url": "https://bot.school.example"}


@pytest.fixture(scope="module")
async def people(bot):
    return await school(bot, [MARIEKE], ["Linda de Boer", "Petra Mulder"], [(MARIEKE, MON, "15:00", "20:00")])


def unreachable_line(text: str, children: str) -> bool:
    return any(children in line and NL("berichten komen niet aan") in line for line in text.split("\n"))


async def test_blocking_the_bot_puts_the_family_on_the_call_list_at_once(bot, people):
    linda, marieke = people["linda"], people["marieke"]
    [calls] = await marieke.send("/calllist")
    assert not unreachable_line(calls["text"], "Daan de Boer")

    await linda.block()
    assert (await account_of(bot, linda)).blocked_at == bot.clock.now()  # before any message failed
    [calls] = await marieke.send("/calllist")
    assert unreachable_line(calls["text"], "Daan de Boer")

    await linda.block(False)
    assert (await account_of(bot, linda)).blocked_at is None
    [calls] = await marieke.send("/calllist")
    assert not unreachable_line(calls["text"], "Daan de Boer")


async def test_the_calendar_address_is_sent_without_a_link_preview(bot, people):
    marieke = people["marieke"]
    [feed] = await marieke.send("/calendar")
    assert "https://bot.school.example/calendar/" in feed["text"]
    assert feed["link_preview_options"]["is_disabled"] is True
    first_address = feed["text"]
    await marieke.click(NL("Nieuwe link maken"), message=feed)
    renewed = marieke.latest()  # the same message, edited
    assert "https://bot.school.example/calendar/" in renewed["text"] and renewed["text"] != first_address
    assert renewed["link_preview_options"]["is_disabled"] is True


async def test_text_typed_long_after_a_question_is_not_taken_as_its_answer(bot, people):
    petra = people["petra"]
    await petra.click(NL("Kies een moment"), message=invitation_from(petra, MARIEKE))
    await petra.click(NL.short_day(MON))
    await petra.click(NL.time(at(MON, "16:15")))
    await petra.click(NL("In een café"))
    assert petra.last_text() == NL("Welk café? Typ de naam, of tik op de knop.")

    bot.clock.advance(timedelta(days=7))  # a week later, about something else
    [reply] = await petra.send("De Gouden Leeuw")
    assert reply["text"] == NL("Ik werk vooral met knoppen; typen hoeft niet. Kijk bij /help wat je kunt doen.")
    async with bot.runtime.sessionmaker() as session:
        assert await session.get(DialogState, (await account_of(bot, petra)).id) is None
    bot.clock.set(START)


async def test_being_forgotten_clears_the_persons_command_menu(bot, people):
    linda = people["linda"]
    scope = (None, json.dumps({"chat_id": linda.id, "type": "chat"}, sort_keys=True))
    assert scope in bot.double.commands  # set when she linked
    [question] = await linda.send("/forget")
    await linda.click(NL("Ja, vergeet mij"), message=question)
    assert scope not in bot.double.commands


async def test_nothing_is_kept_of_a_stranger_after_a_day(bot, people):
    stranger = bot.user("Onbekend")
    [reply] = await stranger.send("Hallo?")
    assert reply["text"].startswith("Deze bot is voor ouders en leerkrachten")

    async def accounts() -> set[int]:
        async with bot.runtime.sessionmaker() as session:
            return set((await session.scalars(select(Account.telegram_user_id))).all())

    assert stranger.id in await accounts()
    await plan(bot.runtime)
    assert stranger.id in await accounts()  # not within the day
    bot.clock.advance(timedelta(days=1, minutes=1))
    await plan(bot.runtime)
    left = await accounts()
    assert stranger.id not in left
    assert {people["petra"].id, people["marieke"].id} <= left  # people who linked stay
    bot.clock.set(START)
