"""/letters: printable invitation letters for the households without Telegram, as a PDF in
the coordinator's chat. The rules are in `bot/services/letters.py`, the PDF in
`bot/documents/letters.py` (made in a thread: a thousand pages take seconds, and the
bot goes on answering everyone else meanwhile), the screens in `bot/screens/letters.py`."""
from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from telegram import InputFile, Update

from bot.buttons import on
from bot.context import HomevisitContext
from bot.dialogs.drafts import with_draft
from bot.handlers.guards import COORDINATOR, requires
from bot.replies import edit_screen, refuse, reply, show
from bot.screens.letters import (
    LETTERS_FOR,
    choose_screen,
    done_caption,
    fonts_missing_screen,
    nothing_screen,
    ready_screen,
    working_screen,
)
from bot.screens.period import no_period_screen
from bot.services import broadcasts, dialog_state, letters, periods
from bot.services.errors import RuleError

log = logging.getLogger(__name__)

FILE_NAME = "huisbezoek-brieven.pdf"
FLOW = "letters"


@requires(COORDINATOR)
async def start(update: Update, context: HomevisitContext) -> None:
    school_id = context.runtime.school_id
    if await periods.current_period(context.session, school_id) is None:
        await reply(update, no_period_screen(context.t))
        return
    total, per_class = await letters.households_waiting(context.session, school_id)
    classes = [(c.id, c.name, per_class[c.id]) for c in await broadcasts.classes(context.session, school_id)
               if per_class.get(c.id)]
    if total:  # a menu to choose from: its first press prints (see on_choose)
        await dialog_state.put(context.session, context.who.account_id, FLOW, "menu", {}, context.runtime.clock.now())
    await reply(update, choose_screen(context.t, total, classes))


@on(LETTERS_FOR)
@requires(COORDINATOR)
@with_draft(FLOW)
async def on_choose(update: Update, context: HomevisitContext, draft: dict) -> None:
    # One PDF per menu. Printing issues fresh links and retires the older ones, so a second
    # tap (or an old menu) must not print again: the letters of the first PDF would not work.
    await dialog_state.clear(context.session, context.who.account_id)
    # fpdf2, HarfBuzz and Pillow take some 60 MB: loaded when the first letters are made.
    from bot.documents.letters import FontsMissing, find_fonts, render_letters

    t, rt = context.t, context.runtime
    try:
        fonts = find_fonts()
    except FontsMissing as exc:
        log.error("/letters: %s", exc)
        await show(update, fonts_missing_screen(t))
        return
    try:
        batch = await letters.prepare_letters(
            context.session, rt.school_id, default_language=rt.settings.default_language, now=rt.clock.now(),
            valid_for=timedelta(days=rt.settings.invite_days_valid), class_id=context.press.class_ or None,
            public_url=rt.settings.public_url)
    except RuleError as exc:
        if exc.code == "no_period":
            await show(update, no_period_screen(t))
        elif exc.code == "nothing_to_print":
            await show(update, nothing_screen(t))
        else:  # not a class of this school
            await refuse(update, context)
        return
    await show(update, working_screen(t))
    message = update.callback_query.message
    s = rt.settings
    pdf = await asyncio.to_thread(render_letters, batch, catalogs=rt.catalogs, tz=s.tz, school=s.school_name,
                                  phone=s.school_phone, bot_username=s.bot_username or context.bot.username,
                                  fonts=fonts)
    caption = done_caption(t, len(batch.letters), batch.fresh_links, batch.fresh_web_links)
    await context.bot.send_document(message.chat.id, InputFile(pdf, filename=FILE_NAME), caption=caption)
    await edit_screen(context.bot, message.chat.id, message.message_id, ready_screen(t))
