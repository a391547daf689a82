"""What the outbox's messages say: to a family (the visit fixed, a counter-proposal, a
cancellation, reminders, nudges) and to a teacher (a family's answer, the morning's
visits, the week's open follow-ups). Pure, like every screen: `bot/notices.py` loads the
state of the moment a message is sent, and decides whether it is still news."""
from __future__ import annotations

from datetime import datetime

from bot.i18n import Translator
from bot.screens import siblings as joint
from bot.screens.companions import agenda_suffix
from bot.screens.evening import came_up_text
from bot.screens.invitation import PROPOSAL
from bot.screens.keyboard import Screen, button, markup
from bot.screens.phrases import (
    DECLINE_REASON_LABELS,
    TEACHER_CANCEL_LABELS,
    children_phrase,
    venue_phrase,
    when_where,
)
from bot.services.booking import AgendaItem
from bot.services.calendar import Event
from bot.services.evening import CAME_UP
from bot.services.invitations import InvitationView
from db.models import Appointment, Guardian

# -- to the family --------------------------------------------------------------------------

def answered_lead(t: Translator, name: str) -> str:
    """Another guardian of the household answered."""
    return t._("{name} heeft gereageerd op de uitnodiging.").format(name=t.isolate(name))


def confirmed_text(t: Translator, v: InvitationView, appointment: Appointment) -> str:
    if v.partners:  # siblings' teachers together (bot/screens/siblings.py)
        return joint.confirmed_text(t, v, when_where(t, appointment))
    return t._("✅ Het huisbezoek staat vast!\n\n{teacher} komt {when}.\n\nVeranderen of afzeggen kan altijd met "
               "/myvisit.").format(teacher=t.isolate(v.teacher.name), when=when_where(t, appointment))


def family_event(t: Translator, v: InvitationView, appointment: Appointment, sequence: int, *,
                 withdrawn: bool) -> Event:
    """The visit as an event in the family's calendar."""
    return Event(uid=v.invitation.calendar_uid, sequence=sequence, starts_at=appointment.starts_at,
                 ends_at=appointment.ends_at, summary=t._("Huisbezoek van {teacher}").format(teacher=v.teacher.name),
                 location=venue_phrase(t, appointment.venue, appointment.place), cancelled=withdrawn)


def withdrawn_text(t: Translator, starts_at: datetime) -> str:
    return "🗓 " + t._("Het huisbezoek van {when} gaat niet door zoals gepland. Open dit bestand om het uit je "
                      "agenda te halen.").format(when=t.day_and_time(starts_at))


def proposal_screen(t: Translator, v: InvitationView, appointment: Appointment) -> Screen:
    return Screen(
        t._("🔄 {teacher} kan niet op het moment dat jullie kozen, en stelt voor:\n\n📅 {when}\n\nPast dat?").format(
            teacher=t.isolate(v.teacher.name), when=when_where(t, appointment)),
        markup([button("✅ " + t._("Ja, dat past"), PROPOSAL, appointment.id, "y")],
               [button("❌ " + t._("Past niet"), PROPOSAL, appointment.id, "n")]))


def teacher_cancelled_lead(t: Translator, v: InvitationView, appointment: Appointment) -> str:
    reason = t._(TEACHER_CANCEL_LABELS.get(appointment.cancel_reason or "other", TEACHER_CANCEL_LABELS["other"]))
    return t._("Helaas: {teacher} moet het huisbezoek van {when} afzeggen ({reason}). Sorry! Kies gerust een "
               "nieuw moment.").format(teacher=t.isolate(v.teacher.name), when=t.day_and_time(appointment.starts_at),
                                      reason=reason)


def not_home_lead(t: Translator, v: InvitationView, appointment: Appointment) -> str:
    return t._("{teacher} kwam op {when} langs, maar trof niemand thuis. Geeft niets! Kies gerust een nieuw "
               "moment.").format(teacher=t.isolate(v.teacher.name), when=t.day_and_time(appointment.starts_at))


def day_before_text(t: Translator, v: InvitationView, appointment: Appointment) -> str:
    return t._("🔔 Morgen komt {teacher} op huisbezoek: {when}. Fijn!\n\nLukt het toch niet? "
               "Verzetten of afzeggen kan met /myvisit.").format(teacher=t.isolate(v.teacher.name),
                                                                 when=when_where(t, appointment))


def soon_text(t: Translator, v: InvitationView, appointment: Appointment, hours: int) -> str:
    return t.ngettext("🔔 Over ongeveer {count} uur: het huisbezoek van {teacher}, {when}. Tot zo!",
                      "🔔 Over ongeveer {count} uur: het huisbezoek van {teacher}, {when}. Tot zo!",
                      hours).format(count=hours, teacher=t.isolate(v.teacher.name), when=when_where(t, appointment))


def nudge_lead(t: Translator, v: InvitationView, step: int) -> str:
    if step == 1:
        return t._("Een vriendelijke herinnering: {teacher} komt graag bij jullie op huisbezoek. Kies een moment "
                   "wanneer het jou uitkomt. Nee zeggen mag ook.").format(teacher=t.isolate(v.teacher.name))
    return t._("Nog één keer, daarna laten we je met rust: {teacher} zou jullie graag ontmoeten, thuis of "
               "ergens anders. Tik op een knop, dat is genoeg.").format(teacher=t.isolate(v.teacher.name))


# -- to the teacher -------------------------------------------------------------------------

def accepted_text(t: Translator, v: InvitationView, appointment: Appointment) -> str:
    return t._("✅ Het gezin van {children} vindt je voorstel goed: {when}.").format(
        children=children_phrase(t, v), when=when_where(t, appointment, for_teacher=True))


def rejected_text(t: Translator, v: InvitationView, appointment: Appointment) -> str:
    return t._("Het gezin van {children} kan niet op {when}. Ze kiezen zelf een ander moment.").format(
        children=children_phrase(t, v), when=t.day_and_time(appointment.starts_at))


def parent_cancelled_text(t: Translator, v: InvitationView, appointment: Appointment) -> str:
    if appointment.cancel_reason == CAME_UP:  # on the evening itself, from the reminder
        return came_up_text(t, v, appointment)
    return t._("✖️ Het gezin van {children} heeft het huisbezoek van {when} afgezegd. Het moment is weer vrij.").format(
        children=children_phrase(t, v), when=t.day_and_time(appointment.starts_at))


def declined_text(t: Translator, v: InvitationView) -> str:
    text = t._("Het gezin van {children} heeft dit jaar liever geen huisbezoek. Dat is goed; we respecteren het."
               ).format(children=children_phrase(t, v))
    if v.invitation.decline_reason:
        text += "\n" + t._("Reden: {reason}").format(reason=t._(DECLINE_REASON_LABELS[v.invitation.decline_reason]))
    return text


def no_fit_text(t: Translator, v: InvitationView, guardians: list[Guardian]) -> str:
    phones = "\n".join(f"📞 {t.isolate(g.name)}: {t.isolate(g.phone)}" for g in guardians if g.phone)
    text = t._("Voor het gezin van {children} past geen van je momenten. Voeg meer tijd toe met /availability, "
               "of bel even:").format(children=children_phrase(t, v))
    return text + ("\n" + phones if phones else "")


def follow_ups_weekly_text(t: Translator, count: int) -> str:
    return t.ngettext("📌 Weekoverzicht: je hebt nog {count} open afspraak van huisbezoeken. Bekijk en "
                      "vink af met /followups.",
                      "📌 Weekoverzicht: je hebt nog {count} open afspraken van huisbezoeken. Bekijk en "
                      "vink af met /followups.", count).format(count=count)


def morning_overview_text(t: Translator, items: list[AgendaItem]) -> str:
    lines = [t.ngettext("☀️ Goedemorgen! Vandaag heb je {count} huisbezoek:",
                        "☀️ Goedemorgen! Vandaag heb je {count} huisbezoeken:", len(items)).format(count=len(items))]
    for item in items:
        a = item.appointment
        phones = ", ".join(p for _, p in item.guardians if p)
        line = t._("{time} {children} – {where}").format(
            time=t.time(a.starts_at), children=t.isolate(", ".join(item.children)),
            where=venue_phrase(t, a.venue, a.place, for_teacher=True)) + agenda_suffix(t, item)  # who else goes
        lines.append(line + (" – 📞 " + t.isolate(phones) if phones else ""))
    return "\n".join(lines)
