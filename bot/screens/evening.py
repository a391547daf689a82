"""What people see on the visit evening: the teacher's "running late" (from today's agenda),
the family's "running late" and "something came up" (on the reminder of the visit's day), and
the messages the other side gets at once. The rules are in `bot/services/evening.py`."""
from __future__ import annotations

from datetime import datetime

from telegram import InlineKeyboardButton

from bot.buttons import Button, OneOf, Ref
from bot.i18n import Translator
from bot.screens.keyboard import Screen, button, markup, rows
from bot.screens.phrases import children_phrase
from bot.services.evening import LATE_MINUTES, Notice, may_run_late
from bot.services.invitations import InvitationView
from db.models import Appointment

LATE_ASK = Button("late_ask", Ref("appointment"))  # today's agenda: "I run late" for this visit
LATE = Button("late", Ref("appointment"), OneOf("minutes", *LATE_MINUTES))
# The family, on the reminder of the visit's day: running late, something came up (asked, then done or kept).
DAY_OF = Button("day_of", Ref("appointment"), OneOf("choice", "late", "up", "cancel", "keep"))


def minutes_phrase(t: Translator, minutes: int) -> str:
    return t.ngettext("{count} minuut", "{count} minuten", minutes).format(count=minutes)


# -- the teacher ---------------------------------------------------------------------------

def agenda_late_buttons(t: Translator, appointment: Appointment, now: datetime) -> list[InlineKeyboardButton]:
    """Today's agenda: a "running late" button for each confirmed visit of today still to end."""
    if not may_run_late(appointment, now, t.tz):
        return []
    return [button("⏰ " + t._("Ik ben later: {time}").format(time=t.time(appointment.starts_at)), LATE_ASK,
                   appointment.id)]


def agenda_late_mark(t: Translator, appointment: Appointment) -> str:
    """Beside a visit in the agenda: the family knows the teacher runs this late."""
    if not appointment.late_minutes:
        return ""
    return " – ⏰ " + t.ngettext("{count} minuut later", "{count} minuten later", appointment.late_minutes).format(
        count=appointment.late_minutes)


def _minute_buttons(t: Translator, appointment: Appointment) -> list[list[InlineKeyboardButton]]:
    return rows([button(("✅ " if appointment.late_minutes == m else "⏰ ") + minutes_phrase(t, m), LATE,
                        appointment.id, m) for m in LATE_MINUTES], 3)


def late_choice_screen(t: Translator, v: InvitationView, appointment: Appointment) -> Screen:
    return Screen(t._("Hoeveel later ben je voor het huisbezoek van {time} ({children})? Het gezin krijgt meteen "
                      "een bericht.").format(time=t.time(appointment.starts_at), children=children_phrase(t, v)),
                  markup(*_minute_buttons(t, appointment)))


def late_sent_screen(t: Translator, v: InvitationView, appointment: Appointment, minutes: int) -> Screen:
    """The family was told (or already knew these minutes): the same screen, so a second tap changes nothing."""
    return Screen(t.ngettext(
        "⏰ Verstuurd: het gezin van {children} weet dat je ongeveer {count} minuut later bent voor het huisbezoek "
        "van {time}.",
        "⏰ Verstuurd: het gezin van {children} weet dat je ongeveer {count} minuten later bent voor het huisbezoek "
        "van {time}.", minutes).format(count=minutes, children=children_phrase(t, v),
                                       time=t.time(appointment.starts_at)),
        markup(*_minute_buttons(t, appointment)))


def teacher_refusal(t: Translator, code: str) -> str:
    """A late press that cannot be: not today, or the visit no longer holds (a pop-up; nothing is sent)."""
    if code == "not_today":
        return t._("Dit huisbezoek is niet vandaag. Dat je later bent, laat je het gezin op de dag zelf weten.")
    return t._("Dit huisbezoek staat niet meer vast of is al voorbij. Kijk bij /agenda hoe het nu staat.")


def family_late_text(t: Translator, n: Notice) -> str:
    """To the teacher, at once."""
    return "⏰ " + t._("Het gezin van {children} is wat later voor het huisbezoek van {time}.").format(
        children=children_phrase(t, n.view), time=t.time(n.appointment.starts_at))


def came_up_text(t: Translator, v: InvitationView, appointment: Appointment) -> str:
    """To the teacher, at once: the family cancelled tonight's visit."""
    return "🙁 " + t._("Bij het gezin van {children} is iets tussengekomen: het huisbezoek van {when} gaat niet door. "
                      "Het moment is weer vrij; het gezin kan een nieuw moment kiezen.").format(
        children=children_phrase(t, v), when=t.day_and_time(appointment.starts_at))


# -- the family ----------------------------------------------------------------------------

def running_late_text(t: Translator, n: Notice) -> str:
    """To each guardian, at once, in their own language."""
    return t.ngettext(
        "⏰ {teacher} is ongeveer {count} minuut later voor het huisbezoek van vandaag om {time}. Tot zo!",
        "⏰ {teacher} is ongeveer {count} minuten later voor het huisbezoek van vandaag om {time}. Tot zo!",
        n.minutes).format(count=n.minutes, teacher=t.isolate(n.visitor), time=t.time(n.appointment.starts_at))


def day_of_buttons(t: Translator, appointment: Appointment) -> list[list[InlineKeyboardButton]]:
    """Under the reminder of the visit's day."""
    return [[button("⏰ " + t._("Wij zijn wat later"), DAY_OF, appointment.id, "late")],
            [button("🙁 " + t._("Er is iets tussengekomen"), DAY_OF, appointment.id, "up")]]


def family_late_screen(t: Translator, v: InvitationView, appointment: Appointment) -> Screen:
    return Screen(t._("Dank je wel! {teacher} weet nu dat jullie wat later zijn. Tot straks!").format(
        teacher=t.isolate(v.teacher.name)), markup(day_of_buttons(t, appointment)[1]))  # something came up, still


def came_up_question_screen(t: Translator, v: InvitationView, appointment: Appointment) -> Screen:
    return Screen(
        t._("Is er iets tussengekomen? Dan gaat het huisbezoek van vandaag om {time} niet door. {teacher} krijgt "
            "meteen bericht, en jullie kunnen een nieuw moment kiezen.").format(
            time=t.time(appointment.starts_at), teacher=t.isolate(v.teacher.name)),
        markup([button("✖️ " + t._("Ja, afzeggen"), DAY_OF, appointment.id, "cancel")],
               [button("↩️ " + t._("Nee, het gaat door"), DAY_OF, appointment.id, "keep")]))


def kept_screen(t: Translator, v: InvitationView, appointment: Appointment) -> Screen:
    return Screen(t._("Fijn! Het huisbezoek gaat gewoon door: vandaag om {time}. Tot straks!").format(
        time=t.time(appointment.starts_at)), markup(*day_of_buttons(t, appointment)))


def family_refusal(t: Translator) -> str:
    """A press for a visit that is not today, or no longer holds (a pop-up; nothing is sent)."""
    return t._("Dit huisbezoek is niet vandaag, of het gaat niet meer door. Kijk bij /myvisit hoe het nu staat.")
