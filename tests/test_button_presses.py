"""Buttons pressed the way people (and attackers) press them: twice in a row, or with
data that were truncated, forged or too large. Nobody is told "something went wrong",
and nothing changes."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from db.models import Appointment, Invitation
from tests.messaging_setup import MON, NL, at, invitation_from, school

MARIEKE = "Marieke de Vries"
# One invitation per teacher, as these stories were written (siblings together: tests/test_siblings.py).
BOT_SETTINGS = {"sibling_visits": "each"}
SORRY = NL("Sorry, er ging iets mis aan mijn kant. Probeer het straks nog eens.")
NO_LONGER = NL("Deze knop werkt niet meer. Kijk bij /help wat je kunt doen.")


@pytest.fixture(scope="module")
async def people(bot):
    return await school(bot, [MARIEKE], ["Anouk Jansen"], [(MARIEKE, MON, "15:00", "20:00")])


def sorry_count(user) -> int:
    return sum(1 for m in user.messages() if m["text"] == SORRY)


async def test_a_double_tap_shows_the_screen_once_and_no_apology(bot, people):
    anouk = people["anouk"]
    refused_before = bot.double.not_modified
    invitation = invitation_from(anouk, MARIEKE)
    _, choose = anouk.find_button(NL("Kies een moment"), invitation)
    await anouk.press(choose, invitation)
    days = anouk.latest()["text"]
    await anouk.press(choose, invitation)  # the same button again, before the screen changed
    assert anouk.last_answer is not None  # the press was answered (no spinning button)
    assert anouk.last_text() == days
    assert bot.double.not_modified == refused_before + 1  # Telegram refused the unchanged edit ...
    assert sorry_count(anouk) == 0  # ... and the parent was not told something went wrong

    [menu] = await anouk.send("/language")
    await anouk.click("English", message=menu)
    await anouk.click("English", message=menu)  # again: the screen already says so
    assert anouk.last_text() == "Fine! From now on I will write to you in English."
    assert sorry_count(anouk) == 0
    await anouk.click("Nederlands", message=menu)


@pytest.mark.parametrize("data", [
    "v2:invitation:1:1",  # an argument missing
    "v2:confirm:2147483648",  # one past PostgreSQL's integer
    "v2:times_start:20261116:2561",  # no such time
    "v2:invitation:1:1:t:extra",
    "v3:invitation:1:1:t",  # a version we never made
    # The same in the data of buttons from before the names were spelled out (v1).
    "v1:inv",  # truncated
    "v1:inv:1:1",  # an argument missing
    "v1:inv:abc:1:t",  # not a number
    "v1:inv:1:1:zz",  # not one of the choices
    "v1:tc:99999999999999999999",  # too large for any integer column
    "v1:tc:2147483648",  # one past PostgreSQL's integer
    "v1:slot:1:1:99999999999:home",  # a slot in the year 192,000
    "v1:day:1:1:20261399:x",  # no such day
    "v1:avs:20261116:2561",  # no such time
    "v1:inv:-1:1:t",
    "v1:inv:1:1:t:extra",
    "v1:nope:1",  # no such action
    "v1:" + "9" * 61,
])
async def test_malformed_button_data_get_the_kind_answer_and_change_nothing(bot, people, data):
    anouk = people["anouk"]
    rt = bot.runtime
    async with rt.sessionmaker() as session:
        before = (await session.scalar(select(func.count()).select_from(Appointment)),
                  await session.scalar(select(func.max(Invitation.version))))
    answer = await anouk.press(data, anouk.latest())
    assert answer["text"] == NO_LONGER and answer.get("show_alert") in (True, "true", "True")
    assert sorry_count(anouk) == 0
    async with rt.sessionmaker() as session:
        after = (await session.scalar(select(func.count()).select_from(Appointment)),
                 await session.scalar(select(func.max(Invitation.version))))
    assert after == before


async def test_a_button_sent_before_the_names_were_spelled_out_still_works(bot, people):
    """Messages already in the chats carry v1 data with short names; they keep working."""
    anouk = people["anouk"]
    [status] = [m for m in await anouk.send("/myvisit") if MARIEKE in m["text"]]
    _, data = anouk.find_button(NL("Kies een moment"), status)
    assert data.startswith("v2:invitation:")
    await anouk.press(data.replace("v2:invitation:", "v1:inv:"), status)
    assert anouk.last_text() == NL("Op welke dag past het jullie? Tussen haakjes staat hoeveel momenten er die "
                                   "dag vrij zijn.")


async def test_a_double_tap_on_send_books_once(bot, people):
    anouk = people["anouk"]
    [status] = [m for m in await anouk.send("/myvisit") if MARIEKE in m["text"]]
    await anouk.click(NL("Kies een moment"), message=status)
    await anouk.click(NL.short_day(MON))
    await anouk.click(NL.time(at(MON, "16:15")))
    await anouk.click(NL("Bij ons thuis"))
    summary, send = anouk.find_button(NL("Verstuur"))
    await anouk.press(send, summary)
    await anouk.press(send, summary)
    assert sorry_count(anouk) == 0
    async with bot.runtime.sessionmaker() as session:
        live = await session.scalar(select(func.count()).select_from(Appointment)
                                    .where(Appointment.status == "requested"))
    assert live == 1
