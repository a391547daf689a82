"""Typed text: an answer to an open dialog step, else a kind pointer to the buttons."""
from __future__ import annotations

from telegram import Update

from bot.context import HomevisitContext
from bot.dialogs import announce, booking, note, period
from bot.handlers import fallback

MAX_TEXT = 2000


async def on_text(update: Update, context: HomevisitContext) -> None:
    text = update.effective_message.text or ""
    if context.who.staff is not None and await note.on_answer(update, context):
        return  # a note answer may be long, or a voice message
    if context.who.is_known and len(text) <= MAX_TEXT:
        if await booking.on_place_typed(update, context):
            return
        if await period.on_text(update, context):
            return
        if await announce.on_text(update, context):
            return
    await fallback.other_message(update, context)
