"""/forget: a guardian asks to be forgotten; after a confirmation their Telegram link,
name and phone are removed and they get no more messages."""
from __future__ import annotations

import logging

from telegram import BotCommandScopeChat, Update
from telegram.error import TelegramError

from bot.context import HomevisitContext
from bot.replies import refuse, show
from bot.keyboards import Screen, button, markup
from bot.services.privacy import forget_guardian

log = logging.getLogger(__name__)


async def ask(update: Update, context: HomevisitContext) -> None:
    t = context.t
    if not context.who.is_guardian:
        await update.effective_message.reply_text(t._("Dit is voor ouders. Kijk bij /help wat je kunt doen."))
        return
    await update.effective_message.reply_text(
        t._("Wil je dat we je vergeten? Dan halen we je Telegram-koppeling, je naam en je telefoonnummer weg, en "
            "krijg je geen berichten meer van deze bot. Een afspraak die nog staat, vervalt niet vanzelf: zeg die "
            "eerst af als dat nodig is."),
        reply_markup=markup([button("🗑 " + t._("Ja, vergeet mij"), "fgy")],
                            [button("↩️ " + t._("Nee, laat maar"), "fgn")]))


async def on_answer(update: Update, context: HomevisitContext) -> None:
    t = context.t
    if not context.who.is_guardian:
        await refuse(update, context)
        return
    if update.callback_query.data.endswith("fgn"):
        await show(update, Screen(t._("Goed, er verandert niets.")))
        return
    count = await forget_guardian(context.session, update.effective_user.id, context.runtime.clock.now())
    log.info("a guardian was forgotten (%d records)", count)
    try:  # their own command menu (a parent's commands, in their language) goes too
        await context.bot.delete_my_commands(scope=BotCommandScopeChat(update.effective_chat.id))
    except TelegramError:
        log.warning("could not clear the command menu of a forgotten guardian's chat")
    await show(update, Screen(t._("Gedaan. We hebben je gegevens weggehaald. Je krijgt geen berichten meer. "
                                  "Dag, en het allerbeste!")))
