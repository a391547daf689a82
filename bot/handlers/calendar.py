"""/calendar: a teacher's private calendar feed address, and renewing it."""
from __future__ import annotations

from telegram import Update

from bot.buttons import on
from bot.context import HomevisitContext
from bot.handlers.guards import STAFF, requires
from bot.replies import NO_PREVIEW, reply, show
from bot.screens.calendar import CALENDAR_RENEW, feed_off_screen, feed_screen
from bot.screens.keyboard import Screen
from bot.services import calendar


async def _screen(context: HomevisitContext, *, renew: bool) -> Screen:
    base = context.runtime.settings.public_url
    if not base:
        return feed_off_screen(context.t)
    token = await calendar.feed_token(context.session, context.who.staff.id, renew=renew)
    return feed_screen(context.t, f"{base}/calendar/{token}.ics", renewed=renew)


@requires(STAFF)
async def show_feed(update: Update, context: HomevisitContext) -> None:
    # A private address: no link preview (Telegram would fetch it, and show it to anyone looking on).
    await reply(update, await _screen(context, renew=False), link_preview_options=NO_PREVIEW)


@on(CALENDAR_RENEW)
@requires(STAFF)
async def on_renew(update: Update, context: HomevisitContext) -> None:
    await show(update, await _screen(context, renew=True), link_preview_options=NO_PREVIEW)
