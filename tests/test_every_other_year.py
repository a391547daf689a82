"""Every other year: a visit period that covers some classes only, and coverage that shows
when each household was last visited, so that a school visiting every other year sees who
is due.

De Regenboog (the bot's school) has 48 classes: three real ones and 45 small ones.

    Groep 1 (Juf Anja)     Sem Visser (H11), Lotte Bakker (H12), Daan Smit (H13)
    Groep 2 (Meester Bas)  Noah de Jong (H21), Julia Mulder (H22), Finn Bos (H23), Mila Smit (H13:
                           Daan's sister)
    Groep 3 (Juf Cor)      Tess Peters (H31), Luuk Hendriks (H32)

Its history, played through the services with the clock of those years:

    2024, every class    Sem visited (12 Nov 2024), Julia visited (13 Nov 2024)
    2025, Groep 2 only   Noah visited (4 Nov 2025); Julia's family was not at home; Finn's visit
                         was confirmed and no note was written (it did take place: 6 Nov 2025);
                         the Smits said "not this year"

So in 2026 Groep 2 has 4 families of which 2 are due (Julia's and the Smits': no visit in 2025).
The coordinator opens 2026 in chat for Groep 1 and Groep 3.

De Zonnebloem shares the database and has a "Groep 1" too: its id in a /period button changes
nothing at De Regenboog.
"""
from __future__ import annotations

import copy
import re
from datetime import date, datetime, time, timedelta, timezone

import pytest
from sqlalchemy import select, update

from bot.services import broadcasts, notes
from bot.services.availability import add_window
from bot.services.booking import confirm, decline, request_slot
from bot.services.invitations import send_invitations
from bot.services.letters import prepare_letters
from bot.services.nudges import NudgeLadder, call_list, plan_nudges
from bot.services.period_scope import classes_named
from bot.services.periods import PeriodDraft, close_period, current_period, open_period
from bot.services.roster import import_roster
from bot.services.schools import ensure_school
from db.models import (
    Guardian,
    Household,
    Invitation,
    OutboxMessage,
    Pupil,
    SchoolClass,
    Staff,
    VisitPeriod,
    period_classes,
)
from tests.seed import guardian_link, staff_link
from tests.web_client import Browser
from tests.web_setup import bot, module_clock  # noqa: F401  (fixtures: the bot with its web server)
from tests.words import SCHOOL_TZ, Words

TINY_CLASSES = 45
FAMILIES = {  # class: (teacher, [(pupil, household, guardian)])
    "Groep 1": ("Juf Anja", [("Sem Visser", "H11", "Ingrid Visser"), ("Lotte Bakker", "H12", "Karin Bakker"),
                             ("Daan Smit", "H13", "Fatima Smit")]),
    "Groep 2": ("Meester Bas", [("Noah de Jong", "H21", "Petra de Jong"), ("Julia Mulder", "H22", "Anouk Mulder"),
                                ("Finn Bos", "H23", "Esther Bos"), ("Mila Smit", "H13", "Fatima Smit")]),
    "Groep 3": ("Juf Cor", [("Tess Peters", "H31", "Linda Peters"), ("Luuk Hendriks", "H32", "Joost Hendriks")]),
}
Y2026 = "Huisbezoeken 2026"
MON16, FRI27 = date(2026, 11, 16), date(2026, 11, 27)


def roster() -> bytes:
    lines = ["pupil_id,pupil_name,class,teacher,household_id,guardian_name,guardian_phone,guardian_language"]
    for class_name, (teacher, pupils) in FAMILIES.items():
        for pupil, household, guardian in pupils:
            lines.append(f"P-{pupil.replace(' ', '')},{pupil},{class_name},{teacher},{household},{guardian},"
                         f"+31 6 1234 {sum(map(ord, guardian)):04d},nl")
    for k in range(4, 4 + TINY_CLASSES):
        lines.append(f"T{k:02d},Kind {k:02d},Klas {k:02d},Juf Klas {k:02d},HT{k:02d},Ouder {k:02d},,nl")
    return ("\n".join(lines) + "\n").encode()


def utc(day: date, hhmm: str) -> datetime:
    hours, minutes = map(int, hhmm.split(":"))
    return datetime.combine(day, time(hours, minutes), tzinfo=SCHOOL_TZ).astimezone(timezone.utc)


async def _ids(session, school_id: int, household: str, teacher: str) -> tuple[int, int, int]:
    """The invitation (of the open period), a guardian of the household, and the teacher."""
    return (await session.execute(
        select(Invitation.id, Guardian.id, Staff.id)
        .join(Household, Household.id == Invitation.household_id)
        .join(Guardian, Guardian.household_id == Household.id)
        .join(Staff, Staff.id == Invitation.teacher_id)
        .join(VisitPeriod, VisitPeriod.id == Invitation.period_id)
        .where(Invitation.school_id == school_id, Household.external_id == household, Staff.name == teacher,
               VisitPeriod.status == "open"))).first()


async def visit(session, school_id: int, household: str, teacher: str, start: datetime, now: datetime,
                outcome: str | None) -> None:
    """Asked for and confirmed; then the teacher's note says `outcome` (None: no note)."""
    inv_id, guardian_id, teacher_id = await _ids(session, school_id, household, teacher)
    asked = await request_slot(session, inv_id, (guardian_id,), start, "home", None, now)
    assert asked.code == "requested", asked
    assert (await confirm(session, asked.appointment_id, teacher_id, now)).code == "confirmed"
    if outcome:
        await notes.save(session, asked.appointment_id, teacher_id, outcome, {}, [], start + timedelta(hours=1))


async def past_period(session, school_id: int, name: str, first: date, classes: list[str], days: list[date],
                      plays) -> None:
    """A period of an earlier year, opened, invited, visited and closed with that year's clock."""
    now = utc(first - timedelta(days=7), "10:00")
    class_ids = tuple(await classes_named(session, school_id, classes)) if classes else ()
    period = await open_period(session, school_id, PeriodDraft(name, first, first + timedelta(days=11),
                                                               class_ids=class_ids), now)
    await send_invitations(session, period, now)
    for class_name, (teacher, _) in FAMILIES.items():
        teacher_id = await session.scalar(select(Staff.id).where(Staff.school_id == school_id, Staff.name == teacher))
        for day in days:
            await add_window(session, period, teacher_id, day, time(15), time(19), SCHOOL_TZ, now)
    await plays(now)
    await close_period(session, school_id, now + timedelta(days=30))


async def play_history(session, school_id: int) -> None:
    async def y2024(now):
        await visit(session, school_id, "H11", "Juf Anja", utc(date(2024, 11, 12), "16:15"), now, "done")
        await visit(session, school_id, "H22", "Meester Bas", utc(date(2024, 11, 13), "15:00"), now, "done")

    async def y2025(now):
        # In 2025 only Groep 2 was visited: the Smits had no invitation from Juf Anja.
        assert await _ids(session, school_id, "H13", "Juf Anja") is None
        await visit(session, school_id, "H21", "Meester Bas", utc(date(2025, 11, 4), "17:30"), now, "done")
        await visit(session, school_id, "H22", "Meester Bas", utc(date(2025, 11, 5), "15:00"), now, "not_home")
        await visit(session, school_id, "H23", "Meester Bas", utc(date(2025, 11, 6), "16:15"), now, None)
        inv_id, guardian_id, _ = await _ids(session, school_id, "H13", "Meester Bas")
        assert (await decline(session, inv_id, (guardian_id,), "no_time", now)).code == "declined"

    await past_period(session, school_id, "Huisbezoeken 2024", date(2024, 11, 11), [],
                      [date(2024, 11, 12), date(2024, 11, 13)], y2024)
    await past_period(session, school_id, "Huisbezoeken 2025", date(2025, 11, 3), ["Groep 2"],
                      [date(2025, 11, 4), date(2025, 11, 5), date(2025, 11, 6)], y2025)


@pytest.fixture(scope="module")
async def school(bot):
    rt = bot.runtime
    now = rt.clock.now()
    async with rt.sessionmaker() as session:
        other = (await ensure_school(session, "De Zonnebloem", "Europe/Amsterdam", "nl", now)).id
        await import_roster(session, other, b"pupil_id,pupil_name,class,teacher,household_id,guardian_name,"
                            b"guardian_phone,guardian_language\nZ1,Ziggy Zon,Groep 1,Meester Zeno,Z1,Zora Zon,,nl\n",
                            default_language="nl", now=now)
        await import_roster(session, rt.school_id, roster(), default_language="nl", now=now)
        await play_history(session, rt.school_id)
        classes = dict((await session.execute(select(SchoolClass.name, SchoolClass.id)
                                              .where(SchoolClass.school_id == rt.school_id))).all())
        other_class = await session.scalar(select(SchoolClass.id).where(SchoolClass.school_id == other))
    people = {}
    for first_name, name, role, language in (("Wilma", "Wilma Hoekstra", "coordinator", "nl"),
                                             ("Samira", "Samira Haddad", "coordinator", "ar")):
        people[first_name] = bot.user(first_name)
        await people[first_name].send(f"/start {await staff_link(rt, name, role=role, language=language)}")
    return {"classes": classes, "other_class": other_class, **people}


async def walk_to_classes(user, w: Words) -> None:
    """/period up to the question which classes."""
    await user.send("/period")
    await user.click(w("Huisbezoeken {year}", year=2026))
    await user.click(w.short_day(MON16))
    await user.click(w.short_day(FRI27))
    await user.click(w("{minutes} min", minutes=60))
    await user.click(w("{minutes} min", minutes=15))


def labels(user, message: dict | None = None) -> list[str]:
    return [label for label, _ in user.buttons(message)]


def chosen(w: Words, count: int) -> str:
    return w.t.ngettext("Gekozen: {count} van {total} groep.", "Gekozen: {count} van {total} groepen.",
                        48).format(count=count, total=48)


def classes_line(w: Words, names: list[str]) -> str:
    return w.t.ngettext("{count} van {total} groep: {names}", "{count} van {total} groepen: {names}", 48).format(
        count=len(names), total=48, names=", ".join(w.iso(n) for n in names))


def household_line(w: Words, children: str, last: datetime | None) -> str:
    if last is None:
        return "— " + w("{children}: nog nooit bezocht", children=w.iso(children))
    return "🏠 " + w("{children}: laatst bezocht {date}", children=w.iso(children), date=w.t.date(last))


# -- homevisit open-period --classes: a name that is no class ------------------------------------

async def test_open_period_with_an_unknown_class_opens_nothing(bot, school, cli, database_url):
    ran = await cli(database_url, "open-period", "--name", Y2026, "--from", "2026-11-16", "--to", "2026-11-27",
                    "--classes", "Groep 1, Groep 9")
    assert ran.code == 2
    [said] = [line for line in ran.err.splitlines() if line.startswith("homevisit:")]  # one line
    assert said.startswith("homevisit: --classes: no class named 'Groep 9' (the classes: Groep 1, Groep 2, Groep 3, "
                           "Klas 04, ")
    assert said.endswith(" and 36 more); nothing was opened")
    assert ran.out == ""
    async with bot.runtime.sessionmaker() as session:
        assert await current_period(session, bot.runtime.school_id) is None


# -- /period: every class, or the classes chosen -------------------------------------------------

async def test_the_arabic_coordinator_chooses_classes_right_to_left_and_forged_ids_change_nothing(bot, school):
    w = Words("ar")
    samira = school["Samira"]
    await walk_to_classes(samira, w)
    assert samira.last_text() == w.n(
        "Bezoeken jullie in deze periode de gezinnen van de hele school ({count} groep), of van een deel van de "
        "groepen?",
        "Bezoeken jullie in deze periode de gezinnen van de hele school ({count} groepen), of van een deel van de "
        "groepen?", 48)
    await samira.click(w("Groepen kiezen"))
    first = copy.deepcopy(samira.latest())
    assert w("Tik op de groepen die in deze periode aan de beurt zijn, en dan op Klaar.") in first["text"]
    assert w("Pagina {page} van {pages}", page=1, pages=2) in first["text"]
    shown = labels(samira, first)
    assert shown[:3] == ["⬜ Groep 1", "⬜ Groep 2", "⬜ Groep 3"] and "⬜ Klas 48" not in shown and "2 ▶" in shown

    # "Done" with nothing chosen: a kind word, still nothing chosen.
    await samira.click(w("Klaar"))
    assert samira.last_text().startswith("⚠️ " + w("Kies minstens één groep, of tik op Alle groepen."))
    await samira.click("Groep 2")
    assert "✅ Groep 2" in labels(samira)
    assert chosen(w, 1) in samira.last_text()
    await samira.click("2 ▶")
    await samira.click("Klas 48")
    page_two = copy.deepcopy(samira.latest())
    assert "✅ Klas 48" in labels(samira, page_two)
    assert w("Pagina {page} van {pages}", page=2, pages=2) in page_two["text"]

    # Forged presses: a class that does not exist, and a class of the other school.
    for forged in (2_147_483_647, school["other_class"]):
        answer = await samira.press(f"v2:period_class:{forged}:1", message=page_two)
        assert answer["text"] == w("Deze knop werkt niet meer. Kijk bij /help wat je kunt doen.")
        assert samira.latest()["text"] == page_two["text"] and labels(samira) == labels(samira, page_two)

    await samira.click(w("Klaar"), message=page_two)
    confirm_text = samira.last_text()
    assert confirm_text.startswith(w("Klopt dit?"))
    assert "👥 " + classes_line(w, ["Groep 2", "Klas 48"]) in confirm_text
    assert "\u2068Groep 2\u2069" in confirm_text  # the Dutch class name sits isolated in the Arabic line
    await samira.click(w("Stoppen"))
    assert samira.last_text() == w("Gestopt. Er is niets veranderd.")
    async with bot.runtime.sessionmaker() as session:
        assert await current_period(session, bot.runtime.school_id) is None


async def test_the_coordinator_opens_a_period_for_two_classes_and_only_they_are_invited(bot, school):
    w = Words("nl")
    wilma, classes = school["Wilma"], school["classes"]
    await walk_to_classes(wilma, w)
    await wilma.click(w("Groepen kiezen"))
    await wilma.click("Groep 1")
    await wilma.click("Groep 3")
    assert chosen(w, 2) in wilma.last_text()
    await wilma.click("Groep 3")  # a second tap takes it off again
    assert "⬜ Groep 3" in labels(wilma) and chosen(w, 1) in wilma.last_text()
    await wilma.click("Groep 3")
    await wilma.click(w("Klaar"))
    assert "\n👥 " + classes_line(w, ["Groep 1", "Groep 3"]) in wilma.last_text()
    await wilma.click(w("Periode openen"))
    opened = wilma.last_text()
    assert opened.startswith("✅ " + w("De bezoekperiode is open."))
    assert "\n👥 " + classes_line(w, ["Groep 1", "Groep 3"]) + "\n" in opened
    async with bot.runtime.sessionmaker() as session:
        period = await current_period(session, bot.runtime.school_id)
        covered = set((await session.scalars(select(period_classes.c.class_id)
                                             .where(period_classes.c.period_id == period.id))).all())
    assert (period.name, period.first_day, period.last_day) == (Y2026, MON16, FRI27)
    assert covered == {classes["Groep 1"], classes["Groep 3"]}

    await wilma.send("/invite")
    await wilma.click(w("Uitnodigingen versturen"))
    assert wilma.last_text().startswith(w.n("📨 {count} gezin uitgenodigd.", "📨 {count} gezinnen uitgenodigd.", 5))
    async with bot.runtime.sessionmaker() as session:
        invited = set((await session.execute(
            select(Household.external_id, Staff.name).select_from(Invitation)
            .join(Household, Household.id == Invitation.household_id)
            .join(Staff, Staff.id == Invitation.teacher_id).where(Invitation.period_id == period.id))).all())
    assert invited == {("H11", "Juf Anja"), ("H12", "Juf Anja"), ("H13", "Juf Anja"), ("H31", "Juf Cor"),
                       ("H32", "Juf Cor")}

    # The Smits have Daan in Groep 1 and Mila in Groep 2: linking now, Fatima hears of Daan's visit only.
    fatima = bot.user("Fatima")
    await fatima.send(f"/start {await guardian_link(bot.runtime, 'Fatima Smit')}")
    await bot.drain()
    greeting, *invitations = [m["text"] for m in fatima.messages()]  # the greeting names both children
    assert len(invitations) == 1, invitations
    assert "Daan Smit" in invitations[0] and "Juf Anja" in invitations[0]
    assert "Mila" not in invitations[0] and "Meester Bas" not in invitations[0]


async def test_coverage_counts_the_periods_classes_and_shows_who_is_due_in_dutch(bot, school):
    w = Words("nl")
    wilma = school["Wilma"]
    [summary] = await wilma.send("/coverage")
    summary = copy.deepcopy(summary)
    text = summary["text"]
    scope = w.t.ngettext("Deze periode: {count} van {total} groep", "Deze periode: {count} van {total} groepen",
                         48).format(count=2, total=48)
    assert text.startswith(w("📊 Bereik: {period}", period=w.iso(Y2026)) + "\n" + scope + "\n\n")
    # The totals count the two classes: five pupils in five families, Fatima linked.
    assert w("Groepen van deze periode") + "\n" + w(
        "{pupils} leerlingen, {households} gezinnen · gekoppeld {linked} · uitgenodigd {invited} · gepland {booked}"
        " · bezocht {visited} · nee {declined} · onbereikbaar {unreachable} · {share} van de leerlingen bezocht",
        pupils=5, households=5, linked=1, invited=5, booked=0, visited=0, declined=0, unreachable=4,
        share=w.t.percent(0)) in text
    assert w("{name}: {share} bezocht · nog niet bereikt {unreachable}", name=w.iso("Groep 1"),
             share=w.t.percent(0), unreachable=2) in text
    assert w("{name}: {share} bezocht · nog niet bereikt {unreachable}", name=w.iso("Groep 2"),
             share=w.t.percent(0), unreachable=4) not in text

    def due(name: str, count: int, households: int) -> str:
        return "⏸ " + w.t.ngettext("{name}: {due} van {count} gezin aan de beurt",
                                   "{name}: {due} van {count} gezinnen aan de beurt", households).format(
            name=w.iso(name), due=count, count=households)

    assert w("Niet in deze periode (aan de beurt: in de vorige periode niet bezocht):") + "\n" + due(
        "Groep 2", 2, 4) in text
    assert due("Klas 04", 1, 1) in text
    assert labels(wilma, summary)[:4] == ["Groep 1", "Groep 3", "Groep 2", "Klas 04"]

    # Groep 2 is not in this period: when was each family visited last?
    await wilma.click("Groep 2", message=summary)
    g2 = wilma.last_text()
    assert w("Deze groep is niet in deze periode.") + "\n" + due("Groep 2", 2, 4)[2:] in g2
    assert g2.endswith(w("Gezinnen en hun laatste huisbezoek in een eerdere periode:") + "\n\n" + "\n".join([
        household_line(w, "Finn Bos", utc(date(2025, 11, 6), "16:15")),  # confirmed, no note: it took place
        household_line(w, "Julia Mulder", utc(date(2024, 11, 13), "15:00")),  # 2025: not at home
        household_line(w, "Mila Smit", None),  # 2025: not this year
        household_line(w, "Noah de Jong", utc(date(2025, 11, 4), "17:30")),
    ]))
    assert "13 november 2024" in g2  # what the coordinator reads
    await wilma.click(w("Hele school"))
    await wilma.click("Groep 1", message=summary)
    g1 = wilma.last_text()
    assert g1.endswith("\n".join([household_line(w, "Daan Smit", None), household_line(w, "Lotte Bakker", None),
                                  household_line(w, "Sem Visser", utc(date(2024, 11, 12), "16:15"))]))

    # A class of the other school, forged into the button: nothing shown.
    before = wilma.last_text()
    answer = await wilma.press(f"v2:coverage_families:{school['other_class']}:0")
    assert answer["text"] == w("Deze knop werkt niet meer. Kijk bij /help wat je kunt doen.")
    assert wilma.last_text() == before


async def test_coverage_in_arabic_right_to_left(bot, school):
    w = Words("ar")
    samira = school["Samira"]
    [summary] = await samira.send("/coverage")
    summary = copy.deepcopy(summary)
    scope = w.t.ngettext("Deze periode: {count} van {total} groep", "Deze periode: {count} van {total} groepen",
                         48).format(count=2, total=48)
    assert summary["text"].startswith(w("📊 Bereik: {period}", period=w.iso(Y2026)) + "\n" + scope)
    assert scope == "هذه الفترة: 2 من 48 صفًا"
    due = w.t.ngettext("{name}: {due} van {count} gezin aan de beurt",
                       "{name}: {due} van {count} gezinnen aan de beurt", 4).format(name=w.iso("Groep 2"), due=2,
                                                                                   count=4)
    assert "⏸ " + due in summary["text"] and "\u2068Groep 2\u2069" in due
    await samira.click("Groep 2", message=summary)
    g2 = samira.last_text()
    assert w("Gezinnen en hun laatste huisbezoek in een eerdere periode:") in g2
    assert household_line(w, "Julia Mulder", utc(date(2024, 11, 13), "15:00")) in g2
    assert household_line(w, "Mila Smit", None) in g2
    assert w("{children}: nog nooit bezocht", children="x") == "x: لم تتم زيارتها من قبل"


async def test_homevisit_report_says_which_classes_and_who_is_due(bot, school, cli, database_url):
    w = Words("en")
    ran = await cli(database_url, "report")
    assert ran.code == 0, ran.err
    lines = ran.out.splitlines()
    assert lines[:2] == [w("📊 Bereik: {period}", period=Y2026), "This period: 2 of 48 classes"]
    assert "Groep 1" in lines and "Groep 3" in lines and "Groep 2" not in lines
    start = lines.index(w("Niet in deze periode (aan de beurt: in de vorige periode niet bezocht):"))
    assert lines[start + 1] == "Groep 2: 2 of 4 families due" and lines[start + 2] == "Klas 04: 1 of 1 family due"


async def test_the_dashboard_shows_the_periods_classes(bot, school):
    w = Words("nl")
    [reply] = await school["Wilma"].send("/dashboard")
    link = re.search(r"http://127\.0\.0\.1:\d+/dashboard/login/[A-Za-z0-9_-]{32}", reply["text"]).group(0)
    browser = Browser(bot.runtime.settings.public_url)
    try:
        page = await browser.get(link)
    finally:
        await browser.close()
    assert page.status == 200
    assert w.t.ngettext("Deze periode: {count} van {total} groep", "Deze periode: {count} van {total} groepen",
                        48).format(count=2, total=48) in page.text
    rows = re.findall(r'<th scope="row">(.*?)</th>', page.html)
    assert rows == [w("Groepen van deze periode"), "Groep 1", "Groep 3"]
    # Per teacher: those of the period's classes, not the 46 others with nothing to do this year.
    assert "Juf Anja" in page.text and "Juf Cor" in page.text
    assert "Meester Bas" not in page.text and "Klas 04" not in page.text


async def test_the_letters_are_for_the_families_of_the_periods_classes(bot, school):
    rt = bot.runtime
    async with rt.sessionmaker() as session:
        batch = await prepare_letters(session, rt.school_id, default_language="nl", now=rt.clock.now(),
                                      valid_for=timedelta(days=14), everyone=True)
    children = {letter.household: [c.name for c in letter.children] for letter in batch.letters}
    assert children == {"H11": ["Sem Visser"], "H12": ["Lotte Bakker"], "H13": ["Daan Smit"], "H31": ["Tess Peters"],
                        "H32": ["Luuk Hendriks"]}


async def test_the_announcement_to_all_parents_is_for_the_families_of_the_periods_classes(bot, school):
    """'The teachers visit every family; you will get an invitation': not for Groep 2 this year."""
    rt = bot.runtime
    async with rt.sessionmaker() as session:
        everyone = await broadcasts.audience(session, rt.school_id, "guardians")
        groep_2 = await broadcasts.audience(session, rt.school_id, "class", school["classes"]["Groep 2"])
    reached = {name for _, names in everyone.accounts.values() for name in names} | set(everyone.not_linked)
    assert reached == {"Groep 1", "Groep 3"}
    assert everyone.not_linked_people + len(everyone.accounts) == 5  # Sem's, Lotte's, Daan's, Tess's, Luuk's parents
    assert groep_2.not_linked_people + len(groep_2.accounts) == 4  # a class of its own may still be told anything


async def test_nudges_and_the_call_list_leave_out_the_classes_the_period_does_not_cover(bot, school):
    rt, classes = bot.runtime, school["classes"]
    karin = bot.user("Karin")
    await karin.send(f"/start {await guardian_link(rt, 'Karin Bakker')}")
    later = rt.clock.now() + timedelta(days=4)
    async with rt.sessionmaker() as session:
        anja = await session.scalar(select(Staff.id).where(Staff.school_id == rt.school_id, Staff.name == "Juf Anja"))
        cor = await session.scalar(select(Staff.id).where(Staff.school_id == rt.school_id, Staff.name == "Juf Cor"))
        h11, h12, h13 = [(await _ids(session, rt.school_id, h, "Juf Anja"))[0] for h in ("H11", "H12", "H13")]
        assert [e.invitation_id for e in await call_list(session, anja, later)] == [h11]  # not on Telegram
        # Sem and Daan move to Groep 2, which this period does not cover (as a re-imported roster does).
        await session.execute(update(Pupil).where(Pupil.school_id == rt.school_id,
                                                  Pupil.name.in_(("Sem Visser", "Daan Smit")))
                              .values(class_id=classes["Groep 2"]))
        await session.commit()
        assert await call_list(session, anja, later) == []
        assert len(await call_list(session, cor, later)) == 2  # Groep 3's families are still on Juf Cor's list
        queued = await plan_nudges(session, rt.school_id, later, NudgeLadder(), today=later.date())
        nudged = (await session.scalars(select(OutboxMessage.payload).where(OutboxMessage.kind == "nudge"))).all()
    # Karin (Lotte, Groep 1) is nudged; Fatima is not: Daan is no longer in a class of this period.
    assert queued == 1 and [p["invitation"] for p in nudged] == [h12]
    assert h13 not in [p["invitation"] for p in nudged]


async def test_homevisit_open_period_with_classes(bot, school, cli, database_url):
    assert (await cli(database_url, "close-period")).code == 0
    ran = await cli(database_url, "open-period", "--name", "Huisbezoeken voorjaar", "--from", "2027-03-01",
                    "--to", "2027-03-12", "--classes", " groep 2 ,Klas 07")
    assert ran.code == 0, ran.err
    assert "it covers 2 classes: Groep 2, Klas 07" in ran.out
    async with bot.runtime.sessionmaker() as session:
        period = await current_period(session, bot.runtime.school_id)
        covered = set((await session.scalars(select(period_classes.c.class_id)
                                             .where(period_classes.c.period_id == period.id))).all())
    assert period.name == "Huisbezoeken voorjaar"
    assert covered == {school["classes"]["Groep 2"], school["classes"]["Klas 07"]}
    # In chat, /period shows the open period with its classes.
    w = Words("nl")
    [shown] = await school["Wilma"].send("/period")
    assert shown["text"].startswith(w("Deze bezoekperiode is open:"))
    assert shown["text"].endswith("\n👥 " + classes_line(w, ["Groep 2", "Klas 07"]))
