"""Buttons. Every label comes from the catalog; the icon beside it helps those who read less."""
from __future__ import annotations

from dataclasses import dataclass

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


@dataclass(frozen=True)
class Screen:
    """A message as the user will see it: text and buttons."""

    text: str
    markup: InlineKeyboardMarkup | None = None


def button(label: str, action: str, *args: object) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=callbacks.encode(action, *args))


def rows(buttons: list[InlineKeyboardButton], per_row: int) -> list[list[InlineKeyboardButton]]:
    return [buttons[i:i + per_row] for i in range(0, len(buttons), per_row)]


def markup(*button_rows: list[InlineKeyboardButton]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([r for r in button_rows if r])
