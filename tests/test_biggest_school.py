"""The largest school homevisit is made for: 1,200 pupils in 48 classes, 60 staff. Every
overview of every role arrives (the sandbox refuses what Telegram refuses: texts over
4,096 UTF-16 units, more than 100 buttons, callback data over 64 bytes), page by page,
and the pages add up to the roster."""
from __future__ import annotations

import re
from datetime import date, time

import pytest
from sqlalchemy import select

from bot.services.availability import add_window
from bot.services.invitations import send_invitations
from bot.services.periods import PeriodDraft, open_period
from bot.services.roster import import_roster
from bot.services.staff import add_staff
from db.models import Staff
from tests.seed import staff_link
from tests.test_paging import page_lines, walk
from tests.words import SCHOOL_TZ, Words

W = Words("nl")
GRADES, PARALLEL, PUPILS = 8, 6, 25  # 48 classes of 25
CLASSES = [f"Groep {g}{'ABCDEF'[p]}" for g in range(1, GRADES + 1) for p in range(PARALLEL)]
EXTRA_STAFF = 11  # teachers without a class of their own (60 staff with the coordinator)
PERIOD = PeriodDraft("Huisbezoeken najaar", date(2026, 11, 9), date(2026, 12, 4))
TEACHER = "Juf Groep 3C"


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
