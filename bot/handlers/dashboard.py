"""/dashboard: the coordinator gets a one-time login link to the dashboard in the browser
(`bot/pages/dashboard.py`; the rules in `bot/services/dashboard_access.py`)."""
from __future__ import annotations

from telegram import Update

from bot.context import HomevisitContext
from bot.handlers.guards import COORDINATOR, requires
from bot.replies import NO_PREVIEW, reply
from bot.screens.web_dashboard import login_link_screen, no_public_url_screen
from bot.services import dashboard_access


@requires(COORDINATOR)
async def start(update: Update, context: HomevisitContext) -> None:
    rt = context.runtime
    if not rt.settings.public_url:
        await reply(update, no_public_url_screen(context.t))
        return
    token = await dashboard_access.issue_login(context.session, rt.school_id, context.who.staff.id, rt.clock.now())
    link = dashboard_access.login_url(rt.settings.public_url, token)
    # A private address: no link preview (Telegram would open it, and use it up).
    await reply(update, login_link_screen(context.t, link), link_preview_options=NO_PREVIEW)
