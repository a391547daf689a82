"""/language: choose the language the bot speaks with you."""
from __future__ import annotations

from dataclasses import replace

from telegram import Update

from bot.buttons import on
from bot.context import HomevisitContext
from bot.menus import set_chat_menu
from bot.replies import reply, show
from bot.screens.language import LANGUAGE, LANGUAGES, chosen_screen, menu_screen
from bot.services import accounts


async def show_menu(update: Update, context: HomevisitContext) -> None:
    """/language, or the "another language" button: the menu, as a new message."""
    if update.callback_query is not None:
        await update.callback_query.answer()
    await reply(update, menu_screen(context.t, context.runtime.catalogs.languages))


on(LANGUAGES)(show_menu)


@on(LANGUAGE)
async def choose(update: Update, context: HomevisitContext) -> None:
    rt = context.runtime
    code = context.press.language
    await accounts.choose_language(context.session, rt.school_id, update.effective_user.id, code, rt.clock.now())
    before = context.who
    who = replace(before, chosen_language=code)  # what we just stored; no need to read it back
    context.scope.who = who
    context.scope.translator = rt.translator(who.language(rt.settings.default_language))
    if who.is_known and who.language(rt.settings.default_language) != before.language(rt.settings.default_language):
        # The person's own command menu follows; it need not hold up the reply.
        context.application.create_task(set_chat_menu(context.bot, rt, update.effective_chat.id, who),
                                        name="chat-menu")
    await show(update, chosen_screen(context.t, rt.catalogs.languages))
