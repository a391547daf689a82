"""/families: the teacher records what was agreed with a family outside the bot (by
phone, at the door, or on a letter sent back): a visit, "not this year", or a call nobody
answered. Reached from /families, /calllist and /agenda. The screens are in
`bot/screens/families.py`, the rules in `bot/services/arrangements.py`.

The steps of "visit agreed" keep a draft in the dialog state (flow "record"), so a
restart carries on with it; each button names its invitation, and a press for another
family than the draft's changes nothing.
"""
from __future__ import annotations

import functools

from telegram import Update

from bot.buttons import on
from bot.context import HomevisitContext
from bot.dialogs.drafts import with_draft
from bot.handlers.guards import STAFF, requires
from bot.handlers.paged import paged
from bot.replies import refuse, reply, show
from bot.screens.families import (
    FAMILIES,
    FAMILY,
    RECORD,
    RECORD_DAY,
    RECORD_HOW,
    RECORD_NO_ANSWER,
    RECORD_OTHER_DAY,
    RECORD_PLACE_ANY,
    RECORD_SAVE,
    RECORD_TIME,
    RECORD_VENUE,
    RECORD_WHY,
    closed_screen,
    days_screen,
    declined_saved_screen,
    families_screen,
    family_screen,
    how_screen,
    no_answer_saved_screen,
    other_days_screen,
    other_times,
    place_screen,
    reasons_screen,
    restart_screen,
    slot_taken_lead,
    summary_screen,
    times_screen,
    venue_screen,
    visit_saved_screen,
)
from bot.screens.keyboard import Screen
from bot.services import arrangements, availability, dialog_state
from bot.services.arrangements import Family
from bot.services.errors import NotAllowed
from bot.services.periods import current_period
from bot.services.slots import by_day, slot_start_from_key
from db.models import Channel, DialogState

PLACE_MAX = 120
PLACED_VENUES = ("park", "cafe")  # a place name is asked for these


async def _family(context: HomevisitContext, invitation_id: int) -> Family | None:
    found = await arrangements.families(context.session, context.who.staff.id, invitation_id)
    return found[0] if found else None


def teachers_family(handler):
    """The press names a household of the teacher's own class in the open period
    (`press.invitation`); the handler gets it. Anyone else's is refused."""

    @requires(STAFF)
    @functools.wraps(handler)
    async def guarded(update: Update, context: HomevisitContext, *args) -> None:
        family = await _family(context, context.press.invitation)
        if family is None:
            await refuse(update, context)
            return
        await handler(update, context, family, *args)

    return guarded


def _this_family(draft: dict, press) -> bool:
    return draft.get("invitation") == press.invitation


def _draft(*needs: str):
    """The draft of "visit agreed" for the family the press names, with these steps done."""
    return with_draft("record", same=lambda draft, press: _this_family(draft, press) and all(n in draft for n in needs),
                      missing=lambda t, press: restart_screen(t, press.invitation))


async def _keep(context: HomevisitContext, step: str, draft: dict) -> None:
    await dialog_state.put(context.session, context.who.account_id, "record", step, draft,
                           context.runtime.clock.now())


async def _families(context: HomevisitContext, index: int) -> Screen:
    return families_screen(context.t, await arrangements.families(context.session, context.who.staff.id), index)


start, on_families_page = paged(STAFF, _families)  # /families, and its pages
on(FAMILIES)(on_families_page)


@on(FAMILY)
@teachers_family
async def on_family(update: Update, context: HomevisitContext, family: Family) -> None:
    await show(update, family_screen(context.t, family))


@on(RECORD)
@teachers_family
async def on_record(update: Update, context: HomevisitContext, family: Family) -> None:
    await show(update, how_screen(context.t, family.invitation.id, context.press.what))


async def _days(context: HomevisitContext, family: Family, lead: str = "") -> Screen:
    inv = family.invitation
    period = await current_period(context.session, inv.school_id)
    own = family.appointment.id if family.appointment else None
    free = await availability.free_slots(context.session, period, inv.teacher_id, context.runtime.clock.now(),
                                         ignore_appointment=own)
    return days_screen(context.t, inv.id, by_day(free, context.t.tz), lead)


@on(RECORD_HOW)
@teachers_family
async def on_how(update: Update, context: HomevisitContext, family: Family) -> None:
    press = context.press
    draft = {"invitation": family.invitation.id, "channel": str(press.channel)}
    if press.what == "no":
        await _keep(context, "why", draft)
        await show(update, reasons_screen(context.t, family.invitation.id))
        return
    await _keep(context, "day", draft)
    await show(update, await _days(context, family))


@on(RECORD_OTHER_DAY)
@teachers_family
@_draft("channel")
async def on_other_day(update: Update, context: HomevisitContext, family: Family, draft: dict) -> None:
    period = await current_period(context.session, family.invitation.school_id)
    today = context.runtime.clock.now().astimezone(context.t.tz).date()
    await show(update, other_days_screen(context.t, family.invitation.id, period, today))


@on(RECORD_DAY)
@teachers_family
@_draft("channel")
async def on_day(update: Update, context: HomevisitContext, family: Family, draft: dict) -> None:
    press, t, now = context.press, context.t, context.runtime.clock.now()
    inv = family.invitation
    if press.times == "any":
        starts = other_times(press.day, t.tz, now)
    else:
        period = await current_period(context.session, inv.school_id)
        own = family.appointment.id if family.appointment else None
        free = await availability.free_slots(context.session, period, inv.teacher_id, now, ignore_appointment=own)
        starts = [s.starts_at for s in by_day(free, t.tz).get(press.day, [])]
    draft["any"] = press.times == "any"
    await _keep(context, "time", draft)
    await show(update, times_screen(t, inv.id, press.day, starts))


@on(RECORD_TIME)
@teachers_family
@_draft("channel", "any")
async def on_time(update: Update, context: HomevisitContext, family: Family, draft: dict) -> None:
    draft["slot"] = context.press.slot
    await _keep(context, "venue", draft)
    await show(update, venue_screen(context.t, family.invitation.id))


@on(RECORD_VENUE)
@teachers_family
@_draft("channel", "any", "slot")
async def on_venue(update: Update, context: HomevisitContext, family: Family, draft: dict) -> None:
    venue = str(context.press.venue)
    draft["venue"] = venue
    draft["place"] = None
    if venue in PLACED_VENUES:
        await _keep(context, "place", draft)
        await show(update, place_screen(context.t, family.invitation.id, venue))
        return
    await _keep(context, "confirm", draft)
    await show(update, _summary(context, family, draft))


@on(RECORD_PLACE_ANY)
@teachers_family
@_draft("channel", "any", "slot", "venue")
async def on_place_skipped(update: Update, context: HomevisitContext, family: Family, draft: dict) -> None:
    draft["place"] = None
    await _keep(context, "confirm", draft)
    await show(update, _summary(context, family, draft))


async def on_place_typed(update: Update, context: HomevisitContext, state: DialogState) -> None:
    """The name of the park or café, typed while it is asked for."""
    draft = dict(state.data)
    family = await _family(context, draft.get("invitation"))
    if family is None:
        await dialog_state.clear(context.session, context.who.account_id)
        await reply(update, closed_screen(context.t))
        return
    draft["place"] = " ".join((update.effective_message.text or "").split())[:PLACE_MAX] or None
    await _keep(context, "confirm", draft)
    await reply(update, _summary(context, family, draft))


def _summary(context: HomevisitContext, family: Family, draft: dict) -> Screen:
    return summary_screen(context.t, family, slot_start_from_key(draft["slot"]), draft["venue"], draft["place"],
                          draft["channel"])


@on(RECORD_SAVE)
@teachers_family
@_draft("channel", "any", "slot", "venue")
async def on_save(update: Update, context: HomevisitContext, family: Family, draft: dict) -> None:
    t, now = context.t, context.runtime.clock.now()
    await dialog_state.clear(context.session, context.who.account_id)
    try:
        outcome = await arrangements.record_visit(
            context.session, family.invitation.id, context.who.staff.id, slot_start_from_key(draft["slot"]),
            draft["venue"], draft["place"], Channel(draft["channel"]), now, any_time=draft["any"],
            plan=context.runtime.reminder_plan)
    except NotAllowed:
        await refuse(update, context)
        return
    if outcome.code == "closed":
        await show(update, closed_screen(t))
        return
    family = await _family(context, family.invitation.id)
    if outcome.code == "slot_taken":
        await _keep(context, "day", {"invitation": family.invitation.id, "channel": draft["channel"]})
        await show(update, await _days(context, family, slot_taken_lead(t)))
        return
    await show(update, visit_saved_screen(t, family))


@on(RECORD_WHY)
@teachers_family
@_draft("channel")
async def on_why(update: Update, context: HomevisitContext, family: Family, draft: dict) -> None:
    reason = context.press.reason
    await dialog_state.clear(context.session, context.who.account_id)
    outcome = await arrangements.record_decline(
        context.session, family.invitation.id, context.who.staff.id, None if reason == "none" else str(reason),
        Channel(draft["channel"]), context.runtime.clock.now())
    if outcome.code == "closed":
        await show(update, closed_screen(context.t))
        return
    await show(update, declined_saved_screen(context.t, family))


@on(RECORD_NO_ANSWER)
@teachers_family
async def on_no_answer(update: Update, context: HomevisitContext, family: Family) -> None:
    await arrangements.record_no_answer(context.session, family.invitation.id, context.who.staff.id,
                                        context.runtime.clock.now())
    await show(update, no_answer_saved_screen(context.t, await _family(context, family.invitation.id)))
