"""Families without Telegram answer on their own web page (`/v/<token>`), over real HTTP
against the bot's web server, with the teacher in chat over the Bot API double.

The clock stands on Tue 10 Nov 16:00 when the invitations go out; Marieke has time on
Mon 16 Nov 15:00-20:00 and Thu 19 Nov 16:00-21:00 (visits of an hour, a quarter between):

    the Benali family (Arabic, H018) books Thu 18:30 at home; Marieke confirms in chat;
    the family sees it confirmed and takes the .ics; later it moves the visit;
    the Demir family (Turkish, H016) meets in a café by name; then cancels;
    the Kowalska family (Polish, H004) says "not this year", with a reason;
    the Hendriks family (H017) gets a counter-proposal from Marieke in chat and accepts it;
    two families race for one time; forged, replaced and expired links; forms without
    their CSRF token, sent twice, or far too big.
"""
from __future__ import annotations

import asyncio
from datetime import date

import pytest
from sqlalchemy import func, select

from bot.services.periods import close_period
from db.models import Appointment, Household, Invitation, OutboxMessage
from tests.messaging_setup import MON, at, school
from tests.messaging_setup import NL as w
from tests.web_client import Browser
from tests.web_setup import bot, fields, module_clock, web_link  # noqa: F401  (fixtures)
from tests.words import Words

MARIEKE = "Marieke de Vries"
THU = date(2026, 11, 19)
AR, TR, PL = Words("ar"), Words("tr"), Words("pl")


@pytest.fixture(scope="module")
async def people(bot):
    return await school(bot, [MARIEKE], [], [(MARIEKE, MON, "15:00", "20:00"), (MARIEKE, THU, "16:00", "21:00")])


@pytest.fixture(scope="module")
async def links(bot, people) -> dict[str, str]:
    return {h: await web_link(bot, h) for h in ("H018", "H016", "H004", "H014", "H015")}


@pytest.fixture
async def browser(bot):
    b = Browser(bot.runtime.settings.public_url)
    yield b
    await b.close()


async def live_appointments(bot, household: str) -> list[Appointment]:
    async with bot.runtime.sessionmaker() as session:
        return list((await session.scalars(
            select(Appointment).join(Invitation, Invitation.id == Appointment.invitation_id)
            .join(Household, Household.id == Invitation.household_id)
            .where(Household.external_id == household,
                   Appointment.status.in_(("requested", "proposed", "confirmed"))))).all())


async def teacher_messages(bot, kind: str) -> int:
    async with bot.runtime.sessionmaker() as session:
        return await session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == kind))


async def test_the_page_greets_the_family_in_its_language_right_to_left(bot, people, links, browser):
    page = await browser.get(links["H018"])
    assert page.status == 200
    assert page.attributes["html"] == {"lang": "ar", "dir": "rtl"}
    # Each name isolated, joined the Arabic way ("و", not a Latin comma).
    assert AR("Hallo {name}! 👋", name="\u2068Samira Benali\u2069 و\u2068Youssef Benali\u2069") in page.text
    assert AR("Huisbezoek van {teacher} voor {children}", teacher=f"\u2068{MARIEKE}\u2069",
              children=AR("{children} ({classes})", children="\u2068Amira Benali\u2069",
                          classes="\u2068Groep 3\u2069")) in page.text
    assert "📅 " + AR("Kies een moment") in page.labels and "🙅 " + AR("Dit jaar liever niet") in page.labels
    # Every language on the picker, each in its own name; the page's own marked.
    assert [label for label, _ in page.links][:9] == ["Nederlands", "Nederlands (België)", "English", "Français",
                                                       "Deutsch", "Türkçe", "العربية", "Polski", "Українська"]
    headers = page.headers
    assert "script-src" not in headers["Content-Security-Policy"] and "default-src 'none'" in headers[
        "Content-Security-Policy"]
    assert headers["Referrer-Policy"] == "no-referrer" and headers["Cache-Control"] == "no-store"


async def test_the_family_books_thursday_at_home_and_the_teacher_confirms_in_chat(bot, people, links, browser):
    marieke = people["marieke"]
    await browser.get(links["H018"])
    days = await browser.click(AR("Kies een moment"))
    assert AR("Op welke dag past het jullie? Tussen haakjes staat hoeveel momenten er die dag vrij zijn.") in days.text
    day = await browser.click(AR.day(THU) + " (4)")  # 16:00, 17:15, 18:30, 19:45
    form = day.form(AR("Verstuur"))
    assert [label for _, label in form.radios["slot"]] == [AR.time(at(THU, h)) for h in
                                                           ("16:00", "17:15", "18:30", "19:45")]
    home = await browser.submit(form, slot=form.choice("slot", AR.time(at(THU, "18:30"))),
                                venue=form.choice("venue", AR("Bij ons thuis")))
    assert home.status == 200 and home.url.endswith("?done=requested")
    assert AR("📨 Verstuurd! De leerkracht bevestigt het zo snel mogelijk. Kijk hier later of het vaststaat.") \
        in home.text
    assert AR("⏳ Jullie hebben gekozen: {when}. {teacher} bevestigt het nog.", teacher=f"\u2068{MARIEKE}\u2069",
              when=AR("{when}, {where}", when=AR.when(at(THU, "18:30")), where=AR("bij jullie thuis"))) in home.text

    await bot.drain()
    request = marieke.messages()[-1]
    assert request["text"].startswith("📩 " + w("Nieuw verzoek voor een huisbezoek"))
    assert "Samira Benali, Youssef Benali" in request["text"]
    assert "🌐 " + w("Gekozen op de webpagina van het gezin") in request["text"]
    await marieke.click(w("Bevestigen"), message=request)
    await bot.drain()

    confirmed = await browser.get(links["H018"])
    assert AR("✅ Het huisbezoek van {teacher} staat vast: {when}.", teacher=f"\u2068{MARIEKE}\u2069",
              when=AR("{when}, {where}", when=AR.when(at(THU, "18:30")), where=AR("bij jullie thuis"))) \
        in confirmed.text
    calendar_file = await browser.click(AR("Zet het in je agenda (.ics)"))
    assert calendar_file.status == 200 and calendar_file.headers["Content-Type"].startswith("text/calendar")
    event = fields(calendar_file.html)
    assert event["DTSTART"] == ["20261119T173000Z"] and event["SUMMARY"] == [
        AR("Huisbezoek van {teacher}", teacher=MARIEKE)]
    [appointment] = await live_appointments(bot, "H018")
    assert (appointment.status, appointment.channel) == ("confirmed", "web")


async def test_a_family_meets_in_a_cafe_by_name_and_later_cancels(bot, people, links, browser):
    await browser.get(links["H016"])
    await browser.click(TR("Kies een moment"))
    day = await browser.click(TR.day(MON) + " (4)")
    form = day.form(TR("Verstuur"))
    await browser.submit(form, slot=form.choice("slot", TR.time(at(MON, "17:30"))),
                         venue=form.choice("venue", TR("In een café")), place="  Café\x00 De Jaren  ")
    [appointment] = await live_appointments(bot, "H016")
    assert (appointment.venue, appointment.place) == ("cafe", "Café De Jaren")
    home = browser.last
    assert TR("{venue} ({place})", venue=TR("in een café"), place="Café De Jaren") in home.text

    question = await browser.click(TR("Afzeggen"))
    assert TR("Weet je zeker dat je het huisbezoek van {when} wilt afzeggen?", when=TR.when(at(MON, "17:30"))) \
        in question.text
    done = await browser.click(TR("Ja, afzeggen"))
    assert TR("Het huisbezoek is afgezegd. De leerkracht krijgt bericht.") in done.text
    assert await live_appointments(bot, "H016") == []
    assert "📅 " + TR("Kies een moment") in done.labels  # free to choose again
    await bot.drain()
    assert people["marieke"].last_text() == w(
        "✖️ Het gezin van {children} heeft het huisbezoek van {when} afgezegd. Het moment is weer vrij.",
        children="Zeynep Demir (Groep 3)", when=w.when(at(MON, "17:30")))


async def test_a_family_says_not_this_year_with_a_reason(bot, people, links, browser):
    await browser.get(links["H004"])
    form_page = await browser.click(PL("Dit jaar liever niet"))
    form = form_page.form(PL("Dit jaar liever niet"))
    assert [label for _, label in form.radios["reason"]] == [
        "⏰ " + PL("Nu geen tijd"), "🏫 " + PL("Liever op school"), "📍 " + PL("Liever ergens anders"),
        "🤐 " + PL("Zeg ik liever niet")]
    home = await browser.submit(form, reason="no_time")
    assert PL("Dank je wel. De leerkracht weet het nu. We wensen jullie een fijn schooljaar!") in home.text
    assert PL("Jullie hebben laten weten dat jullie dit jaar liever geen huisbezoek willen. Dat is goed.") in home.text
    async with bot.runtime.sessionmaker() as session:
        invitation = await session.scalar(select(Invitation).join(Household).where(Household.external_id == "H004"))
    assert (invitation.status, invitation.decline_reason, invitation.reached_by) == ("declined", "no_time", "web")


async def test_two_families_race_for_one_time_and_one_wins(bot, people, links):
    first, second = Browser(bot.runtime.settings.public_url), Browser(bot.runtime.settings.public_url)
    try:
        forms = []
        for b, household in ((first, "H014"), (second, "H015")):
            await b.get(links[household])
            await b.click(w("Kies een moment"))
            day = await b.click(w.day(MON) + " (")
            forms.append(day.form(w("Verstuur")))
        slot = forms[0].choice("slot", w.time(at(MON, "18:45")))
        pages = await asyncio.gather(first.submit(forms[0], slot=slot, venue="home"),
                                     second.submit(forms[1], slot=slot, venue="home"))
    finally:
        await first.close()
        await second.close()
    won = [p for p in pages if p.url.endswith("?done=requested")]
    lost = [p for p in pages if p.status == 409]
    assert len(won) == 1 and len(lost) == 1
    assert w("Dit moment is net door een ander gezin gekozen. Kies een ander moment.") in lost[0].text
    assert w.time(at(MON, "18:45")) not in [label for _, label in lost[0].form(w("Verstuur")).radios["slot"]]
    booked = await live_appointments(bot, "H014") + await live_appointments(bot, "H015")
    assert [a.starts_at for a in booked] == [at(MON, "18:45")]


async def test_a_form_without_its_csrf_token_or_sent_twice_changes_nothing(bot, people, links, browser):
    await browser.get(links["H018"])
    await browser.click(AR("Ander moment kiezen"))
    day = await browser.click(AR.day(MON) + " (")
    form = day.form(AR("Verstuur"))
    slot = form.choice("slot", AR.time(at(MON, "15:00")))
    forged = {**form.fields, "csrf": "x" * 43, "slot": slot, "venue": "home"}
    refused = await browser.post(form.action, forged)
    assert refused.status == 403
    assert AR("Dit formulier is verlopen. Ga terug, laad de pagina opnieuw en probeer het nog eens.") in refused.text
    [still] = await live_appointments(bot, "H018")
    assert still.starts_at == at(THU, "18:30")

    requests_before = await teacher_messages(bot, "reschedule_request")
    moved = await browser.submit(form, slot=slot, venue="home")
    assert moved.url.endswith("?done=requested")
    again = await browser.submit(form, slot=slot, venue="home")  # the same form once more (back, resend)
    assert again.url.endswith("?done=changed")
    assert AR("Er is intussen iets veranderd. Zo staat het nu:") in again.text
    [moved_to] = await live_appointments(bot, "H018")
    assert (moved_to.starts_at, moved_to.status) == (at(MON, "15:00"), "requested")
    assert await teacher_messages(bot, "reschedule_request") == requests_before + 1


async def test_a_huge_form_is_refused(bot, people, links, browser):
    await browser.get(links["H018"])
    await browser.click(AR("Ander moment kiezen"))
    day = await browser.click(AR.day(THU) + " (")
    form = day.form(AR("Verstuur"))
    page = await browser.post(form.action, {**form.fields, "place": "x" * 200_000, "venue": "cafe"})
    assert page.status == 413
    assert AR("Dat was te veel tekst. Ga terug en probeer het korter.") in page.text


async def test_a_forged_or_replaced_link_gets_the_same_kind_page(bot, people, links, browser):
    good = await browser.get(links["H016"])
    assert good.status == 200
    base = bot.runtime.settings.public_url
    pages = [await browser.get(f"{base}/v/{'A' * 32}"), await browser.get(f"{base}/v/short"),
             await browser.get(f"{base}/v/{'x' * 32}/i/1/days")]
    renewed = await web_link(bot, "H016")  # the coordinator renews it: the old link stops working
    pages.append(await browser.get(links["H016"]))
    other = await browser.get(renewed)
    assert other.status == 200
    for page in pages:
        assert page.status == 404
        assert w("Misschien is de periode voor huisbezoeken voorbij, of heeft de school een nieuwe link gestuurd. "
                 "Vraag de leerkracht of de school gerust om een nieuwe link.") in page.text
    assert len({page.html for page in pages}) == 1  # nothing tells one case from another

    # Another household's invitation behind a good token: not found either.
    async with bot.runtime.sessionmaker() as session:
        h018 = await session.scalar(select(Invitation.id).join(Household).where(Household.external_id == "H018"))
    assert (await browser.get(f"{renewed}/i/{h018}/days")).status == 404


async def test_too_many_requests_for_one_link_are_slowed_down(bot, people, links, browser):
    link = await web_link(bot, "H015")
    statuses = [(await browser.get(link)).status for _ in range(61)]
    assert statuses[:60] == [200] * 60 and statuses[60] == 429
    assert browser.last.headers["Retry-After"] == "60"
    assert w("Even rustig aan: probeer het over een minuut nog eens.") in browser.last.text


async def test_the_teachers_proposal_shows_on_the_page_and_the_family_accepts(bot, people, links, browser):
    marieke = people["marieke"]
    link = await web_link(bot, "H017")
    await browser.get(link)
    await browser.click(w("Kies een moment"))
    day = await browser.click(w.day(THU) + " (")
    form = day.form(w("Verstuur"))
    await browser.submit(form, slot=form.radios["slot"][0][0], venue="home")
    await bot.drain()
    request = marieke.messages()[-1]
    await marieke.click(w("Ander moment voorstellen"), message=request)
    await marieke.click(w.short_day(THU))
    offered = [label for label, _ in marieke.buttons() if ":" in label]
    await marieke.click(offered[-1])
    await bot.drain()
    [proposed] = await live_appointments(bot, "H017")
    assert proposed.status == "proposed"

    page = await browser.get(link)  # the family opens its page again
    assert w("🔄 {teacher} stelt voor: {when}. Past dat?", teacher=MARIEKE, when=w(
        "{when}, {where}", when=w.when(proposed.starts_at), where=w("bij jullie thuis"))) in page.text
    accepted = await browser.click(w("Ja, dat past"))
    assert w("Fijn! Het huisbezoek staat vast.") in accepted.text
    [confirmed] = await live_appointments(bot, "H017")
    assert (confirmed.id, confirmed.status, confirmed.starts_at) == (proposed.id, "confirmed", proposed.starts_at)
    await bot.drain()
    assert marieke.last_text() == w("✅ Het gezin van {children} vindt je voorstel goed: {when}.",
                                    children="Finn Hendriks (Groep 3)", when=w(
                                        "{when}, {where}", when=w.when(proposed.starts_at),
                                        where=w("bij het gezin thuis")))


async def test_when_the_period_closes_the_links_stop_working(bot, people, links, browser):
    rt = bot.runtime
    async with rt.sessionmaker() as session:
        await close_period(session, rt.school_id, rt.clock.now())
    page = await browser.get(links["H018"])
    assert page.status == 404
