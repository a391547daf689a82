"""Buttons. Every label comes from the catalog; the icon beside it helps those who read less."""
from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import callbacks
from bot.i18n import Translator
from bot.languages import LANGUAGE_FLAGS, LANGUAGE_NAMES


def change_language_button(t: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton("🌐 " + t._("Andere taal"), callback_data=callbacks.encode("langmenu"))]]
    )


def language_menu(languages: tuple[str, ...], current: str) -> InlineKeyboardMarkup:
    buttons = []
    for code in languages:
        mark = " ✓" if code == current else ""
        buttons.append(
            InlineKeyboardButton(
                f"{LANGUAGE_FLAGS[code]} {LANGUAGE_NAMES[code]}{mark}",
                callback_data=callbacks.encode("lang", code),
            )
        )
    return InlineKeyboardMarkup([buttons[i:i + 2] for i in range(0, len(buttons), 2)])
