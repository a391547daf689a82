"""/myvisit: a parent sees each invitation of their household and what they can do."""
from __future__ import annotations

from telegram import Update

from bot.context import HomevisitContext
from bot.dialogs.booking import status_screen
from bot.services.invitations import invitations_of_guardians


async def my_visit(update: Update, context: HomevisitContext) -> None:
    t = context.t
    if not context.who.is_guardian:
        await update.effective_message.reply_text(t._("Dit is voor ouders. Kijk bij /help wat je kunt doen."))
        return
    views = await invitations_of_guardians(context.session, tuple(g.id for g in context.who.guardians))
    if not views:
        await update.effective_message.reply_text(
            t._("Er is nu geen huisbezoek om te plannen. Je krijgt een bericht zodra de school de uitnodigingen "
                "verstuurt."))
        return
    for view in views:
        screen = status_screen(t, view)
        await update.effective_message.reply_text(screen.text, reply_markup=screen.markup)
