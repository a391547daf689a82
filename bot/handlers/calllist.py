"""/calllist: the families a teacher should phone. The screen is in `bot/screens/calllist.py`."""
from __future__ import annotations

from bot.buttons import on
from bot.context import HomevisitContext
from bot.handlers.guards import STAFF
from bot.handlers.paged import paged
from bot.screens.calllist import CALL_LIST, call_list_screen
from bot.screens.keyboard import Screen
from bot.services.nudges import call_list


async def _screen(context: HomevisitContext, index: int) -> Screen:
    entries = await call_list(context.session, context.who.staff.id, context.runtime.clock.now(),
                              context.runtime.ladder)
    return call_list_screen(context.t, entries, index)


show, on_page = paged(STAFF, _screen)  # /calllist, and its pages
on(CALL_LIST)(on_page)
