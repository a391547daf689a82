"""Everything no other handler took: a kind word, a log line, and nothing changed."""
from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.context import HomevisitContext
from bot.replies import is_not_modified

log = logging.getLogger(__name__)


async def unknown_command(update: Update, context: HomevisitContext) -> None:
    log.info("unknown command from user %s", update.effective_user.id)
    await update.effective_message.reply_text(
        context.t._("Dat commando ken ik niet. Kijk bij /help wat je hier kunt doen.")
    )


async def other_message(update: Update, context: HomevisitContext) -> None:
    message = update.effective_message
    # Log the size, never the content: messages may hold personal data.
    log.info("unhandled message from user %s (%d characters)", update.effective_user.id, len(message.text or ""))
    t = context.t
    if context.who.is_known:
        text = t._("Ik werk vooral met knoppen; typen hoeft niet. Kijk bij /help wat je kunt doen.")
    else:
        text = t._(
            "Deze bot is voor ouders en leerkrachten van {school}. Om mee te doen heb je "
            "een persoonlijke link van de school nodig. Open die link, dan weet ik wie je bent."
        ).format(school=t.isolate(context.runtime.settings.school_name))
    await message.reply_text(text)


async def stale_button(update: Update, context: HomevisitContext) -> None:
    """A button we do not (or no longer) know: old message, other version, forged data."""
    query = update.callback_query
    log.warning("unknown callback from user %s (%d bytes)", update.effective_user.id, len(query.data or ""))
    await query.answer(context.t._("Deze knop werkt niet meer. Kijk bij /help wat je kunt doen."), show_alert=True)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    if is_not_modified(context.error):  # an edit that changed nothing: the screen is already right
        log.info("an edit changed nothing (a double tap)")
        if isinstance(update, Update) and update.callback_query is not None:
            try:
                await update.callback_query.answer()
            except TelegramError:
                pass
        return
    log.error("error while handling an update", exc_info=context.error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    try:
        t = context.t if isinstance(context, HomevisitContext) and context.scope.translator else None
    except RuntimeError:
        t = None
    if t is None:
        rt = context.application.bot_data["runtime"]
        t = rt.translator(rt.settings.default_language)
    try:
        if update.callback_query is not None:
            await update.callback_query.answer()
        await context.bot.send_message(
            update.effective_chat.id,
            t._("Sorry, er ging iets mis aan mijn kant. Probeer het straks nog eens."),
        )
    except Exception:  # the reply itself failed: already logged above
        log.debug("could not tell the user about the error", exc_info=True)
