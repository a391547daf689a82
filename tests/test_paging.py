"""Every list arrives, a page at a time: the sandbox refuses what Telegram refuses (a text
over 4,096 UTF-16 code units, more than 100 buttons), so each page shown here was
accepted. Walking the pages with ▶ shows every item exactly once."""
from __future__ import annotations

import copy
import re
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from bot.services.availability import add_window
from bot.services.booking import confirm, request_slot
from bot.services.invitations import send_invitations
from bot.services.notes import save
from bot.services.periods import PeriodDraft, open_period
from bot.services.roster import import_roster
from db.models import Guardian, Invitation, Staff
from tests.seed import staff_link
from tests.words import SCHOOL_TZ, Words

W = Words("nl")
CLASSES = 24
BIG_CLASS = "Groep 1A"
TEACHER = "Juf Groep 1A"
VISITS = 25  # confirmed visits of the big class's teacher, each with a note and a follow-up
FAMILIES = 30  # the other families of the big class, two parents each, none on Telegram: the call list
PERIOD = PeriodDraft("Huisbezoeken najaar", date(2026, 11, 9), date(2026, 12, 4))


def roster() -> bytes:
    lines = ["pupil_id,pupil_name,class,teacher,household_id,guardian_name,guardian_phone,guardian_language"]
    for n in range(VISITS + FAMILIES):
        for parent in ("Alexandra-Maria", "Johannes-Willem"):
            lines.append(f"P{n:03d},Kind {n:03d} van den Berghe-Oosterhout,{BIG_CLASS},{TEACHER},H{n:03d},"
                         f"{parent} van den Berghe-Oosterhout {n:03d},+31 6 1234 {n:04d},nl")
    for c in range(1, CLASSES):
        name = f"Groep {c // 3 + 1}{'ABC'[c % 3]}"
        lines.append(f"Q{c:03d},Kind {c:03d},{name},Juf {name},HQ{c:03d},Ouder {c:03d},,nl")
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture(scope="module")
async def school(bot):
    rt = bot.runtime
    now = rt.clock.now()
    async with rt.sessionmaker() as session:
        await import_roster(session, rt.school_id, roster(), default_language="nl", now=now)
        period = await open_period(session, rt.school_id, PERIOD, now)
        await send_invitations(session, period, now)
        teacher_id = await session.scalar(select(Staff.id).where(Staff.name == TEACHER))
        for day in (date(2026, 11, 11) + timedelta(days=d) for d in range(12)):
            await add_window(session, period, teacher_id, day, time(13), time(21), SCHOOL_TZ, now)
        invitations = (await session.scalars(select(Invitation).where(Invitation.teacher_id == teacher_id)
                                             .order_by(Invitation.id))).all()
        appointments = []
        for n, invitation in enumerate(invitations[:VISITS]):
            guardian_id = await session.scalar(select(Guardian.id).where(
                Guardian.household_id == invitation.household_id).order_by(Guardian.id).limit(1))
            day = date(2026, 11, 11) + timedelta(days=n // 3)
            start = datetime.combine(day, (time(13), time(14, 15), time(15, 30))[n % 3], tzinfo=SCHOOL_TZ)
            asked = await request_slot(session, invitation.id, (guardian_id,), start, "home", None, now)
            assert asked.code == "requested", asked
            assert (await confirm(session, asked.appointment_id, teacher_id, now)).code == "confirmed"
            appointments.append(asked.appointment_id)
    teacher = bot.user("Juf")
    await teacher.send(f"/start {await staff_link(rt, TEACHER)}")
    coordinator = bot.user("Wilma")
    await coordinator.send(f"/start {await staff_link(rt, 'Wilma Hoekstra', role='coordinator', language='nl')}")
    return {"teacher": teacher, "coordinator": coordinator, "teacher_id": teacher_id, "appointments": appointments}


async def walk(user, first: dict) -> list[dict]:
    """The pages of a list, from the first one, by tapping ▶ until there is none."""
    pages = [copy.deepcopy(first)]  # the message is edited in place as one pages on: keep what each page showed
    while any(label.endswith(" ▶") for label, _ in user.buttons(pages[-1])):
        await user.click(" ▶", message=pages[-1])
        pages.append(copy.deepcopy(user.latest()))
    return pages


def page_lines(pages: list[dict]) -> list[str]:
    total = len(pages)
    for number, page in enumerate(pages, 1):
        if total > 1:
            assert W("Pagina {page} van {pages}", page=number, pages=total) in page["text"]
        assert len(page.get("reply_markup", {}).get("inline_keyboard", [])) <= 100
    return [line for page in pages for line in page["text"].split("\n")]


async def test_the_call_list_of_a_class_of_thirty_families_arrives_in_pages(bot, school):
    teacher = school["teacher"]
    [first] = await teacher.send("/calllist")
    pages = await walk(teacher, first)
    assert len(pages) > 1, first["text"][:500]
    assert first["text"].startswith(W.n("📞 Bellijst: {count} gezin om even te bellen",
                                        "📞 Bellijst: {count} gezinnen om even te bellen", FAMILIES))
    lines = page_lines(pages)
    for n in range(VISITS, VISITS + FAMILIES):
        assert sum(1 for line in lines if f"Kind {n:03d} van den Berghe-Oosterhout ({BIG_CLASS})" in line) == 1
        for parent in ("Alexandra-Maria", "Johannes-Willem"):
            assert sum(1 for line in lines
                       if f"{parent} van den Berghe-Oosterhout {n:03d}: +3161234{n:04d}" in line) == 1
    # ◀ goes back to where one was.
    await teacher.click("◀ ", message=pages[1])
    assert teacher.last_text() == pages[0]["text"]


async def test_the_agenda_pages_its_visits_with_a_cancel_button_for_each(bot, school):
    teacher = school["teacher"]
    [first] = await teacher.send("/agenda")
    pages = await walk(teacher, first)
    assert len(pages) == 3  # ten visits a page
    visits = [line for line in page_lines(pages) if line.startswith("✅ ") and "Kind" in line]
    assert len(visits) == VISITS
    assert len({re.sub(r"^✅ \S+ ", "", line) for line in visits}) == VISITS
    cancel = [label for page in pages for label, _ in teacher.buttons(page) if label.startswith("✖️")]
    assert len(cancel) == VISITS


async def test_notes_and_follow_ups_arrive_in_pages(bot, school):
    rt = bot.runtime
    async with rt.sessionmaker() as session:
        for appointment_id in school["appointments"]:
            await save(session, appointment_id, school["teacher_id"], "done", {}, [("books", None)],
                       rt.clock.now())
    teacher, coordinator = school["teacher"], school["coordinator"]

    [first] = await teacher.send("/followups")
    pages = await walk(teacher, first)
    assert len(pages) == 3
    ticks = [label for page in pages for label, _ in teacher.buttons(page) if label.startswith("✅")]
    assert len(ticks) == VISITS
    # Ticking one off on the second page shows that page again, one fewer.
    await teacher.click("✅", message=pages[1])
    assert W("Pagina {page} van {pages}", page=2, pages=3) in teacher.last_text()
    assert W.n("Open afspraak ({count}):", "Open afspraken ({count}):", VISITS - 1) in teacher.last_text()

    [first] = await coordinator.send("/notes")
    pages = await walk(coordinator, first)
    notes = [label for page in pages for label, _ in coordinator.buttons(page) if label.startswith("👁")]
    assert len(notes) == len(set(notes)) == VISITS


async def test_coverage_of_twenty_four_classes_is_a_summary_with_a_button_per_class(bot, school):
    coordinator = school["coordinator"]
    [first] = await coordinator.send("/coverage")
    pages = await walk(coordinator, first)
    class_buttons = [label for page in pages for label, _ in coordinator.buttons(page)
                     if label.startswith("Groep")]
    assert len(class_buttons) == len(set(class_buttons)) == CLASSES
    await coordinator.click(BIG_CLASS, message=pages[0])
    assert f"{VISITS + FAMILIES} leerlingen, {VISITS + FAMILIES} gezinnen" in coordinator.last_text()


async def test_the_sandbox_refuses_what_telegram_refuses(bot):
    from telegram.error import BadRequest

    user = bot.user("Limits")
    api = bot.app.bot
    with pytest.raises(BadRequest, match="(?i)message is too long"):
        await api.send_message(user.id, "😀" * 2049)  # 4,098 UTF-16 code units
    sent = await api.send_message(user.id, "😀" * 2048)
    with pytest.raises(BadRequest, match="(?i)message is not modified"):
        await api.edit_message_text("😀" * 2048, chat_id=user.id, message_id=sent.message_id)
