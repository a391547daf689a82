"""Every family's language, over the Bot API double: the invitation, the booking
confirmation, a reminder and the announcement, in each of the nine languages, checked
against the catalog with dates formatted for that locale; parent messages stay short;
Telegram's language_code fallback; a /language change reaching a later reminder."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest
from sqlalchemy import select

from bot.dialogs.announce import announcement_text
from bot.languages import SUPPORTED_LANGUAGES
from bot.services import availability, broadcasts
from bot.services.invitations import send_invitations
from bot.services.periods import PeriodDraft, open_period
from db.models import Staff
from tests.seed import guardian_link, load_example_roster, staff_link
from tests.words import SCHOOL_TZ, Words

MON, TUE, LAST = date(2026, 11, 16), date(2026, 11, 17), date(2026, 11, 27)
# One guardian per language from examples/roster.csv: (name, child, class, teacher)
FAMILIES = {
    "nl": ("Linda de Boer", "Daan de Boer", "Groep 3", "Marieke de Vries"),
    "nl_BE": ("An Claes", "Tess Claes", "Groep 3", "Marieke de Vries"),
    "en": ("Emily Smith", "Oliver Smith", "Groep 3", "Marieke de Vries"),
    "fr": ("Camille Martin", "Chloé Martin", "Groep 5", "Jeroen Bakker"),
    "de": ("Katrin Müller", "Jonas Müller", "Groep 5", "Jeroen Bakker"),
    "tr": ("Fatma Demir", "Zeynep Demir", "Groep 3", "Marieke de Vries"),
    "ar": ("Samira Benali", "Amira Benali", "Groep 3", "Marieke de Vries"),
    "pl": ("Agnieszka Kowalska", "Zofia Kowalska", "Groep 3", "Marieke de Vries"),
    "uk": ("Tetiana Bondarenko", "Iryna Bondarenko", "Groep 5", "Jeroen Bakker"),
}
PARENT_MAX = 600


def at(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hh, mm, tzinfo=SCHOOL_TZ).astimezone(timezone.utc)


@pytest.fixture(scope="module")
async def school(bot):
    rt = bot.runtime
    await load_example_roster(rt)
    teachers = {}
    for name in ("Marieke de Vries", "Jeroen Bakker"):
        teachers[name] = bot.user(name.split()[0], language_code="nl")
        await teachers[name].send(f"/start {await staff_link(rt, name)}")
    parents = {}
    for lang, (name, *_rest) in FAMILIES.items():
        parents[lang] = bot.user(name.split()[0], language_code="nl")  # the roster's language wins
        await parents[lang].send(f"/start {await guardian_link(rt, name)}")
    async with rt.sessionmaker() as session:
        period = await open_period(session, rt.school_id, PeriodDraft("Najaar", MON, LAST), rt.clock.now())
        for name in teachers:
            teacher_id = await session.scalar(select(Staff.id).where(Staff.name == name))
            for day in (MON, TUE):
                await availability.add_window(session, period, teacher_id, day, time(15), time(21), SCHOOL_TZ,
                                              rt.clock.now())
        await send_invitations(session, period, rt.clock.now(), sibling_visits="each")
    await bot.drain()
    return {"teachers": teachers, "parents": parents, "period": period}


def invitation_of(user) -> dict:
    return next(m for m in user.messages() if user.buttons(m) and user.buttons(m)[0][1].startswith("v2:invitation:"))


@pytest.mark.parametrize("lang", SUPPORTED_LANGUAGES)
async def test_invitation_confirmation_reminder_and_announcement_in_every_language(bot, school, lang):
    w = Words(lang)
    name, child, cls, teacher = FAMILIES[lang]
    parent = school["parents"][lang]
    slots = {"Marieke de Vries": ["15:00", "16:15", "17:30", "18:45", "20:00"],
             "Jeroen Bakker": ["15:00", "16:15", "17:30"]}[teacher]
    index = [l for l, f in FAMILIES.items() if f[3] == teacher].index(lang)
    day, hhmm = (MON, slots[index]) if index < len(slots) else (TUE, slots[index - len(slots)])
    start = at(day, *map(int, hhmm.split(":")))

    invitation = invitation_of(parent)
    assert invitation["text"] == w(
        "Hallo {name}! 👋\n\n{teacher}, de leerkracht van {children}, komt graag bij jullie op huisbezoek. Even "
        "kennismaken, en horen waar jullie trots op zijn. Het bezoek duurt ongeveer {minutes} minuten.\n\nKies zelf "
        "een moment tussen {first} en {last}. Liever ergens anders afspreken kan ook: op school, in een park, in een "
        "café of telefonisch.", name=w.iso(name), teacher=w.iso(teacher),
        children=w("{children} ({classes})", children=w.iso(child), classes=w.iso(cls)), minutes=60,
        first=w.day(MON), last=w.day(LAST))
    assert [label for label, _ in parent.buttons(invitation)] == [
        "📅 " + w("Kies een moment"), "📍 " + w("Ergens anders afspreken"), "🙅 " + w("Dit jaar liever niet")]

    await parent.click(w("Kies een moment"), message=invitation)
    await parent.click(w.short_day(day))
    await parent.click(w.time(start))
    await parent.click(w("Bij ons thuis"))
    await parent.click(w("Verstuur"))
    staff = school["teachers"][teacher]
    await staff.click("Bevestigen", message=staff.latest())
    when = w("{when}, {where}", when=w.when(start), where=w("bij jullie thuis"))
    assert parent.last_text() == w("✅ Het huisbezoek staat vast!\n\n{teacher} komt {when}.\n\nVeranderen of afzeggen "
                                   "kan altijd met /myvisit.", teacher=w.iso(teacher), when=when)

    bot.clock.set(at(day - timedelta(days=1), 17, 0))
    await bot.drain()
    assert parent.last_text() == w("🔔 Morgen komt {teacher} op huisbezoek: {when}. Fijn!\n\nLukt het toch niet? "
                                   "Verzetten of afzeggen kan met /myvisit.", teacher=w.iso(teacher), when=when)
    bot.clock.set(datetime(2026, 11, 10, 15, 0, tzinfo=timezone.utc))

    rt = bot.runtime
    async with rt.sessionmaker() as session:
        await broadcasts.create(session, rt.school_id, "class", await _class_id(session, cls), {},
                                created_by=None, progress_account_id=None, now=rt.clock.now())
    await bot.drain()
    assert parent.last_text() == announcement_text(w.t, "De Regenboog", school["period"], {}, staff=False)
    assert w.iso("De Regenboog") in parent.last_text() and w.day(MON) in parent.last_text()

    too_long = [m["text"] for m in parent.messages() if len(m["text"]) > PARENT_MAX]
    assert not too_long, f"{lang}: parent messages over {PARENT_MAX} characters: {[len(t) for t in too_long]}"


async def _class_id(session, name: str) -> int:
    from db.models import SchoolClass

    return await session.scalar(select(SchoolClass.id).where(SchoolClass.name == name))


@pytest.mark.parametrize("app_language, expected", [
    ("nl-BE", "nl_BE"), ("fr-BE", "fr"), ("en-US", "en"), ("uk", "uk"), ("es", "nl"), (None, "nl")])
async def test_a_stranger_is_answered_in_telegrams_language_with_fallback(bot, school, app_language, expected):
    stranger = bot.user("Visitor", language_code=app_language)
    [reply] = await stranger.send("/start")
    w = Words(expected)
    assert reply["text"] == w(
        "Hallo! Ik ben de huisbezoek-bot van {school}. Ik help ouders en leerkrachten van de school om huisbezoeken "
        "te plannen.\n\nOm mee te doen heb je een persoonlijke link nodig. Die krijg je van de school, bijvoorbeeld "
        "van de leerkracht van je kind. Open die link, dan weet ik wie je bent.", school=w.iso("De Regenboog"))


async def test_a_language_change_reaches_a_later_reminder(bot, school):
    # Ayşe (Turkish in the roster) books, then switches to English; the reminder follows.
    rt = bot.runtime
    ayse = bot.user("Ayşe", language_code="tr")
    await ayse.send(f"/start {await guardian_link(rt, 'Ayşe Yılmaz')}")
    tr, en = Words("tr"), Words("en")
    invitation = next(m for m in ayse.messages() if "Marieke de Vries" in m["text"] and ayse.buttons(m))
    await ayse.click(tr("Kies een moment"), message=invitation)
    await ayse.click(tr.short_day(TUE))
    start = at(TUE, 18, 45)
    await ayse.click(tr.time(start))
    await ayse.click(tr("Bij ons thuis"))
    await ayse.click(tr("Verstuur"))
    marieke = school["teachers"]["Marieke de Vries"]
    await marieke.click("Bevestigen", message=marieke.latest())
    await ayse.send("/language")
    await ayse.click("English")
    bot.clock.set(at(TUE, 16, 45))  # two hours before
    await bot.drain()
    assert ayse.last_text() == en.n(
        "🔔 Over ongeveer {count} uur: het huisbezoek van {teacher}, {when}. Tot zo!",
        "🔔 Over ongeveer {count} uur: het huisbezoek van {teacher}, {when}. Tot zo!", 2,
        teacher="Marieke de Vries", when=en("{when}, {where}", when=en.when(start), where=en("bij jullie thuis")))
    commands = bot.double.commands.get((None, '{"chat_id": %d, "type": "chat"}' % ayse.id))
    assert commands and commands[0]["description"] == en("Mijn huisbezoek: bekijken, verzetten of afzeggen")


async def test_menus_per_language_and_per_role(bot, school):
    for lang in SUPPORTED_LANGUAGES:
        if lang == "nl_BE":
            continue
        menu = bot.double.commands[(None if lang == "nl" else lang, '{"type": "default"}')]
        assert menu[0] == {"command": "myvisit", "description": Words(lang)("Mijn huisbezoek: bekijken, verzetten of "
                                                                            "afzeggen")}
    marieke = school["teachers"]["Marieke de Vries"]
    staff_menu = bot.double.commands[(None, '{"chat_id": %d, "type": "chat"}' % marieke.id)]
    assert [c["command"] for c in staff_menu][:3] == ["availability", "agenda", "calllist"]
