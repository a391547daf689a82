"""A second visitor, over the Bot API double, with the teachers in Dutch and in Arabic (right
to left): a family whose language is not Dutch is asked once, on the booking's summary,
whether an interpreter would help, and the teacher sees the answer; on a confirmed visit the teacher takes a colleague
(from the school's staff) and an interpreter (name and phone, typed) along; the colleague
sees the visit in /agenda, in the calendar feed and in the morning overview, and is told
when added or taken off; the family hears, in its own language, who will come; a moved
visit keeps them; coverage gives both staff members the visit's hours. Forged colleagues,
the teacher as their own colleague, nameless interpreters and huge texts change nothing."""
from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, time, timedelta, timezone

import pytest
from sqlalchemy import select

from bot.services import notes
from bot.services.availability import add_window
from bot.services.invitations import send_invitations
from bot.services.periods import PeriodDraft, open_period
from db.models import Appointment, Household, Invitation, School, Staff
from tests.botapi import BotAPIDouble
from tests.seed import guardian_link, load_example_roster, staff_link
from tests.web_setup import fields, get, served_bot
from tests.words import SCHOOL_TZ, Words

MON, TUE = date(2026, 11, 16), date(2026, 11, 17)
START = datetime(2026, 11, 10, 15, 0, tzinfo=timezone.utc)  # Tuesday before, 16:00 in Amsterdam
STALE = "Deze knop werkt niet meer. Kijk bij /help wat je kunt doen."
AR = Words("ar")  # the Benalis read Arabic (their roster language)
NL = Words("nl")  # the Dekkers read Dutch
MARIEKE, JEROEN = "Marieke de Vries", "Jeroen Bakker"


def at(day: date, hhmm: str) -> datetime:
    hours, minutes = map(int, hhmm.split(":"))
    return datetime(day.year, day.month, day.day, hours, minutes, tzinfo=SCHOOL_TZ)


@pytest.fixture(scope="module", params=["nl", "ar"])
def lang(request) -> str:
    """The teachers' language."""
    return request.param


@pytest.fixture(scope="module")
async def double(database_url, lang):
    api = BotAPIDouble()
    await api.start()
    yield api
    await api.stop()


@pytest.fixture(scope="module")
async def served(double, database_url, module_clock):
    """The bot and its web server (the calendar feeds)."""
    async with served_bot(double, database_url, module_clock) as under_test:
        yield under_test


@pytest.fixture(scope="module")
def w(lang) -> Words:
    return Words(lang)


@pytest.fixture(scope="module")
async def school(served, w):
    """The example roster, Marieke's times on Monday and Tuesday, the invitations out, and the
    people on Telegram: two teachers (in the test's language), the Benalis and the Dekkers."""
    bot, rt = served, served.runtime
    await load_example_roster(rt)
    people = {}
    for key, name in [("marieke", MARIEKE), ("jeroen", JEROEN)]:
        people[key] = user = bot.user(name.split()[0], language_code="nl")
        await user.send(f"/start {await staff_link(rt, name)}")
        if w.language != "nl":
            await user.send("/language")
            await user.click("العربية")
    people["samira"] = bot.user("Samira", language_code="ar")
    await people["samira"].send(f"/start {await guardian_link(rt, 'Samira Benali')}")
    people["sandra"] = bot.user("Sandra", language_code="nl")
    await people["sandra"].send(f"/start {await guardian_link(rt, 'Sandra Dekker')}")
    async with rt.sessionmaker() as session:
        period = await open_period(session, rt.school_id, PeriodDraft("Najaar", MON, date(2026, 11, 27)),
                                   rt.clock.now())
        marieke = await session.scalar(select(Staff.id).where(Staff.name == MARIEKE))
        for day in (MON, TUE):
            await add_window(session, period, marieke, day, time(15), time(20), SCHOOL_TZ, rt.clock.now())
        await send_invitations(session, period, rt.clock.now())
    await bot.drain()
    return people


async def invitation_of(rt, household: str) -> Invitation:
    async with rt.sessionmaker() as session:
        return await session.scalar(select(Invitation).join(Household, Household.id == Invitation.household_id)
                                    .where(Household.external_id == household))


async def live_visit(rt, household: str) -> Appointment:
    async with rt.sessionmaker() as session:
        return await session.scalar(
            select(Appointment).join(Invitation, Invitation.id == Appointment.invitation_id)
            .join(Household, Household.id == Invitation.household_id)
            .where(Household.external_id == household,
                   Appointment.status.in_(("requested", "proposed", "confirmed"))))


async def staff_id(rt, name: str) -> int:
    async with rt.sessionmaker() as session:
        return await session.scalar(select(Staff.id).where(Staff.school_id == rt.school_id, Staff.name == name))


def when(words: Words, day: date, hhmm: str, *, teacher: bool) -> str:
    return words("{when}, {where}", when=words.when(at(day, hhmm)),
                 where=words("bij het gezin thuis" if teacher else "bij jullie thuis"))


def amira(words: Words) -> str:
    return words("{children} ({classes})", children=words.iso("Amira Benali"), classes=words.iso("Groep 3"))


async def open_companions(teacher, w: Words, day: date, hhmm: str) -> dict:
    """From /agenda, the screen of who goes along to the visit at this time."""
    await teacher.send("/agenda")
    await teacher.click("👥 " + w("Collega of tolk: {day} {time}", day=w.short_day(at(day, hhmm)),
                                  time=w.time(at(day, hhmm))))
    return teacher.latest()


async def test_the_arabic_family_is_asked_once_about_an_interpreter_and_the_teacher_sees_the_answer(
        served, school, w):
    samira, sandra, marieke = school["samira"], school["sandra"], school["marieke"]
    await samira.click(AR("Kies een moment"))
    await samira.click(AR.short_day(TUE))
    await samira.click(AR.time(at(TUE, "17:30")))
    await samira.click(AR("Bij ons thuis"))
    summary = AR("Klopt dit?\n\n📅 {when}\n📍 {where}\n👤 {teacher}", when=AR.when(at(TUE, "17:30")),
                 where=AR("bij jullie thuis"), teacher=AR.iso(MARIEKE))
    assert samira.last_text() == summary + "\n\n🗣 " + AR(
        "Zou een tolk helpen bij het huisbezoek? Dan probeert de school er een te regelen.")
    assert [label for label, _ in samira.buttons()] == [
        "✅ " + AR("Verstuur"), "🗣 " + AR("Ja, graag"), "👍 " + AR("Nee, dank je"), "↩️ " + AR("Opnieuw kiezen")]
    await samira.click(AR("Ja, graag"))
    assert samira.last_text() == summary + "\n\n🗣 " + AR("Dank je, dat is genoteerd.")
    assert [label for label, _ in samira.buttons()] == ["✅ " + AR("Verstuur"), "↩️ " + AR("Opnieuw kiezen")]
    await samira.click(AR("Verstuur"))
    assert (await invitation_of(served.runtime, "H018")).interpreter_wanted is True

    request = marieke.latest()
    assert request["text"].startswith("📩 " + w("Nieuw verzoek voor een huisbezoek"))
    assert "🗣 " + w("Het gezin wil graag een tolk bij het bezoek.") in request["text"]
    await marieke.click(w("Bevestigen"), message=request)
    assert [label for label, _ in marieke.buttons()] == ["👥 " + w("Collega of tolk meenemen")]

    # A Dutch family is not asked: the summary comes straight after the place.
    await sandra.click(NL("Kies een moment"))
    await sandra.click(NL.short_day(MON))
    await sandra.click("15:00")
    await sandra.click(NL("Bij ons thuis"))
    assert sandra.last_text() == NL("Klopt dit?\n\n📅 {when}\n📍 {where}\n👤 {teacher}",
                                    when=NL.when(at(MON, "15:00")), where=NL("bij jullie thuis"), teacher=MARIEKE)
    await sandra.click(NL("Verstuur"))
    assert "🗣" not in marieke.latest()["text"]
    await marieke.click(w("Bevestigen"), message=marieke.latest())
    assert (await invitation_of(served.runtime, "H015")).interpreter_wanted is None

    [agenda] = await marieke.send("/agenda")
    benali = next(line for line in agenda["text"].split("\n") if "Amira Benali" in line)
    assert "🗣 " + w("tolk gewenst") in benali


async def test_a_colleague_goes_along_and_sees_it_in_agenda_and_feed_and_the_family_is_told(served, school, w):
    marieke, jeroen, samira = school["marieke"], school["jeroen"], school["samira"]
    menu = await open_companions(marieke, w, TUE, "17:30")
    assert menu["text"].startswith(w.first_line("👥 Wie gaat er mee naar dit huisbezoek?\n📅 {when}\n👧 {children}"))
    assert w("Nog niemand: je gaat alleen.") in menu["text"]
    await marieke.click("👩‍🏫 " + w("Collega meenemen"))
    assert marieke.last_text() == w("Welke collega gaat mee?")
    names = [label for label, _ in marieke.buttons()]
    assert JEROEN in names and MARIEKE not in names
    await marieke.click(JEROEN)
    assert marieke.last_text().startswith("✅ " + w("{name} gaat mee. {name} en het gezin krijgen bericht.",
                                                    name=w.iso(JEROEN)))
    assert "👩‍🏫 " + w("Collega: {name}", name=w.iso(JEROEN)) in marieke.last_text()

    assert jeroen.last_text() == "👥 " + w(
        "Je gaat met {teacher} mee op huisbezoek: {when}, bij {children}. Het staat in je /agenda.",
        teacher=w.iso(MARIEKE), when=when(w, TUE, "17:30", teacher=True), children=amira(w))
    assert samira.last_text() == "👥 " + AR("{teacher} komt {when} samen met {colleague}.", teacher=AR.iso(MARIEKE),
                                           when=when(AR, TUE, "17:30", teacher=False), colleague=AR.iso(JEROEN))

    [agenda] = await jeroen.send("/agenda")
    line = next(line for line in agenda["text"].split("\n") if "Amira Benali" in line)
    assert "👥 " + w("samen met {name}", name=w.iso(MARIEKE)) in line
    labels = [label for label, _ in jeroen.buttons(agenda)]
    assert not any(w.time(at(TUE, "17:30")) in label for label in labels)  # Marieke's visit: hers to cancel

    [reply] = await jeroen.send("/calendar")
    status, body = await get(re.search(r"http://\S+\.ics", reply["text"]).group(0))
    feed = fields(body)
    assert status == 200 and feed["DTSTART"] == ["20261117T163000Z"]
    assert feed["SUMMARY"] == [w("Huisbezoek: {children}", children="Amira Benali")]
    assert w("samen met {name}", name=MARIEKE) in feed["DESCRIPTION"][0]


async def test_an_interpreter_is_typed_and_a_name_is_asked_for_until_there_is_one(served, school, w):
    marieke, samira = school["marieke"], school["samira"]
    await open_companions(marieke, w, TUE, "17:30")
    await marieke.click("🗣 " + w("Tolk meenemen"))
    assert marieke.last_text() == "🗣 " + w("Hoe heet de tolk? Typ de naam.")
    for typed, asked in [("   ", w("Ik heb de naam van de tolk nodig. Typ de naam, bijvoorbeeld: Samira Haddad.")),
                         ("+31 6 1234 5699", w("Dat lijkt een telefoonnummer. Typ eerst de naam van de tolk; het "
                                               "nummer vraag ik daarna.")),
                         ("Mevrouw " * 400, w("Die naam is te lang. Typ alleen de naam van de tolk, dan vraag ik "
                                              "daarna het nummer."))]:
        [reply] = await marieke.send(typed)
        assert reply["text"] == asked
        assert (await live_visit(served.runtime, "H018")).interpreter_name is None
    [reply] = await marieke.send("Mevrouw Haddad")
    assert reply["text"] == "📞 " + w("Wat is het telefoonnummer van {name}? Typ het nummer, of tik op de knop.",
                                      name=w.iso("Mevrouw Haddad"))
    [reply] = await marieke.send("bel maar")
    assert reply["text"] == w("Dat lijkt geen telefoonnummer. Typ het nummer (bijvoorbeeld 06 1234 5678), of tik op "
                              "de knop.")
    [reply] = await marieke.send("06 1111 2222")
    assert reply["text"].startswith("✅ " + w("De tolk staat erbij. Het gezin krijgt bericht."))
    assert "🗣 " + w("Tolk: {name} ({phone})", name=w.iso("Mevrouw Haddad"), phone=w.iso("06 1111 2222")) \
        in reply["text"]
    visit = await live_visit(served.runtime, "H018")
    assert (visit.interpreter_name, visit.interpreter_phone) == ("Mevrouw Haddad", "06 1111 2222")
    assert samira.last_text() == "👥 " + AR(
        "{teacher} komt {when} samen met {colleague}, en met een tolk: {interpreter}.", teacher=AR.iso(MARIEKE),
        when=when(AR, TUE, "17:30", teacher=False), colleague=AR.iso(JEROEN), interpreter=AR.iso("Mevrouw Haddad"))
    [agenda] = await marieke.send("/agenda")
    assert "🗣 " + w("tolk: {name}", name=w.iso("Mevrouw Haddad 06 1111 2222")) in agenda["text"]


async def test_a_forged_colleague_the_teacher_themself_and_someone_elses_visit_change_nothing(served, school, w):
    marieke, jeroen = school["marieke"], school["jeroen"]
    rt = served.runtime
    async with rt.sessionmaker() as session:
        other = School(name="De Vlinder", timezone="Europe/Amsterdam", default_language="nl", created_at=START)
        session.add(other)
        await session.flush()
        stranger = Staff(school_id=other.id, name="Bas Smit", role="teacher", active=True, created_at=START)
        session.add(stranger)
        await session.commit()
        stranger_id = stranger.id
    visit = await live_visit(rt, "H018")
    menu = await open_companions(marieke, w, TUE, "17:30")
    for forged in (stranger_id, 999_999):
        await marieke.press(f"v2:colleague:{visit.id}:{forged}", menu)
        assert marieke.last_text().startswith(
            w("Die collega kan ik niet vinden bij jullie school. Kies iemand uit de lijst."))
    await marieke.press(f"v2:colleague:{visit.id}:{await staff_id(rt, MARIEKE)}", menu)
    assert marieke.last_text().startswith(w("Jij gaat zelf al. Kies een collega die met je meegaat."))
    # The colleague going along may not change who goes: it is Marieke's visit.
    before = len(jeroen.messages())
    for data in (f"v2:companions:{visit.id}", f"v2:colleague:{visit.id}:{await staff_id(rt, 'Sanne Vermeulen')}",
                 f"v2:colleague_off:{visit.id}", f"v2:interpreter_off:{visit.id}"):
        answer = await jeroen.press(data, jeroen.messages()[-1])
        assert answer["text"] == w(STALE)
    assert len(jeroen.messages()) == before
    after = await live_visit(rt, "H018")
    assert (after.colleague_id, after.interpreter_name) == (await staff_id(rt, JEROEN), "Mevrouw Haddad")


async def test_a_moved_visit_keeps_its_second_visitors_and_the_question_is_not_asked_again(served, school, w):
    samira, marieke, jeroen = school["samira"], school["marieke"], school["jeroen"]
    await samira.send("/myvisit")
    await samira.click(AR("Ander moment kiezen"))
    await samira.click(AR.short_day(TUE))
    await samira.click(AR.time(at(TUE, "18:45")))
    assert samira.last_text() == AR("Klopt dit?\n\n📅 {when}\n📍 {where}\n👤 {teacher}", when=AR.when(at(TUE, "18:45")),
                                    where=AR("bij jullie thuis"), teacher=AR.iso(MARIEKE))
    await samira.click(AR("Verstuur"))
    request = marieke.latest()
    assert request["text"].startswith("🔁 " + w("Een gezin wil het huisbezoek verzetten"))
    assert "🗣 " + w("Het gezin wil graag een tolk bij het bezoek.") in request["text"]
    await marieke.click(w("Bevestigen"), message=request)
    assert jeroen.last_text() == "👥 " + w(  # told of the new time
        "Je gaat met {teacher} mee op huisbezoek: {when}, bij {children}. Het staat in je /agenda.",
        teacher=w.iso(MARIEKE), when=when(w, TUE, "18:45", teacher=True), children=amira(w))
    visit = await live_visit(served.runtime, "H018")
    assert visit.starts_at == at(TUE, "18:45")
    assert (visit.colleague_id, visit.interpreter_name) == (await staff_id(served.runtime, JEROEN), "Mevrouw Haddad")
    [agenda] = await jeroen.send("/agenda")
    line = next(line for line in agenda["text"].split("\n") if "Amira Benali" in line)
    assert w.time(at(TUE, "18:45")) in line and "👥 " + w("samen met {name}", name=w.iso(MARIEKE)) in line


async def test_a_colleague_taken_off_is_told_and_has_it_no_more_and_the_reminder_goes_to_who_goes(
        served, school, w, module_clock):
    marieke, jeroen, sandra = school["marieke"], school["jeroen"], school["sandra"]
    await open_companions(marieke, w, MON, "15:00")
    await marieke.click("👩‍🏫 " + w("Collega meenemen"))
    await marieke.click(JEROEN)
    assert sandra.last_text() == "👥 " + NL("{teacher} komt {when} samen met {colleague}.", teacher=MARIEKE,
                                           when=when(NL, MON, "15:00", teacher=False), colleague=JEROEN)
    await marieke.click("✖️ " + w("Collega gaat niet mee"))
    assert marieke.last_text().startswith("✅ " + w("De collega gaat niet meer mee. De collega en het gezin krijgen "
                                                    "bericht."))
    milan = w("{children} ({classes})", children=w.iso("Milan Dekker"), classes=w.iso("Groep 3"))
    assert jeroen.last_text() == w("{teacher} gaat zonder jou naar het huisbezoek van {when} ({children}). Het staat "
                                   "niet meer in je /agenda.", teacher=w.iso(MARIEKE),
                                   when=w.when(at(MON, "15:00")), children=milan)
    assert sandra.last_text() == "👥 " + NL("{teacher} komt {when} toch alleen, zonder collega of tolk.",
                                           teacher=MARIEKE, when=when(NL, MON, "15:00", teacher=False))
    [agenda] = await jeroen.send("/agenda")
    assert "Milan Dekker" not in agenda["text"] and "Amira Benali" in agenda["text"]
    [reply] = await jeroen.send("/calendar")
    _, body = await get(re.search(r"http://\S+\.ics", reply["text"]).group(0))
    assert "Milan Dekker" not in body and "Amira Benali" in body

    morning = w.n("☀️ Goedemorgen! Vandaag heb je {count} huisbezoek:",
                  "☀️ Goedemorgen! Vandaag heb je {count} huisbezoeken:", 1)
    try:
        module_clock.set(at(MON, "08:01"))  # Monday: Jeroen no longer goes along to the Dekkers
        await served.drain()
        assert not any(m["text"].startswith(morning) for m in jeroen.messages())
        assert any(m["text"].startswith(morning) and "Milan Dekker" in m["text"] for m in marieke.messages())
        module_clock.set(at(TUE, "08:01"))  # Tuesday: he goes with Marieke to the Benalis
        await served.drain()
        overview = jeroen.messages()[-1]["text"]
        assert overview.startswith(morning) and "Amira Benali" in overview
        assert "👥 " + w("samen met {name}", name=w.iso(MARIEKE)) in overview
    finally:
        module_clock.set(START)


async def test_the_colleague_hears_when_the_visit_is_cancelled(served, school, w):
    marieke, jeroen, sandra = school["marieke"], school["jeroen"], school["sandra"]
    rt = served.runtime
    # Jeroen has a visit of his own at that time (the Meijers, agreed by phone): he cannot go along.
    own = Appointment(school_id=rt.school_id, invitation_id=(await invitation_of(rt, "H020")).id,
                      teacher_id=await staff_id(rt, JEROEN), starts_at=at(MON, "14:30"), ends_at=at(MON, "15:30"),
                      venue="home", status="confirmed", channel="phone", created_at=START, updated_at=START)
    async with rt.sessionmaker() as session:
        session.add(own)
        await session.commit()
    await open_companions(marieke, w, MON, "15:00")
    await marieke.click("👩‍🏫 " + w("Collega meenemen"))
    await marieke.click(JEROEN)
    assert marieke.last_text().startswith(w("{name} heeft op dat moment zelf een huisbezoek. Kies een andere "
                                            "collega.", name=w.iso(JEROEN)))
    assert (await live_visit(rt, "H015")).colleague_id is None
    async with rt.sessionmaker() as session:
        (await session.get(Appointment, own.id)).status = "cancelled"
        await session.commit()
    await marieke.click(JEROEN)
    assert marieke.last_text().startswith("✅ ")
    await sandra.send("/myvisit")
    await sandra.click(NL("Afzeggen"))
    await sandra.click(NL("Ja, afzeggen"))
    milan = w("{children} ({classes})", children=w.iso("Milan Dekker"), classes=w.iso("Groep 3"))
    assert jeroen.last_text() == "✖️ " + w(
        "Het huisbezoek van {when} ({children}), waar je met {teacher} mee zou gaan, gaat niet door. Het staat niet "
        "meer in je /agenda.", when=w.when(at(MON, "15:00")), children=milan, teacher=w.iso(MARIEKE))
    [agenda] = await jeroen.send("/agenda")
    assert "Milan Dekker" not in agenda["text"]


async def test_coverage_gives_the_teacher_and_the_colleague_the_hours_of_the_visit(served, school, cli,
                                                                                 database_url):
    rt = served.runtime
    visit = await live_visit(rt, "H018")
    async with rt.sessionmaker() as session:
        await notes.save(session, visit.id, await staff_id(rt, MARIEKE), "done", {}, [],
                         visit.ends_at + timedelta(hours=1))
    ran = await cli(database_url, "report", "--format", "csv")
    assert ran.code == 0, ran.err
    rows = list(csv.reader(io.StringIO(ran.out)))
    teachers = {row[0]: row for row in rows[rows.index(["teacher", "visits_done", "visits_planned", "hours"]) + 1:]}
    hours = f"{rt.settings.hours_per_visit:g}"
    assert teachers[MARIEKE][1:] == ["1", "0", hours]  # the Benalis visited (the Dekkers cancelled)
    assert teachers[JEROEN][1:] == ["0", "0", hours]  # went along to the Benalis
    assert teachers["Sanne Vermeulen"][3] == "0"
