"""The visit evening's buttons: the teacher runs late (from today's /agenda), the family runs
late or something came up (on the reminder of the visit's day). The rules are in
`bot/services/evening.py`, the screens in `bot/screens/evening.py`."""
from __future__ import annotations

import logging

from telegram import Update

from bot.buttons import on
from bot.context import HomevisitContext
from bot.handlers.guards import GUARDIAN, STAFF, requires
from bot.replies import refuse, reply, show
from bot.screens.evening import (
    DAY_OF,
    LATE,
    LATE_ASK,
    came_up_question_screen,
    family_late_screen,
    family_refusal,
    kept_screen,
    late_choice_screen,
    late_sent_screen,
    teacher_refusal,
)
from bot.screens.invitation import cancelled_screen
from bot.services import evening
from bot.services.errors import NotAllowed

log = logging.getLogger(__name__)


async def _turned_down(update: Update, text: str, code: str) -> None:
    """A press that cannot be: say why in a pop-up; the message stays as it is."""
    log.info("evening button %s refused (%s) for user %s", update.callback_query.data, code,
             update.effective_user.id)
    await update.callback_query.answer(text, show_alert=True)


@on(LATE_ASK)
@requires(STAFF)
async def on_late_ask(update: Update, context: HomevisitContext) -> None:
    try:
        choice = await evening.late_choice(context.session, context.press.appointment, context.who.staff.id,
                                           context.runtime.clock.now(), context.runtime.settings.tz)
    except NotAllowed:
        await refuse(update, context)
        return
    if choice.code != "ok":
        await _turned_down(update, teacher_refusal(context.t, choice.code), choice.code)
        return
    await update.callback_query.answer()
    await reply(update, late_choice_screen(context.t, choice.view, choice.appointment))


@on(LATE)
@requires(STAFF)
async def on_late(update: Update, context: HomevisitContext) -> None:
    try:
        outcome = await evening.running_late(context.session, context.press.appointment, context.who.staff.id,
                                             int(context.press.minutes), context.runtime.clock.now(),
                                             context.runtime.settings.tz)
    except NotAllowed:
        await refuse(update, context)
        return
    if outcome.code not in ("told", "already_told"):
        await _turned_down(update, teacher_refusal(context.t, outcome.code), outcome.code)
        return
    await show(update, late_sent_screen(context.t, outcome.view, outcome.appointment, outcome.minutes))


@on(DAY_OF)
@requires(GUARDIAN)
async def on_day_of(update: Update, context: HomevisitContext) -> None:
    t, choice = context.t, context.press.choice
    args = (context.session, context.press.appointment, context.who.guardian_ids, context.runtime.clock.now(),
            context.runtime.settings.tz)
    try:
        if choice == "late":
            outcome = await evening.family_runs_late(*args)
        elif choice == "cancel":
            outcome = await evening.something_came_up(*args)
        else:  # "up" asks first; "keep" goes back
            outcome = await evening.family_visit(*args)
    except NotAllowed:
        await refuse(update, context)
        return
    if outcome.code in ("not_today", "gone"):
        await _turned_down(update, family_refusal(t), outcome.code)
    elif choice == "late":
        await show(update, family_late_screen(t, outcome.view, outcome.appointment))
    elif choice == "cancel":
        await show(update, cancelled_screen(t, outcome.view))
    elif choice == "up":
        await show(update, came_up_question_screen(t, outcome.view, outcome.appointment))
    else:
        await show(update, kept_screen(t, outcome.view, outcome.appointment))
