"""Outbox messages, rendered when they are sent: in the reader's language of that
moment, and from the state of that moment (a message whose news is stale is skipped
or shows the current state)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardMarkup

from bot.dialogs.booking import days_screen, invitation_screen, status_screen
from bot.dialogs.teacher import request_screen
from bot.i18n import Translator
from bot.keyboards import Screen, button, markup
from bot.runtime import Runtime
from bot.services import availability
from bot.services.invitations import household_guardians, view
from bot.texts import DECLINE_REASON_LABELS, TEACHER_CANCEL_LABELS, children_phrase, when_where
from db.models import Appointment, Guardian


@dataclass(frozen=True)
class Rendered:
    text: str
    markup: InlineKeyboardMarkup | None = None


Renderer = Callable[[AsyncSession, Runtime, Translator, dict], Awaitable[Rendered | None]]


def _r(screen: Screen) -> Rendered:
    return Rendered(screen.text, screen.markup)


async def invitation(session, rt, t, payload) -> Rendered | None:
    v = await view(session, payload["invitation"], payload.get("guardian"))
    if v is None or v.period.status != "open":
        return None
    if v.invitation.status == "pending":
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
    if appointment is None or appointment.status != "requested":
        return None  # already replaced or cancelled: the newer message tells
    guardian = await session.get(Guardian, appointment.requested_by) if appointment.requested_by else None
    phones = [f"{g.name}: {g.phone}" for g in await household_guardians(session, v.invitation.household_id) if g.phone]
    return _r(request_screen(t, v, appointment, guardian.name if guardian else "", phones, rescheduled=rescheduled))


async def reschedule_request(session, rt, t, payload) -> Rendered | None:
    return await request(session, rt, t, payload, rescheduled=True)


async def confirmed(session, rt, t, payload) -> Rendered | None:
    appointment, v = await _appointment_view(session, payload)
    if appointment is None or appointment.status != "confirmed":
        return None
    return Rendered(
        t._("✅ Het huisbezoek staat vast!\n\n{teacher} komt {when}.\n\nVeranderen of afzeggen kan altijd met "
            "/myvisit.").format(teacher=t.isolate(v.teacher.name), when=when_where(t, appointment))
    )


async def proposal(session, rt, t, payload) -> Rendered | None:
    appointment, v = await _appointment_view(session, payload)
    if appointment is None or appointment.status != "proposed":
        return None
    return Rendered(
        t._("🔄 {teacher} kan niet op het moment dat jullie kozen, en stelt voor:\n\n📅 {when}\n\nPast dat?").format(
            teacher=t.isolate(v.teacher.name), when=when_where(t, appointment)),
        markup([button("✅ " + t._("Ja, dat past"), "prop", appointment.id, "y")],
               [button("❌ " + t._("Past niet"), "prop", appointment.id, "n")]),
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
    if appointment is None or v.period.status != "open":
        return None
    reason = t._(TEACHER_CANCEL_LABELS.get(appointment.cancel_reason or "other", TEACHER_CANCEL_LABELS["other"]))
    lead = t._("Helaas: {teacher} moet het huisbezoek van {when} afzeggen ({reason}). Sorry! Kies gerust een "
               "nieuw moment.").format(teacher=t.isolate(v.teacher.name), when=t.day_and_time(appointment.starts_at),
                                      reason=reason)
    free = await availability.free_slots(session, v.period, v.invitation.teacher_id, rt.clock.now())
    return _r(days_screen(t, v, free, "x", lead))


async def declined(session, rt, t, payload) -> Rendered | None:
    v = await view(session, payload["invitation"])
    if v is None or v.invitation.status != "declined":
        return None
    text = t._("Het gezin van {children} heeft dit jaar liever geen huisbezoek. Dat is goed; we respecteren het.").format(
        children=children_phrase(t, v))
    if v.invitation.decline_reason:
        text += "\n" + t._("Reden: {reason}").format(reason=t._(DECLINE_REASON_LABELS[v.invitation.decline_reason]))
    return Rendered(text)


async def no_fit(session, rt, t, payload) -> Rendered | None:
    v = await view(session, payload["invitation"])
    if v is None or v.invitation.status != "no_fit":
        return None
    guardians = await household_guardians(session, v.invitation.household_id)
    phones = "\n".join(f"📞 {t.isolate(g.name)}: {t.isolate(g.phone)}" for g in guardians if g.phone)
    text = t._("Voor het gezin van {children} past geen van je momenten. Voeg meer tijd toe met /availability, "
               "of bel even:").format(children=children_phrase(t, v))
    return Rendered(text + ("\n" + phones if phones else ""))


RENDERERS: dict[str, Renderer] = {
    "invitation": invitation,
    "household_update": household_update,
    "request": request,
    "reschedule_request": reschedule_request,
    "confirmed": confirmed,
    "proposal": proposal,
    "proposal_accepted": proposal_accepted,
    "proposal_rejected": proposal_rejected,
    "cancelled_by_parent": cancelled_by_parent,
    "cancelled_by_teacher": cancelled_by_teacher,
    "declined": declined,
    "no_fit": no_fit,
}
