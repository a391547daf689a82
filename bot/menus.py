"""Telegram's command menu: per language for everyone, and per chat for each linked
person (staff see their extra commands; everyone sees them in the language they chose)."""
from __future__ import annotations

import logging

from telegram import BotCommand, BotCommandScopeChat
from telegram.error import TelegramError

from bot.commands import COMMON, GUARDIAN, commands_for
from bot.languages import SOURCE_LANGUAGE
from bot.runtime import Runtime
from bot.services.accounts import Identity

log = logging.getLogger(__name__)


async def set_default_menus(bot, rt: Runtime) -> None:
    """The menu for people we do not know (yet) per chat: in each supported language."""
    for lang in rt.catalogs.languages:
        if lang == "nl_BE":
            continue  # Telegram's menus know languages, not regions: nl serves both
        t = rt.translator(lang)
        commands = [BotCommand(c.name, t._(c.description)) for c in (*GUARDIAN, *COMMON)]
        await bot.set_my_commands(commands, language_code=None if lang == SOURCE_LANGUAGE else lang)


async def set_chat_menu(bot, rt: Runtime, chat_id: int, who: Identity) -> None:
    """This person's own menu: their role's commands in their language. Best effort."""
    t = rt.translator(who.language(rt.settings.default_language))
    commands = [BotCommand(c.name, t._(c.description)) for c in commands_for(who)]
    try:
        await bot.set_my_commands(commands, scope=BotCommandScopeChat(chat_id))
    except TelegramError:
        log.warning("could not set the command menu of chat %s", chat_id, exc_info=True)
