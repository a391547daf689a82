"""The team's debrief: counts per class and for the school, never a name or a note, and never
a count of 1 or 2, nor one that could be worked out from the school's total.

Two schools of a board share the database. De Regenboog (A, the bot's school) has three
classes with visits and 45 small classes without (48 in all, as a big school has):

    Groep 1 (Juf Anja, 10 families)   7 visited: 5 agreed library membership, 1 school books;
                                      3 said no (no time), all in the bot
    Groep 2 (Meester Bas, 6 families) 4 visited: 2 library, 3 a homework place; 1 not at home;
                                      1 said no to the teacher on the phone (rather at school)
    Groep 3 (Juf Cor, 5 families)     3 visited: 2 library; 1 said no (no time); 1 no answer yet

So library membership is 5 + 2 + 2 = 9 for the school: Groep 2's and Groep 3's "fewer than 3"
would both be 2 given the total, so Groep 1's 5 is hidden too. "No time" is 3 + 0 + 1: with
Groep 3 under 3 and nothing else to hide, the school's 4 is hidden instead.

De Zonnebloem (B) uses the same class names and reasons, with other numbers (12 library
memberships in its Groep 1), so a query that forgot its school would show up in A's counts.
"""
from __future__ import annotations

import copy
import csv
import io
import itertools
import random
from collections import Counter
from datetime import date, time

import pytest
from sqlalchemy import select

from bot.screens.debrief import explanation
from bot.services import notes
from bot.services.arrangements import record_decline
from bot.services.availability import add_window
from bot.services.booking import confirm, decline, request_slot
from bot.services.debrief import FEWER_THAN_3, HIDDEN, ITEMS, Cell, debrief, of_latest_period, protect
from bot.services.invitations import send_invitations
from bot.services.periods import PeriodDraft, current_period, open_period
from bot.services.roster import import_roster
from bot.services.schools import ensure_school
from db.models import Channel, Guardian, Household, Invitation, SchoolClass, Staff
from tests.after_visit import at
from tests.seed import staff_link
from tests.words import SCHOOL_TZ, Words

PERIOD = PeriodDraft("Huisbezoeken najaar 2026", date(2026, 11, 9), date(2026, 12, 4))
DAYS = (date(2026, 11, 12), date(2026, 11, 13), date(2026, 11, 16), date(2026, 11, 17), date(2026, 11, 18))
SLOTS = ("15:00", "16:15", "17:30")  # in a 15:00-19:00 window: 60 minutes a visit, 15 to travel
SECRET_NOTE = "Trots op de moestuin van oma Quispel"  # in every note: never in a debrief
SECRET_LINE = "Pasje voor Zwaantje halen"  # every follow-up's own line: never in a debrief
TINY_CLASSES = 45

# Per class: (teacher, what happened per family). ("visit", themes), ("not_home",),
# ("no", reason, channel), ("pending",).
A_PLAN = {
    "Groep 1": ("Juf Anja", [("visit", ["library"])] * 5 + [("visit", ["books"]), ("visit", [])]
                + [("no", "no_time", Channel.BOT)] * 3),
    "Groep 2": ("Meester Bas", [("visit", ["library", "homework_place"])] * 2 + [("visit", ["homework_place"]),
                                                                                 ("visit", []), ("not_home",),
                                                                                 ("no", "at_school", Channel.PHONE)]),
    "Groep 3": ("Juf Cor", [("visit", ["library"])] * 2 + [("visit", []), ("no", "no_time", Channel.BOT),
                                                           ("pending",)]),
}
B_PLAN = {
    "Groep 1": ("Juf Anja", [("visit", ["library"])] * 12 + [("no", "elsewhere", Channel.BOT)] * 3),
    "Groep 2": ("Meester Bas", [("visit", ["care_talk"])] * 4 + [("no", "no_time", Channel.PHONE)] * 4),
}


def roster(plan: dict, tiny: int = 0) -> bytes:
    lines = ["pupil_id,pupil_name,class,teacher,household_id,guardian_name,guardian_phone,guardian_language"]
    for c, (class_name, (teacher, families)) in enumerate(plan.items(), 1):
        for n in range(len(families)):
            lines.append(f"P{c}{n:02d},Zwaantje Quispel {c}{n:02d},{class_name},{teacher},H{c}{n:02d},"
                         f"Xaviera Quispel {c}{n:02d},+31 6 5555 {c}{n:03d},nl")
    for k in range(4, 4 + tiny):
        lines.append(f"T{k:02d},Kind {k:02d},Klas {k:02d},Juf Klas {k:02d},HT{k:02d},Ouder {k:02d},,nl")
    return ("\n".join(lines) + "\n").encode()


async def play(session, school_id: int, plan: dict, now, tiny: int = 0) -> None:
    """The school's period as in `plan`, through the services the bot and the teachers use."""
    await import_roster(session, school_id, roster(plan, tiny), default_language="nl", now=now)
    period = await open_period(session, school_id, PERIOD, now)
    await send_invitations(session, period, now)
    for c, (class_name, (teacher_name, families)) in enumerate(plan.items(), 1):
        teacher_id = await session.scalar(select(Staff.id).where(Staff.school_id == school_id,
                                                                 Staff.name == teacher_name))
        for day in DAYS:
            await add_window(session, period, teacher_id, day, time(15), time(19), SCHOOL_TZ, now)
        starts = iter(at(day, slot) for day in DAYS for slot in SLOTS)
        for n, (what, *details) in enumerate(families):
            inv_id, guardian_id = (await session.execute(
                select(Invitation.id, Guardian.id)
                .join(Household, Household.id == Invitation.household_id)
                .join(Guardian, Guardian.household_id == Household.id)
                .where(Invitation.school_id == school_id, Household.external_id == f"H{c}{n:02d}",
                       Invitation.teacher_id == teacher_id))).one()
            if what in ("visit", "not_home"):
                asked = await request_slot(session, inv_id, (guardian_id,), next(starts), "home", None, now)
                assert asked.code == "requested", asked
                assert (await confirm(session, asked.appointment_id, teacher_id, now)).code == "confirmed"
                outcome, themes = ("done", details[0]) if what == "visit" else ("not_home", [])
                await notes.save(session, asked.appointment_id, teacher_id, outcome,
                                 {"proud": {"text": SECRET_NOTE}}, [(k, SECRET_LINE) for k in themes], now)
            elif what == "no":
                reason, channel = details
                if channel == Channel.BOT:
                    assert (await decline(session, inv_id, (guardian_id,), reason, now)).code == "declined"
                else:
                    assert (await record_decline(session, inv_id, teacher_id, reason, channel, now)).code == "declined"


def truth(plan: dict) -> tuple[Counter, dict[str, Counter]]:
    """The true counts, worked out from the plan itself."""
    classes = {}
    for class_name, (_, families) in plan.items():
        counts = Counter()
        for what, *details in families:
            if what == "visit":
                counts["outcome", "done"] += 1
                counts["reached", "bot"] += 1
                counts.update(("theme", k) for k in details[0])
            elif what == "not_home":
                counts["outcome", "not_home"] += 1
                counts["reached", "bot"] += 1
            elif what == "no":
                counts["decline_reason", details[0]] += 1
                counts["reached", details[1].value] += 1
        classes[class_name] = counts
    return sum(classes.values(), Counter()), classes


S, F, H = "school", FEWER_THAN_3, HIDDEN
# What A's debrief shows where it is not simply the true count: (scope, category, key) -> suppressed.
A_SUPPRESSED = {
    ("Groep 1", "theme", "library"): H, ("Groep 2", "theme", "library"): F, ("Groep 3", "theme", "library"): F,
    (S, "theme", "books"): F, ("Groep 1", "theme", "books"): F,
    (S, "outcome", "not_home"): F, ("Groep 2", "outcome", "not_home"): F,
    (S, "decline_reason", "no_time"): H, ("Groep 3", "decline_reason", "no_time"): F,
    (S, "decline_reason", "at_school"): F, ("Groep 2", "decline_reason", "at_school"): F,
    (S, "reached", "phone"): F, ("Groep 2", "reached", "phone"): F,
}


def expected_cells(plan: dict, suppressed: dict) -> dict[tuple[str, str, str], Cell]:
    school, classes = truth(plan)
    cells = {}
    for scope, counts in [(S, school), *classes.items()]:
        for category, key in ITEMS:
            why = suppressed.get((scope, category, key))
            cells[scope, category, key] = Cell(None, why) if why else Cell(counts[category, key])
    return cells


def cells_of(report) -> dict[tuple[str, str, str], Cell]:
    return {(S if scope.class_id is None else scope.name, category, key): cell
            for scope in (report.school, *report.classes) for (category, key), cell in scope.cells.items()}


@pytest.fixture(scope="module")
async def board(bot):
    """A (the bot's school, 48 classes) and B on one database; A's coordinator in Dutch and in
    Arabic, and a teacher, on Telegram."""
    rt = bot.runtime
    now = rt.clock.now()
    async with rt.sessionmaker() as session:
        b_id = (await ensure_school(session, "De Zonnebloem", "Europe/Amsterdam", "nl", now)).id
        await play(session, b_id, B_PLAN, now)  # first, so that its rows come before A's
        await play(session, rt.school_id, A_PLAN, now, tiny=TINY_CLASSES)
    people = {}
    for first_name, name, role, language in (("Wilma", "Wilma Hoekstra", "coordinator", "nl"),
                                             ("Samira", "Samira Haddad", "coordinator", "ar"),
                                             ("Anja", "Juf Anja", "teacher", "nl")):
        people[first_name] = bot.user(first_name)
        await people[first_name].send(f"/start {await staff_link(rt, name, role=role, language=language)}")
    return {"a": rt.school_id, "b": b_id, **people}


# -- the service ------------------------------------------------------------------------------

async def test_the_counts_of_every_class_and_the_school_with_small_counts_suppressed(bot, board):
    async with bot.runtime.sessionmaker() as session:
        report = await of_latest_period(session, board["a"])
    assert report.period.name == PERIOD.name
    assert [s.name for s in report.classes][:4] == ["Groep 1", "Groep 2", "Groep 3", "Klas 04"]
    assert len(report.classes) == 3 + TINY_CLASSES
    got = cells_of(report)
    want = expected_cells(A_PLAN, A_SUPPRESSED)
    assert {k: v for k, v in got.items() if k[0] in (S, *A_PLAN)} == want
    assert all(cell == Cell(0) for (scope, _, _), cell in got.items() if scope.startswith("Klas"))
    # What the team reads: library membership 9 for the school, the visits, the reasons.
    assert got[S, "theme", "library"] == Cell(9) and got[S, "theme", "homework_place"] == Cell(3)
    assert got[S, "outcome", "done"] == Cell(14) and got[S, "reached", "bot"] == Cell(19)
    # No count of 1 or 2 is ever given, suppressed or not.
    assert not [k for k, cell in got.items() if cell.count in (1, 2)]


async def test_no_suppressed_count_can_be_worked_out_from_the_school_total(bot, board):
    """What someone reading A's debrief can work out: for each item the school's total minus the
    classes shown; every "fewer than 3" must still be possibly 1 and possibly 2."""
    async with bot.runtime.sessionmaker() as session:
        report = await of_latest_period(session, board["a"])
    _, true = truth(A_PLAN)
    for category, key in ITEMS:
        cells = [scope.cell(category, key) for scope in report.classes]
        total = report.school.cell(category, key)
        if total.count is None:
            continue
        assert_cannot_tell([c.suppressed for c in cells],
                           total.count - sum(c.count for c in cells if c.count is not None), (category, key))


def assert_cannot_tell(suppressed: list[str | None], residual: int, what) -> None:
    """Every assignment of the suppressed cells (1-2 for "fewer than 3", 3 or more for
    "hidden") that adds up to the residual: each "fewer than 3" must take both values."""
    hidden = [i for i, s in enumerate(suppressed) if s]
    if not hidden:
        assert residual == 0, what
        return
    seen: dict[int, set[int]] = {i: set() for i in hidden if suppressed[i] == FEWER_THAN_3}
    ranges = [range(1, 3) if suppressed[i] == FEWER_THAN_3 else range(3, residual + 1) for i in hidden]
    for values in itertools.product(*ranges):
        if sum(values) == residual:
            for i, v in zip(hidden, values):
                if i in seen:
                    seen[i].add(v)
    assert all(values == {1, 2} for values in seen.values()), (what, suppressed, residual)


@pytest.mark.parametrize("seed", range(40))
def test_suppression_holds_for_any_table(seed):
    """Random small tables (additive, as the school's total is the classes' sum): never a 1 or 2
    shown, every shown count true, and nothing suppressed can be worked out."""
    rng = random.Random(seed)
    classes = [Counter({item: rng.choice((0, 0, 1, 2, 2, 3, 4, 6)) for item in ITEMS})
               for _ in range(rng.randint(1, 6))]
    school = sum(classes, Counter())
    school_cells, class_cells = protect(school, classes)
    for item in ITEMS:
        total = school_cells[item]
        cells = [c[item] for c in class_cells]
        for cell, counts in [(total, school), *zip(cells, classes)]:
            assert cell.count is None or cell.count == counts[item]
            assert cell.count not in (1, 2)
            assert (cell.suppressed == FEWER_THAN_3) == (counts[item] in (1, 2))
        if total.count is not None:
            assert_cannot_tell([c.suppressed for c in cells],
                               total.count - sum(c.count for c in cells if c.count is not None), item)


async def test_one_schools_debrief_counts_nothing_of_the_other(bot, board):
    async with bot.runtime.sessionmaker() as session:
        a = await of_latest_period(session, board["a"])
        b = await of_latest_period(session, board["b"])
        # Nor when it is handed the other school's period.
        crossed = await debrief(session, board["a"], await current_period(session, board["b"]))
    assert {k: v for k, v in cells_of(a).items() if k[0] in (S, *A_PLAN)} == expected_cells(A_PLAN, A_SUPPRESSED)
    assert [s.name for s in b.classes] == ["Groep 1", "Groep 2"]
    b_cells = cells_of(b)
    assert b_cells == expected_cells(B_PLAN, {})  # B's counts are all 0, or 3 and more
    assert b_cells[S, "theme", "library"] == Cell(12) and b_cells[S, "decline_reason", "elsewhere"] == Cell(3)
    # B's 12 library memberships, 4 care talks and 3 "elsewhere" are nowhere in A.
    assert cells_of(a)[S, "theme", "care_talk"] == Cell(0)
    assert cells_of(a)[S, "decline_reason", "elsewhere"] == Cell(0)
    assert all(cell == Cell(0) for cell in cells_of(crossed).values())


# -- /debrief in chat -------------------------------------------------------------------------

async def walk_classes(user, first: dict) -> list[dict]:
    """From the school's page to the first class, then ▶ through every class."""
    await user.click("Groep 1", message=first)
    pages = [copy.deepcopy(user.latest())]
    while any(label.endswith(" ▶") for label, _ in user.buttons(pages[-1])):
        await user.click(" ▶", message=pages[-1])
        pages.append(copy.deepcopy(user.latest()))
    return pages


def item(w: Words, label: str, count: str) -> str:
    return "  " + w("{label}: {count}", label=label, count=count)


async def test_the_coordinator_reads_the_school_then_each_class_in_dutch(bot, board):
    w = Words("nl")
    wilma = board["Wilma"]
    first = copy.deepcopy((await wilma.send("/debrief"))[0])  # the message is edited in place as one pages on
    text = first["text"]
    assert text.startswith(w("🗣 Nabespreking: {period}", period=PERIOD.name) + "\n\n" + w("Hele school"))
    school_part = text.split(explanation(w.t))[0]
    assert item(w, "✅ " + w("Bezoek gedaan"), "14") in school_part
    assert item(w, "🏛 " + w("Lidmaatschap bibliotheek"), "9") in school_part
    assert item(w, "📚 " + w("Boeken van school"), w("minder dan 3")) in school_part
    assert item(w, "⏰ " + w("Nu geen tijd"), w("verborgen")) in school_part
    assert item(w, "💬 " + w("via de bot"), "19") in school_part
    assert explanation(w.t) in text
    # 48 classes: 24 buttons on the first page, the rest on the next; Telegram took every page.
    labels = [label for label, _ in wilma.buttons(first)]
    assert labels[:3] == ["Groep 1", "Groep 2", "Groep 3"] and "2 ▶" in labels
    assert w("Pagina {page} van {pages}", page=1, pages=2) in text
    await wilma.click("2 ▶", message=first)
    second = copy.deepcopy(wilma.latest())
    assert "Klas 48" in [label for label, _ in wilma.buttons(second)]
    assert "Groep 1" not in [label for label, _ in wilma.buttons(second)]

    pages = await walk_classes(wilma, first)
    assert len(pages) == 48
    g1, g2, g3 = (p["text"] for p in pages[:3])
    assert "\nGroep 1\n" in g1 and w("Pagina {page} van {pages}", page=1, pages=48) in g1
    assert item(w, "🏛 " + w("Lidmaatschap bibliotheek"), w("verborgen")) in g1
    assert item(w, "⏰ " + w("Nu geen tijd"), "3") in g1
    assert item(w, "🏛 " + w("Lidmaatschap bibliotheek"), w("minder dan 3")) in g2
    assert item(w, "🪑 " + w("Plek voor huiswerk"), "3") in g2
    assert item(w, "📞 " + w("telefonisch"), w("minder dan 3")) in g2
    assert item(w, "✅ " + w("Bezoek gedaan"), "3") in g3
    assert "Klas 48" in pages[-1]["text"] and w("Pagina {page} van {pages}", page=48, pages=48) in pages[-1]["text"]
    for page in pages:
        assert "Quispel" not in page["text"] and SECRET_NOTE not in page["text"] and SECRET_LINE not in page["text"]
    # ◀ goes back a class; "whole school" to the page of buttons that class is on.
    await wilma.click("◀ Groep 2", message=pages[2])
    assert wilma.last_text() == g2
    await wilma.click(w("Hele school"), message=pages[30])
    assert wilma.last_text() == second["text"]


async def test_the_coordinator_reads_it_in_arabic_right_to_left(bot, board):
    w = Words("ar")
    samira = board["Samira"]
    first = copy.deepcopy((await samira.send("/debrief"))[0])
    text = first["text"]
    assert text.startswith(w("🗣 Nabespreking: {period}", period=w.iso(PERIOD.name)))
    assert "\u2068" + PERIOD.name + "\u2069" in text  # the Dutch name sits isolated in the Arabic line
    assert item(w, "🏛 " + w("Lidmaatschap bibliotheek"), "9") in text
    assert item(w, "📚 " + w("Boeken van school"), w("minder dan 3")) in text
    assert w("minder dan 3") == "أقل من 3" and w("verborgen") == "مخفي"
    pages = await walk_classes(samira, first)
    assert "\n\u2068Groep 2\u2069\n" in pages[1]["text"]
    assert item(w, "🏛 " + w("Lidmaatschap bibliotheek"), w("minder dan 3")) in pages[1]["text"]
    assert "Quispel" not in pages[1]["text"]


async def test_a_teacher_gets_the_coordinators_refusal_and_no_counts(bot, board):
    w = Words("nl")
    anja = board["Anja"]
    [refused] = await anja.send("/debrief")
    assert refused["text"] == w("Dit is voor de coördinator. Kijk bij /help wat je kunt doen.")
    # A forged press of a class button shows nothing either.
    async with bot.runtime.sessionmaker() as session:
        class_id = await session.scalar(select(SchoolClass.id).where(SchoolClass.school_id == board["a"],
                                                                     SchoolClass.name == "Groep 1"))
    before = len(anja.messages())
    answer = await anja.press(f"v2:debrief_class:{class_id}", message=refused)
    assert answer["text"] == w("Deze knop werkt niet meer. Kijk bij /help wat je kunt doen.")
    assert len(anja.messages()) == before and anja.last_text() == refused["text"]
    # The coordinator's menu and /help name it; the teacher's do not.
    [helped] = await board["Wilma"].send("/help")
    assert "/debrief – " + w("Nabespreking: aantallen per groep, zonder namen") in helped["text"]
    [helped] = await anja.send("/help")
    assert "/debrief" not in helped["text"]


# -- homevisit debrief ------------------------------------------------------------------------

async def test_homevisit_debrief_text_and_csv(bot, board, cli, database_url, tmp_path):
    ran = await cli(database_url, "debrief")
    assert ran.code == 0, ran.err
    out = ran.out
    assert out.startswith("🗣 Debrief: Huisbezoeken najaar 2026\n")
    lines = out.splitlines()
    school = lines.index("Whole school")
    assert lines[school + 1] == "============"
    assert any(line.split() == ["Library", "membership", "9"] for line in lines[school:school + 30])
    assert any(line.split() == ["Books", "from", "school", "fewer", "than", "3"] for line in lines[school:school + 30])
    assert any(line.split() == ["No", "time", "now", "hidden"] for line in lines[school:school + 30])
    assert "Groep 3" in lines and "Klas 48" in lines
    for secret in ("Quispel", "Zwaantje", SECRET_NOTE, SECRET_LINE, "Juf Anja"):
        assert secret not in out

    target = tmp_path / "debrief.csv"
    ran = await cli(database_url, "debrief", "--format", "csv", "--output", str(target))
    assert ran.code == 0, ran.err
    text = target.read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == ["period", "scope", "category", "key", "count", "suppressed"]
    assert len(rows) == (1 + 48) * len(ITEMS)
    got = {(r["scope"], r["category"], r["key"]): Cell(int(r["count"]) if r["count"] else None,
                                                        r["suppressed"] or None) for r in rows}
    assert {k: v for k, v in got.items() if k[0] in (S, *A_PLAN)} == expected_cells(A_PLAN, A_SUPPRESSED)
    assert got[S, "theme", "library"] == Cell(9) and got["Groep 2", "theme", "library"] == Cell(None, F)
    assert {r["period"] for r in rows} == {PERIOD.name}
    for secret in ("Quispel", "Zwaantje", SECRET_NOTE, SECRET_LINE, "Juf Anja", "Pasje"):
        assert secret not in text


async def test_homevisit_debrief_school_picks_the_school(bot, board, cli, database_url, tmp_path):
    schools = tmp_path / "schools.toml"
    schools.write_text('[[school]]\nkey = "regenboog"\nname = "De Regenboog"\nbot_token = "111111:A-token"\n\n'
                       '[[school]]\nkey = "zonnebloem"\nname = "De Zonnebloem"\nbot_token = "222222:B-token"\n',
                       encoding="utf-8")
    ran = await cli(database_url, "debrief", "--school", "zonnebloem", "--format", "csv",
                    SCHOOLS_FILE=str(schools))
    assert ran.code == 0, ran.err
    rows = list(csv.DictReader(io.StringIO(ran.out)))
    assert {r["scope"] for r in rows} == {"school", "Groep 1", "Groep 2"}
    got = {(r["scope"], r["category"], r["key"]): r["count"] for r in rows}
    assert got["school", "theme", "library"] == "12" and got["school", "theme", "care_talk"] == "4"
    assert got["school", "outcome", "not_home"] == "0"  # A's family that was not at home is not B's
    ran = await cli(database_url, "debrief", SCHOOLS_FILE=str(schools))
    assert ran.code != 0 and "regenboog" in ran.err and "zonnebloem" in ran.err
