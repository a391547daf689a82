"""After the visit, over the Bot API double: the teacher is asked how it went, writes
the note one question at a time (text, voice, skip), adds follow-ups and ticks them
off, can change the note for 24 hours, and is asked again when a visit goes unrecorded.
Each outcome: done, at school, by phone, and the family not at home."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest
from sqlalchemy import select

from bot.app import plan
from bot.questionnaire import BUILT_IN
from bot.services import availability, booking
from bot.services.invitations import send_invitations
from bot.services.periods import PeriodDraft, current_period, open_period
from db.models import Appointment, FollowUp, Invitation, Note, Staff
from tests.seed import guardian_link, load_example_roster, staff_link
from tests.visit_setup import guardians_of, invitation
from tests.words import SCHOOL_TZ, Words

w = Words("nl")
MON, TUE = date(2026, 11, 16), date(2026, 11, 17)


def at(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hh, mm, tzinfo=SCHOOL_TZ).astimezone(timezone.utc)


@pytest.fixture(scope="module")
async def visits(bot):
    """Marieke (linked) has four confirmed visits on Monday 16 November; it is now that evening."""
    rt = bot.runtime
    await load_example_roster(rt)
    marieke = bot.user("Marieke", language_code="nl")
    await marieke.send(f"/start {await staff_link(rt, 'Marieke de Vries')}")
    anouk = bot.user("Anouk", language_code="nl")
    await anouk.send(f"/start {await guardian_link(rt, 'Anouk Jansen')}")
    ayse = bot.user("Ayşe", language_code="nl")
    await ayse.send(f"/start {await guardian_link(rt, 'Ayşe Yılmaz')}")
    async with rt.sessionmaker() as session:
        period = await open_period(session, rt.school_id, PeriodDraft("Najaar", MON, date(2026, 11, 27)),
                                   rt.clock.now())
        await send_invitations(session, period, rt.clock.now(), sibling_visits="each")
        teacher_id = await session.scalar(select(Staff.id).where(Staff.name == "Marieke de Vries"))
        await availability.add_window(session, period, teacher_id, MON, time(15), time(21), SCHOOL_TZ, rt.clock.now())
        appointments = {}
        for household, hour, minute in [("H001", 15, 0), ("H002", 16, 15), ("H004", 17, 30), ("H011", 18, 45)]:
            inv = await invitation(session, household, "Marieke de Vries")
            outcome = await booking.request_slot(session, inv.id, await guardians_of(session, household),
                                                 at(MON, hour, minute), "home", None, rt.clock.now())
            await booking.confirm(session, outcome.appointment_id, teacher_id, rt.clock.now(), rt.reminder_plan)
            appointments[household] = outcome.appointment_id
    await bot.drain()
    return {"marieke": marieke, "anouk": anouk, "ayse": ayse, "appointments": appointments, "teacher": teacher_id}


async def evening(bot):
    bot.clock.set(at(MON, 20, 0))
    await bot.drain()


async def test_after_the_visit_the_teacher_is_asked_and_writes_a_full_note(bot, visits):
    marieke = visits["marieke"]
    await evening(bot)
    prompts = [m for m in marieke.messages() if m["text"].startswith("Hoe ging het huisbezoek bij het gezin van")]
    assert len(prompts) >= 3  # the visits that have ended by 20:00
    prompt = next(m for m in prompts if "Emma Jansen" in m["text"])
    await marieke.click(w("Notitie schrijven"), message=prompt)
    assert marieke.last_text() == w("Hoe ging het bezoek van {when}?", when=w.when(at(MON, 15)))
    await marieke.click(w("Bezoek gedaan"))
    questions = list(BUILT_IN.values())
    assert marieke.last_text() == w(
        "Vraag {number} van {total}: {question}\n\nTyp je antwoord of stuur een spraakbericht.",
        number=1, total=len(questions), question=w(questions[0]))
    await marieke.send("Op Emma's tekeningen en op de moestuin.")
    await marieke.send_voice(seconds=42)                       # how is the child at home
    await marieke.click(w("Overslaan"))                       # reading: skipped
    await marieke.send("Ja, aan de keukentafel.")
    await marieke.send("Meer contact over het lezen.")
    await marieke.send("Bibliotheekpas regelen; boeken meegeven.")
    assert marieke.last_text().startswith(w("Afspraken om op te volgen? Tik wat van toepassing is, en daarna op Klaar."))
    await marieke.click(w("Boeken van school"))
    await marieke.send("Twee prentenboeken")
    await marieke.click(w("Lidmaatschap bibliotheek"))
    await marieke.click(w("Geen toelichting"))
    await marieke.click(w("Klaar"))
    summary = marieke.last_text()
    assert summary.startswith(w("Klopt je notitie?"))
    assert "Op Emma's tekeningen en op de moestuin." in summary
    assert "🎤 " + w("spraakbericht ({seconds} s)", seconds=42) in summary
    assert "📚 " + w("Boeken van school") + ": Twee prentenboeken" in summary
    await marieke.click(w("Opslaan"))
    assert marieke.last_text() == w("💾 Opgeslagen. Je kunt de notitie nog 24 uur aanpassen via /note.")

    async with bot.runtime.sessionmaker() as session:
        note = await session.scalar(select(Note).where(Note.appointment_id == visits["appointments"]["H001"]))
        assert note.outcome == "done"
        assert set(note.answers) == {"proud", "at_home", "homework", "hopes", "agreements"}
        assert note.answers["at_home"]["seconds"] == 42 and "voice" in note.answers["at_home"]
        kinds = sorted((await session.scalars(select(FollowUp.kind).where(FollowUp.note_id == note.id))).all())
    assert kinds == ["books", "library"]


async def test_a_note_can_be_changed_for_24_hours_and_not_after(bot, visits):
    marieke = visits["marieke"]
    [menu] = await marieke.send("/note")
    await marieke.click("👁 ", message=menu)  # the note on Emma's visit
    await marieke.click("✏️ " + w("Lezen en boeken thuis: wat is er, wat doen ze samen?")[:40])
    await marieke.send("Veel boeken in het Turks en Nederlands.")
    assert marieke.last_text().startswith("💾 " + w("Aangepast."))
    assert "Veel boeken in het Turks en Nederlands." in marieke.last_text()

    bot.clock.advance(timedelta(hours=25))
    [menu] = await marieke.send("/note")
    await marieke.click("👁 ", message=menu)
    assert not [label for label, _ in marieke.buttons() if label.startswith("✏️")]
    note_id = int(marieke.find_button("👁 ", menu)[1].split(":")[-1])
    answer = await marieke.press(f"v2:note_edit:{note_id}:0")
    assert answer["text"] == w("Een notitie kun je 24 uur aanpassen. Die tijd is voorbij.")
    bot.clock.set(at(MON, 20, 0))


async def test_at_school_and_by_phone_outcomes_change_the_venue(bot, visits):
    marieke = visits["marieke"]
    await evening(bot)
    for household, label, venue in [("H002", "Toch op school gesproken", "school"),
                                    ("H004", "Toch telefonisch gesproken", "phone")]:
        appointment_id = visits["appointments"][household]
        await marieke.press(f"v2:note:{appointment_id}")
        await marieke.click(w(label))
        for _ in BUILT_IN:
            await marieke.click(w("Overslaan"))
        await marieke.click(w("Klaar"))
        await marieke.click(w("Opslaan"))
        async with bot.runtime.sessionmaker() as session:
            appointment = await session.get(Appointment, appointment_id)
            note = await session.scalar(select(Note).where(Note.appointment_id == appointment_id))
        assert appointment.venue == venue and note.outcome in ("at_school", "by_phone") and note.answers == {}


async def test_family_not_at_home_frees_the_time_and_offers_a_new_one(bot, visits):
    marieke = visits["marieke"]
    await evening(bot)
    appointment_id = visits["appointments"]["H011"]  # Emily Smith is not linked: nobody to tell by chat
    await marieke.press(f"v2:note:{visits['appointments']['H011']}")
    await marieke.click(w("Het gezin was er niet"))
    assert marieke.last_text() == w("Jammer. Het gezin krijgt een vriendelijk bericht en kan een nieuw moment kiezen.")
    async with bot.runtime.sessionmaker() as session:
        appointment = await session.get(Appointment, appointment_id)
        invitation = await session.get(Invitation, appointment.invitation_id)
    assert appointment.status == "cancelled" and invitation.status == "pending"


async def test_follow_ups_are_ticked_off(bot, visits):
    marieke = visits["marieke"]
    [listing] = await marieke.send("/followups")
    assert listing["text"].startswith(w.n("Open afspraak ({count}):", "Open afspraken ({count}):", 2))
    await marieke.click(w("Boeken van school"), message=listing)
    assert marieke.last_text().startswith("✅ " + w("Afgevinkt."))
    await marieke.click(w("Lidmaatschap bibliotheek"))
    assert w("Geen open afspraken. Goed bezig!") in marieke.last_text()


async def test_an_unrecorded_visit_is_asked_about_again_a_day_later(bot, visits):
    marieke = visits["marieke"]
    # Anouk's family (H001) has a note; Ayşe's visit at 16:15 (H002) too; the reminder goes
    # only to visits without one. Book one more on Tuesday and leave it unrecorded.
    rt = bot.runtime
    bot.clock.set(at(MON, 9))
    async with rt.sessionmaker() as session:
        period = await current_period(session, rt.school_id)
        await availability.add_window(session, period, visits["teacher"], TUE, time(15), time(17), SCHOOL_TZ,
                                      rt.clock.now())
        inv = await invitation(session, "H013", "Marieke de Vries")
        outcome = await booking.request_slot(session, inv.id, await guardians_of(session, "H013"), at(TUE, 15),
                                             "home", None, rt.clock.now())
        await booking.confirm(session, outcome.appointment_id, visits["teacher"], rt.clock.now(), rt.reminder_plan)
    bot.clock.set(at(TUE, 20))
    await plan(rt)
    await bot.drain()
    again = w("Het bezoek bij het gezin van {children} ({when}) heeft nog geen notitie. Hoe ging het?",
              children="Sem Visser (Groep 3)", when=w.when(at(TUE, 15)))
    assert again not in [m["text"] for m in marieke.messages()]  # not yet: the visit was today
    bot.clock.set(at(TUE, 20) + timedelta(days=1))
    await plan(rt)
    await plan(rt)  # planning twice asks once
    await bot.drain()
    assert [m["text"] for m in marieke.messages()].count(again) == 1


async def test_a_follow_up_ticked_twice_is_not_added_twice(bot, visits):
    """Tapping a ticked follow-up again unticks it; a double tap on one asks about it once."""
    marieke = visits["marieke"]
    async with bot.runtime.sessionmaker() as session:
        inv = await invitation(session, "H013", "Marieke de Vries")
        appointment_id = await session.scalar(select(Appointment.id).where(Appointment.invitation_id == inv.id,
                                                                           Appointment.status == "confirmed"))
    await marieke.press(f"v2:note:{appointment_id}")
    await marieke.click(w("Bezoek gedaan"))
    for _ in BUILT_IN:
        await marieke.click(w("Overslaan"))
    menu = marieke.latest()
    _, books = marieke.find_button(w("Boeken van school"), menu)
    await marieke.press(books, menu)
    asked = marieke.last_text()
    await marieke.press(books, menu)  # the same button again, at once
    assert marieke.last_text() == asked
    await marieke.click(w("Geen toelichting"))
    assert w("Boeken van school") + " ✓" in [label.split(" ", 1)[1] for label, _ in marieke.buttons()]
    await marieke.click(w("Boeken van school") + " ✓")  # ticked: tapping it again unticks it
    assert not [label for label, _ in marieke.buttons() if label.endswith("✓")]
    await marieke.click(w("Klaar"))
    assert "📚" not in marieke.last_text()
    await marieke.click(w("Opslaan"))
    async with bot.runtime.sessionmaker() as session:
        note_id = await session.scalar(select(Note.id).where(Note.appointment_id == appointment_id))
        assert (await session.scalars(select(FollowUp).where(FollowUp.note_id == note_id))).all() == []


async def test_a_long_note_arrives_whole(bot, visits):
    """Five long answers: the summary before saving shows each shortened (visibly), the note
    itself is kept and shown whole, over several messages."""
    marieke, rt = visits["marieke"], bot.runtime
    thursday = date(2026, 11, 19)
    bot.clock.set(at(thursday, 9))
    async with rt.sessionmaker() as session:
        period = await current_period(session, rt.school_id)
        await availability.add_window(session, period, visits["teacher"], thursday, time(15), time(17), SCHOOL_TZ,
                                      rt.clock.now())
        inv = await invitation(session, "H003", "Marieke de Vries")
        outcome = await booking.request_slot(session, inv.id, await guardians_of(session, "H003"), at(thursday, 15),
                                             "home", None, rt.clock.now())
        await booking.confirm(session, outcome.appointment_id, visits["teacher"], rt.clock.now(), rt.reminder_plan)
    bot.clock.set(at(thursday, 17))
    answers = [(f"Antwoord {n}: " + "het gezin vertelt honderduit over de kinderen en de buurt. " * 60)[:4000].strip()
               for n in range(len(BUILT_IN))]
    await marieke.press(f"v2:note:{outcome.appointment_id}")
    await marieke.click(w("Bezoek gedaan"))
    for answer in answers:
        await marieke.send(answer)
    await marieke.click(w("Klaar"))
    summary = marieke.last_text()
    assert summary.startswith(w("Klopt je notitie?")) and summary.count(" …") == len(answers)
    await marieke.click(w("Opslaan"))
    async with rt.sessionmaker() as session:
        note = await session.scalar(select(Note).where(Note.appointment_id == outcome.appointment_id))
    assert [a["text"] for a in note.answers.values()] == answers  # whole, as typed

    before = len(marieke.messages())
    await marieke.press(f"v2:note_view:{note.id}")
    shown = marieke.messages()[before:]
    assert len(shown) > 1
    whole = "\n".join(m["text"] for m in shown)
    assert all(a in whole for a in answers)
    assert shown[-1].get("reply_markup")  # the buttons to change an answer, under the last part
