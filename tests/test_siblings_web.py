"""Siblings in one visit on the family's web page (SIBLING_VISITS=together), over real HTTP,
with the teachers in chat: the same joint rules as in the bot (bot/services/siblings.py).

    El Amrani (H003, Arabic): Yasmine in Groep 3 (Marieke), Adam in Groep 5 (Jeroen)
    Yılmaz (H002, Turkish):   Elif in Groep 3 (Marieke), Emre in Groep 7 (Sanne, no times)

Marieke has Thursday 16:00-21:00 (16:00, 17:15, 18:30, 19:45), Jeroen 17:00-20:00: they
share 17:15 and 18:30.
"""
from __future__ import annotations

from datetime import date

import pytest
from babel.lists import format_list
from sqlalchemy import select

from db.models import Appointment, Household, Invitation
from tests.messaging_setup import NL, at, school
from tests.web_client import Browser
from tests.web_setup import bot, module_clock, web_link  # noqa: F401  (fixtures)
from tests.words import Words

MARIEKE, JEROEN, SANNE = "Marieke de Vries", "Jeroen Bakker", "Sanne Vermeulen"
THU = date(2026, 11, 19)
AR, TR = Words("ar"), Words("tr")


@pytest.fixture(scope="module")
async def people(bot):
    return await school(bot, [MARIEKE, JEROEN, SANNE], [],
                        [(MARIEKE, THU, "16:00", "21:00"), (JEROEN, THU, "17:00", "20:00")])


@pytest.fixture
async def browser(bot):
    b = Browser(bot.runtime.settings.public_url)
    yield b
    await b.close()


async def appointments(bot, household: str) -> list[Appointment]:
    async with bot.runtime.sessionmaker() as session:
        return list((await session.scalars(
            select(Appointment).join(Invitation, Invitation.id == Appointment.invitation_id)
            .join(Household, Household.id == Invitation.household_id)
            .where(Household.external_id == household).order_by(Appointment.id))).all())


def visitor(w: Words, teacher: str, child: str, klass: str) -> str:
    return w("👤 {teacher} – {children}", teacher=w.iso(teacher),
             children=w.iso(w("{children} ({classes})", children=child, classes=klass)))


async def test_one_card_shared_times_and_one_confirmation_for_both(bot, people, browser):
    home = await browser.get(await web_link(bot, "H003"))
    assert AR("Huisbezoek voor het hele gezin") in home.text
    assert visitor(AR, MARIEKE, "Yasmine El Amrani", "Groep 3") in home.text
    assert visitor(AR, JEROEN, "Adam El Amrani", "Groep 5") in home.text
    assert home.labels.count("📅 " + AR("Kies een moment")) == 1  # one visit to plan
    days = await browser.click(AR("Kies een moment"))
    assert AR("Huisbezoek voor het hele gezin") in days.text  # the shared times: not one teacher's
    day = await browser.click(AR.day(THU) + " (2)")
    assert AR("Huisbezoek voor het hele gezin") in day.text
    form = day.form(AR("Verstuur"))
    assert [label for _, label in form.radios["slot"]] == [AR.time(at(THU, h)) for h in ("17:15", "18:30")]
    done = await browser.submit(form, slot=form.choice("slot", AR.time(at(THU, "18:30"))),
                                venue=form.choice("venue", AR("Bij ons thuis")))
    assert done.status == 200
    await bot.drain()
    assert [(a.status, a.starts_at) for a in await appointments(bot, "H003")] == [("requested", at(THU, "18:30"))] * 2
    jeroen = people["jeroen"]
    assert "👥 " in jeroen.messages()[-1]["text"] and MARIEKE in jeroen.messages()[-1]["text"]
    await jeroen.click(NL("Bevestigen"), message=jeroen.messages()[-1])
    await bot.drain()
    assert [a.status for a in await appointments(bot, "H003")] == ["confirmed", "confirmed"]


async def test_no_shared_time_the_page_says_so_and_shows_each_invitation(bot, people, browser):
    link = await web_link(bot, "H002")
    await browser.get(link)
    days = await browser.click(TR("Kies een moment"))
    teachers = format_list([TR.iso(MARIEKE), TR.iso(SANNE)], locale=TR.t.babel_locale)
    assert TR("Helaas hebben {teachers} geen moment waarop ze allemaal kunnen. Geen probleem: jullie krijgen nu "
              "van elke leerkracht een eigen uitnodiging, en kiezen dan per leerkracht een moment.",
              teachers=teachers) in days.text
    home = await browser.click(TR("Bekijk de uitnodigingen"))
    assert home.labels.count("📅 " + TR("Kies een moment")) == 2
    assert TR("Huisbezoek voor het hele gezin") not in home.text
