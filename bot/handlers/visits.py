"""/myvisit: a parent sees each invitation of their household and what they can do."""
from __future__ import annotations

from telegram import Update

from bot.context import HomevisitContext
from bot.handlers.guards import GUARDIAN, requires
from bot.replies import reply
from bot.screens.invitation import nothing_to_plan_screen, status_screen
from bot.services.invitations import invitations_of_guardians


@requires(GUARDIAN)
async def my_visit(update: Update, context: HomevisitContext) -> None:
    views = await invitations_of_guardians(context.session, context.who.guardian_ids)
    if not views:
        await reply(update, nothing_to_plan_screen(context.t))
        return
    for view in views:
        await reply(update, status_screen(context.t, view))
