"""The parent's flow: invitation → time and place (or decline) → request.

Every button names the invitation and its version (`bot/handlers/guards.py`): a press
on a message from before the household's last change shows where things stand now
instead of acting. The screens are in `bot/screens/invitation.py`.
"""
from __future__ import annotations

from telegram import Update

from bot.buttons import on
from bot.context import HomevisitContext
from bot.dialogs.companion import summary_or_wish  # the interpreter question, once, before the summary
from bot.handlers.guards import guardian_of_invitation, guardian_of_visit
from bot.replies import refuse, reply, show
from bot.screens.invitation import (
    DAY,
    DAYS,
    DECLINE_REASON,
    INVITATION,
    MY_VISIT,
    NO_FIT,
    NO_SLOT,
    NO_VENUE,
    PLACE_ANY,
    PROPOSAL,
    SEND,
    SLOT,
    VENUE,
    accepted_screen,
    cancel_question_screen,
    cancelled_screen,
    changed_screen,
    days_screen,
    declined_screen,
    no_fit_screen,
    place_screen,
    reason_given_screen,
    rejected_lead,
    requested_screen,
    slot_taken_lead,
    status_screen,
    times_screen,
    venue_screen,
)
from bot.screens.keyboard import Screen
from bot.services import areas, booking, dialog_state, siblings
from bot.services.errors import NotAllowed
from bot.services.invitations import InvitationView, view_for_guardian
from bot.services.slots import Slot, by_day, slot_start_from_key
from db.models import DialogState

PLACE_MAX = 120


async def _free(context: HomevisitContext, view: InvitationView) -> list[Slot]:
    # A joint visit of siblings' teachers: only their shared times (bot/services/siblings.py).
    return await siblings.free_slots_or_apart(context.session, view, context.runtime.clock.now())


async def _days(context: HomevisitContext, view: InvitationView, free: list[Slot], venue: str, lead: str = ""
                ) -> Screen:
    """The day list in the order of the teacher's route: nearby visits first, marked (bot/services/areas.py)."""
    fit = await areas.evening_fit(context.session, view.invitation, by_day(free, context.t.tz), context.t.tz)
    return days_screen(context.t, view, free, venue, lead, fit=fit)


async def _now_view(context: HomevisitContext, invitation_id: int) -> InvitationView:
    return await view_for_guardian(context.session, invitation_id, context.who.guardian_ids)


@on(INVITATION)
@guardian_of_invitation
async def on_invitation(update: Update, context: HomevisitContext, view: InvitationView) -> None:
    """The three buttons of an invitation: a time, somewhere else, not this year."""
    t, choice = context.t, context.press.choice
    if choice == "t":
        await show(update, await _days(context, view, await _free(context, view), NO_VENUE))
    elif choice == "e":
        await show(update, venue_screen(t, view, NO_SLOT, with_home=False))
    else:
        outcome = await booking.decline(context.session, view.invitation.id, context.who.guardian_ids, None,
                                        context.runtime.clock.now(), expected_version=view.invitation.version)
        view = await _now_view(context, view.invitation.id)
        await show(update, declined_screen(t, view) if outcome.code == "declined" else changed_screen(t, view))


@on(DAYS)
@guardian_of_invitation
async def on_days(update: Update, context: HomevisitContext, view: InvitationView) -> None:
    await show(update, await _days(context, view, await _free(context, view), context.press.venue))


@on(DAY)
@guardian_of_invitation
async def on_day(update: Update, context: HomevisitContext, view: InvitationView) -> None:
    t, press = context.t, context.press
    free = await _free(context, view)
    on_that_day = by_day(free, t.tz).get(press.day, [])
    if not on_that_day:
        await show(update, await _days(context, view, free, press.venue,
                                       t._("Op die dag is intussen niets meer vrij.")))
        return
    await show(update, times_screen(t, view, press.day, on_that_day, press.venue))


@on(SLOT)
@guardian_of_invitation
async def on_slot(update: Update, context: HomevisitContext, view: InvitationView) -> None:
    press = context.press
    if not await _still_free(update, context, view, press.slot, press.venue):
        return
    if press.venue == NO_VENUE:
        await show(update, venue_screen(context.t, view, press.slot, with_home=True))
    else:
        await _after_venue(update, context, view, press.slot, press.venue)


@on(VENUE)
@guardian_of_invitation
async def on_venue(update: Update, context: HomevisitContext, view: InvitationView) -> None:
    press = context.press
    if press.slot == NO_SLOT:
        await show(update, await _days(context, view, await _free(context, view), press.venue))
        return
    if not await _still_free(update, context, view, press.slot, press.venue):
        return
    await _after_venue(update, context, view, press.slot, press.venue)


async def _after_venue(update: Update, context: HomevisitContext, view: InvitationView, key: int, venue: str) -> None:
    if venue in ("park", "cafe"):
        await dialog_state.put(context.session, context.who.account_id, "place", "name",
                               {"invitation": view.invitation.id, "version": view.invitation.version,
                                "slot": key, "venue": venue, "message": update.callback_query.message.message_id},
                               context.runtime.clock.now())
        await show(update, place_screen(context.t, view, key, venue))
        return
    await dialog_state.clear(context.session, context.who.account_id)
    await show(update, summary_or_wish(context, view, key, venue, None))


@on(PLACE_ANY)
@guardian_of_invitation
async def on_place_skipped(update: Update, context: HomevisitContext, view: InvitationView) -> None:
    press = context.press
    await dialog_state.clear(context.session, context.who.account_id)
    await show(update, summary_or_wish(context, view, press.slot, press.venue, None))


async def on_place_typed(update: Update, context: HomevisitContext, state: DialogState) -> None:
    """Typed text while a park or café name is awaited."""
    data = dict(state.data)
    t = context.t
    try:
        view = await _now_view(context, data["invitation"])
    except NotAllowed:
        await dialog_state.clear(context.session, context.who.account_id)
        return
    if view.invitation.version != data["version"]:
        await dialog_state.clear(context.session, context.who.account_id)
        await reply(update, status_screen(t, view))
        return
    data["place"] = " ".join((update.effective_message.text or "").split())[:PLACE_MAX]
    await dialog_state.put(context.session, context.who.account_id, "place", "confirm", data,
                           context.runtime.clock.now())
    await reply(update, summary_or_wish(context, view, data["slot"], data["venue"], data["place"]))


@on(SEND)
@guardian_of_invitation
async def on_send(update: Update, context: HomevisitContext, view: InvitationView) -> None:
    press, inv = context.press, view.invitation
    state = await dialog_state.get(context.session, context.who.account_id, context.runtime.clock.now())
    place = None
    if state is not None and state.flow == "place" and state.data.get("invitation") == inv.id \
            and state.data.get("slot") == press.slot and state.data.get("venue") == press.venue:
        place = state.data.get("place")
    outcome = await booking.request_slot(context.session, inv.id, context.who.guardian_ids,
                                         slot_start_from_key(press.slot), press.venue, place,
                                         context.runtime.clock.now(), expected_version=inv.version)
    await dialog_state.clear(context.session, context.who.account_id)
    t = context.t
    if outcome.code == "requested":
        await show(update, requested_screen(t, view))
        return
    fresh = await _now_view(context, inv.id)
    if outcome.code == "slot_taken":
        await show(update, await _days(context, fresh, await _free(context, fresh), press.venue, slot_taken_lead(t)))
    else:
        await show(update, changed_screen(t, fresh))


@on(NO_FIT)
@guardian_of_invitation
async def on_no_fit(update: Update, context: HomevisitContext, view: InvitationView) -> None:
    outcome = await booking.no_fitting_time(context.session, view.invitation.id, context.who.guardian_ids,
                                            context.runtime.clock.now(), expected_version=view.invitation.version)
    t = context.t
    if outcome.code == "no_fit":
        await show(update, no_fit_screen(t, view))
    else:
        await show(update, changed_screen(t, await _now_view(context, view.invitation.id)))


@on(DECLINE_REASON)
@guardian_of_invitation
async def on_decline_reason(update: Update, context: HomevisitContext, view: InvitationView) -> None:
    outcome = await booking.decline(context.session, view.invitation.id, context.who.guardian_ids,
                                    context.press.reason, context.runtime.clock.now(),
                                    expected_version=view.invitation.version)
    t = context.t
    view = await _now_view(context, view.invitation.id)
    await show(update, reason_given_screen(t, view) if outcome.code == "declined" else changed_screen(t, view))


@on(MY_VISIT)
@guardian_of_visit
async def on_manage(update: Update, context: HomevisitContext, view: InvitationView) -> None:
    """Reschedule or cancel one's own visit (from /myvisit)."""
    t, action = context.t, context.press.choice
    if action == "r":
        await show(update, await _days(context, view, await _free(context, view), view.appointment.venue))
    elif action == "c":
        await show(update, cancel_question_screen(t, view))
    elif action == "y":
        await booking.cancel_by_guardian(context.session, view.appointment.id, context.who.guardian_ids,
                                         context.runtime.clock.now())
        await show(update, cancelled_screen(t, await _now_view(context, view.invitation.id)))
    else:
        await show(update, status_screen(t, view))


@on(PROPOSAL)
async def on_proposal(update: Update, context: HomevisitContext) -> None:
    """The teacher's counter-proposal: yes or no."""
    press = context.press
    try:
        outcome = await booking.answer_proposal(context.session, press.appointment, context.who.guardian_ids,
                                                press.answer == "y", context.runtime.clock.now(),
                                                context.runtime.reminder_plan)
        view = await _now_view(context, outcome.invitation_id)
    except NotAllowed:
        await refuse(update, context)
        return
    t = context.t
    if outcome.code == "accepted":
        await show(update, accepted_screen(t, view))
    elif outcome.code == "rejected":
        await show(update, await _days(context, view, await _free(context, view), NO_VENUE, rejected_lead(t, view)))
    else:
        await show(update, changed_screen(t, view))


async def _still_free(update: Update, context: HomevisitContext, view: InvitationView, key: int, venue: str) -> bool:
    free = await _free(context, view)
    if any(s.starts_at == slot_start_from_key(key) for s in free):
        return True
    await show(update, await _days(context, view, free, venue, slot_taken_lead(context.t)))
    return False
