"""Choosing the language the bot speaks with you."""
from __future__ import annotations

from telegram import InlineKeyboardMarkup

from bot.buttons import Button, OneOf
from bot.i18n import Translator
from bot.languages import LANGUAGE_FLAGS, LANGUAGE_NAMES, SUPPORTED_LANGUAGES
from bot.screens.keyboard import Screen, button, markup, rows

LANGUAGES = Button("languages", legacy="langmenu")
LANGUAGE = Button("language", OneOf("language", *SUPPORTED_LANGUAGES), legacy="lang")


def change_language_button(t: Translator) -> InlineKeyboardMarkup:
    return markup([button("🌐 " + t._("Andere taal"), LANGUAGES)])


def language_menu(languages: tuple[str, ...], current: str) -> InlineKeyboardMarkup:
    choices = [button(f"{LANGUAGE_FLAGS[code]} {LANGUAGE_NAMES[code]}" + (" ✓" if code == current else ""),
                      LANGUAGE, code) for code in languages]
    return markup(*rows(choices, 2))


def menu_screen(t: Translator, languages: tuple[str, ...]) -> Screen:
    return Screen(t._("In welke taal wil je berichten krijgen?"), language_menu(languages, t.language))


def chosen_screen(t: Translator, languages: tuple[str, ...]) -> Screen:
    return Screen(t._("Goed! Ik schrijf je voortaan in het Nederlands."), language_menu(languages, t.language))
