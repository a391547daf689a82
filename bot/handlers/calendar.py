"""/calendar: a teacher's private calendar feed address, and renewing it."""
from __future__ import annotations

from telegram import Update

from bot.context import HomevisitContext
from bot.replies import NO_PREVIEW, refuse, reply, show
from bot.keyboards import Screen, button, markup
from bot.services import calendar


async def _screen(context: HomevisitContext, *, renew: bool) -> Screen:
    t = context.t
    base = context.runtime.settings.public_url
    if not base:
        return Screen(t._("De agenda-koppeling staat nog niet aan: de beheerder moet PUBLIC_URL instellen."))
    token = await calendar.feed_token(context.session, context.who.staff.id, renew=renew)
    lead = ("🔄 " + t._("Nieuwe link gemaakt; de oude werkt niet meer.") + "\n\n") if renew else ""
    return Screen(lead + t._("📅 Je huisbezoeken in je eigen agenda: abonneer je op deze link (in Google Agenda, "
                             "Outlook of op je telefoon). Deel hem met niemand.\n\n{url}").format(
        url=f"{base}/calendar/{token}.ics"),
        markup([button("🔄 " + t._("Nieuwe link maken"), "calr")]))


async def show_feed(update: Update, context: HomevisitContext) -> None:
    t = context.t
    if context.who.staff is None:
        await update.effective_message.reply_text(t._("Dit is voor leerkrachten. Kijk bij /help wat je kunt doen."))
        return
    # A private address: no link preview (Telegram would fetch it, and show it to anyone looking on).
    await reply(update, await _screen(context, renew=False), link_preview_options=NO_PREVIEW)


async def on_renew(update: Update, context: HomevisitContext) -> None:
    if context.who.staff is None:
        await refuse(update, context)
        return
    await show(update, await _screen(context, renew=True), link_preview_options=NO_PREVIEW)
