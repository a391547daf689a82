"""/forget: a guardian asks to be forgotten; after a confirmation their Telegram link,
name and phone are removed and they get no more messages."""
from __future__ import annotations

import logging

from telegram import BotCommandScopeChat, Update
from telegram.error import TelegramError

from bot.buttons import on
from bot.context import HomevisitContext
from bot.handlers.guards import GUARDIAN, requires
from bot.replies import reply, show
from bot.screens.privacy import (
    FORGET_NO,
    FORGET_YES,
    forget_question,
    forgotten_screen,
    kept_screen,
)
from bot.services.privacy import forget_guardian

log = logging.getLogger(__name__)


@requires(GUARDIAN)
async def ask(update: Update, context: HomevisitContext) -> None:
    await reply(update, forget_question(context.t))


@on(FORGET_NO)
@requires(GUARDIAN)
async def on_no(update: Update, context: HomevisitContext) -> None:
    await show(update, kept_screen(context.t))


@on(FORGET_YES)
@requires(GUARDIAN)
async def on_yes(update: Update, context: HomevisitContext) -> None:
    count = await forget_guardian(context.session, context.runtime.school_id, update.effective_user.id,
                                  context.runtime.clock.now())
    log.info("a guardian was forgotten (%d records)", count)
    try:  # their own command menu (a parent's commands, in their language) goes too
        await context.bot.delete_my_commands(scope=BotCommandScopeChat(update.effective_chat.id))
    except TelegramError:
        log.warning("could not clear the command menu of a forgotten guardian's chat")
    await show(update, forgotten_screen(context.t))
