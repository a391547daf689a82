"""/debrief: the coordinator's counts for the team's talk after the visits. The rules are in
`bot/services/debrief.py`, the screens in `bot/screens/debrief.py`."""
from __future__ import annotations

from telegram import Update

from bot.buttons import on
from bot.context import HomevisitContext
from bot.handlers.guards import COORDINATOR, requires
from bot.replies import refuse, reply, show
from bot.screens.debrief import DEBRIEF, DEBRIEF_CLASS, class_screen, school_screen
from bot.services.debrief import Debrief, of_latest_period


async def _report(context: HomevisitContext) -> Debrief:
    return await of_latest_period(context.session, context.runtime.school_id)


@requires(COORDINATOR)
async def start(update: Update, context: HomevisitContext) -> None:
    await reply(update, school_screen(context.t, await _report(context), 0))


@on(DEBRIEF)
@requires(COORDINATOR)
async def on_school(update: Update, context: HomevisitContext) -> None:
    await show(update, school_screen(context.t, await _report(context), context.press.page))


@on(DEBRIEF_CLASS)
@requires(COORDINATOR)
async def on_class(update: Update, context: HomevisitContext) -> None:
    screen = class_screen(context.t, await _report(context), context.press.class_)
    if screen is None:  # not a class of this school
        await refuse(update, context)
        return
    await show(update, screen)
