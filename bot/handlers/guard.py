"""Group -1: a button press whose data do not fit a declared button (old, forged,
truncated, out of range) is answered kindly and goes no further; a press that fits is
parsed once, for the handler to read as `context.press`."""
from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import ApplicationHandlerStop

from bot import buttons
from bot.context import HomevisitContext
from bot.replies import refuse

log = logging.getLogger(__name__)


async def check_button(update: Update, context: HomevisitContext) -> None:
    query = update.callback_query
    if query is None:
        return
    press = buttons.parse(query.data)
    if press is None:
        log.warning("button data refused: %d bytes that fit no declared button", len((query.data or "").encode()))
        await refuse(update, context)
        raise ApplicationHandlerStop
    context.scope.press = press
