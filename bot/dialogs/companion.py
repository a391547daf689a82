"""Two small flows of the second visitor.

The teacher types an interpreter's name and then the phone number (or taps "no number"):
the steps wait in the dialog state (flow "companion"), so a restart carries on; an answer
that is no name (empty, only a phone number, far too long) or no phone number is asked again
and changes nothing. The rules are in `bot/services/companions.py`.

The family, in the booking flow, on the summary before sending, is asked whether an
interpreter would help (when its language is not Dutch) until it answered: once, so not
again on a reschedule. Sending without an answer is fine too."""
from __future__ import annotations

import logging

from telegram import Update

from bot.buttons import on
from bot.context import HomevisitContext
from bot.dialogs.drafts import with_draft
from bot.handlers.companions import FLOW, menu
from bot.handlers.guards import guardian_of_invitation, teacher_of_appointment
from bot.replies import refuse, reply, show
from bot.screens.companions import (
    INTERPRETER,
    INTERPRETER_WISH,
    NO_PHONE,
    interpreter_lead,
    name_question,
    not_confirmed_screen,
    phone_question,
    wish_answered,
    with_wish_question,
)
from bot.screens.invitation import summary_screen
from bot.screens.keyboard import Screen
from bot.services import companions, dialog_state
from bot.services.errors import NotAllowed
from bot.services.invitations import InvitationView
from bot.services.slots import slot_start_from_key
from db.models import Appointment, DialogState

log = logging.getLogger(__name__)

# -- the teacher: an interpreter's name and phone ---------------------------------------------


@on(INTERPRETER)
@teacher_of_appointment
async def on_interpreter(update: Update, context: HomevisitContext, appointment: Appointment) -> None:
    visit = await companions.teachers_visit(context.session, appointment.id, context.who.staff.id)
    if visit is None:
        await show(update, not_confirmed_screen(context.t))
        return
    await dialog_state.put(context.session, context.who.account_id, FLOW, "name", {"appointment": visit.id},
                           context.runtime.clock.now())
    await show(update, name_question(context.t, visit))


async def _save(context: HomevisitContext, appointment_id: int, name: str, phone: str | None) -> Screen:
    outcome = await companions.set_interpreter(context.session, appointment_id, context.who.staff.id, name, phone,
                                               context.runtime.clock.now())
    await dialog_state.clear(context.session, context.who.account_id)
    if outcome.code == "stale":
        return not_confirmed_screen(context.t)
    return await menu(context, appointment_id, interpreter_lead(context.t, outcome.code))


async def on_text(update: Update, context: HomevisitContext, state: DialogState) -> None:
    """The interpreter's name, then their phone number, as typed."""
    t, data = context.t, dict(state.data)
    text = update.effective_message.text or ""
    visit = await companions.teachers_visit(context.session, data["appointment"], context.who.staff.id)
    if visit is None:
        await dialog_state.clear(context.session, context.who.account_id)
        await reply(update, not_confirmed_screen(t))
        return
    if state.step == "name":
        name, why = companions.clean_name(text)
        if name is None:  # asked again; nothing changes (logged by size, never the text)
            log.info("interpreter name refused (%s, %d characters)", why, len(text))
            await reply(update, name_question(t, visit, why))
            return
        await dialog_state.put(context.session, context.who.account_id, FLOW, "phone", {**data, "name": name},
                               context.runtime.clock.now())
        await reply(update, phone_question(t, visit, name))
        return
    phone = companions.clean_phone(text)
    if phone is None:
        log.info("interpreter phone refused (%d characters)", len(text))
        await reply(update, phone_question(t, visit, data["name"], again=True))
        return
    await reply(update, await _save(context, visit.id, data["name"], phone))


@on(NO_PHONE)
@teacher_of_appointment
@with_draft(FLOW, same=lambda draft, press: draft.get("appointment") == press.appointment and bool(draft.get("name")))
async def on_no_phone(update: Update, context: HomevisitContext, appointment: Appointment, draft: dict) -> None:
    await show(update, await _save(context, appointment.id, draft["name"], None))


# -- the family: would an interpreter help? ---------------------------------------------------------

def summary_or_wish(context: HomevisitContext, view: InvitationView, key: int, venue: str,
                    place: str | None) -> Screen:
    """The booking's summary; with it, until the family answered it, the interpreter question
    for a family whose language is not Dutch."""
    summary = summary_screen(context.t, view, slot_start_from_key(key), venue, place)
    if companions.ask_interpreter(view.invitation, context.t.language,
                                  view.guardian.language if view.guardian else None):
        return with_wish_question(context.t, summary, view, key, venue)
    return summary


@on(INTERPRETER_WISH)
@guardian_of_invitation
async def on_wish(update: Update, context: HomevisitContext, view: InvitationView) -> None:
    press, inv = context.press, view.invitation
    try:
        await companions.answer_interpreter(context.session, inv.id, context.who.guardian_ids, press.answer == "y")
    except NotAllowed:
        await refuse(update, context)
        return
    state = await dialog_state.get(context.session, context.who.account_id, context.runtime.clock.now())
    place = None
    if state is not None and state.flow == "place" and state.data.get("invitation") == inv.id \
            and state.data.get("slot") == press.slot and state.data.get("venue") == press.venue:
        place = state.data.get("place")
    await show(update, wish_answered(context.t, summary_screen(context.t, view, slot_start_from_key(press.slot),
                                                               press.venue, place)))
