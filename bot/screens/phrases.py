"""Phrases shared by handlers and notices: venues, statuses, a visit's one-line summary."""
from __future__ import annotations

from bot.i18n import N_, Translator
from bot.services.invitations import InvitationView
from db.models import Appointment, AppointmentStatus, InvitationStatus

VENUE_ICONS = {"home": "🏠", "school": "🏫", "park": "🌳", "cafe": "☕", "phone": "📞"}
# Button labels.
VENUE_LABELS = {
    "home": N_("Bij ons thuis"),
    "school": N_("Op school"),
    "park": N_("In een park"),
    "cafe": N_("In een café"),
    "phone": N_("Telefonisch"),
}
# Inside a sentence: "dinsdag 10 november om 17:00, bij jullie thuis".
VENUE_PHRASES = {
    "home": N_("bij jullie thuis"),
    "school": N_("op school"),
    "park": N_("in een park"),
    "cafe": N_("in een café"),
    "phone": N_("telefonisch"),
}
# The teacher reads about the family's home, not "your home".
TEACHER_HOME_PHRASE = N_("bij het gezin thuis")
DECLINE_REASON_ICONS = {"no_time": "⏰", "at_school": "🏫", "elsewhere": "📍", "unsaid": "🤐"}
DECLINE_REASON_LABELS = {
    "no_time": N_("Nu geen tijd"),
    "at_school": N_("Liever op school"),
    "elsewhere": N_("Liever ergens anders"),
    "unsaid": N_("Zeg ik liever niet"),
}
TEACHER_CANCEL_LABELS = {
    "ill": N_("Ik ben ziek"),
    "unavailable": N_("Ik kan toch niet"),
    "other": N_("Andere reden"),
}


def venue_button(t: Translator, venue: str) -> str:
    return f"{VENUE_ICONS[venue]} {t._(VENUE_LABELS[venue])}"


def venue_phrase(t: Translator, venue: str, place: str | None, *, for_teacher: bool = False) -> str:
    msgid = TEACHER_HOME_PHRASE if for_teacher and venue == "home" else VENUE_PHRASES[venue]
    phrase = t._(msgid)
    if place:
        phrase = t._("{venue} ({place})").format(venue=phrase, place=t.isolate(place))
    return phrase


def when_where(t: Translator, appointment: Appointment, *, for_teacher: bool = False) -> str:
    return t._("{when}, {where}").format(
        when=t.day_and_time(appointment.starts_at),
        where=venue_phrase(t, appointment.venue, appointment.place, for_teacher=for_teacher),
    )


def children_phrase(t: Translator, view: InvitationView) -> str:
    names = t.isolate(", ".join(view.children)) if view.children else "–"
    classes = t.isolate(", ".join(view.class_names))
    return t._("{children} ({classes})").format(children=names, classes=classes) if classes else names


def status_line(t: Translator, view: InvitationView) -> str:
    """Where this invitation stands, as a parent reads it."""
    teacher = t.isolate(view.teacher.name)
    appointment = view.appointment
    status = view.invitation.status
    if appointment is not None and appointment.status == AppointmentStatus.CONFIRMED:
        return t._("✅ Het huisbezoek van {teacher} staat vast: {when}.").format(
            teacher=teacher, when=when_where(t, appointment))
    if appointment is not None and appointment.status == AppointmentStatus.PROPOSED:
        return t._("🔄 {teacher} stelt voor: {when}. Past dat?").format(
            teacher=teacher, when=when_where(t, appointment))
    if appointment is not None:
        return t._("⏳ Jullie hebben gekozen: {when}. {teacher} bevestigt het nog.").format(
            teacher=teacher, when=when_where(t, appointment))
    if status == InvitationStatus.DECLINED:
        return t._("Jullie hebben laten weten dat jullie dit jaar liever geen huisbezoek willen. Dat is goed.")
    if status == InvitationStatus.NO_FIT:
        return t._("Geen van de momenten past. {teacher} neemt contact met jullie op.").format(teacher=teacher)
    return t._("Jullie hebben nog geen moment gekozen.")
