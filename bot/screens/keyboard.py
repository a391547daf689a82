"""A screen's parts: its text and its buttons. Every label comes from the catalog; the
icon beside it helps those who read less."""
from __future__ import annotations

from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.buttons import Button


@dataclass(frozen=True)
class Screen:
    """A message as the person will see it: text and buttons."""

    text: str
    markup: InlineKeyboardMarkup | None = None


def button(label: str, kind: Button, *values: object) -> InlineKeyboardButton:
    return kind.make(label, *values)


def rows(buttons: list[InlineKeyboardButton], per_row: int) -> list[list[InlineKeyboardButton]]:
    return [buttons[i:i + per_row] for i in range(0, len(buttons), per_row)]


def markup(*button_rows: list[InlineKeyboardButton]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([r for r in button_rows if r])
