"""/start: link a Telegram account through a personal invitation link, and greet."""
from __future__ import annotations

import logging

from telegram import Update

from bot.context import HomevisitContext
from bot.handlers.identity import refresh_identity
from bot.menus import set_chat_menu
from bot.replies import reply
from bot.screens.onboarding import (
    guardian_greeting,
    link_problem_screen,
    staff_greeting,
    welcome_screen,
)
from bot.services import invitations, onboarding, personal_links
from bot.services.personal_links import Redeemed

log = logging.getLogger(__name__)


async def start(update: Update, context: HomevisitContext) -> None:
    rt = context.runtime
    school = rt.settings.school_name
    token = context.args[0] if context.args else None
    if token is None:
        await reply(update, welcome_screen(context.t, school, context.who))
        return
    user = update.effective_user
    result = await personal_links.redeem(
        context.session, token, school_id=rt.school_id, telegram_user_id=user.id, chat_id=update.effective_chat.id,
        telegram_language=user.language_code, now=rt.clock.now(),
    )
    log.info("start link for user %s: %s", user.id, result.outcome.value)
    if result.outcome not in (Redeemed.LINKED, Redeemed.ALREADY_LINKED):
        await reply(update, link_problem_screen(context.t, result.outcome, context.who))
        return
    await refresh_identity(context, user.id, update.effective_chat.id, user.language_code)
    again = result.outcome is Redeemed.ALREADY_LINKED
    t = context.t
    if result.staff_id is not None:
        staff = await onboarding.staff_member(context.session, result.staff_id)
        classes = await onboarding.classes_of_teacher(context.session, result.staff_id)
        await reply(update, staff_greeting(t, school, staff.name, staff.role, classes, again=again))
    else:
        name = next((g.name for g in context.who.guardians if g.id == result.guardian_id), "")
        children = [c.name for c in await onboarding.children_of_guardian(context.session, result.guardian_id)]
        await reply(update, guardian_greeting(t, school, name, children, again=again))
    await set_chat_menu(context.bot, rt, update.effective_chat.id, context.who)
    if result.outcome is Redeemed.LINKED and result.guardian_id is not None:
        # Linked during an open period: the household's invitations follow at once.
        await invitations.invite_linked_guardian(context.session, result.guardian_id, rt.clock.now())
