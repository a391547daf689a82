"""Coverage: was every pupil's family reached? The counts per class, for the school and
per teacher, checked against what the test itself works out from the roster file and
from what it let happen; then the same numbers in /coverage (for the coordinator, over
the Bot API double) and in `homevisit report --format csv`.

What happens in the autumn period (the example roster plus one late pupil):

    Groep 3 (Marieke)  H001 Jansen visited · H006 (Daan, split) visited at school ·
                       H013 visited by phone · H014 not at home · H015 planned ·
                       H002 no (no time) · H003 no (no reason)
    Groep 5 (Jeroen)   H020 visited · H003 planned · H001 no (at school) ·
                       H021 no (elsewhere) · H010 no time fits · H038 joined late, not invited
    Groep 7 (Sanne)    H008 (Lotte, split) visited · H029 visited · H001 planned ·
                       H002 no (unsaid)
"""
from __future__ import annotations

import asyncio
import csv
import io
import os
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.services import notes
from bot.services.booking import decline, no_fitting_time
from bot.services.coverage import coverage
from bot.services.invitations import send_invitations
from bot.services.periods import current_period
from bot.services.roster import import_roster
from tests.after_visit import FRI, MON, THU, at, confirmed_visit, link, windows
from tests.seed import EXAMPLE_ROSTER, staff_link
from tests.visit_setup import (
    JEROEN,
    MARIEKE,
    SANNE,
    guardian,
    invitation,
    load_roster,
    new_school,
    open_autumn,
    teacher,
)
from tests.words import Words

ROOT = Path(__file__).resolve().parent.parent

LATE_PUPIL = "P041,Noah Bakker,Groep 5,Jeroen Bakker,H038,Eva Bakker,+31 6 1234 5699,nl\n"
TEACHER_OF = {"Groep 3": MARIEKE, "Groep 5": JEROEN, "Groep 7": SANNE}

# Linked to Telegram; the two blocked ones had Telegram answer 403 since.
LINKED = ("Anouk Jansen", "Ayşe Yılmaz", "Khadija El Amrani", "Linda de Boer", "Ingrid Visser", "Petra Mulder",
          "Sandra Dekker", "Esther Meijer", "Karin de Groot", "Katrin Müller", "Sofie Peeters", "Els Willems",
          "Koen Willems", "James Brown")
BLOCKED = ("Koen Willems", "James Brown")  # Ruben's other parent Els still reads; Olivia's father was the only one

# (household, class): what happened, who answered, and when the visit is (or was).
VISITED, PLANNED, NOT_HOME, DECLINED, NO_FIT = "visited", "planned", "not_home", "declined", "no_fit"
PLAN: dict[tuple[str, str], tuple] = {
    ("H001", "Groep 3"): (VISITED, "done", "Anouk Jansen", at(THU, "15:00")),
    ("H006", "Groep 3"): (VISITED, "at_school", "Linda de Boer", at(THU, "16:15")),
    ("H013", "Groep 3"): (VISITED, "by_phone", "Ingrid Visser", at(THU, "17:30")),
    ("H014", "Groep 3"): (NOT_HOME, None, "Petra Mulder", at(FRI, "15:00")),
    ("H015", "Groep 3"): (PLANNED, None, "Sandra Dekker", at(MON, "15:00")),
    ("H002", "Groep 3"): (DECLINED, "no_time", "Ayşe Yılmaz", None),
    ("H003", "Groep 3"): (DECLINED, None, "Khadija El Amrani", None),
    ("H020", "Groep 5"): (VISITED, "done", "Esther Meijer", at(THU, "15:00")),
    ("H003", "Groep 5"): (PLANNED, None, "Khadija El Amrani", at(MON, "15:00")),
    ("H001", "Groep 5"): (DECLINED, "at_school", "Anouk Jansen", None),
    ("H021", "Groep 5"): (DECLINED, "elsewhere", "Karin de Groot", None),
    ("H010", "Groep 5"): (NO_FIT, None, "Katrin Müller", None),
    ("H008", "Groep 7"): (VISITED, "done", "Sofie Peeters", at(THU, "15:00")),
    ("H029", "Groep 7"): (VISITED, "done", "Els Willems", at(THU, "16:15")),
    ("H001", "Groep 7"): (PLANNED, None, "Anouk Jansen", at(MON, "15:00")),
    ("H002", "Groep 7"): (DECLINED, "unsaid", "Ayşe Yılmaz", None),
}
NOTES_WRITTEN = at(FRI, "20:00")  # after the last visit that took place, before Monday's


async def seed(session, school_id: int, clock) -> None:
    """The school as described at the top, made through the services the bot uses."""
    now = clock.now()
    await load_roster(session, school_id, now)
    for name in LINKED:
        await link(session, name, now, blocked=name in BLOCKED)
    period = await open_autumn(session, school_id, now)
    for name in (MARIEKE, JEROEN, SANNE):
        await windows(session, period, name, (THU, FRI, MON), now)
    await send_invitations(session, period, now, sibling_visits="each")
    # A pupil in a new household arrives after the invitations went out.
    await import_roster(session, school_id, EXAMPLE_ROSTER.read_bytes() + LATE_PUPIL.encode(),
                        default_language="nl", now=now)

    visits = {}
    for (household, class_name), (what, detail, presser, start) in PLAN.items():
        teacher_name = TEACHER_OF[class_name]
        if what in (VISITED, PLANNED, NOT_HOME):
            visits[household, class_name] = await confirmed_visit(session, household, teacher_name, presser, start,
                                                                  now)
            continue
        inv = await invitation(session, household, teacher_name)
        guardian_id = (await guardian(session, presser)).id
        if what == DECLINED:
            assert (await decline(session, inv.id, (guardian_id,), detail, now)).code == "declined"
        else:
            assert (await no_fitting_time(session, inv.id, (guardian_id,), now)).code == "no_fit"

    clock.set(NOTES_WRITTEN)
    for (household, class_name), appointment_id in visits.items():
        what, detail, _, _ = PLAN[household, class_name]
        if what == PLANNED:
            continue
        teacher_id = (await teacher(session, TEACHER_OF[class_name])).id
        await notes.save(session, appointment_id, teacher_id, detail if what == VISITED else "not_home",
                         {"proud": {"text": "Trots op de moestuin."}}, [], clock.now())


# -- what the test expects, worked out from the roster file itself ------------------------

@dataclass
class Expected:
    pupils: int = 0
    households: int = 0
    linked: int = 0
    invited: int = 0
    booked: int = 0
    visited: int = 0
    declined: int = 0
    unreachable: int = 0
    pupils_visited: int = 0
    reasons: Counter = field(default_factory=Counter)

    @property
    def share(self) -> float:
        return self.pupils_visited / self.pupils


def _roster(text: str):
    """pupil -> (class, {households}); household -> {guardian names}."""
    pupils: dict[str, tuple[str, set[str]]] = {}
    guardians: dict[str, set[str]] = {}
    for row in csv.DictReader(io.StringIO(text)):
        pupils.setdefault(row["pupil_id"], (row["class"], set()))[1].add(row["household_id"])
        guardians.setdefault(row["household_id"], set()).add(row["guardian_name"])
    return pupils, guardians


def expected() -> tuple[dict[str, Expected], Expected]:
    roster_text = EXAMPLE_ROSTER.read_text(encoding="utf-8")
    invited_households = set(_roster(roster_text)[1])  # everyone on the roster when the invitations went out
    pupils, guardians = _roster(roster_text + LATE_PUPIL)

    def what(household: str, class_name: str) -> str:
        return PLAN.get((household, class_name), ("pending",))[0]

    def row(pupil_ids: list[str]) -> Expected:
        e = Expected(pupils=len(pupil_ids))
        # The classes through which each household is part of this row.
        classes_of: dict[str, set[str]] = {}
        for p in pupil_ids:
            class_name, households = pupils[p]
            for h in households:
                classes_of.setdefault(h, set()).add(class_name)
        e.households = len(classes_of)
        for h, classes in classes_of.items():
            names = guardians[h]
            e.linked += any(n in LINKED for n in names)
            e.unreachable += not any(n in LINKED and n not in BLOCKED for n in names)
            if h not in invited_households:
                continue
            e.invited += 1
            outcomes = [what(h, c) for c in classes]
            if VISITED in outcomes:
                e.visited += 1
            elif PLANNED in outcomes:
                e.booked += 1
            elif all(o == DECLINED for o in outcomes):
                e.declined += 1
                e.reasons.update(PLAN[h, c][1] or "none" for c in classes)
        e.pupils_visited = sum(any(what(h, pupils[p][0]) == VISITED for h in pupils[p][1]) for p in pupil_ids)
        return e

    per_class = {c: row([p for p, (cls, _) in pupils.items() if cls == c]) for c in TEACHER_OF}
    return per_class, row(list(pupils))


def teachers_expected(hours_per_visit: float) -> dict[str, tuple[int, int, float]]:
    result = {}
    for class_name, name in TEACHER_OF.items():
        done = sum(1 for (h, c), v in PLAN.items() if c == class_name and v[0] == VISITED)
        planned = sum(1 for (h, c), v in PLAN.items() if c == class_name and v[0] == PLANNED)
        result[name] = (done, planned, done * hours_per_visit)
    return result


def as_expected(row) -> Expected:
    return Expected(row.pupils, row.households, row.linked, row.invited, row.booked, row.visited, row.declined,
                    row.unreachable, row.pupils_visited, Counter(row.decline_reasons))


# -- the service ----------------------------------------------------------------------------

@pytest.fixture
async def school_id(session, clock) -> int:
    school_id = await new_school(session, clock.now())
    await seed(session, school_id, clock)
    return school_id


async def test_the_working_out_matches_the_story(school_id):
    """The test's own sums, against numbers counted by hand from the roster file."""
    per_class, school = expected()
    assert school == Expected(pupils=41, households=38, linked=13, invited=37, booked=2, visited=6, declined=2,
                              unreachable=26, pupils_visited=6,
                              reasons=Counter(no_time=1, unsaid=1, elsewhere=1))
    assert (per_class["Groep 3"].pupils, per_class["Groep 3"].households) == (13, 14)  # Daan has two homes
    assert (per_class["Groep 5"].pupils, per_class["Groep 5"].invited) == (15, 14)  # Noah came late
    assert (per_class["Groep 7"].pupils, per_class["Groep 7"].households) == (13, 14)  # Lotte has two homes


async def test_coverage_per_class_and_for_the_school(session, school_id, clock):
    period = await current_period(session, school_id)
    report = await coverage(session, school_id, period, clock.now())
    per_class, school = expected()

    assert [row.name for row in report.classes] == ["Groep 3", "Groep 5", "Groep 7"]
    for row in report.classes:
        assert as_expected(row) == per_class[row.name], row.name
        assert row.share_visited == pytest.approx(per_class[row.name].share)
    assert as_expected(report.school) == school
    assert report.school.share_visited == pytest.approx(6 / 41)


async def test_siblings_and_the_split_pupil_count_right(session, school_id, clock):
    report = await coverage(session, school_id, await current_period(session, school_id), clock.now())
    g3, g5, g7 = report.classes
    # Jansen (Emma, Lucas, Noor): visited in Groep 3, said no in Groep 5, planned in Groep 7.
    # The school counts the household once, as visited, and only Emma as a visited pupil.
    assert g5.decline_reasons["at_school"] == 1 and g7.booked == 1
    assert "at_school" not in report.school.decline_reasons
    # El Amrani: no in Groep 3, planned in Groep 5: for the school it is planned, not a no.
    assert g3.decline_reasons["none"] == 1 and "none" not in report.school.decline_reasons
    # Daan (P005) lives in H006 and H007; only H006 was visited: one pupil, two households.
    # Groep 3's visited pupils: Emma, Daan, Sem.
    assert (g3.visited, g3.pupils_visited) == (3, 3)
    # Lotte (P032) lives in H008 and H009; H008 was visited.
    assert (g7.visited, g7.pupils_visited) == (2, 2)
    # The family that was not at home is invited again, not counted as visited or planned.
    assert g3.booked == 1


@pytest.mark.parametrize("hours_per_visit", [2.0, 1.5])
async def test_per_teacher_done_planned_and_hours(session, school_id, clock, hours_per_visit):
    report = await coverage(session, school_id, await current_period(session, school_id), clock.now(),
                            hours_per_visit=hours_per_visit)
    got = {t.name: (t.done, t.planned, t.hours) for t in report.teachers}
    assert got == teachers_expected(hours_per_visit)
    assert got[MARIEKE] == (3, 1, 3 * hours_per_visit)  # the visit nobody was home for costs no hours here


async def test_without_a_period_nobody_counts_as_invited(session, school_id, clock):
    report = await coverage(session, school_id, None, clock.now())
    assert (report.school.pupils, report.school.households, report.school.linked) == (41, 38, 13)
    assert (report.school.invited, report.school.visited, report.school.booked) == (0, 0, 0)
    assert all((t.done, t.planned, t.hours) == (0, 0, 0) for t in report.teachers)


# -- `homevisit report --format csv` -----------------------------------------------------------

async def homevisit(database_url: str, *args: str, **env: str) -> tuple[int, str, str]:
    environment = {k: v for k, v in os.environ.items()
                   if k not in ("BOT_TOKEN", "BOT_USERNAME", "DATABASE_URL", "HOURS_PER_VISIT")}
    environment.update(DATABASE_URL=database_url, SCHOOL_NAME="De Regenboog", **env)
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", *args, cwd=ROOT, env=environment,
                                                   stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), 120)
    return process.returncode, out.decode(), err.decode()


async def test_report_csv_prints_the_same_numbers(school_id, database_url):
    code, out, err = await homevisit(database_url, "report", "--format", "csv", HOURS_PER_VISIT="1.5")
    assert code == 0, err
    classes_part, teachers_part = out.replace("\r\n", "\n").split("\n\n", 1)
    rows = list(csv.DictReader(io.StringIO(classes_part)))
    per_class, school = expected()
    by_name = {r["class"]: r for r in rows}
    assert list(by_name) == ["Groep 3", "Groep 5", "Groep 7", "school"]
    for name, e in [*per_class.items(), ("school", school)]:
        r = by_name[name]
        got = Expected(*(int(r[k]) for k in ("pupils", "households", "linked", "invited", "booked", "visited",
                                              "declined", "unreachable")),
                       pupils_visited=e.pupils_visited,
                       reasons=Counter({k: int(v) for k, v in (p.split("=") for p in r["decline_reasons"].split("; ")
                                                               if p)}))
        assert got == e, name
        assert float(r["share_pupils_visited"]) == pytest.approx(e.share, abs=0.0005)
    teachers = {r["teacher"]: (int(r["visits_done"]), int(r["visits_planned"]), float(r["hours"]))
                for r in csv.DictReader(io.StringIO(teachers_part))}
    assert teachers == teachers_expected(1.5)


# -- /coverage for the coordinator, over the Bot API double --------------------------------------

async def test_coordinator_sees_the_numbers_with_slash_coverage(bot):
    rt = bot.runtime
    async with rt.sessionmaker() as session:
        await seed(session, rt.school_id, rt.clock)
    w = Words("nl")
    wilma = bot.user("Wilma")
    await wilma.send(f"/start {await staff_link(rt, 'Wilma Hoekstra', role='coordinator', language='nl')}")

    [reply] = await wilma.send("/coverage")
    text = reply["text"]
    assert text.startswith(w("📊 Bereik: {period}", period="Huisbezoeken najaar 2026"))
    per_class, school = expected()

    def row_text(e: Expected) -> str:
        return w("{pupils} leerlingen, {households} gezinnen · gekoppeld {linked} · uitgenodigd {invited} · "
                 "gepland {booked} · bezocht {visited} · nee {declined} · onbereikbaar {unreachable} · "
                 "{share} van de leerlingen bezocht", pupils=e.pupils, households=e.households, linked=e.linked,
                 invited=e.invited, booked=e.booked, visited=e.visited, declined=e.declined,
                 unreachable=e.unreachable, share=w.t.percent(e.share))

    # The school at a glance, a line per class ...
    assert f"{w('Hele school')}\n{row_text(school)}" in text
    assert "15%" in text  # 6 of the 41 pupils
    for name, e in per_class.items():
        assert w("{name}: {share} bezocht · nog niet bereikt {unreachable}", name=name, share=w.t.percent(e.share),
                 unreachable=e.unreachable) in text
    # ... and a button per class with its details.
    for name, e in per_class.items():
        await wilma.click(name, message=reply)
        assert f"{name}\n{row_text(e)}" in wilma.last_text()
        await wilma.click(w("Hele school"))
        assert wilma.last_text() == text
    await wilma.click(w("Per leerkracht"))
    per_teacher = wilma.last_text()
    for name, (done, planned, hours) in teachers_expected(rt.settings.hours_per_visit).items():
        assert w("{name}: {done} bezocht, {planned} gepland, {hours} uur", name=name, done=done, planned=planned,
                 hours=w.t.number(hours)) in per_teacher
    assert "Marieke de Vries: 3 bezocht, 1 gepland, 6 uur" in per_teacher  # 3 visits at 2 hours

    # A teacher or a parent asking gets the pointer, not the numbers.
    marieke = bot.user("Marieke")
    await marieke.send(f"/start {await staff_link(rt, MARIEKE)}")
    [refused] = await marieke.send("/coverage")
    assert refused["text"] == w("Dit is voor de coördinator. Kijk bij /help wat je kunt doen.")
