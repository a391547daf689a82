"""Group -2: handle each update once, and learn who is talking and in which language."""
from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import ApplicationHandlerStop

from bot.context import HomevisitContext
from bot.services import accounts

log = logging.getLogger(__name__)


async def load_identity(update: Update, context: HomevisitContext) -> None:
    """Who is talking, in which language; and each update once: one whose handling was
    completed before (Telegram delivers again what it thinks we missed) is dropped.
    Completion, not arrival, is recorded (`UpdateScope.completed`): an update whose
    worker died half-way is handled again, and the buttons' versions make a replay of
    what did happen harmless."""
    user = update.effective_user
    chat = update.effective_chat
    if user is None or chat is None or chat.type != chat.PRIVATE:
        # homevisit talks to people one to one; groups and channels are ignored.
        log.info("update %s ignored: not from a private chat", update.update_id)
        raise ApplicationHandlerStop
    if await refresh_identity(context, user.id, chat.id, user.language_code, update.update_id):
        log.info("update %s already handled; skipped", update.update_id)
        raise ApplicationHandlerStop


async def refresh_identity(context: HomevisitContext, user_id: int, chat_id: int, language_code: str | None,
                           update_id: int = -1) -> bool:
    """(Re)load the identity and translator, e.g. after an account was just linked.
    True when update `update_id` was handled before."""
    rt = context.runtime
    who, handled = await accounts.load_identity(context.session, rt.school_id, user_id, chat_id, language_code,
                                                rt.clock.now(), update_id)
    context.scope.who = who
    context.scope.translator = rt.translator(who.language(rt.settings.default_language))
    return handled
