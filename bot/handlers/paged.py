"""A list that is shown a page at a time: the command shows the first page, ◀ ▶ the
others (the page button's last field is the page), each re-rendered from the database;
both turned away for whoever the list is not for."""
from __future__ import annotations

from typing import Awaitable, Callable

from telegram import Update

from bot.context import HomevisitContext
from bot.handlers.guards import Role, requires
from bot.replies import reply, show
from bot.screens.keyboard import Screen

PageScreen = Callable[[HomevisitContext, int], Awaitable[Screen]]
Handler = Callable[[Update, HomevisitContext], Awaitable[None]]


def paged(role: Role, screen: PageScreen) -> tuple[Handler, Handler]:
    """The command handler (first page) and the page button's handler of a list."""

    @requires(role)
    async def command(update: Update, context: HomevisitContext) -> None:
        await reply(update, await screen(context, 0))

    @requires(role)
    async def page(update: Update, context: HomevisitContext) -> None:
        await show(update, await screen(context, context.press.page))

    return command, page
