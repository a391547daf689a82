"""The largest school homevisit is made for: 1,200 pupils in 48 classes, 60 staff. Every
overview of every role arrives (the sandbox refuses what Telegram refuses: texts over
4,096 UTF-16 units, more than 100 buttons, callback data over 64 bytes), page by page,
and the pages add up to the roster; then, with every family of one class booked and
visited and notes written in every class, the agenda, the note list, the follow-ups and
the coordinator's notes do the same."""
from __future__ import annotations

import re
from datetime import date, datetime, time

import pytest
from sqlalchemy import select

from bot.services.availability import add_window
from bot.services.booking import confirm, request_slot
from bot.services.invitations import send_invitations
from bot.services.notes import save
from bot.services.periods import PeriodDraft, open_period
from bot.services.roster import import_roster
from bot.services.staff import add_staff
from db.models import Guardian, Household, Invitation, Staff, VisitPeriod
from tests.seed import staff_link
from tests.test_paging import page_lines, walk
from tests.words import SCHOOL_TZ, Words

W = Words("nl")
GRADES, PARALLEL, PUPILS = 8, 6, 25  # 48 classes of 25
CLASSES = [f"Groep {g}{'ABCDEF'[p]}" for g in range(1, GRADES + 1) for p in range(PARALLEL)]
EXTRA_STAFF = 11  # teachers without a class of their own (60 staff with the coordinator)
PERIOD = PeriodDraft("Huisbezoeken najaar", date(2026, 11, 9), date(2026, 12, 4))
TEACHER = "Juf Groep 3C"
# Her class books every family; the other classes a few each, so that there are notes in every class.
VISIT_DAYS = [date(2026, 11, d) for d in (11, 12, 13, 16, 17, 18, 19)]  # the weekdays after the clock's Tuesday
STARTS = (time(15), time(16, 15), time(17, 30), time(18, 45))  # 15:00-20:00: an hour's visit, 15 min travel
ELSEWHERE = 3  # visits (and notes) in each other class
NOTES = PUPILS + (len(CLASSES) - 1) * ELSEWHERE
AFTER_THE_VISITS = datetime(2026, 11, 19, 20, 0, tzinfo=SCHOOL_TZ)
OUTCOMES = ("done", "at_school", "by_phone")
AGREED = ("samen met de intern begeleider en de ouders bekijken hoe het lezen gaat, of de leesboeken van school "
          "thuis gebruikt worden en of er rust is om huiswerk te maken; de ouders vragen of dat in de middag kan, na "
          "het ophalen van de kleine zus, en of de tolk erbij kan zijn. ") * 2


def agreed(what: str) -> str:
    """What was agreed, as long as a follow-up's line may be (300 characters)."""
    return (f"{what}: {AGREED}"[:299]).rstrip() + "."


FOLLOW_UPS = [("books", agreed("Leesboeken")), ("care_talk", agreed("Na de kerst")), ("other", agreed("Zwemles"))]


def child(pupil: int) -> str:
    return f"Kind {pupil:04d} Oosterhout-van den Berghe"


def roster() -> bytes:
    lines = ["pupil_id,pupil_name,class,teacher,household_id,guardian_name,guardian_phone,guardian_language"]
    for c, name in enumerate(CLASSES):
        for n in range(PUPILS):
            pupil = c * PUPILS + n
            lines.append(f"P{pupil:04d},Kind {pupil:04d} Oosterhout-van den Berghe,{name},Juf {name},H{pupil:04d},"
                         f"Ouder {pupil:04d} Oosterhout-van den Berghe,+31 6 5555 {pupil:04d},nl")
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture(scope="module")
async def school(bot):
    rt = bot.runtime
    now = rt.clock.now()
    async with rt.sessionmaker() as session:
        await import_roster(session, rt.school_id, roster(), default_language="nl", now=now)
        for n in range(EXTRA_STAFF):
            await add_staff(session, rt.school_id, name=f"Meester Extra {n:02d}", role="teacher", language="nl",
                            now=now)
        period = await open_period(session, rt.school_id, PERIOD, now)
        await send_invitations(session, period, now)
        teacher_id = await session.scalar(select(Staff.id).where(Staff.name == TEACHER))
        for day in range(9, 28):  # every afternoon of the period a window: a long availability list
            if date(2026, 11, day).weekday() < 5:
                await add_window(session, period, teacher_id, date(2026, 11, day), time(15), time(20), SCHOOL_TZ,
                                 now)
    teacher = bot.user("Juf")
    await teacher.send(f"/start {await staff_link(rt, TEACHER)}")
    coordinator = bot.user("Wilma")
    await coordinator.send(f"/start {await staff_link(rt, 'Wilma Hoekstra', role='coordinator', language='nl')}")
    async with rt.sessionmaker() as session:
        assert len((await session.scalars(select(Staff))).all()) == 60
    return {"teacher": teacher, "coordinator": coordinator}


async def test_coverage_pages_hold_every_class_and_add_up_to_the_school(bot, school):
    coordinator = school["coordinator"]
    [first] = await coordinator.send("/coverage")
    pages = await walk(coordinator, first)
    lines = page_lines(pages)
    per_class = {m.group(1): int(m.group(2)) for line in lines
                 if (m := re.match(r"(Groep \w+): \S+ bezocht · nog niet bereikt (\d+)", line))}
    assert sorted(per_class) == sorted(CLASSES)
    assert sum(per_class.values()) == GRADES * PARALLEL * PUPILS  # nobody reached yet: every household counted
    buttons = [label for page in pages for label, _ in coordinator.buttons(page) if label.startswith("Groep")]
    assert sorted(buttons) == sorted(CLASSES)
    await coordinator.click(W("Per leerkracht"), message=pages[0])
    teacher_pages = await walk(coordinator, coordinator.latest())
    teachers = [line for line in page_lines(teacher_pages) if re.search(r": \d+ bezocht, \d+ gepland", line)]
    assert len(teachers) == len(set(teachers)) >= len(CLASSES)


async def test_the_coordinators_choosers_fit_one_message(bot, school):
    coordinator = school["coordinator"]
    [audiences] = await coordinator.send("/announce")
    labels = [label for label, _ in coordinator.buttons(audiences)]
    assert sum(1 for label in labels if label.startswith("👪 " + W("Ouders van {name}", name=""))) == len(CLASSES)
    assert len(labels) <= 100
    [letters] = await coordinator.send("/letters")
    class_buttons = [label for label, _ in coordinator.buttons(letters) if label.startswith("📄 Groep")]
    assert len(class_buttons) == len(CLASSES)
    assert sum(int(re.search(r"\((\d+)\)$", label).group(1)) for label in class_buttons) == len(CLASSES) * PUPILS


async def test_the_teachers_lists_arrive_in_pages_and_hold_every_family(bot, school):
    teacher = school["teacher"]
    [first] = await teacher.send("/calllist")
    lines = page_lines(await walk(teacher, first))
    on_list = {m.group(1) for line in lines if (m := re.search(r"Kind (\d{4}) Oosterhout-van den Berghe", line))}
    assert len(on_list) == PUPILS

    [first] = await teacher.send("/families")
    pages = await walk(teacher, first)
    page_lines(pages)
    families = [label for page in pages for label, _ in teacher.buttons(page) if "Kind" in label]
    assert len(families) == len(set(families)) == PUPILS

    [first] = await teacher.send("/availability")
    lines = page_lines(await walk(teacher, first))
    assert "Sorry" not in "\n".join(lines)


# -- after the visits: every family of her class booked, visited and noted ------------------------------------------


@pytest.fixture(scope="module")
async def visits(bot, school):
    """Every household of her class books a visit and she confirms it; ELSEWHERE households of each other class too
    (for their own teachers). Through the booking services, as the buttons would."""
    rt = bot.runtime
    now = rt.clock.now()
    async with rt.sessionmaker() as session:
        period = await session.scalar(select(VisitPeriod))
        teacher_id = await session.scalar(select(Staff.id).where(Staff.name == TEACHER))
        first_guardian: dict[int, int] = {}
        for guardian_id, household_id in (await session.execute(
                select(Guardian.id, Guardian.household_id).order_by(Guardian.id))).all():
            first_guardian.setdefault(household_id, guardian_id)
        invitations = (await session.execute(
            select(Invitation.id, Invitation.teacher_id, Invitation.household_id, Household.external_id)
            .join(Household, Household.id == Invitation.household_id).order_by(Invitation.teacher_id, Invitation.id)
        )).all()
        booked: dict[int, list[tuple[int, int, datetime]]] = {}  # teacher: (appointment, pupil, start)
        for invitation_id, teacher, household_id, external_id in invitations:
            mine = booked.setdefault(teacher, [])
            if teacher != teacher_id and len(mine) == ELSEWHERE:
                continue
            if teacher != teacher_id and not mine:
                await add_window(session, period, teacher, VISIT_DAYS[0], time(15), time(20), SCHOOL_TZ, now)
            n = len(mine)
            start = datetime.combine(VISIT_DAYS[n // len(STARTS)], STARTS[n % len(STARTS)], tzinfo=SCHOOL_TZ)
            asked = await request_slot(session, invitation_id, (first_guardian[household_id],), start, "home", None,
                                       now)
            assert asked.code == "requested", (external_id, asked)
            assert (await confirm(session, asked.appointment_id, teacher, now)).code == "confirmed"
            mine.append((asked.appointment_id, int(external_id[1:]), start))
    assert len(booked) == len(CLASSES) and len(booked[teacher_id]) == PUPILS
    assert sum(len(mine) for mine in booked.values()) == NOTES
    await bot.drain()  # her 25 requests and confirmations' messages: out of the way of the lists
    return {"teacher_id": teacher_id, "booked": booked,
            "hers": {pupil: start for _, pupil, start in booked[teacher_id]}}


@pytest.fixture(scope="module")
async def visited(bot, visits):
    """The evening of the last visit: every visit has happened, none has a note yet."""
    bot.clock.set(AFTER_THE_VISITS)
    await bot.drain()  # the morning overviews and after-visit prompts of those days
    return visits


@pytest.fixture(scope="module")
async def noted(bot, visited):
    """A note for every visit. Hers: four in five with three follow-ups each, each with a line of 300 characters;
    the other teachers' with one follow-up each (not hers to see)."""
    rt = bot.runtime
    followed = set()
    async with rt.sessionmaker() as session:
        for teacher, mine in visited["booked"].items():
            for n, (appointment_id, pupil, _) in enumerate(mine):
                if teacher == visited["teacher_id"]:
                    follow_ups = FOLLOW_UPS if n % 5 != 4 else []
                    followed |= {pupil} if follow_ups else set()
                else:
                    follow_ups = [("library", None)]
                await save(session, appointment_id, teacher, OUTCOMES[n % len(OUTCOMES)], {}, follow_ups,
                           rt.clock.now())
    await bot.drain()
    return {**visited, "followed": followed}


async def test_the_agenda_of_a_class_that_all_booked_pages_every_visit_once(bot, school, visits):
    teacher = school["teacher"]
    [first] = await teacher.send("/agenda")
    assert first["text"].startswith(W.n("Je agenda: {count} huisbezoek", "Je agenda: {count} huisbezoeken", PUPILS))
    pages = await walk(teacher, first)
    assert len(pages) > 1
    lines = page_lines(pages)
    shown = [int(m.group(1)) for line in lines if line.startswith("✅ ")
             and (m := re.search(r"Kind (\d{4}) Oosterhout-van den Berghe", line))]
    assert sorted(shown) == sorted(visits["hers"])  # every family of her class, each once
    for pupil, start in visits["hers"].items():
        [line] = [line for line in lines if child(pupil) in line]
        assert line.startswith(f"✅ {W.time(start)} ") and f"Ouder {pupil:04d}" in line
    headings = {W.day(day) for day in VISIT_DAYS}
    assert list(dict.fromkeys(line for line in lines if line in headings)) == [W.day(d) for d in VISIT_DAYS]
    for page in pages:  # a page that starts in the middle of a day says which day it is
        on_page = page["text"].split("\n")
        assert min(i for i, line in enumerate(on_page) if line in headings) \
            < min(i for i, line in enumerate(on_page) if line.startswith("✅ ") and "Kind" in line)
    cancel = [label for page in pages for label, _ in teacher.buttons(page) if label.startswith("✖️")]
    assert len(cancel) == len(set(cancel)) == PUPILS  # all still to come


async def test_after_the_visits_the_note_list_offers_every_visit_once(bot, school, visited):
    teacher = school["teacher"]
    [first] = await teacher.send("/note")
    pages = await walk(teacher, first)
    assert len(pages) > 1
    page_lines(pages)
    labels = [label for page in pages for label, _ in teacher.buttons(page) if "Kind" in label]
    assert all(label.startswith("📝 ") for label in labels)  # none has a note yet
    shown = [int(re.search(r"Kind (\d{4})", label).group(1)) for label in labels]
    assert sorted(shown) == sorted(visited["hers"])
    last_visit = max(visited["hers"], key=visited["hers"].get)
    assert labels[0] == f"📝 {W.short_day(visited['hers'][last_visit])} {W.time(visited['hers'][last_visit])} " \
                        f"{child(last_visit)}"  # the latest first


async def test_many_follow_ups_arrive_in_pages_each_once(bot, school, noted):
    teacher = school["teacher"]
    count = len(noted["followed"]) * len(FOLLOW_UPS)
    [first] = await teacher.send("/followups")
    pages = await walk(teacher, first)
    assert len(pages) >= -(-count // 10)  # ten a page at most, fewer when their lines are long
    lines = page_lines(pages)
    for page in pages:
        assert W.n("Open afspraak ({count}):", "Open afspraken ({count}):", count) in page["text"]
    follow_ups = [line for line in lines if " – Kind " in line]
    assert len(follow_ups) == len(set(follow_ups)) == count
    for pupil in noted["hers"]:
        on_list = [line for line in follow_ups if child(pupil) in line]
        assert len(on_list) == (len(FOLLOW_UPS) if pupil in noted["followed"] else 0)
    for _, text in FOLLOW_UPS:  # each line whole, not cut to fit
        assert sum(1 for line in follow_ups if line.endswith(f": {text}")) == len(noted["followed"])
    ticks = [label for page in pages for label, _ in teacher.buttons(page) if label.startswith("✅")]
    assert len(ticks) == count  # the other teachers' follow-ups are not hers

    # The note list now opens each visit's note instead.
    [first] = await teacher.send("/note")
    labels = [label for page in await walk(teacher, first) for label, _ in teacher.buttons(page) if "Kind" in label]
    assert len(labels) == PUPILS and all(label.startswith("👁 ") for label in labels)


async def test_the_coordinator_pages_through_the_notes_of_every_class(bot, school, noted):
    coordinator = school["coordinator"]
    [first] = await coordinator.send("/notes")
    pages = await walk(coordinator, first)
    assert len(pages) == -(-NOTES // 10)
    page_lines(pages)
    notes = [label for page in pages for label, _ in coordinator.buttons(page) if label.startswith("👁")]
    assert len(notes) == len(set(notes)) == NOTES
    days = [re.match(r"👁 (.+?) · ", label).group(1) for label in notes]
    assert days[0] == W.short_day(VISIT_DAYS[-1]) and days[-1] == W.short_day(VISIT_DAYS[0])  # newest visit first
    # The last one on the last page opens: one of the first visits, in some class.
    await coordinator.click(notes[-1], message=pages[-1])
    opened = coordinator.last_text()
    assert W.when(datetime.combine(VISIT_DAYS[0], STARTS[0], tzinfo=SCHOOL_TZ)) in opened
    assert re.search(r"Kind \d{4} Oosterhout-van den Berghe", opened)


async def test_coverage_after_the_visits_adds_up_to_the_notes(bot, school, noted):
    coordinator = school["coordinator"]
    [first] = await coordinator.send("/coverage")
    pages = await walk(coordinator, first)
    lines = page_lines(pages)
    share = {m.group(1): m.group(2) for line in lines
             if (m := re.match(r"(Groep \w+): (\S+) bezocht · nog niet bereikt \d+", line))}
    assert sorted(share) == sorted(CLASSES)
    assert share["Groep 3C"] == W.t.percent(1.0)
    assert {share[name] for name in CLASSES if name != "Groep 3C"} == {W.t.percent(ELSEWHERE / PUPILS)}
    await coordinator.click(W("Per leerkracht"), message=pages[0])
    teacher_lines = page_lines(await walk(coordinator, coordinator.latest()))
    done = {m.group(1): int(m.group(2)) for line in teacher_lines
            if (m := re.match(r"(.+): (\d+) bezocht, (\d+) gepland", line))}
    assert done[TEACHER] == PUPILS
    assert sum(done.values()) == NOTES
