"""The interpreter question on the family's web page (`/v/<token>`), as the bot asks it in its
booking flow, over real HTTP against the bot's web server, with the teacher in chat.

The clock stands on Tue 10 Nov 16:00; Marieke has time on Mon 16 Nov 15:00-20:00 and
Thu 19 Nov 16:00-21:00 (visits of an hour, a quarter between):

    the Benali family (Arabic, H018) is asked on the day's form, answers yes, books; Marieke's
    request and agenda show the wish; moving the visit asks no more; a second answer (an old
    form, or one for the current version) changes nothing;
    the Hendriks family (Dutch, H017) is never asked;
    the Demir family (Turkish, H016) is not answered for by another household's page, nor by a
    form without its CSRF token; on its own page it answers no.
"""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from db.models import Household, Invitation
from tests.messaging_setup import MON, at, school
from tests.messaging_setup import NL as w
from tests.web_client import Browser
from tests.web_setup import bot, module_clock, web_link  # noqa: F401  (fixtures)
from tests.words import Words

MARIEKE = "Marieke de Vries"
THU = date(2026, 11, 19)
AR, TR = Words("ar"), Words("tr")
QUESTION = "Zou een tolk helpen bij het huisbezoek? Dan probeert de school er een te regelen."


@pytest.fixture(scope="module")
async def people(bot):
    return await school(bot, [MARIEKE], [], [(MARIEKE, MON, "15:00", "20:00"), (MARIEKE, THU, "16:00", "21:00")])


@pytest.fixture(scope="module")
async def links(bot, people) -> dict[str, str]:
    return {h: await web_link(bot, h) for h in ("H018", "H017", "H016")}


@pytest.fixture
async def browser(bot):
    b = Browser(bot.runtime.settings.public_url)
    yield b
    await b.close()


async def invitation(bot, household: str) -> Invitation:
    async with bot.runtime.sessionmaker() as session:
        return (await session.scalars(select(Invitation).join(Household, Household.id == Invitation.household_id)
                                      .where(Household.external_id == household))).one()


def asked(page, words: Words) -> bool:
    return "🗣 " + words(QUESTION) in page.text or "🗣 " + words("Ja, graag") in page.labels


async def test_the_arabic_family_is_asked_once_and_the_teacher_sees_the_wish(bot, people, links, browser):
    marieke = people["marieke"]
    await browser.get(links["H018"])
    await browser.click(AR("Kies een moment"))
    day = await browser.click(AR.day(THU) + " (4)")
    assert day.attributes["html"] == {"lang": "ar", "dir": "rtl"}
    assert "🗣 " + AR(QUESTION) in day.text
    assert ["🗣 " + AR("Ja, graag"), "👍 " + AR("Nee, dank je")] == [
        label for label in day.labels if label in ("🗣 " + AR("Ja, graag"), "👍 " + AR("Nee, dank je"))]
    old_yes = day.form("🗣 " + AR("Ja, graag"))
    assert old_yes.fields["csrf"] and old_yes.fields["answer"] == "y"

    noted = await browser.click("🗣 " + AR("Ja, graag"))
    assert noted.status == 200 and noted.url.endswith(f"/day/{THU.isoformat()}?done=interpreter")
    assert "🗣 " + AR("Dank je, dat is genoteerd.") in noted.text
    assert not asked(noted, AR) and noted.attributes["html"]["dir"] == "rtl"
    assert (await invitation(bot, "H018")).interpreter_wanted is True

    form = noted.form(AR("Verstuur"))  # the day's form, as before the answer
    home = await browser.submit(form, slot=form.choice("slot", AR.time(at(THU, "18:30"))),
                                venue=form.choice("venue", AR("Bij ons thuis")))
    assert home.url.endswith("?done=requested")
    await bot.drain()
    request = marieke.messages()[-1]
    assert request["text"].startswith("📩 " + w("Nieuw verzoek voor een huisbezoek"))
    assert "🗣 " + w("Het gezin wil graag een tolk bij het bezoek.") in request["text"]

    # Moving the visit: the question is not asked again, and the moved request still tells the wish.
    await browser.click(AR("Ander moment kiezen"))
    day = await browser.click(AR.day(THU))
    assert not asked(day, AR)
    form = day.form(AR("Verstuur"))
    await browser.submit(form, slot=form.choice("slot", AR.time(at(THU, "19:45"))),
                         venue=form.choice("venue", AR("Bij ons thuis")))
    await bot.drain()
    moved = marieke.messages()[-1]
    assert "🗣 " + w("Het gezin wil graag een tolk bij het bezoek.") in moved["text"]
    await marieke.click(w("Bevestigen"), message=moved)
    await bot.drain()
    [agenda] = await marieke.send("/agenda")
    benali = next(line for line in agenda["text"].split("\n") if "Amira Benali" in line)
    assert "🗣 " + w("tolk gewenst") in benali

    # A second answer changes nothing: the old form (an older version of the invitation), and one
    # for the current version; each leads home, to where things stand.
    again = await browser.submit(old_yes, answer="n")
    assert again.status == 200 and again.url.endswith("?done=changed")
    assert AR("Er is intussen iets veranderd. Zo staat het nu:") in again.text
    current = await invitation(bot, "H018")
    assert current.interpreter_wanted is True
    again = await browser.submit(old_yes, answer="n", version=str(current.version))
    assert again.url.endswith("?done=changed") and not asked(again, AR)
    assert (await invitation(bot, "H018")).interpreter_wanted is True
    # Nor did it reach the teacher.
    await bot.drain()
    assert marieke.messages()[-1]["text"] == agenda["text"]


async def test_a_dutch_family_is_never_asked(bot, people, links, browser):
    marieke = people["marieke"]
    await browser.get(links["H017"])
    await browser.click(w("Kies een moment"))
    day = await browser.click(w.day(MON) + " (4)")
    assert day.attributes["html"] == {"lang": "nl", "dir": "ltr"}
    assert not asked(day, w) and "🗣" not in day.text
    form = day.form(w("Verstuur"))
    await browser.submit(form, slot=form.choice("slot", w.time(at(MON, "15:00"))),
                         venue=form.choice("venue", w("Bij ons thuis")))
    await bot.drain()
    request = marieke.messages()[-1]
    assert request["text"].startswith("📩 " + w("Nieuw verzoek voor een huisbezoek"))
    assert "Finn Hendriks" in request["text"] and "🗣" not in request["text"]
    assert (await invitation(bot, "H017")).interpreter_wanted is None


async def test_another_households_answer_or_a_forged_form_changes_nothing(bot, people, links, browser):
    demir = await invitation(bot, "H016")
    # The Benali family's page, its own CSRF token, the Demir family's invitation.
    await browser.get(links["H018"])
    await browser.click(AR("Ander moment kiezen"))
    day = await browser.click(AR.day(THU))
    csrf = day.form(AR("Verstuur")).fields["csrf"]
    forged = await browser.post(f"{links['H018']}/i/{demir.id}/interpreter",
                                {"csrf": csrf, "version": str(demir.version), "day": THU.isoformat(), "answer": "y"})
    assert forged.status == 404
    assert w("Deze link werkt niet (meer)") in forged.text and "Demir" not in forged.text
    assert (await invitation(bot, "H016")).interpreter_wanted is None

    # The Demir family's own page: a form without the CSRF token, or without a real answer.
    theirs = Browser(bot.runtime.settings.public_url)
    try:
        await theirs.get(links["H016"])
        await theirs.click(TR("Kies een moment"))
        day = await theirs.click(TR.day(MON))
        assert "🗣 " + TR(QUESTION) in day.text
        no = day.form("👍 " + TR("Nee, dank je"))
        refused = await theirs.submit(no, csrf="x" * 43)
        assert refused.status == 403
        assert TR("Dit formulier is verlopen. Ga terug, laad de pagina opnieuw en probeer het nog eens.") \
            in refused.text
        nonsense = await theirs.submit(no, answer="maybe")
        assert nonsense.status == 404
        assert (await invitation(bot, "H016")).interpreter_wanted is None

        noted = await theirs.submit(no)
        assert "🗣 " + TR("Dank je, dat is genoteerd.") in noted.text and not asked(noted, TR)
        assert (await invitation(bot, "H016")).interpreter_wanted is False
    finally:
        await theirs.close()
