"""A second visitor on a confirmed visit, the teacher's buttons: the screen of who goes along,
a colleague picked from a paged list of the school's staff (or taken off), the interpreter
taken off. Typing the interpreter's name and phone is a flow: `bot/dialogs/companion.py`.
The rules are in `bot/services/companions.py`, the screens in `bot/screens/companions.py`."""
from __future__ import annotations

import logging

from telegram import Update

from bot.buttons import on
from bot.context import HomevisitContext
from bot.handlers.guards import teacher_of_appointment
from bot.replies import show
from bot.screens.companions import (
    COLLEAGUE,
    COLLEAGUE_OFF,
    COLLEAGUES,
    COMPANIONS,
    INTERPRETER_OFF,
    colleague_lead,
    colleagues_screen,
    interpreter_lead,
    menu_screen,
    not_confirmed_screen,
)
from bot.screens.keyboard import Screen
from bot.services import companions, dialog_state
from bot.services.invitations import view
from db.models import Appointment

log = logging.getLogger(__name__)

FLOW = "companion"  # the typed interpreter's name and phone (bot/dialogs/companion.py)


async def menu(context: HomevisitContext, appointment_id: int, lead: str = "") -> Screen:
    """Who goes along to this confirmed visit of the teacher's, and what can be changed."""
    appointment = await companions.teachers_visit(context.session, appointment_id, context.who.staff.id)
    if appointment is None:
        return not_confirmed_screen(context.t)
    v = await view(context.session, appointment.invitation_id)
    return menu_screen(context.t, v, appointment, await companions.company(context.session, appointment), lead)


async def leave_flow(context: HomevisitContext) -> None:
    """Stop waiting for a typed interpreter (another flow's draft is left alone)."""
    state = await dialog_state.get(context.session, context.who.account_id, context.runtime.clock.now())
    if state is not None and state.flow == FLOW:
        await dialog_state.clear(context.session, context.who.account_id)


@on(COMPANIONS)
@teacher_of_appointment
async def on_menu(update: Update, context: HomevisitContext, appointment: Appointment) -> None:
    await leave_flow(context)
    await show(update, await menu(context, appointment.id))


async def _colleagues(context: HomevisitContext, appointment: Appointment, index: int, lead: str = "") -> Screen:
    appointment = await companions.teachers_visit(context.session, appointment.id, context.who.staff.id)
    if appointment is None:
        return not_confirmed_screen(context.t)
    staff = await companions.colleagues(context.session, appointment)
    return colleagues_screen(context.t, appointment, staff, appointment.colleague_id, index, lead)


@on(COLLEAGUES)
@teacher_of_appointment
async def on_colleagues(update: Update, context: HomevisitContext, appointment: Appointment) -> None:
    await show(update, await _colleagues(context, appointment, context.press.page))


@on(COLLEAGUE)
@teacher_of_appointment
async def on_colleague(update: Update, context: HomevisitContext, appointment: Appointment) -> None:
    t, chosen = context.t, context.press.staff
    outcome = await companions.add_colleague(context.session, appointment.id, context.who.staff.id, chosen,
                                             context.runtime.clock.now(), context.runtime.reminder_plan)
    if outcome.code == "stale":
        await show(update, not_confirmed_screen(t))
        return
    names = dict(await companions.colleagues(context.session, appointment))
    if outcome.code in ("added", "unchanged"):
        await show(update, await menu(context, appointment.id, colleague_lead(t, outcome.code, names.get(chosen))))
        return
    log.info("colleague refused for appointment %s: %s", appointment.id, outcome.code)
    await show(update, await _colleagues(context, appointment, 0, colleague_lead(t, outcome.code, names.get(chosen))))


@on(COLLEAGUE_OFF)
@teacher_of_appointment
async def on_colleague_off(update: Update, context: HomevisitContext, appointment: Appointment) -> None:
    t = context.t
    outcome = await companions.remove_colleague(context.session, appointment.id, context.who.staff.id,
                                                context.runtime.clock.now())
    if outcome.code == "stale":
        await show(update, not_confirmed_screen(t))
        return
    await show(update, await menu(context, appointment.id, colleague_lead(t, outcome.code)))


@on(INTERPRETER_OFF)
@teacher_of_appointment
async def on_interpreter_off(update: Update, context: HomevisitContext, appointment: Appointment) -> None:
    t = context.t
    outcome = await companions.remove_interpreter(context.session, appointment.id, context.who.staff.id,
                                                  context.runtime.clock.now())
    if outcome.code == "stale":
        await show(update, not_confirmed_screen(t))
        return
    await show(update, await menu(context, appointment.id, interpreter_lead(t, outcome.code)))
