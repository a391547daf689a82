"""/language: choose the language the bot speaks with you."""
from __future__ import annotations

import logging
from dataclasses import replace

from telegram import Update

from bot import callbacks, keyboards
from bot.context import HomevisitContext
from bot.keyboards import Screen
from bot.menus import set_chat_menu
from bot.replies import show
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
    rt = context.runtime
    before = context.who
    who = replace(before, chosen_language=code)  # what we just stored; no need to read it back
    context.scope.who = who
    context.scope.translator = rt.translator(who.language(rt.settings.default_language))
    t = context.t
    if who.is_known and who.language(rt.settings.default_language) != before.language(rt.settings.default_language):
        # The person's own command menu follows; it need not hold up the reply.
        context.application.create_task(set_chat_menu(context.bot, rt, update.effective_chat.id, who),
                                        name="chat-menu")
    await show(update, Screen(t._("Goed! Ik schrijf je voortaan in het Nederlands."),
                              keyboards.language_menu(context.runtime.catalogs.languages, t.language)))
