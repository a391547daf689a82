"""Outbox messages, rendered when they are sent: in the reader's language of that
moment, and from the state of that moment (a message whose news is stale is skipped
or shows the current state). What they say is in `bot/screens/messages.py`."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardMarkup

from bot.i18n import Translator
from bot.runtime import Runtime
from bot.screens import companions as companion_screens
from bot.screens import evening as evening_screens
from bot.screens import messages
from bot.screens import siblings as sibling_screens
from bot.screens.announce import announcement_text
from bot.screens.invitation import (
    NO_VENUE,
    days_screen,
    invitation_screen,
    status_screen,
)
from bot.screens.keyboard import Screen, markup
from bot.screens.notes import prompt_screen
from bot.screens.phrases import children_phrase
from bot.screens.teacher import request_screen
from bot.services import (
    areas,
    availability,
    booking,
    broadcasts,
    calendar,
    companions,
    evening,
    notes,
    periods,
)
from bot.services.invitations import InvitationView, follows, household_guardians, view
from bot.services.slots import by_day
from db.models import (
    Appointment,
    AppointmentStatus,
    Guardian,
    InvitationStatus,
    PeriodStatus,
    Staff,
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
        return Rendered(messages.answered_lead(t, answered_by.name) + "\n\n" + screen.text, screen.markup)
    return _r(screen)


async def _appointment_view(session, payload) -> tuple[Appointment | None, InvitationView | None]:
    appointment = await session.get(Appointment, payload["appointment"])
    if appointment is None:
        return None, None
    return appointment, await view(session, appointment.invitation_id, payload.get("guardian"))


async def request(session, rt, t, payload, rescheduled: bool = False) -> Rendered | None:
    appointment, v = await _appointment_view(session, payload)
    if appointment is None or appointment.status != AppointmentStatus.REQUESTED:
        return None  # already replaced or cancelled: the newer message tells
    guardian = await session.get(Guardian, appointment.requested_by) if appointment.requested_by else None
    guardians = await household_guardians(session, v.invitation.household_id)
    phones = [f"{g.name}: {g.phone}" for g in guardians if g.phone]
    # On the household's web page the household asks, not one guardian.
    asker = guardian.name if guardian else ", ".join(g.name for g in guardians)
    return _r(request_screen(t, v, appointment, asker, phones, rescheduled=rescheduled))


async def reschedule_request(session, rt, t, payload) -> Rendered | None:
    return await request(session, rt, t, payload, rescheduled=True)


async def confirmed(session, rt, t, payload) -> Rendered | None:
    appointment, v = await _appointment_view(session, payload)
    if appointment is None or appointment.status != AppointmentStatus.CONFIRMED:
        return None
    event = messages.family_event(t, v, appointment, await calendar.sequence_of(session, appointment), withdrawn=False)
    return Rendered(messages.confirmed_text(t, v, appointment),
                    document=("huisbezoek.ics", calendar.ics([event], name=event.summary, now=rt.clock.now())))


async def calendar_cancel(session, rt, t, payload) -> Rendered | None:
    """A confirmed visit no longer holds: the file that takes it out of the family's calendar."""
    appointment, v = await _appointment_view(session, payload)
    if appointment is None or appointment.status == AppointmentStatus.CONFIRMED or appointment.confirmed_at is None:
        return None
    if v.appointment is not None and v.appointment.status == AppointmentStatus.CONFIRMED:
        return None  # confirmed again meanwhile: that file, with a higher sequence, replaces the event
    sequence = await calendar.sequence_of(session, appointment, withdrawn=True)
    event = messages.family_event(t, v, appointment, sequence, withdrawn=True)
    return Rendered(messages.withdrawn_text(t, appointment.starts_at),
                    document=("huisbezoek-vervalt.ics", calendar.ics([event], name=event.summary, now=rt.clock.now(),
                                                                       method="CANCEL")))


async def proposal(session, rt, t, payload) -> Rendered | None:
    appointment, v = await _appointment_view(session, payload)
    if appointment is None or appointment.status != AppointmentStatus.PROPOSED:
        return None
    return _r(messages.proposal_screen(t, v, appointment))


def _about_appointment(text: Callable[[Translator, InvitationView, Appointment], str]) -> Renderer:
    """A message to the teacher about what became of an appointment (sent whatever it is now)."""

    async def render(session, rt, t, payload) -> Rendered | None:
        appointment, v = await _appointment_view(session, payload)
        return Rendered(text(t, v, appointment)) if appointment is not None else None

    return render


async def _days_again(session, t: Translator, v: InvitationView, free: list, lead: str) -> Rendered:
    """The free days again, in the order of the teacher's route (bot/services/areas.py)."""
    fit = await areas.evening_fit(session, v.invitation, by_day(free, t.tz), t.tz)
    return _r(days_screen(t, v, free, NO_VENUE, lead, fit=fit))


async def cancelled_by_teacher(session, rt, t, payload) -> Rendered | None:
    appointment, v = await _appointment_view(session, payload)
    if appointment is None or v.period.status != PeriodStatus.OPEN:
        return None
    free = await availability.free_slots(session, v.period, v.invitation.teacher_id, rt.clock.now())
    return await _days_again(session, t, v, free, messages.teacher_cancelled_lead(t, v, appointment))


async def declined(session, rt, t, payload) -> Rendered | None:
    v = await view(session, payload["invitation"])
    if v is None or v.invitation.status != InvitationStatus.DECLINED:
        return None
    return Rendered(messages.declined_text(t, v))


async def no_fit(session, rt, t, payload) -> Rendered | None:
    v = await view(session, payload["invitation"])
    if v is None or v.invitation.status != InvitationStatus.NO_FIT:
        return None
    return Rendered(messages.no_fit_text(t, v, await household_guardians(session, v.invitation.household_id)))


async def _confirmed_view(session, payload) -> tuple[Appointment | None, InvitationView | None]:
    appointment, v = await _appointment_view(session, payload)
    if (appointment is None or appointment.status != AppointmentStatus.CONFIRMED
            or v.period.status != PeriodStatus.OPEN):
        return None, None
    if payload.get("guardian") and follows(v.invitation):
        return None, None  # a joint visit: the family is reminded of it once, by the lead's part
    return appointment, v


async def reminder_day_before(session, rt, t, payload) -> Rendered | None:
    appointment, v = await _confirmed_view(session, payload)
    return Rendered(messages.day_before_text(t, v, appointment)) if appointment is not None else None


async def reminder_soon(session, rt, t, payload) -> Rendered | None:
    appointment, v = await _confirmed_view(session, payload)
    if appointment is None:
        return None
    text = messages.soon_text(t, v, appointment, rt.settings.reminder_hours_before)
    if not evening.may_run_late(appointment, rt.clock.now(), rt.settings.tz):  # not on the visit's day
        return Rendered(text)
    return _r(Screen(text, markup(*evening_screens.day_of_buttons(t, appointment))))  # running late, came up


async def after_visit(session, rt, t, payload) -> Rendered | None:
    appointment, v = await _confirmed_view(session, payload)
    if appointment is None or await notes.has_note(session, appointment.id):
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
    free = await availability.free_slots(session, v.period, v.invitation.teacher_id, rt.clock.now())
    return await _days_again(session, t, v, free, messages.not_home_lead(t, v, appointment))


async def follow_ups_weekly(session, rt, t, payload) -> Rendered | None:
    items = await notes.open_follow_ups(session, payload["teacher"])
    return Rendered(messages.follow_ups_weekly_text(t, len(items))) if items else None


async def morning_overview(session, rt, t, payload) -> Rendered | None:
    day = date.fromisoformat(payload["day"])
    items = [i for i in await booking.agenda(session, payload["teacher"], rt.clock.now() - timedelta(hours=12))
             if i.appointment.status == AppointmentStatus.CONFIRMED
             and i.appointment.starts_at.astimezone(t.tz).date() == day]
    return Rendered(messages.morning_overview_text(t, items)) if items else None


async def nudge(session, rt, t, payload) -> Rendered | None:
    v = await view(session, payload["invitation"], payload.get("guardian"))
    if v is None or v.period.status != PeriodStatus.OPEN or v.invitation.status != InvitationStatus.PENDING:
        return None  # answered (or declined) meanwhile: no nudge
    if follows(v.invitation):
        return None  # a joint visit: the nudge about the lead's invitation names everyone
    return Rendered(messages.nudge_lead(t, v, payload.get("step", 1)), invitation_screen(t, v).markup)


async def announcement(session, rt, t, payload) -> Rendered | None:
    broadcast = await broadcasts.get(session, payload["broadcast"])
    period = await periods.current_period(session, rt.school_id)
    if broadcast is None or period is None:
        return None
    return Rendered(announcement_text(t, rt.settings.school_name, period, broadcast.extra or {},
                                      broadcast.audience == "staff"))


async def _evening_notice(session, rt, t, payload, text) -> Rendered | None:
    notice = await evening.notice(session, payload)  # None: the visit no longer holds
    return Rendered(text(t, notice)) if notice is not None else None


async def running_late(session, rt, t, payload) -> Rendered | None:
    return await _evening_notice(session, rt, t, payload, evening_screens.running_late_text)


async def family_late(session, rt, t, payload) -> Rendered | None:
    return await _evening_notice(session, rt, t, payload, evening_screens.family_late_text)


async def joint_confirmed(session, rt, t, payload) -> Rendered | None:
    """To another teacher of a joint visit: a colleague confirmed it for all."""
    appointment, v = await _appointment_view(session, payload)
    by = await session.get(Staff, payload["by"])
    if appointment is None or appointment.status != AppointmentStatus.CONFIRMED or by is None:
        return None
    return Rendered(sibling_screens.joint_confirmed_text(t, v, appointment, by.name))


# -- a second visitor (bot/services/companions.py): sent only while still true --------------------

async def companions_news(session, rt, t, payload) -> Rendered | None:
    """To the family: who will come, as it stands when the message goes out."""
    appointment, v = await _confirmed_view(session, payload)
    if appointment is None or appointment.starts_at <= rt.clock.now():
        return None
    return Rendered(companion_screens.family_text(t, v, appointment, await companions.company(session, appointment)))


async def colleague_added(session, rt, t, payload) -> Rendered | None:
    appointment, v = await _appointment_view(session, payload)
    if (appointment is None or appointment.status != AppointmentStatus.CONFIRMED
            or appointment.colleague_id != payload["colleague"]):
        return None  # taken off again meanwhile, or the visit no longer holds
    return Rendered(companion_screens.colleague_added_text(t, v, appointment))


async def colleague_removed(session, rt, t, payload) -> Rendered | None:
    appointment, v = await _appointment_view(session, payload)
    if appointment is None or appointment.colleague_id == payload["colleague"]:
        return None  # added again meanwhile
    return Rendered(companion_screens.colleague_removed_text(t, v, appointment))


async def colleague_cancelled(session, rt, t, payload) -> Rendered | None:
    appointment, v = await _appointment_view(session, payload)
    if appointment is None or appointment.status != AppointmentStatus.CANCELLED:
        return None
    return Rendered(companion_screens.colleague_cancelled_text(t, v, appointment))


RENDERERS: dict[str, Renderer] = {
    "joint_confirmed": joint_confirmed,
    evening.TEACHER_LATE: running_late,
    evening.FAMILY_LATE: family_late,
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
    "proposal_accepted": _about_appointment(messages.accepted_text),
    "proposal_rejected": _about_appointment(messages.rejected_text),
    "cancelled_by_parent": _about_appointment(messages.parent_cancelled_text),
    "cancelled_by_teacher": cancelled_by_teacher,
    "declined": declined,
    "no_fit": no_fit,
    "companions": companions_news,
    "colleague_added": colleague_added,
    "colleague_removed": colleague_removed,
    "colleague_cancelled": colleague_cancelled,
}
