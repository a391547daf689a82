"""Siblings in one visit (SIBLING_VISITS=together, the default), over the Bot API double,
once with Dutch families and once with Arabic ones (right to left); the teachers read Dutch.

    Jansen (H1):    Emma in Groep 3 (Marieke), Lucas in Groep 5 (Jeroen)
    El Amrani (H3): Yasmine in Groep 3 (Marieke), Adam in Groep 5 (Jeroen)
    Bos (H2):       Fenna in Groep 3 (Marieke), Bram in Groep 7 (Sanne)
    Visser (H4):    Sem in Groep 3 (Marieke) only

Marieke has Thursday 15:00-19:00 and Friday 15:00-17:00, Jeroen Thursday 16:00-21:00,
Sanne Wednesday 15:00-18:00 (visits of 60 minutes, 15 to travel). So the Jansens and the
El Amranis may choose Thursday 16:15 or 17:30 (Marieke's 15:00 is before Jeroen starts,
Friday is Marieke's alone); Marieke and Sanne share no time at all.
"""
from __future__ import annotations

import asyncio
from datetime import date, datetime, time

import pytest
from babel.lists import format_list
from sqlalchemy import select

from bot.config import ConfigError, load_settings
from bot.schools_file import load_schools
from bot.services.availability import add_window
from bot.services.booking import confirm, request_slot
from bot.services.periods import PeriodDraft, open_period
from bot.services.roster import import_roster
from db.models import Appointment, Guardian, Household, Invitation, OutboxMessage, Staff
from tests.botapi import BotAPIDouble
from tests.seed import guardian_link, staff_link
from tests.words import SCHOOL_TZ, Words

WED, THU, FRI = date(2026, 11, 18), date(2026, 11, 19), date(2026, 11, 20)
MARIEKE, JEROEN, SANNE = "Marieke de Vries", "Jeroen Bakker", "Sanne Vermeulen"
NL = Words("nl")  # the teachers and the coordinator


def at(day: date, hhmm: str) -> datetime:
    hours, minutes = map(int, hhmm.split(":"))
    return datetime(day.year, day.month, day.day, hours, minutes, tzinfo=SCHOOL_TZ)


def roster(lang: str) -> bytes:
    rows = [("P1", "Emma Jansen", "Groep 3", MARIEKE, "H1", "Anouk Jansen"),
            ("P2", "Lucas Jansen", "Groep 5", JEROEN, "H1", "Anouk Jansen"),
            ("P3", "Fenna Bos", "Groep 3", MARIEKE, "H2", "Anja Bos"),
            ("P4", "Bram Bos", "Groep 7", SANNE, "H2", "Anja Bos"),
            ("P5", "Yasmine El Amrani", "Groep 3", MARIEKE, "H3", "Khadija El Amrani"),
            ("P6", "Adam El Amrani", "Groep 5", JEROEN, "H3", "Khadija El Amrani"),
            ("P7", "Sem Visser", "Groep 3", MARIEKE, "H4", "Ingrid Visser")]
    lines = ["pupil_id,pupil_name,class,teacher,household_id,guardian_name,guardian_phone,guardian_language"]
    lines += [f"{p},{name},{klass},{teacher},{h},{guardian},+31 6 1234 56{int(h[1:]):02d},{lang}"
              for p, name, klass, teacher, h, guardian in rows]
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture(scope="module", params=["nl", "ar"])
def lang(request) -> str:
    return request.param


@pytest.fixture(scope="module")
async def double(database_url, lang):
    """A fresh double (and so a fresh bot and database) for each language."""
    api = BotAPIDouble()
    await api.start()
    yield api
    await api.stop()


@pytest.fixture(scope="module")
def w(lang) -> Words:
    return Words(lang)


@pytest.fixture(scope="module")
async def school(bot, lang):
    """The roster, the period and the teachers' times through the services; the people
    join by their links and the coordinator sends the invitations in chat."""
    rt = bot.runtime
    now = rt.clock.now()
    async with rt.sessionmaker() as session:
        await import_roster(session, rt.school_id, roster(lang), default_language="nl", now=now)
        period = await open_period(session, rt.school_id, PeriodDraft("Huisbezoeken najaar", date(2026, 11, 16),
                                                                      date(2026, 11, 27)), now)
    people = {}
    for key, name, role in [("wilma", "Wilma Hoekstra", "coordinator"), ("marieke", MARIEKE, "teacher"),
                            ("jeroen", JEROEN, "teacher"), ("sanne", SANNE, "teacher")]:
        people[key] = bot.user(name.split()[0])
        await people[key].send(f"/start {await staff_link(rt, name, role=role, language='nl')}")
    async with rt.sessionmaker() as session:
        for name, day, start, end in [(MARIEKE, THU, 15, 19), (MARIEKE, FRI, 15, 17), (JEROEN, THU, 16, 21),
                                      (SANNE, WED, 15, 18)]:
            teacher_id = await session.scalar(select(Staff.id).where(Staff.name == name))
            await add_window(session, period, teacher_id, day, time(start), time(end), SCHOOL_TZ, now)
    for key, name in [("anouk", "Anouk Jansen"), ("anja", "Anja Bos"), ("khadija", "Khadija El Amrani"),
                      ("ingrid", "Ingrid Visser")]:
        people[key] = bot.user(name.split()[0])
        await people[key].send(f"/start {await guardian_link(rt, name)}")
    await people["wilma"].send("/invite")
    await people["wilma"].click(NL("Uitnodigingen versturen"))
    await bot.drain()
    return people


def invitations(user) -> list[dict]:
    """The invitation messages this person got (as they stand now)."""
    return [m for m in user.messages()
            if any(data.startswith("v2:invitation:") for _, data in user.buttons(m))
            and "👋" in m["text"]]


def child(w: Words, name: str, klass: str) -> str:
    return w.iso(w("{children} ({classes})", children=name, classes=klass))


def visitor(w: Words, teacher: str, name: str, klass: str) -> str:
    return w("👤 {teacher} – {children}", teacher=w.iso(teacher), children=child(w, name, klass))


async def appointments_of(bot, household: str) -> list[Appointment]:
    async with bot.runtime.sessionmaker() as session:
        return list((await session.scalars(
            select(Appointment).join(Invitation, Invitation.id == Appointment.invitation_id)
            .join(Household, Household.id == Invitation.household_id)
            .where(Household.external_id == household).order_by(Appointment.id)
        )).all())


async def outbox_kinds(bot, account_of: str) -> list[str]:
    async with bot.runtime.sessionmaker() as session:
        account = await session.scalar(select(Guardian.account_id).where(Guardian.name == account_of))
        return list((await session.scalars(
            select(OutboxMessage.kind).where(OutboxMessage.account_id == account).order_by(OutboxMessage.id)
        )).all())


async def test_one_invitation_names_both_children_and_their_teachers(school, w):
    [message] = invitations(school["anouk"])
    assert message["text"] == w(
        "Hallo {name}! 👋\n\nDe leerkrachten van jullie kinderen komen graag samen bij jullie op huisbezoek: "
        "één bezoek voor het hele gezin.\n\n{visitors}\n\nEven kennismaken, en horen waar jullie trots op zijn. "
        "Het bezoek duurt ongeveer {minutes} minuten.\n\nKies zelf een moment tussen {first} en {last}. De "
        "momenten die je ziet, passen bij alle leerkrachten. Liever ergens anders afspreken kan ook: op school, "
        "in een park, in een café of telefonisch.",
        name=w.iso("Anouk Jansen"), minutes=60, first=w.day(date(2026, 11, 16)), last=w.day(date(2026, 11, 27)),
        visitors=visitor(w, MARIEKE, "Emma Jansen", "Groep 3") + "\n" + visitor(w, JEROEN, "Lucas Jansen", "Groep 5"))
    # A family with one child in the school gets the invitation it always got.
    [single] = invitations(school["ingrid"])
    assert MARIEKE in single["text"] and "👤" not in single["text"]


async def test_only_the_times_all_teachers_have_free_are_offered(school, w):
    anouk = school["anouk"]
    await anouk.click(w("Kies een moment"), message=invitations(anouk)[0])
    assert [label for label, _ in anouk.buttons()][:-1] == [f"{w.short_day(THU)} (2)"]  # not Friday: Marieke's only
    await anouk.click(w.short_day(THU))
    assert [label for label, _ in anouk.buttons()][:-1] == [w.time(at(THU, "16:15")), w.time(at(THU, "17:30"))]


async def test_choosing_a_time_asks_every_teacher_naming_the_other(bot, school, w):
    anouk, marieke, jeroen = school["anouk"], school["marieke"], school["jeroen"]
    await anouk.click(w.time(at(THU, "17:30")))
    await anouk.click(w("Bij ons thuis"))
    asked = any(w("Ja, graag") in label for label, _ in anouk.buttons())
    assert asked == (w.language != "nl")  # a family not speaking Dutch is asked about an interpreter
    if asked:
        await anouk.click("🗣 " + w("Ja, graag"))
    await anouk.click(w("Verstuur"))
    assert anouk.last_text() == w("📨 Verstuurd! Alle leerkrachten krijgen het verzoek. Zodra een van hen bevestigt, "
                                  "krijg je een bericht.\n\nVeranderen of afzeggen kan altijd met /myvisit.")
    await bot.drain()
    assert [(a.teacher_id, a.status, a.starts_at) for a in await appointments_of(bot, "H1")] == [
        (a.teacher_id, "requested", at(THU, "17:30")) for a in await appointments_of(bot, "H1")]
    assert len(await appointments_of(bot, "H1")) == 2
    for teacher, other, name, klass in [(marieke, JEROEN, "Lucas Jansen", "Groep 5"),
                                        (jeroen, MARIEKE, "Emma Jansen", "Groep 3")]:
        request = teacher.latest()
        assert request["text"].startswith("📩 " + NL("Nieuw verzoek voor een huisbezoek"))
        # The family's interpreter wish reaches every teacher of the joint visit.
        assert (("🗣 " + NL("Het gezin wil graag een tolk bij het bezoek.")) in request["text"]) == asked
        others = NL("{teacher} ({children})", teacher=other, children=NL("{children} ({classes})", children=name,
                                                                          classes=klass))
        assert request["text"].endswith("👥 " + NL("Samen met {others}: één bezoek voor het hele gezin. Bevestigt "
                                                  "een van jullie, dan staat het voor iedereen vast.", others=others))


def names(w: Words, *people: str) -> str:
    """'Marieke de Vries en Jeroen Bakker', as the language lists them."""
    return format_list([w.iso(person) for person in people], locale=w.t.babel_locale)  # each name isolated


async def test_one_confirmation_confirms_both_and_the_family_hears_once(bot, school, w):
    anouk, marieke, jeroen = school["anouk"], school["marieke"], school["jeroen"]
    before = len(anouk.messages())
    await jeroen.click(NL("Bevestigen"))
    await bot.drain()
    assert [a.status for a in await appointments_of(bot, "H1")] == ["confirmed", "confirmed"]
    [told] = anouk.messages()[before:]
    assert told["text"] == w(
        "✅ Het huisbezoek staat vast!\n\n{teachers} komen samen {when}.\n\nVeranderen of afzeggen kan altijd met "
        "/myvisit.", teachers=names(w, MARIEKE, JEROEN),
        when=w("{when}, {where}", when=w.when(at(THU, "17:30")), where=w("bij jullie thuis")))
    assert (await outbox_kinds(bot, "Anouk Jansen")).count("confirmed") == 1
    assert marieke.last_text() == NL(
        "✅ {teacher} heeft het huisbezoek bevestigd dat jullie samen doen: {when}, {children}. Het staat in je "
        "agenda.", teacher=JEROEN, when=NL.when(at(THU, "17:30")), children="Emma Jansen (Groep 3)")
    for teacher, other in ((marieke, JEROEN), (jeroen, MARIEKE)):
        [agenda] = await teacher.send("/agenda")
        [line] = [line for line in agenda["text"].split("\n") if line.startswith("✅ 17:30 ")]
        wish = " – 🗣 " + NL("tolk gewenst") if w.language != "nl" else ""  # the Arabic family would like one
        assert " – 👥 " + NL("samen met {name}", name=NL.iso(other)) + wish + " – 📞 " in line  # who else comes
    # Marieke's own button, pressed afterwards, confirms nothing twice.
    request = next(m for m in marieke.messages() if m["text"].startswith("📩"))
    await marieke.click(NL("Bevestigen"), message=request)
    await bot.drain()
    assert [a.status for a in await appointments_of(bot, "H1")] == ["confirmed", "confirmed"]
    assert (await outbox_kinds(bot, "Anouk Jansen")).count("confirmed") == 1


async def test_a_teacher_cancels_only_their_own_part(bot, school, w):
    anouk, jeroen = school["anouk"], school["jeroen"]
    before = len(anouk.messages())
    await jeroen.send("/agenda")
    await jeroen.click(NL("Afzeggen: {day} {time}", day=NL.short_day(THU), time="17:30"))
    await jeroen.click(NL("Ik ben ziek"))
    await bot.drain()
    marieke_part, jeroen_part = await appointments_of(bot, "H1")
    assert (marieke_part.status, jeroen_part.status) == ("confirmed", "cancelled")
    told = [m["text"] for m in anouk.messages()[before:]]
    assert any(JEROEN in text and w.time(at(THU, "17:30")) in text for text in told)
    assert not any(MARIEKE in text for text in told)  # her visit stands: nothing to say about it
    # From now on the two are planned apart: /myvisit shows each, Marieke's still fixed.
    replies = await anouk.send("/myvisit")
    assert len(replies) == 2
    assert w("✅ Het huisbezoek van {teacher} staat vast: {when}.", teacher=w.iso(MARIEKE),
             when=w("{when}, {where}", when=w.when(at(THU, "17:30")), where=w("bij jullie thuis"))) \
        in replies[0]["text"]
    assert w("Jullie hebben nog geen moment gekozen.") in replies[1]["text"]
    [agenda] = await school["marieke"].send("/agenda")
    assert "✅ 17:30 " in agenda["text"]


async def test_no_shared_time_the_family_is_told_and_gets_separate_invitations(bot, school, w):
    anja = school["anja"]
    [joint] = invitations(anja)
    assert MARIEKE in joint["text"] and SANNE in joint["text"]
    await anja.click(w("Kies een moment"), message=joint)
    await bot.drain()
    [joint] = [m for m in anja.messages() if m["message_id"] == joint["message_id"]]  # as it stands now
    assert joint["text"] == w(
        "Helaas hebben {teachers} geen moment waarop ze allemaal kunnen. Geen probleem: jullie krijgen nu van elke "
        "leerkracht een eigen uitnodiging, en kiezen dan per leerkracht een moment.",
        teachers=names(w, MARIEKE, SANNE))
    assert anja.buttons(joint) == []
    separate = invitations(anja)
    assert len(separate) == 2
    for message, teacher, (pupil, klass) in zip(separate, (MARIEKE, SANNE),
                                                (("Fenna Bos", "Groep 3"), ("Bram Bos", "Groep 7"))):
        phrase = w("{children} ({classes})", children=w.iso(pupil), classes=w.iso(klass))  # as on its own
        assert teacher in message["text"] and phrase in message["text"] and "👤" not in message["text"]
    # Each is planned on its own now: Sanne's Wednesday is offered.
    await anja.click(w("Kies een moment"), message=separate[1])
    assert [label for label, _ in anja.buttons()][0] == f"{w.short_day(WED)} (2)"
    async with bot.runtime.sessionmaker() as session:
        assert (await session.scalars(select(Invitation.joint_id).join(Household).where(
            Household.external_id == "H2"))).all() == [None, None]


async def test_two_teachers_confirming_at_once_confirm_it_once(bot, school, w):
    rt = bot.runtime
    async with rt.sessionmaker() as session:
        guardians = tuple((await session.scalars(select(Guardian.id).join(Household).where(
            Household.external_id == "H3"))).all())
        lead = await session.scalar(select(Invitation.id).join(Household).where(Household.external_id == "H3")
                                    .order_by(Invitation.id))
        asked = await request_slot(session, lead, guardians, at(THU, "16:15"), "school", None, rt.clock.now())
    assert asked.code == "requested"
    parts = await appointments_of(bot, "H3")
    assert [(a.status, a.starts_at) for a in parts] == [("requested", at(THU, "16:15"))] * 2

    async def confirm_as(appointment: Appointment):
        async with rt.sessionmaker() as session:
            return (await confirm(session, appointment.id, appointment.teacher_id, rt.clock.now())).code

    codes = await asyncio.gather(*(confirm_as(a) for a in parts))
    assert sorted(codes) == ["already_confirmed", "confirmed"]
    assert [a.status for a in await appointments_of(bot, "H3")] == ["confirmed", "confirmed"]
    assert (await outbox_kinds(bot, "Khadija El Amrani")).count("confirmed") == 1


async def teacher_outbox(bot, name: str) -> list[str]:
    async with bot.runtime.sessionmaker() as session:
        account = await session.scalar(select(Staff.account_id).where(Staff.name == name))
        return list((await session.scalars(
            select(OutboxMessage.kind).where(OutboxMessage.account_id == account).order_by(OutboxMessage.id)
        )).all())


async def test_the_family_cancels_the_joint_visit_for_every_teacher(bot, school, w):
    khadija = school["khadija"]
    await bot.drain()  # the confirmation of the test before
    told_before = {name: (await teacher_outbox(bot, name)).count("cancelled_by_parent") for name in (MARIEKE, JEROEN)}
    [status] = await khadija.send("/myvisit")  # one visit, naming both
    assert status["text"].startswith(w("Huisbezoek voor het hele gezin") + "\n"
                                     + visitor(w, MARIEKE, "Yasmine El Amrani", "Groep 3") + "\n"
                                     + visitor(w, JEROEN, "Adam El Amrani", "Groep 5"))
    await khadija.click(w("Afzeggen"), message=status)
    await khadija.click(w("Ja, afzeggen"))
    await bot.drain()
    assert [a.status for a in await appointments_of(bot, "H3")] == ["cancelled", "cancelled"]
    for name in (MARIEKE, JEROEN):
        assert (await teacher_outbox(bot, name)).count("cancelled_by_parent") == told_before[name] + 1
    async with bot.runtime.sessionmaker() as session:  # still one visit to plan together
        [lead, other] = (await session.scalars(select(Invitation).join(Household).where(
            Household.external_id == "H3").order_by(Invitation.id))).all()
        assert (lead.status, other.status, lead.joint_id, other.joint_id) == ("pending", "pending", lead.id, lead.id)


async def test_a_counter_proposal_is_for_the_proposers_own_part(bot, school, w):
    khadija, jeroen = school["khadija"], school["jeroen"]
    [status] = await khadija.send("/myvisit")
    await khadija.click(w("Kies een moment"), message=status)
    await khadija.click(w.short_day(THU))
    await khadija.click(w.time(at(THU, "16:15")))
    await khadija.click(w("Op school"))
    await khadija.click(w("Verstuur"))
    await bot.drain()
    assert [a.status for a in await appointments_of(bot, "H3")][-2:] == ["requested", "requested"]
    await jeroen.click(NL("Ander moment voorstellen"), message=jeroen.latest())
    await jeroen.click(NL.short_day(THU))
    await jeroen.click(NL.time(at(THU, "19:45")))  # Marieke is not free then
    await bot.drain()
    marieke_part, jeroen_part = [a for a in await appointments_of(bot, "H3") if a.status in ("requested", "proposed")]
    assert (marieke_part.status, marieke_part.starts_at) == ("requested", at(THU, "16:15"))
    assert (jeroen_part.status, jeroen_part.starts_at) == ("proposed", at(THU, "19:45"))
    async with bot.runtime.sessionmaker() as session:  # planned apart from now on
        assert (await session.scalars(select(Invitation.joint_id).join(Household).where(
            Household.external_id == "H3"))).all() == [None, None]
    assert w.time(at(THU, "19:45")) in khadija.last_text() and JEROEN in khadija.last_text()


# -- the setting --------------------------------------------------------------------------

def test_sibling_visits_is_together_unless_a_school_says_each():
    assert load_settings({}, env_file=None).sibling_visits == "together"
    assert load_settings({"SIBLING_VISITS": "Each"}, env_file=None).sibling_visits == "each"


def test_a_bad_sibling_visits_value_stops_start_up_with_one_clear_line(tmp_path):
    with pytest.raises(ConfigError) as error:
        load_settings({"SIBLING_VISITS": "sometimes"}, env_file=None)
    assert str(error.value) == "SIBLING_VISITS must be together or each, got 'sometimes'"
    schools = tmp_path / "schools.toml"
    schools.write_text('[[school]]\nkey = "regenboog"\nname = "De Regenboog"\nbot_token = "1:A"\n'
                       'sibling_visits = "each"\n\n[[school]]\nkey = "zonnebloem"\nname = "De Zonnebloem"\n'
                       'bot_token = "2:B"\nsibling_visits = "samen"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load_schools(load_settings({"SCHOOLS_FILE": str(schools)}, env_file=None))
    assert str(error.value) == ("schools.toml, school 2 ('zonnebloem'): sibling_visits must be together or each, "
                                "got 'samen'")
    schools.write_text(schools.read_text(encoding="utf-8").replace('"samen"', '"together"'), encoding="utf-8")
    assert [s.sibling_visits for s in load_schools(load_settings({"SCHOOLS_FILE": str(schools)}, env_file=None))] \
        == ["each", "together"]
