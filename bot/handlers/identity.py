"""Group -1: handle each update once, and learn who is talking and in which language."""
from __future__ import annotations

import logging

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from telegram import Update
from telegram.ext import ApplicationHandlerStop

from bot.context import HomevisitContext
from bot.services import accounts
from db.models import ProcessedUpdate

log = logging.getLogger(__name__)


_RECORD = insert(ProcessedUpdate.__table__)


async def once_per_update(update: Update, context: HomevisitContext) -> None:
    """Drop an update that was already handled (Telegram re-delivers unanswered ones)."""
    session = context.session
    try:
        await session.execute(_RECORD, {"update_id": update.update_id, "processed_at": context.runtime.clock.now()})
        await session.commit()
    except IntegrityError:
        await session.rollback()
        log.info("update %s already handled; skipped", update.update_id)
        raise ApplicationHandlerStop from None


async def load_identity(update: Update, context: HomevisitContext) -> None:
    user = update.effective_user
    chat = update.effective_chat
    if user is None or chat is None or chat.type != chat.PRIVATE:
        # homevisit talks to people one to one; groups and channels are ignored.
        log.info("update %s ignored: not from a private chat", update.update_id)
        raise ApplicationHandlerStop
    await refresh_identity(context, user.id, chat.id, user.language_code)


async def refresh_identity(context: HomevisitContext, user_id: int, chat_id: int, language_code: str | None) -> None:
    """(Re)load the identity and translator, e.g. after an account was just linked."""
    rt = context.runtime
    who = await accounts.load_identity(context.session, user_id, chat_id, language_code, rt.clock.now())
    context.scope.who = who
    context.scope.translator = rt.translator(who.language(rt.settings.default_language))
