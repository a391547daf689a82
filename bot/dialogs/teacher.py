"""The teacher's side of a visit: confirm or counter-propose a request, the agenda, and
cancelling with a short reason. The screens are in `bot/screens/teacher.py`."""
from __future__ import annotations

from datetime import timedelta

from telegram import Update

from bot.buttons import on
from bot.context import HomevisitContext
from bot.handlers.guards import STAFF, teacher_of_appointment
from bot.handlers.paged import paged
from bot.replies import reply, show
from bot.screens.keyboard import Screen
from bot.screens.teacher import (
    AGENDA,
    CANCEL,
    CANCEL_REASON,
    CONFIRM,
    PROPOSE,
    PROPOSE_DAY,
    PROPOSE_SLOT,
    agenda_screen,
    cancel_reasons_screen,
    changed_screen,
    confirmed_screen,
    proposal_days_screen,
    proposal_times_screen,
    proposed_screen,
    teacher_cancelled_screen,
)
from bot.services import booking
from bot.services.invitations import view
from bot.services.slots import by_day, slot_start_from_key
from db.models import Appointment


@on(CONFIRM)
@teacher_of_appointment
async def on_confirm(update: Update, context: HomevisitContext, appointment: Appointment) -> None:
    outcome = await booking.confirm(context.session, appointment.id, context.who.staff.id,
                                    context.runtime.clock.now(), context.runtime.reminder_plan)
    t = context.t
    if outcome.code in ("confirmed", "already_confirmed"):
        await show(update, confirmed_screen(t, await view(context.session, appointment.invitation_id), appointment))
    else:
        await show(update, changed_screen(t))


async def _proposal_days(context: HomevisitContext, appointment: Appointment, lead: str = "") -> Screen:
    t = context.t
    free = await booking.free_for_proposal(context.session, appointment, context.runtime.clock.now())
    if free is None:
        return changed_screen(t)
    return proposal_days_screen(t, appointment, list(by_day(free, t.tz)), lead)


@on(PROPOSE)
@teacher_of_appointment
async def on_propose_start(update: Update, context: HomevisitContext, appointment: Appointment) -> None:
    await show(update, await _proposal_days(context, appointment))


@on(PROPOSE_DAY)
@teacher_of_appointment
async def on_propose_day(update: Update, context: HomevisitContext, appointment: Appointment) -> None:
    t, day = context.t, context.press.day
    free = await booking.free_for_proposal(context.session, appointment, context.runtime.clock.now()) or []
    slots = by_day(free, t.tz).get(day, [])
    if not slots:
        await show(update, await _proposal_days(context, appointment, t._("Op die dag is intussen niets meer vrij.")))
        return
    await show(update, proposal_times_screen(t, appointment, day, slots))


@on(PROPOSE_SLOT)
@teacher_of_appointment
async def on_propose_slot(update: Update, context: HomevisitContext, appointment: Appointment) -> None:
    t = context.t
    outcome = await booking.propose(context.session, appointment.id, context.who.staff.id,
                                    slot_start_from_key(context.press.slot), context.runtime.clock.now())
    if outcome.code == "proposed":
        proposal = await booking.teachers_appointment(context.session, outcome.appointment_id, context.who.staff.id)
        await show(update, proposed_screen(t, proposal.starts_at))
    elif outcome.code == "slot_taken":
        await show(update, await _proposal_days(context, appointment, t._("Dat moment is intussen bezet.")))
    else:
        await show(update, changed_screen(t))


async def _agenda(context: HomevisitContext, index: int) -> Screen:
    now = context.runtime.clock.now()
    items = await booking.agenda(context.session, context.who.staff.id, now - timedelta(hours=12))
    return agenda_screen(context.t, items, now, index)


agenda, on_agenda_page = paged(STAFF, _agenda)  # /agenda, and its pages
on(AGENDA)(on_agenda_page)


@on(CANCEL)
@teacher_of_appointment
async def on_cancel_start(update: Update, context: HomevisitContext, appointment: Appointment) -> None:
    await update.callback_query.answer()
    await reply(update, cancel_reasons_screen(context.t, appointment))


@on(CANCEL_REASON)
@teacher_of_appointment
async def on_cancel_reason(update: Update, context: HomevisitContext, appointment: Appointment) -> None:
    outcome = await booking.cancel_by_teacher(context.session, appointment.id, context.who.staff.id,
                                              context.press.reason, context.runtime.clock.now())
    t = context.t
    await show(update, teacher_cancelled_screen(t) if outcome.code == "cancelled" else changed_screen(t))
