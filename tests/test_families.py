"""Families reached outside the bot, end to end over the Bot API double: the teacher
phones, meets at the door or gets a letter back, and records in chat what was agreed.
A visit agreed that way is a visit like any other (agenda, calendar feed, reminders,
note prompt, coverage); a "not this year" is a decline; calls nobody answered are
listed, and after three the call list suggests a letter.

The clock walks forward through the tests of this module, in file order (the
invitations go out on Tue 10 Nov 16:00; Marieke has time on Mon 16 Nov 15:00-20:00):

    Wed 11 Nov  Marieke phones Emma's parents (not on Telegram): visit Mon 16:15 at home.
                Elif's mother says "not this year" at the school door.
                A letter back from Yasmine's family: Tue 17 Nov 10:00 in the Vondelpark; her
                mother Khadija (on Telegram, in Arabic) gets the confirmation.
                Zofia's family does not answer the phone: Wed, Thu, Fri.
    Fri 13 Nov  The nudges go out, to Ingrid but not to Khadija.
    Sat 14 Nov  Khadija moves the visit in the bot, which replaces Marieke's record.
    Mon 16 Nov  Marieke's overview, Emma's visit, the note prompt and the note.
"""
from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest
from sqlalchemy import select

from bot.app import plan
from bot.questionnaire import BUILT_IN
from db.models import Appointment, AuditEntry, Invitation
from tests.messaging_setup import (
    MON,
    TUE,
    at,
    invitation_of,
    moment,
    outbox_rows,
    school,
)
from tests.messaging_setup import NL as w
from tests.seed import staff_link
from tests.test_coverage import homevisit
from tests.web_setup import bot, fields, get, module_clock  # noqa: F401  (fixtures)
from tests.words import Words

MARIEKE = "Marieke de Vries"
# One invitation per teacher, as these stories were written (siblings together: tests/test_siblings.py).
BOT_SETTINGS = {"sibling_visits": "each"}
WED11, THU12, FRI13, SAT14 = (date(2026, 11, d) for d in (11, 12, 13, 14))
REFUSED = "Deze knop werkt niet meer. Kijk bij /help wat je kunt doen."
CONFIRMED = ("✅ Het huisbezoek staat vast!\n\n{teacher} komt {when}.\n\nVeranderen of afzeggen kan altijd met "
             "/myvisit.")
AFTER = ("Hoe ging het huisbezoek bij het gezin van {children} ({when})? Schrijf een korte notitie nu het nog vers "
         "is: waar is het gezin trots op, en wat spraken jullie af?")
LETTER_HINT = "✉️ " + w("Een brief helpt misschien: vraag de coördinator om een brief met /letters.")


@pytest.fixture(scope="module")
async def people(bot):
    return await school(bot, [MARIEKE, "Jeroen Bakker"], ["Khadija El Amrani", "Ingrid Visser"],
                        [(MARIEKE, MON, "15:00", "20:00")])


async def feed(marieke) -> dict[str, list[str]]:
    [reply] = await marieke.send("/calendar")
    url = re.search(r"http://\S+\.ics", reply["text"]).group(0)
    status, body = await get(url)
    assert status == 200
    return fields(body)


async def call_list(marieke) -> dict:
    [reply] = await marieke.send("/calllist")
    return reply


async def audit(bot, action: str) -> list[AuditEntry]:
    async with bot.runtime.sessionmaker() as session:
        return list((await session.scalars(select(AuditEntry).where(AuditEntry.action == action))).all())


async def test_a_family_without_telegram_is_phoned_and_the_visit_recorded_from_the_call_list(bot, people):
    marieke = people["marieke"]
    bot.clock.set(at(WED11, "10:00"))
    listing = await call_list(marieke)
    assert w("Gebeld? Tik op het gezin om vast te leggen wat jullie afspraken.") in listing["text"]
    await marieke.click("✍️ Emma Jansen", message=listing)
    card = marieke.last_text()
    assert card.startswith("👪 " + w("{children} ({classes})", children="Emma Jansen", classes="Groep 3"))
    assert "📞 Anouk Jansen: +31612345601" in card and "📞 Mark Jansen: +31612345602" in card
    assert "— " + w("Nog geen afspraak") in card

    await marieke.click(w("Bezoek afgesproken"))
    assert marieke.last_text() == w("Hoe spraken jullie het bezoek af?")
    await marieke.click(w("Telefonisch"))
    assert w.short_day(MON) + " (4)" in [label for label, _ in marieke.buttons()]  # 15:00, 16:15, 17:30, 18:45
    await marieke.click(w.short_day(MON))
    assert [label for label, _ in marieke.buttons()] == ["15:00", "16:15", "17:30", "18:45"]
    await marieke.click("16:15")
    await marieke.click(w("Bij ons thuis"))
    assert marieke.last_text() == w("Klopt dit?\n\n👪 {children}\n📅 {when}\n📍 {where}\n{how}",
                                    children="Emma Jansen", when=w.when(at(MON, "16:15")),
                                    where=w("bij het gezin thuis"),
                                    how="📞 " + w("Afgesproken: {how}", how=w("telefonisch")))
    await marieke.click(w("Vastleggen"))
    saved = marieke.last_text()
    assert saved.startswith("✅ " + w("Vastgelegd: {when}, {children}. Het staat in je agenda.",
                                      when=w("{when}, {where}", when=w.when(at(MON, "16:15")),
                                             where=w("bij het gezin thuis")),
                                      children="Emma Jansen"))
    assert w("Het gezin krijgt ook een bevestiging in de bot.") not in saved  # nobody of them is on Telegram

    [agenda] = await marieke.send("/agenda")
    assert "16:15 Emma Jansen" in agenda["text"] and "(📞 " + w("telefonisch") + ")" in agenda["text"]
    assert "Emma Jansen" not in (await call_list(marieke))["text"]
    event = await feed(marieke)
    assert event["DTSTART"] == ["20261116T151500Z"]  # 16:15 in Amsterdam
    assert event["SUMMARY"] == [w("Huisbezoek: {children}", children="Emma Jansen")]
    [entry] = await audit(bot, "visit_recorded")
    assert entry.actor.startswith("staff:")


async def test_not_this_year_said_at_the_door(bot, people):
    marieke = people["marieke"]
    [families] = await marieke.send("/families")
    assert families["text"].startswith(w.n("👪 Je gezinnen: {count}. Tik op een gezin om vast te leggen wat jullie "
                                           "afspraken.", "👪 Je gezinnen: {count}. Tik op een gezin om vast te leggen "
                                           "wat jullie afspraken.", 14))
    assert "Emma Jansen – ✅ " in families["text"]
    await marieke.click("👪 Elif Yılmaz", message=families)
    await marieke.click(w("Dit jaar liever niet"))
    assert marieke.last_text() == w("Hoe liet het gezin het weten?")
    await marieke.click(w("Aan de deur"))
    await marieke.click(w("Nu geen tijd"))
    assert marieke.last_text() == "🙅 " + w("Vastgelegd: {children}, dit jaar liever geen huisbezoek. Het gezin "
                                           "krijgt geen herinneringen meer.", children="Elif Yılmaz")
    invitation = await invitation_of(bot, "Ayşe Yılmaz", MARIEKE)
    assert (invitation.status, invitation.decline_reason, invitation.reached_by) == ("declined", "no_time", "door")
    assert "Elif Yılmaz" not in (await call_list(marieke))["text"]


async def test_a_letter_back_from_a_linked_family_confirms_in_their_language(bot, people):
    marieke, khadija = people["marieke"], people["khadija"]
    [families] = await marieke.send("/families")
    assert "👪 Daan de Boer · Linda de Boer" in [label for label, _ in marieke.buttons(families)]
    await marieke.click("2 ▶", message=families)
    await marieke.click("👪 Yasmine El Amrani")
    assert "📞 Khadija El Amrani: +31612345605 · Telegram ✓" in marieke.last_text()
    await marieke.click(w("Bezoek afgesproken"))
    await marieke.click(w("Per brief"))
    await marieke.click(w("Een ander moment"))  # the family asked for Tuesday morning, outside her times
    await marieke.click(w.short_day(TUE))
    await marieke.click("10:00")
    await marieke.click(w("In een park"))
    assert marieke.last_text() == w("Welk park? Typ de naam, of tik op de knop.")
    await marieke.send("Vondelpark")
    assert "📍 " + w("{venue} ({place})", venue=w("in een park"), place="Vondelpark") in marieke.last_text()
    await marieke.click(w("Vastleggen"))
    assert marieke.last_text().endswith(w("Het gezin krijgt ook een bevestiging in de bot."))

    await bot.drain()
    ar = Words("ar")
    assert khadija.last_text().startswith(ar.first_line(CONFIRMED))
    assert khadija.latest()["document"]["file_name"].endswith(".ics")

    # The time is taken now, also for a moment outside her times.
    [families] = await marieke.send("/families")
    await marieke.click("👪 Oliver Smith", message=families)
    await marieke.click(w("Bezoek afgesproken"))
    await marieke.click(w("Telefonisch"))
    await marieke.click(w("Een ander moment"))
    await marieke.click(w.short_day(TUE))
    await marieke.click("10:30")
    await marieke.click(w("Op school"))
    await marieke.click(w("Vastleggen"))
    assert marieke.last_text().startswith("⚠️ " + w("Dat moment is intussen bezet, of te dicht op een ander bezoek. "
                                                   "Kies een ander moment."))
    assert (await invitation_of(bot, "Emily Smith", MARIEKE)).status == "pending"


async def test_calls_nobody_answers_are_listed_and_after_three_a_letter_is_suggested(bot, people):
    marieke = people["marieke"]
    calls = []
    for when in (at(WED11, "11:00"), at(THU12, "18:30"), at(FRI13, "19:15")):
        bot.clock.set(when)
        calls.append(when)
        listing = await call_list(marieke)
        assert (LETTER_HINT in listing["text"]) is (len(calls) > 3)
        await marieke.click("✍️ Zofia Kowalska", message=listing)
        await marieke.click(w("Gebeld, geen gehoor"))
        card = marieke.latest()
        assert card["text"].startswith("📵 " + w("Vastgelegd: gebeld op {when}, geen gehoor.",
                                                 when=w.t.day_and_time(when)))
        await marieke.click(w("Gebeld, geen gehoor"), message=dict(card))  # a double tap is the same call
    listing = (await call_list(marieke))["text"]
    assert "📵 " + w("Gebeld zonder gehoor: {times}", times=", ".join(w.t.day_and_time(c) for c in calls)) in listing
    assert LETTER_HINT in listing
    assert len(await audit(bot, "no_answer_recorded")) == 3
    assert (await invitation_of(bot, "Agnieszka Kowalska", MARIEKE)).status == "pending"  # still to reach


async def test_the_family_the_teacher_recorded_is_not_nudged(bot, people):
    await moment(bot, at(FRI13, "16:00"))  # three days after the invitations
    await plan(bot.runtime)
    await bot.drain()
    nudged = {row.payload["invitation"] for row in await outbox_rows(bot, kind="nudge")}
    assert (await invitation_of(bot, "Ingrid Visser", MARIEKE)).id in nudged  # silent: nudged
    assert (await invitation_of(bot, "Khadija El Amrani", MARIEKE)).id not in nudged  # Marieke recorded the visit
    assert (await invitation_of(bot, "Khadija El Amrani", "Jeroen Bakker")).id in nudged  # Adam's teacher did not


async def test_a_booking_in_the_bot_replaces_the_teachers_record(bot, people):
    marieke, khadija = people["marieke"], people["khadija"]
    ar = Words("ar")
    bot.clock.set(at(SAT14, "10:00"))
    status = next(m for m in await khadija.send("/myvisit") if MARIEKE in m["text"])  # (and Adam's, with Jeroen)
    await khadija.click(ar("Ander moment kiezen"), message=status)
    await khadija.click(ar.short_day(MON))
    await khadija.click(ar.time(at(MON, "17:30")))
    await khadija.send("Vondelpark")  # the park is asked again
    await khadija.click(ar("Verstuur"))
    await marieke.click(w("Bevestigen"), message=marieke.latest())
    invitation = await invitation_of(bot, "Khadija El Amrani", MARIEKE)
    async with bot.runtime.sessionmaker() as session:
        visits = (await session.scalars(select(Appointment).where(Appointment.invitation_id == invitation.id)
                                        .order_by(Appointment.id))).all()
    assert [(v.status, v.channel) for v in visits] == [("replaced", "letter"), ("confirmed", "bot")]
    assert invitation.reached_by == "bot"
    [agenda] = await marieke.send("/agenda")
    assert "17:30 Yasmine El Amrani" in agenda["text"] and "10:00 Yasmine" not in agenda["text"]


async def test_nobody_records_for_a_family_of_another_class(bot, people):
    jeroen, khadija = people["jeroen"], people["khadija"]
    emma = await invitation_of(bot, "Anouk Jansen", MARIEKE)
    zofia = await invitation_of(bot, "Agnieszka Kowalska", MARIEKE)
    for user, words in ((jeroen, w), (khadija, Words("ar"))):
        for data in (f"v2:family:{emma.id}", f"v2:record_how:{zofia.id}:no:phone", f"v2:record_no_answer:{zofia.id}"):
            assert (await user.press(data, message=user.latest()))["text"] == words(REFUSED)
    assert len(await audit(bot, "no_answer_recorded")) == 3
    assert (await invitation_of(bot, "Agnieszka Kowalska", MARIEKE)).status == "pending"
    [reply] = await khadija.send("/families")
    assert reply["text"] == Words("ar")("Dit is voor leerkrachten. Kijk bij /help wat je kunt doen.")


async def test_the_phoned_familys_visit_is_reminded_prompted_and_noted(bot, people):
    marieke = people["marieke"]
    await moment(bot, at(MON, "08:00"))
    overview = marieke.last_text()
    assert overview.startswith("☀️") and "16:15 Emma Jansen" in overview
    await moment(bot, at(MON, "17:15"))
    prompt = next(m for m in marieke.messages() if m["text"] == w(AFTER, children="Emma Jansen (Groep 3)",
                                                                   when=w.when(at(MON, "16:15"))))
    await marieke.click(w("Notitie schrijven"), message=prompt)
    await marieke.click(w("Bezoek gedaan"))
    await marieke.send("Op de tekeningen van Emma.")
    for _ in list(BUILT_IN)[1:]:
        await marieke.click(w("Overslaan"))
    await marieke.click(w("Klaar"))
    await marieke.click(w("Opslaan"))
    assert marieke.last_text() == w("💾 Opgeslagen. Je kunt de notitie nog 24 uur aanpassen via /note.")


async def test_coverage_counts_each_family_by_how_it_was_reached(bot, people, database_url):
    wilma = bot.user("Wilma")
    await wilma.send(f"/start {await staff_link(bot.runtime, 'Wilma Hoekstra', role='coordinator', language='nl')}")
    [summary] = await wilma.send("/coverage")
    # Groep 3: 14 households, 2 on Telegram; Emma's (phone), Elif's (door) reached outside the bot.
    assert w("{name}: {share} bezocht · nog niet bereikt {unreachable}", name="Groep 3",
             share=w.t.percent(1 / 13), unreachable=10) in summary["text"]
    await wilma.click("Groep 3", message=summary)
    details = wilma.last_text()
    assert w("Bereikt: {channels}", channels=" · ".join([
        "💬 " + w("via de bot") + " 1", "📞 " + w("telefonisch") + " 1", "✉️ " + w("per brief") + " 0",
        "🚪 " + w("aan de deur") + " 1"])) in details
    assert w("Bezocht, zo afgesproken: {channels}", channels="📞 " + w("telefonisch") + " 1") in details

    code, out, err = await homevisit(database_url, "report", "--format", "csv")
    assert code == 0, err
    rows = {r["class"]: r for r in csv.DictReader(io.StringIO(out.replace("\r\n", "\n").split("\n\n")[0]))}
    group3 = rows["Groep 3"]
    assert {k: group3[k] for k in ("visited", "declined", "unreachable", "reached_bot", "reached_phone",
                                   "reached_door", "reached_letter", "visited_phone")} == {
        "visited": "1", "declined": "1", "unreachable": "10", "reached_bot": "1", "reached_phone": "1",
        "reached_door": "1", "reached_letter": "0", "visited_phone": "1"}
    code, out, err = await homevisit(database_url, "report")  # the text report, in English
    assert code == 0, err
    en = Words("en")
    assert en("Bereikt: {channels}", channels=" · ".join([
        "💬 " + en("via de bot") + " 1", "📞 " + en("telefonisch") + " 1", "✉️ " + en("per brief") + " 0",
        "🚪 " + en("aan de deur") + " 1"])) in out
    async with bot.runtime.sessionmaker() as session:
        assert len((await session.scalars(select(Invitation).where(Invitation.reached_by.is_not(None)))).all()) == 3
