"""Outbox messages, rendered when they are sent: in the reader's language of that
moment, and from the state of that moment (a message whose news is stale is skipped
or shows the current state)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardMarkup

from bot.i18n import Translator
from bot.runtime import Runtime
from bot.screens.announce import announcement_text
from bot.screens.invitation import (
    NO_VENUE,
    PROPOSAL,
    days_screen,
    invitation_screen,
    status_screen,
)
from bot.screens.keyboard import Screen, button, markup
from bot.screens.notes import prompt_screen
from bot.screens.phrases import (
    DECLINE_REASON_LABELS,
    TEACHER_CANCEL_LABELS,
    children_phrase,
    venue_phrase,
    when_where,
)
from bot.screens.teacher import request_screen
from bot.services import availability, booking, broadcasts, calendar, notes, periods
from bot.services.invitations import household_guardians, view
from db.models import (
    Appointment,
    AppointmentStatus,
    Guardian,
    InvitationStatus,
    PeriodStatus,
)


@dataclass(frozen=True)
class Rendered:
    text: str
    markup: InlineKeyboardMarkup | None = None
    # A file sent with the text as its caption: (file name, content).
    document: tuple[str, bytes] | None = None


Renderer = Callable[[AsyncSession, Runtime, Translator, dict], Awaitable[Rendered | None]]


def _r(screen: Screen) -> Rendered:
    return Rendered(screen.text, screen.markup)


async def invitation(session, rt, t, payload) -> Rendered | None:
    v = await view(session, payload["invitation"], payload.get("guardian"))
    if v is None or v.period.status != PeriodStatus.OPEN:
        return None
    if v.invitation.status == InvitationStatus.PENDING:
        return _r(invitation_screen(t, v))
    return _r(status_screen(t, v))  # another guardian answered first


async def household_update(session, rt, t, payload) -> Rendered | None:
    """Another guardian of the household answered: show the outcome, not a second question."""
    v = await view(session, payload["invitation"], payload.get("guardian"))
    if v is None:
        return None
    screen = status_screen(t, v)
    answered_by = await session.get(Guardian, v.invitation.answered_by) if v.invitation.answered_by else None
    if answered_by is not None and answered_by.id != payload.get("guardian"):
        lead = t._("{name} heeft gereageerd op de uitnodiging.").format(name=t.isolate(answered_by.name))
        return Rendered(lead + "\n\n" + screen.text, screen.markup)
    return _r(screen)


async def _appointment_view(session, payload):
    appointment = await session.get(Appointment, payload["appointment"])
    if appointment is None:
        return None, None
    return appointment, await view(session, appointment.invitation_id, payload.get("guardian"))


async def request(session, rt, t, payload, rescheduled: bool = False) -> Rendered | None:
    appointment, v = await _appointment_view(session, payload)
    if appointment is None or appointment.status != AppointmentStatus.REQUESTED:
        return None  # already replaced or cancelled: the newer message tells
    guardian = await session.get(Guardian, appointment.requested_by) if appointment.requested_by else None
    phones = [f"{g.name}: {g.phone}" for g in await household_guardians(session, v.invitation.household_id) if g.phone]
    return _r(request_screen(t, v, appointment, guardian.name if guardian else "", phones, rescheduled=rescheduled))


async def reschedule_request(session, rt, t, payload) -> Rendered | None:
    return await request(session, rt, t, payload, rescheduled=True)


async def confirmed(session, rt, t, payload) -> Rendered | None:
    appointment, v = await _appointment_view(session, payload)
    if appointment is None or appointment.status != AppointmentStatus.CONFIRMED:
        return None
    event = await _family_event(session, t, v, appointment, withdrawn=False)
    return Rendered(
        t._("✅ Het huisbezoek staat vast!\n\n{teacher} komt {when}.\n\nVeranderen of afzeggen kan altijd met "
            "/myvisit.").format(teacher=t.isolate(v.teacher.name), when=when_where(t, appointment)),
        document=("huisbezoek.ics", calendar.ics([event], name=event.summary, now=rt.clock.now())),
    )


async def _family_event(session, t, v, appointment, *, withdrawn: bool) -> calendar.Event:
    return calendar.Event(
        uid=v.invitation.calendar_uid, sequence=await calendar.sequence_of(session, appointment, withdrawn=withdrawn),
        starts_at=appointment.starts_at, ends_at=appointment.ends_at,
        summary=t._("Huisbezoek van {teacher}").format(teacher=v.teacher.name),
        location=venue_phrase(t, appointment.venue, appointment.place), cancelled=withdrawn)


async def calendar_cancel(session, rt, t, payload) -> Rendered | None:
    """A confirmed visit no longer holds: the file that takes it out of the family's calendar."""
    appointment, v = await _appointment_view(session, payload)
    if appointment is None or appointment.status == AppointmentStatus.CONFIRMED or appointment.confirmed_at is None:
        return None
    if v.appointment is not None and v.appointment.status == AppointmentStatus.CONFIRMED:
        return None  # confirmed again meanwhile: that file, with a higher sequence, replaces the event
    event = await _family_event(session, t, v, appointment, withdrawn=True)
    return Rendered(
        "🗓 " + t._("Het huisbezoek van {when} gaat niet door zoals gepland. Open dit bestand om het uit je agenda "
                    "te halen.").format(when=t.day_and_time(appointment.starts_at)),
        document=("huisbezoek-vervalt.ics", calendar.ics([event], name=event.summary, now=rt.clock.now(),
                                                           method="CANCEL")),
    )


async def proposal(session, rt, t, payload) -> Rendered | None:
    appointment, v = await _appointment_view(session, payload)
    if appointment is None or appointment.status != AppointmentStatus.PROPOSED:
        return None
    return Rendered(
        t._("🔄 {teacher} kan niet op het moment dat jullie kozen, en stelt voor:\n\n📅 {when}\n\nPast dat?").format(
            teacher=t.isolate(v.teacher.name), when=when_where(t, appointment)),
        markup([button("✅ " + t._("Ja, dat past"), PROPOSAL, appointment.id, "y")],
               [button("❌ " + t._("Past niet"), PROPOSAL, appointment.id, "n")]),
    )


async def proposal_accepted(session, rt, t, payload) -> Rendered | None:
    appointment, v = await _appointment_view(session, payload)
    if appointment is None:
        return None
    return Rendered(t._("✅ Het gezin van {children} vindt je voorstel goed: {when}.").format(
        children=children_phrase(t, v), when=when_where(t, appointment, for_teacher=True)))


async def proposal_rejected(session, rt, t, payload) -> Rendered | None:
    appointment, v = await _appointment_view(session, payload)
    if appointment is None:
        return None
    return Rendered(t._("Het gezin van {children} kan niet op {when}. Ze kiezen zelf een ander moment.").format(
        children=children_phrase(t, v), when=t.day_and_time(appointment.starts_at)))


async def cancelled_by_parent(session, rt, t, payload) -> Rendered | None:
    appointment, v = await _appointment_view(session, payload)
    if appointment is None:
        return None
    return Rendered(t._("✖️ Het gezin van {children} heeft het huisbezoek van {when} afgezegd. "
                        "Het moment is weer vrij.").format(
        children=children_phrase(t, v), when=t.day_and_time(appointment.starts_at)))


async def cancelled_by_teacher(session, rt, t, payload) -> Rendered | None:
    appointment, v = await _appointment_view(session, payload)
    if appointment is None or v.period.status != PeriodStatus.OPEN:
        return None
    reason = t._(TEACHER_CANCEL_LABELS.get(appointment.cancel_reason or "other", TEACHER_CANCEL_LABELS["other"]))
    lead = t._("Helaas: {teacher} moet het huisbezoek van {when} afzeggen ({reason}). Sorry! Kies gerust een "
               "nieuw moment.").format(teacher=t.isolate(v.teacher.name), when=t.day_and_time(appointment.starts_at),
                                      reason=reason)
    free = await availability.free_slots(session, v.period, v.invitation.teacher_id, rt.clock.now())
    return _r(days_screen(t, v, free, NO_VENUE, lead))


async def declined(session, rt, t, payload) -> Rendered | None:
    v = await view(session, payload["invitation"])
    if v is None or v.invitation.status != InvitationStatus.DECLINED:
        return None
    text = t._("Het gezin van {children} heeft dit jaar liever geen huisbezoek. Dat is goed; we respecteren het.").format(
        children=children_phrase(t, v))
    if v.invitation.decline_reason:
        text += "\n" + t._("Reden: {reason}").format(reason=t._(DECLINE_REASON_LABELS[v.invitation.decline_reason]))
    return Rendered(text)


async def no_fit(session, rt, t, payload) -> Rendered | None:
    v = await view(session, payload["invitation"])
    if v is None or v.invitation.status != InvitationStatus.NO_FIT:
        return None
    guardians = await household_guardians(session, v.invitation.household_id)
    phones = "\n".join(f"📞 {t.isolate(g.name)}: {t.isolate(g.phone)}" for g in guardians if g.phone)
    text = t._("Voor het gezin van {children} past geen van je momenten. Voeg meer tijd toe met /availability, "
               "of bel even:").format(children=children_phrase(t, v))
    return Rendered(text + ("\n" + phones if phones else ""))


async def _confirmed_view(session, payload):
    appointment, v = await _appointment_view(session, payload)
    if appointment is None or appointment.status != AppointmentStatus.CONFIRMED or v.period.status != PeriodStatus.OPEN:
        return None, None
    return appointment, v


async def reminder_day_before(session, rt, t, payload) -> Rendered | None:
    appointment, v = await _confirmed_view(session, payload)
    if appointment is None:
        return None
    return Rendered(t._("🔔 Morgen komt {teacher} op huisbezoek: {when}. Fijn!\n\nLukt het toch niet? "
                        "Verzetten of afzeggen kan met /myvisit.").format(
        teacher=t.isolate(v.teacher.name), when=when_where(t, appointment)))


async def reminder_soon(session, rt, t, payload) -> Rendered | None:
    appointment, v = await _confirmed_view(session, payload)
    if appointment is None:
        return None
    hours = rt.settings.reminder_hours_before
    return Rendered(t.ngettext("🔔 Over ongeveer {count} uur: het huisbezoek van {teacher}, {when}. Tot zo!",
                               "🔔 Over ongeveer {count} uur: het huisbezoek van {teacher}, {when}. Tot zo!",
                               hours).format(count=hours, teacher=t.isolate(v.teacher.name),
                                             when=when_where(t, appointment)))


async def after_visit(session, rt, t, payload) -> Rendered | None:
    appointment, v = await _confirmed_view(session, payload)
    if appointment is None:
        return None
    if await notes.has_note(session, appointment.id):
        return None
    return _r(prompt_screen(t, children_phrase(t, v), appointment.starts_at, appointment.id, again=False))


async def note_missing(session, rt, t, payload) -> Rendered | None:
    appointment, v = await _appointment_view(session, payload)
    if (appointment is None or appointment.status != AppointmentStatus.CONFIRMED
            or await notes.has_note(session, appointment.id)):
        return None
    return _r(prompt_screen(t, children_phrase(t, v), appointment.starts_at, appointment.id, again=True))


async def missed_visit(session, rt, t, payload) -> Rendered | None:
    appointment, v = await _appointment_view(session, payload)
    if appointment is None or v.period.status != PeriodStatus.OPEN or v.invitation.status != InvitationStatus.PENDING:
        return None
    lead = t._("{teacher} kwam op {when} langs, maar trof niemand thuis. Geeft niets! Kies gerust een nieuw "
               "moment.").format(teacher=t.isolate(v.teacher.name), when=t.day_and_time(appointment.starts_at))
    free = await availability.free_slots(session, v.period, v.invitation.teacher_id, rt.clock.now())
    return _r(days_screen(t, v, free, NO_VENUE, lead))


async def follow_ups_weekly(session, rt, t, payload) -> Rendered | None:
    items = await notes.open_follow_ups(session, payload["teacher"])
    if not items:
        return None
    return Rendered(t.ngettext("📌 Weekoverzicht: je hebt nog {count} open afspraak van huisbezoeken. Bekijk en "
                               "vink af met /followups.",
                               "📌 Weekoverzicht: je hebt nog {count} open afspraken van huisbezoeken. Bekijk en "
                               "vink af met /followups.", len(items)).format(count=len(items)))


async def morning_overview(session, rt, t, payload) -> Rendered | None:
    day = date.fromisoformat(payload["day"])
    items = [i for i in await booking.agenda(session, payload["teacher"], rt.clock.now() - timedelta(hours=12))
             if i.appointment.status == AppointmentStatus.CONFIRMED
             and i.appointment.starts_at.astimezone(t.tz).date() == day]
    if not items:
        return None
    lines = [t.ngettext("☀️ Goedemorgen! Vandaag heb je {count} huisbezoek:",
                        "☀️ Goedemorgen! Vandaag heb je {count} huisbezoeken:", len(items)).format(count=len(items))]
    for item in items:
        a = item.appointment
        phones = ", ".join(p for _, p in item.guardians if p)
        line = t._("{time} {children} – {where}").format(
            time=t.time(a.starts_at), children=t.isolate(", ".join(item.children)),
            where=venue_phrase(t, a.venue, a.place, for_teacher=True))
        lines.append(line + (" – 📞 " + t.isolate(phones) if phones else ""))
    return Rendered("\n".join(lines))


async def nudge(session, rt, t, payload) -> Rendered | None:
    v = await view(session, payload["invitation"], payload.get("guardian"))
    if v is None or v.period.status != PeriodStatus.OPEN or v.invitation.status != InvitationStatus.PENDING:
        return None  # answered (or declined) meanwhile: no nudge
    screen = invitation_screen(t, v)
    if payload.get("step", 1) == 1:
        lead = t._("Een vriendelijke herinnering: {teacher} komt graag bij jullie op huisbezoek. Kies een moment "
                   "wanneer het jou uitkomt. Nee zeggen mag ook.").format(teacher=t.isolate(v.teacher.name))
    else:
        lead = t._("Nog één keer, daarna laten we je met rust: {teacher} zou jullie graag ontmoeten, thuis of "
                   "ergens anders. Tik op een knop, dat is genoeg.").format(teacher=t.isolate(v.teacher.name))
    return Rendered(lead, screen.markup)


async def announcement(session, rt, t, payload) -> Rendered | None:
    broadcast = await broadcasts.get(session, payload["broadcast"])
    period = await periods.current_period(session, rt.school_id)
    if broadcast is None or period is None:
        return None
    return Rendered(announcement_text(t, rt.settings.school_name, period, broadcast.extra or {},
                                      broadcast.audience == "staff"))


RENDERERS: dict[str, Renderer] = {
    "note_missing": note_missing,
    "missed_visit": missed_visit,
    "follow_ups_weekly": follow_ups_weekly,
    "announcement": announcement,
    "reminder_day_before": reminder_day_before,
    "reminder_soon": reminder_soon,
    "after_visit": after_visit,
    "morning_overview": morning_overview,
    "nudge": nudge,
    "invitation": invitation,
    "household_update": household_update,
    "request": request,
    "reschedule_request": reschedule_request,
    "confirmed": confirmed,
    "calendar_cancel": calendar_cancel,
    "proposal": proposal,
    "proposal_accepted": proposal_accepted,
    "proposal_rejected": proposal_rejected,
    "cancelled_by_parent": cancelled_by_parent,
    "cancelled_by_teacher": cancelled_by_teacher,
    "declined": declined,
    "no_fit": no_fit,
}
