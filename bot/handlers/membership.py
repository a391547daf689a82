"""Telegram tells when a person blocks or unblocks the bot (`my_chat_member`): their
account is marked at once, so nothing more is sent to it and the teacher finds the
family on the call list, without waiting for a message to fail."""
from __future__ import annotations

import logging

from telegram import ChatMember, Update

from bot.context import HomevisitContext
from bot.services import accounts

log = logging.getLogger(__name__)

GONE = (ChatMember.BANNED, ChatMember.LEFT)  # "kicked": the person blocked the bot


async def on_my_chat_member(update: Update, context: HomevisitContext) -> None:
    change = update.my_chat_member
    blocked = change.new_chat_member.status in GONE
    await accounts.set_blocked(context.session, context.runtime.school_id, change.from_user.id, blocked,
                               context.runtime.clock.now())
    log.info("user %s %s the bot", change.from_user.id, "blocked" if blocked else "unblocked")
