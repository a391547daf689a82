"""/language: choose the language the bot speaks with you."""
from __future__ import annotations

import logging

from telegram import Update

from bot import callbacks, keyboards
from bot.context import HomevisitContext
from bot.handlers.identity import refresh_identity
from bot.menus import set_chat_menu
from bot.services import accounts

log = logging.getLogger(__name__)


async def show_menu(update: Update, context: HomevisitContext) -> None:
    t = context.t
    markup = keyboards.language_menu(context.runtime.catalogs.languages, t.language)
    if update.callback_query is not None:
        await update.callback_query.answer()
        await update.effective_message.reply_text(t._("In welke taal wil je berichten krijgen?"), reply_markup=markup)
        return
    await update.effective_message.reply_text(t._("In welke taal wil je berichten krijgen?"), reply_markup=markup)


async def choose(update: Update, context: HomevisitContext) -> None:
    query = update.callback_query
    data = callbacks.parse(query.data)
    code = data.args[0] if data and data.args else None
    user = update.effective_user
    if code is None or not await accounts.choose_language(context.session, user.id, code, context.runtime.clock.now()):
        log.warning("language choice refused for user %s", user.id)
        await query.answer(context.t._("Die taal ken ik niet. Kies een taal uit de lijst."), show_alert=True)
        return
    await refresh_identity(context, user.id, update.effective_chat.id, user.language_code)
    if context.who.is_known:
        await set_chat_menu(context.bot, context.runtime, update.effective_chat.id, context.who)
    t = context.t
    await query.answer()
    await query.edit_message_text(
        t._("Goed! Ik schrijf je voortaan in het Nederlands."),
        reply_markup=keyboards.language_menu(context.runtime.catalogs.languages, t.language),
    )
