"""Evenings that follow the map, once in Dutch and once in Arabic (right to left): the roster
brings each household's postcode (a postcode that is not one is refused with its line, and
nothing is imported); a family choosing a time sees first, marked 📍, the evenings when the
teacher already visits its own or a nearby area, and last those that take her elsewhere; a
family without a postcode sees the days in date order; the teacher's agenda groups each
evening by area.

Groep 3 of Marieke de Vries, her evenings Monday and Tuesday 15:00-20:00 (15:00, 16:15,
17:30, 18:45), Wednesday until 21:15 (and 20:00). Before anyone opens the bot she already
visits the Dekkers (3511 KL) on Monday at 16:15, the Hendriks (no postcode) on Tuesday at
15:00, and on Wednesday the Smits (no postcode) at 16:15, the Yılmaz family (1011 CD) at
17:30, the Mulders (1012 AB, close to 1011) at 18:45 and the De Boers (1011 EF) at 20:00.
The tests run in this order: only the last one books."""
from __future__ import annotations

from datetime import date, time

import pytest
from sqlalchemy import select

from bot.services.areas import area_of, nearby, normalise_postcode
from bot.services.availability import add_window
from bot.services.booking import confirm, request_slot
from bot.services.invitations import send_invitations
from bot.services.periods import PeriodDraft, open_period
from bot.services.roster import import_roster
from db.models import Household
from tests.after_visit import at
from tests.botapi import BotAPIDouble
from tests.seed import guardian_link, staff_link
from tests.visit_setup import guardians_of, invitation, teacher
from tests.web_client import Browser
from tests.web_setup import bot, module_clock, web_link  # noqa: F401  (fixtures: the bot with its web pages)
from tests.words import SCHOOL_TZ, Words

MON, TUE, WED = date(2026, 11, 16), date(2026, 11, 17), date(2026, 11, 18)
MARIEKE = "Marieke de Vries"
HEADER = "pupil_id,pupil_name,class,teacher,household_id,guardian_name,guardian_phone,guardian_language,postcode"
# (household, pupil, guardian, postcode as the school's export writes it)
FAMILIES = [
    ("H1", "Emma Jansen", "Anouk Jansen", "1011ab"),
    ("H2", "Elif Yılmaz", "Ayşe Yılmaz", "1011 CD"),
    ("H3", "Sem Mulder", "Petra Mulder", "1012 ab"),
    ("H4", "Julia Dekker", "Sandra Dekker", " 3511 KL "),
    ("H5", "Finn Hendriks", "Joost Hendriks", ""),
    ("H6", "Tess de Groot", "Karin de Groot", ""),
    ("H7", "Lotte Peeters", "Anja Peeters", "2000"),  # a Belgian postcode
    ("H8", "Daan de Boer", "Linda de Boer", "1011 ef"),
    ("H9", "Bram Smit", "Eva Smit", ""),
]
QUESTION = "Op welke dag past het jullie? Tussen haakjes staat hoeveel momenten er die dag vrij zijn."
LEGEND = "📍 = {teacher} is die dag al bij jullie in de buurt."
VISITS = "{area} · {count} huisbezoek", "{area} · {count} huisbezoeken"
NO_AREA = "zonder postcode · {count} huisbezoek", "zonder postcode · {count} huisbezoeken"


def roster(lang: str, bad_postcode: str | None = None) -> str:
    lines = [HEADER]
    for n, (household, pupil, guardian, postcode) in enumerate(FAMILIES, 1):
        if bad_postcode and household == "H4":
            postcode = bad_postcode
        lines.append(f"P{n},{pupil},Groep 3,{MARIEKE},{household},{guardian},+31 6 1234 56{n:02d},{lang},{postcode}")
    return "\n".join(lines) + "\n"


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


async def postcodes(bot) -> dict[str, str | None]:
    async with bot.runtime.sessionmaker() as session:
        return dict((await session.execute(select(Household.external_id, Household.postcode))).all())


async def test_the_roster_brings_postcodes_and_a_wrong_one_is_refused_with_its_line(bot, lang, cli, database_url,
                                                                                  tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(roster(lang, bad_postcode="35111 KL"), encoding="utf-8")
    refused = await cli(database_url, "import-roster", str(bad))
    assert refused.code == 1
    assert "line 5: postcode '35111 KL' is not a postcode (Dutch like '1234 AB', Belgian like '1234')" \
        in refused.err.splitlines()
    assert await postcodes(bot) == {}  # nothing imported

    good = tmp_path / "roster.csv"
    good.write_text(roster(lang), encoding="utf-8")
    imported = await cli(database_url, "import-roster", str(good))
    assert imported.code == 0, imported.err
    assert await postcodes(bot) == {"H1": "1011 AB", "H2": "1011 CD", "H3": "1012 AB", "H4": "3511 KL", "H5": None,
                                    "H6": None, "H7": "2000", "H8": "1011 EF", "H9": None}

    moved = tmp_path / "moved.csv"  # the Jansens moved; the De Boers' postcode is no longer known
    moved.write_text(roster(lang).replace(",1011ab\n", ",3512 xy\n").replace(",1011 ef\n", ",\n"), encoding="utf-8")
    again = await cli(database_url, "import-roster", str(moved))
    assert again.code == 0, again.err
    assert "Households: 2 postcode set or changed" in again.out.splitlines()
    assert {h: p for h, p in (await postcodes(bot)).items() if h in ("H1", "H8")} == {"H1": "3512 XY", "H8": None}


@pytest.fixture(scope="module")
async def school(bot, w, lang, tmp_path_factory):
    """The roster (already there when the CLI test ran first), the period, Marieke's evenings,
    the visits she already has, and the invitations sent."""
    rt = bot.runtime
    now = rt.clock.now()
    async with rt.sessionmaker() as session:
        await import_roster(session, rt.school_id, roster(lang).encode(), default_language="nl", now=now)
        period = await open_period(session, rt.school_id, PeriodDraft("Huisbezoeken najaar", MON, WED), now)
        marieke = (await teacher(session, MARIEKE)).id
        for day, end in ((MON, time(20)), (TUE, time(20)), (WED, time(21, 15))):
            await add_window(session, period, marieke, day, time(15), end, SCHOOL_TZ, now)
        await send_invitations(session, period, now)
        for household, day, hhmm in [("H4", MON, "16:15"), ("H5", TUE, "15:00"), ("H9", WED, "16:15"),
                                     ("H2", WED, "17:30"), ("H3", WED, "18:45"), ("H8", WED, "20:00")]:
            inv = await invitation(session, household, MARIEKE)
            asked = await request_slot(session, inv.id, await guardians_of(session, household), at(day, hhmm),
                                       "home", None, now)
            assert (await confirm(session, asked.appointment_id, marieke, now)).code == "confirmed"
    await bot.drain()
    people = {}
    for key, name in [("anouk", "Anouk Jansen"), ("karin", "Karin de Groot"), ("anja", "Anja Peeters")]:
        people[key] = bot.user(name.split()[0], language_code=lang)
        await people[key].send(f"/start {await guardian_link(rt, name)}")
    people["marieke"] = bot.user("Marieke", language_code=lang)
    await people["marieke"].send(f"/start {await staff_link(rt, MARIEKE, language=lang)}")
    return people


def invitation_message(user) -> dict:
    return next(m for m in user.messages() if any(d.startswith("v2:invitation:") for _, d in user.buttons(m)))


async def test_the_agenda_groups_an_evening_by_area(school, w):
    marieke = school["marieke"]
    [agenda] = await marieke.send("/agenda")
    lines = agenda["text"].split("\n")

    def where(hhmm: str, day: date, child: str) -> int:
        [index] = [i for i, line in enumerate(lines) if w.time(at(day, hhmm)) in line and child in line]
        return index

    monday, tuesday, wednesday = (lines.index(w.day(day)) for day in (MON, TUE, WED))
    assert lines[monday + 1] == "📍 " + w.n(*VISITS, 1, area="3511")
    assert where("16:15", MON, "Julia Dekker") == monday + 2
    # Tuesday has no visit with a postcode: no area headings, just the visit.
    assert where("15:00", TUE, "Finn Hendriks") == tuesday + 1
    # Wednesday: no postcode (16:15), then 1011 (17:30 Elif and 20:00 Daan), then 1012 (18:45).
    assert [lines[wednesday + 1], lines[wednesday + 3], lines[wednesday + 6]] == [
        "📍 " + w.n(*NO_AREA, 1), "📍 " + w.n(*VISITS, 2, area="1011"), "📍 " + w.n(*VISITS, 1, area="1012")]
    assert [where("16:15", WED, "Bram Smit"), where("17:30", WED, "Elif Yılmaz"),
            where("20:00", WED, "Daan de Boer"), where("18:45", WED, "Sem Mulder")] == [
        wednesday + 2, wednesday + 4, wednesday + 5, wednesday + 7]


async def test_without_a_postcode_the_days_stay_in_date_order(school, w):
    karin = school["karin"]
    await karin.click(w("Kies een moment"), message=invitation_message(karin))
    assert karin.last_text() == w(QUESTION)
    assert [label for label, _ in karin.buttons()] == [
        f"{w.short_day(MON)} (3)", f"{w.short_day(TUE)} (3)", f"{w.short_day(WED)} (1)",
        "💬 " + w("Geen van deze dagen past")]


async def test_evenings_that_take_the_teacher_elsewhere_come_last(school, w):
    anja = school["anja"]  # 2000, in Belgium: Monday and Wednesday take Marieke to Dutch areas
    await anja.click(w("Kies een moment"), message=invitation_message(anja))
    assert anja.last_text() == w(QUESTION)
    assert [label for label, _ in anja.buttons()] == [
        f"{w.short_day(TUE)} (3)", f"{w.short_day(MON)} (3)", f"{w.short_day(WED)} (1)",
        "💬 " + w("Geen van deze dagen past")]


async def test_the_family_web_page_offers_the_evenings_in_the_same_order(bot, school, w):
    browser = Browser(bot.runtime.settings.public_url)
    try:
        await browser.get(await web_link(bot, "H1"))
        page = await browser.click(w("Kies een moment"))
        assert w(LEGEND, teacher=w.iso(MARIEKE)) in page.text
        days = [label for label, href in page.links if "/day/" in href]
        assert days == [f"📍 {w.day(WED)} (1)", f"{w.day(TUE)} (3)", f"{w.day(MON)} (3)"]
    finally:
        await browser.close()


async def test_evenings_near_home_come_first_and_are_marked(bot, school, w):
    anouk = school["anouk"]  # 1011 AB: Wednesday takes Marieke to 1011 and 1012, Monday to 3511
    await anouk.click(w("Kies een moment"), message=invitation_message(anouk))
    assert anouk.last_text() == w(QUESTION) + "\n\n" + w(LEGEND, teacher=w.iso(MARIEKE))
    assert [label for label, _ in anouk.buttons()] == [
        f"📍 {w.short_day(WED)} (1)", f"{w.short_day(TUE)} (3)", f"{w.short_day(MON)} (3)",
        "💬 " + w("Geen van deze dagen past")]

    await anouk.click(w.short_day(WED))
    assert anouk.last_text() == w("Hoe laat op {day}?", day=w.day(WED))
    assert [label for label, _ in anouk.buttons()] == [w.time(at(WED, "15:00")), "↩️ " + w("Andere dag")]
    # What follows (the place, other questions, sending) is the booking flow's own; ask as it does.
    async with bot.runtime.sessionmaker() as session:
        inv = await invitation(session, "H1", MARIEKE)
        assert (await request_slot(session, inv.id, await guardians_of(session, "H1"), at(WED, "15:00"), "home",
                                   None, bot.runtime.clock.now())).code == "requested"
    await bot.drain()

    # Her request joins its area's group on Marieke's Wednesday, which now starts there.
    [agenda] = await school["marieke"].send("/agenda")
    lines = agenda["text"].split("\n")
    wednesday = lines.index(w.day(WED))
    assert lines[wednesday + 1] == "📍 " + w.n(*VISITS, 3, area="1011")
    assert "Emma Jansen" in lines[wednesday + 2] and w.time(at(WED, "15:00")) in lines[wednesday + 2]
    assert "Daan de Boer" in lines[wednesday + 4] and lines[wednesday + 5] == "📍 " + w.n(*NO_AREA, 1)


@pytest.mark.parametrize("typed, stored", [
    ("1011ab", "1011 AB"), ("1011 ab", "1011 AB"), (" 1011  AB ", "1011 AB"), ("2000", "2000"), ("9999", "9999"),
    ("0999", None), ("10000", None), ("1011 A", None), ("1011-AB", None), ("AB 1011", None), ("١٠١١", None),
])
def test_what_counts_as_a_postcode(typed, stored):
    assert normalise_postcode(typed) == stored


def test_nearby_is_the_same_country_and_close_numbers():
    assert nearby(area_of("1011 AB"), area_of("1013 ZZ")) and not nearby(area_of("1011 AB"), area_of("1014 AA"))
    assert nearby(area_of("2000"), area_of("2010")) and not nearby(area_of("2000"), area_of("2018"))
    assert not nearby(area_of("3000 AA"), area_of("3000"))
    assert not nearby(area_of(None), area_of("1011 AB"))
