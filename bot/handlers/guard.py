"""Group -1: a button press whose data do not fit the shape of its action (old, forged,
truncated, out of range) is answered kindly and goes no further."""
from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import ApplicationHandlerStop

from bot import callbacks
from bot.context import HomevisitContext
from bot.replies import refuse

log = logging.getLogger(__name__)


async def check_button(update: Update, context: HomevisitContext) -> None:
    query = update.callback_query
    if query is None:
        return
    if callbacks.validate(query.data) is None:
        log.warning("button data refused: %d bytes that fit no action's shape", len((query.data or "").encode()))
        await refuse(update, context)
        raise ApplicationHandlerStop
