"""Groups -3 and -2: handle each update once, and learn who is talking and in which language."""
from __future__ import annotations

import logging

from sqlalchemy import bindparam, select
from telegram import Update
from telegram.ext import ApplicationHandlerStop

from bot.context import HomevisitContext
from bot.services import accounts
from db.models import ProcessedUpdate

log = logging.getLogger(__name__)


_HANDLED = select(ProcessedUpdate.update_id).where(ProcessedUpdate.update_id == bindparam("update_id"))


async def once_per_update(update: Update, context: HomevisitContext) -> None:
    """Drop an update whose handling was completed before (Telegram re-delivers what it
    thinks we missed). Completion, not arrival, is recorded (`UpdateScope.completed`): an
    update whose worker died half-way is handled again, and the buttons' versions make a
    replay of what did happen harmless."""
    handled = (await context.session.execute(_HANDLED, {"update_id": update.update_id})).first()
    await context.session.commit()  # end the read: the handlers start afresh
    if handled is not None:
        log.info("update %s already handled; skipped", update.update_id)
        raise ApplicationHandlerStop


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
