"""A list that is shown a page at a time: the command shows the first page, ◀ ▶ the
others, each re-rendered from the database; both refused to whoever the list is not for."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Awaitable, Callable

from telegram import Update

from bot import callbacks
from bot.context import HomevisitContext
from bot.i18n import N_
from bot.keyboards import Screen
from bot.replies import refuse, reply, show
from bot.services.accounts import Identity


@dataclass(frozen=True)
class Audience:
    """Who a list is for, and what anyone else is told when they ask for it."""

    may: Callable[[Identity], bool]
    refusal: str


TEACHERS = Audience(lambda who: who.staff is not None, N_("Dit is voor leerkrachten. Kijk bij /help wat je kunt doen."))
COORDINATOR = Audience(lambda who: who.is_coordinator,
                       N_("Dit is voor de coördinator. Kijk bij /help wat je kunt doen."))

PageScreen = Callable[[HomevisitContext, int], Awaitable[Screen]]
Handler = Callable[[Update, HomevisitContext], Awaitable[None]]


def paged(audience: Audience, screen: PageScreen) -> tuple[Handler, Handler]:
    """The command handler (first page) and the page button's handler (its last argument
    is the page) of a list."""

    async def command(update: Update, context: HomevisitContext) -> None:
        if not audience.may(context.who):
            await update.effective_message.reply_text(context.t._(audience.refusal))
            return
        await reply(update, await screen(context, 0))

    async def page(update: Update, context: HomevisitContext) -> None:
        if not audience.may(context.who):
            await refuse(update, context)
            return
        await show(update, await screen(context, int(callbacks.parse(update.callback_query.data).args[-1])))

    return command, page
