"""A note is about a child: its author and the coordinator read it, nobody else, whatever
they send. Over the Bot API double: Marieke writes a note in chat; Anouk (the mother),
Jeroen (another teacher) and a stranger try commands and forged button presses and read
nothing of it; the coordinator reads it and that is logged; the author reads it unlogged.
And the application log of a booking and a note holds no parent's name or phone."""
from __future__ import annotations

import json
import logging
from datetime import date, datetime, time

import pytest
from sqlalchemy import func, select

from bot.services import notes
from bot.services.availability import add_window
from bot.services.invitations import NotAllowed, send_invitations
from bot.services.notes import Reader
from bot.services.periods import open_period
from bot.services.schools import ensure_school
from bot.services.staff import add_staff
from db.models import Appointment, AuditEntry, FollowUp, Note, Staff
from tests.seed import guardian_link, load_example_roster, staff_link
from tests.visit_setup import AUTUMN
from tests.words import SCHOOL_TZ, Words

W = Words("nl")
THU, FRI = date(2026, 11, 12), date(2026, 11, 13)
STALE = W("Deze knop werkt niet meer. Kijk bij /help wat je kunt doen.")

# Marieke's answers about Emma (H001, Groep 3): None is a skipped question.
ANSWERS = ["Emma is trots op haar zwemdiploma", "Thuis is ze stil, bij opa kletst ze honderduit", None,
           "Huiswerk aan de keukentafel, met de tv aan", None, "Eens per maand samen naar de bibliotheek"]
FOLLOW_UP_TEXT = "Drie prentenboeken over paarden"
SECRETS = [a for a in ANSWERS if a] + [FOLLOW_UP_TEXT]


def at(day: date, hhmm: str) -> datetime:
    hours, minutes = map(int, hhmm.split(":"))
    return datetime(day.year, day.month, day.day, hours, minutes, tzinfo=SCHOOL_TZ)


async def join(bot, name: str, role: str | None = None):
    user = bot.user(name.split()[0])
    token = await (staff_link(bot.runtime, name, role=role, language="nl") if role else guardian_link(bot.runtime,
                                                                                                         name))
    await user.send(f"/start {token}")
    return user


async def reply(user, text: str) -> dict:
    """Send a command and return the bot's answer to it (not what the outbox brings meanwhile)."""
    await user.bot.drain()
    return (await user.send(text))[0]


def invitation_from(user, teacher_name: str) -> dict:
    for message in user.messages():
        if teacher_name in message["text"] and any(d.startswith("v2:invitation:") for _, d in user.buttons(message)):
            return message
    raise AssertionError(f"{user.first_name} has no invitation from {teacher_name}")


async def book_and_confirm(parent, teacher, day: date, hhmm: str) -> None:
    await parent.click(W("Kies een moment"), message=invitation_from(parent, "Marieke de Vries"))
    await parent.click(W.short_day(day))
    await parent.click(hhmm)
    await parent.click(W("Bij ons thuis"))
    await parent.click(W("Verstuur"))
    await teacher.click(W("Bevestigen"), message=teacher.latest())
    assert teacher.last_text().startswith("✅")


async def write_note(teacher, child: str, answers: list[str | None], follow_up: str) -> None:
    """/note → 📝 the visit → how it went → each question (typed or skipped) → a follow-up → Klaar → Opslaan."""
    listing = await reply(teacher, "/note")
    [label] = [label for label, _ in teacher.buttons(listing) if label.startswith("📝") and child in label]
    await teacher.click(label, message=listing)
    await teacher.click(W("Bezoek gedaan"))
    for answer in answers:
        if answer is None:
            await teacher.click(W("Overslaan"))
        else:
            await teacher.send(answer)
    await teacher.click(W("Boeken van school"))
    await teacher.send(follow_up)
    await teacher.click(W("Klaar"))
    summary = teacher.last_text()
    assert summary.startswith(W("Klopt je notitie?"))
    assert all(a in summary for a in answers if a) and follow_up in summary
    await teacher.click(W("Opslaan"))
    assert teacher.last_text() == W("💾 Opgeslagen. Je kunt de notitie nog 24 uur aanpassen via /note.")


class School:
    people: dict
    note_id: int
    appointment_id: int
    follow_up_id: int
    wilma_id: int


@pytest.fixture(scope="module")
async def school(bot) -> School:
    rt = bot.runtime
    bot.clock.set(at(date(2026, 11, 10), "16:00"))
    await load_example_roster(rt)
    async with rt.sessionmaker() as session:
        period = await open_period(session, rt.school_id, AUTUMN, rt.clock.now())
        marieke_id = await session.scalar(select(Staff.id).where(Staff.name == "Marieke de Vries"))
        for day in (THU, FRI):
            await add_window(session, period, marieke_id, day, time(15), time(19), SCHOOL_TZ, rt.clock.now())
    people = {"marieke": await join(bot, "Marieke de Vries", "teacher"),
              "jeroen": await join(bot, "Jeroen Bakker", "teacher"),
              "wilma": await join(bot, "Wilma Hoekstra", "coordinator"),
              "anouk": await join(bot, "Anouk Jansen"),
              "stranger": bot.user("Stranger")}
    async with rt.sessionmaker() as session:
        await send_invitations(session, period, rt.clock.now(), sibling_visits="each")
    await bot.drain()

    await book_and_confirm(people["anouk"], people["marieke"], THU, "15:00")
    bot.clock.set(at(THU, "16:30"))
    await write_note(people["marieke"], "Emma Jansen", ANSWERS, FOLLOW_UP_TEXT)

    s = School()
    s.people = people
    async with rt.sessionmaker() as session:
        note = (await session.scalars(select(Note))).one()
        s.note_id, s.appointment_id = note.id, note.appointment_id
        s.follow_up_id = (await session.scalars(select(FollowUp.id).where(FollowUp.note_id == note.id))).one()
        s.wilma_id = await session.scalar(select(Staff.id).where(Staff.name == "Wilma Hoekstra"))
    return s


async def snapshot(bot, school: School) -> tuple:
    """What the database holds about the note, and who read notes."""
    async with bot.runtime.sessionmaker() as session:
        note = await session.get(Note, school.note_id)
        follow_up = await session.get(FollowUp, school.follow_up_id)
        appointment = await session.get(Appointment, school.appointment_id)
        reads = (await session.execute(select(AuditEntry.actor, AuditEntry.subject)
                                       .where(AuditEntry.action == "note_read").order_by(AuditEntry.id))).all()
        notes = await session.scalar(select(func.count()).select_from(Note))
        return (note.outcome, note.answers, note.updated_at, follow_up.text, follow_up.done_at, appointment.status,
                notes, tuple(reads))


def everything_sent_to(bot, user) -> str:
    """Every text, button and pop-up the bot ever showed this person, edits included."""
    parts = []
    for call in bot.double.calls:
        if call.method in ("sendMessage", "editMessageText", "editMessageReplyMarkup") \
                and str(call.params.get("chat_id")) == str(user.id):
            parts.append(str(call.params.get("text", "")))
            parts.append(json.dumps(call.params.get("reply_markup", {}), ensure_ascii=False))
        elif call.method == "answerCallbackQuery" and str(call.params.get("callback_query_id", "")).startswith(
                f"cq{user.id}-"):
            parts.append(str(call.params.get("text", "")))
    return "\n".join(parts)


async def test_the_note_was_saved_as_written(bot, school):
    async with bot.runtime.sessionmaker() as session:
        note = await session.get(Note, school.note_id)
        follow_up = await session.get(FollowUp, school.follow_up_id)
    keys = [q.key for q in bot.runtime.questions]
    assert note.outcome == "done"
    assert note.answers == {k: {"text": a} for k, a in zip(keys, ANSWERS) if a}
    assert (follow_up.kind, follow_up.text, follow_up.done_at) == ("books", FOLLOW_UP_TEXT, None)


@pytest.mark.parametrize("who", ["anouk", "jeroen", "stranger"])
async def test_others_read_nothing_of_the_note_whatever_they_send(bot, school, who):
    intruder = school.people[who]
    before = await snapshot(bot, school)

    answer = await reply(intruder, "/note")
    if who == "jeroen":
        assert answer["text"] == W("Er zijn nog geen bezoeken om een notitie over te schrijven.")
    else:
        assert answer["text"] == W("Dit is voor leerkrachten. Kijk bij /help wat je kunt doen.")
    answer = await reply(intruder, "/notes")
    assert answer["text"] == W("Dit is voor de coördinator. Kijk bij /help wat je kunt doen.")
    answer = await reply(intruder, "/followups")
    assert FOLLOW_UP_TEXT not in answer["text"]

    for data in (f"v2:note_view:{school.note_id}", f"v2:note_edit:{school.note_id}:0", f"v2:follow_up_done:{school.follow_up_id}:0",
                 f"v2:note:{school.appointment_id}", f"v2:note_outcome:{school.appointment_id}:not_home",
                 f"v2:note_save:{school.appointment_id}"):
        answer = await intruder.press(data, message=intruder.latest())
        assert (answer or {}).get("text") == STALE, data
        assert (answer or {}).get("show_alert") in (True, "true", "True"), data

    seen = everything_sent_to(bot, intruder)
    assert seen  # they were answered...
    for secret in SECRETS:  # ...but never with the note
        assert secret not in seen
    assert await snapshot(bot, school) == before


async def test_the_coordinator_reads_the_note_and_that_is_logged(bot, school):
    wilma = school.people["wilma"]
    before = await snapshot(bot, school)
    listing = await reply(wilma, "/notes")
    assert listing["text"] == W("De laatste notities. Wie een notitie opent, staat in het logboek.")
    await wilma.click(f"#{school.note_id}", message=listing)
    shown = wilma.last_text()
    assert shown.startswith(W("Notitie over het bezoek van {when}, {children}", when=W.when(at(THU, "15:00")),
                              children="Emma Jansen"))
    assert W("Geschreven door {author}", author="Marieke de Vries") in shown
    assert all(secret in shown for secret in SECRETS)
    assert not wilma.buttons(wilma.latest())  # reading, not changing

    after = await snapshot(bot, school)
    assert after[-1] == before[-1] + ((f"staff:{school.wilma_id}", f"note:{school.note_id}"),)
    assert after[:-1] == before[:-1]

    # Changing it or ticking off its follow-up stays the author's.
    assert (await wilma.press(f"v2:note_edit:{school.note_id}:0"))["text"] == STALE
    assert (await wilma.press(f"v2:follow_up_done:{school.follow_up_id}:0"))["text"] == STALE
    assert await snapshot(bot, school) == after


async def test_the_author_reads_her_own_note_unlogged(bot, school):
    marieke = school.people["marieke"]
    before = await snapshot(bot, school)
    listing = await reply(marieke, "/note")
    [label] = [label for label, _ in marieke.buttons(listing) if label.startswith("👁") and "Emma Jansen" in label]
    await marieke.click(label, message=listing)
    shown = marieke.last_text()
    assert all(secret in shown for secret in SECRETS)
    assert await snapshot(bot, school) == before


async def test_the_log_of_a_booking_and_a_note_names_no_parent(bot, school, caplog):
    """Petra links, books Friday with Marieke, Marieke confirms and writes a note: the
    application log says what happened without Petra's name or phone."""
    caplog.set_level(logging.INFO)
    marieke = school.people["marieke"]
    petra = await join(bot, "Petra Mulder")
    await book_and_confirm(petra, marieke, FRI, "15:00")
    bot.clock.set(at(FRI, "16:30"))
    await write_note(marieke, "Julia Mulder", ["Julia tekent graag", None, None, None, None, None], "Kleurboek")
    await petra.send("/myvisit")
    await petra.press(f"v2:note_view:{school.note_id}")  # and a refused press, which is logged

    logged = caplog.text
    assert "refused button" in logged  # the log was captured
    for private in ("Petra Mulder", "Petra", "+31 6 1234 5612", "+31612345612", "612345612", "1234 5612",
                    "Julia tekent graag", "Kleurboek", *SECRETS):  # nor what the note says
        assert private not in logged
    for record in caplog.records:
        assert "Petra" not in str(record.args) and "5612" not in str(record.args)


async def test_a_coordinator_of_another_school_in_the_same_database_reads_nothing(bot, school):
    """A school board may keep its schools in one database: each coordinator reads their own school's notes."""
    rt = bot.runtime
    before = await snapshot(bot, school)
    async with rt.sessionmaker() as session:
        other = await ensure_school(session, "De Zonnebloem", "Europe/Amsterdam", "nl", rt.clock.now())
        karel = await add_staff(session, other.id, name="Karel Zon", role="coordinator", language="nl",
                                now=rt.clock.now())
        await session.commit()
        with pytest.raises(NotAllowed):
            await notes.read(session, school.note_id, Reader(karel.id, True), rt.clock.now())
    assert await snapshot(bot, school) == before
