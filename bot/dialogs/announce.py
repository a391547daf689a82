"""/announce: the coordinator's announcement of the visit period to a group, in each
reader's language, with an optional personal line per language, a preview, progress
while it goes out, and a report at the end. The screens are in `bot/screens/announce.py`."""
from __future__ import annotations

import logging
import time

from telegram import Update

from bot.buttons import on
from bot.context import HomevisitContext
from bot.dialogs.drafts import with_draft
from bot.handlers.guards import COORDINATOR, requires
from bot.replies import edit_screen, refuse, reply, show
from bot.runtime import Runtime
from bot.screens.announce import (
    ANNOUNCE_LINE,
    ANNOUNCE_PREVIEW,
    ANNOUNCE_SEND,
    ANNOUNCE_TO,
    announcement_text,
    audience_screen,
    line_question,
    menu_screen,
    preview_text,
    progress_text,
    report_text,
    restart_screen,
)
from bot.screens.fit import split_text
from bot.screens.keyboard import Screen
from bot.screens.period import no_period_screen
from bot.services import broadcasts, dialog_state, periods
from bot.services.errors import RuleError
from db.models import DialogState

log = logging.getLogger(__name__)
PROGRESS_EVERY_SECONDS = 2.0


@requires(COORDINATOR)
async def start(update: Update, context: HomevisitContext) -> None:
    if await periods.current_period(context.session, context.runtime.school_id) is None:
        await reply(update, no_period_screen(context.t))
        return
    classes = await broadcasts.classes(context.session, context.runtime.school_id)
    await reply(update, audience_screen(context.t, classes))


async def _menu(context: HomevisitContext, draft: dict, lead: str = "") -> Screen:
    t, rt = context.t, context.runtime
    who = await broadcasts.audience(context.session, rt.school_id, draft["audience"], draft.get("class_id") or None)
    languages = await broadcasts.languages_of(context.session, who.accounts, rt.settings.default_language)
    period = await periods.current_period(context.session, rt.school_id)
    preview = announcement_text(t, rt.settings.school_name, period, draft.get("extra", {}),
                                draft["audience"] == "staff")
    return menu_screen(t, preview, who, languages, lead)


async def _keep(context: HomevisitContext, step: str, draft: dict) -> None:
    await dialog_state.put(context.session, context.who.account_id, "announce", step, draft,
                           context.runtime.clock.now())


@on(ANNOUNCE_TO)
@requires(COORDINATOR)
async def on_audience(update: Update, context: HomevisitContext) -> None:
    press = context.press
    try:
        await broadcasts.audience(context.session, context.runtime.school_id, press.audience, press.class_ or None)
    except RuleError:
        await refuse(update, context)
        return
    draft = {"audience": press.audience, "class_id": press.class_, "extra": {}}
    await _keep(context, "menu", draft)
    await show(update, await _menu(context, draft))


with_announcement = with_draft("announce", missing=lambda t, press: restart_screen(t))


@on(ANNOUNCE_LINE)
@requires(COORDINATOR)
@with_announcement
async def on_line(update: Update, context: HomevisitContext, draft: dict) -> None:
    draft["line_language"] = context.press.language
    await _keep(context, "line", draft)
    await update.callback_query.answer()
    await reply(update, line_question(context.t, context.press.language))


async def on_text(update: Update, context: HomevisitContext, state: DialogState) -> None:
    """The coordinator's own line, typed after choosing its language (step "line")."""
    draft = dict(state.data)
    lang = draft.pop("line_language")
    draft["extra"] = {**draft.get("extra", {}), lang: (update.effective_message.text or "")[:broadcasts.MAX_EXTRA]}
    await _keep(context, "menu", draft)
    await reply(update, await _menu(context, draft, "✅ " + context.t._("Toegevoegd.")))


@on(ANNOUNCE_PREVIEW)
@requires(COORDINATOR)
@with_announcement
async def on_preview(update: Update, context: HomevisitContext, draft: dict) -> None:
    rt = context.runtime
    who = await broadcasts.audience(context.session, rt.school_id, draft["audience"], draft.get("class_id") or None)
    period = await periods.current_period(context.session, rt.school_id)
    await update.callback_query.answer()
    for lang in await broadcasts.languages_of(context.session, who.accounts, rt.settings.default_language):
        text = announcement_text(rt.translator(lang), rt.settings.school_name, period, draft.get("extra", {}),
                                 draft["audience"] == "staff")
        await reply(update, Screen(preview_text(lang, text)))
    await reply(update, await _menu(context, draft))


@on(ANNOUNCE_SEND)
@requires(COORDINATOR)
@with_announcement
async def on_send(update: Update, context: HomevisitContext, draft: dict) -> None:
    t, rt = context.t, context.runtime
    broadcast = await broadcasts.create(
        context.session, rt.school_id, draft["audience"], draft.get("class_id") or None, draft.get("extra", {}),
        created_by=context.who.staff.id, progress_account_id=context.who.account_id, now=rt.clock.now())
    await dialog_state.clear(context.session, context.who.account_id)
    await update.callback_query.answer()
    await update.callback_query.edit_message_reply_markup(None)
    result = await broadcasts.report(context.session, broadcast.id)
    message = await update.effective_message.reply_text(progress_text(t, result))
    await broadcasts.set_progress_message(context.session, broadcast.id, message.message_id)
    if result.done:
        await broadcasts.finish_if_done(context.session, broadcast.id, rt.clock.now())
        for part in split_text(report_text(t, result)):
            await reply(update, Screen(part))


def progress_listener(runtime: Runtime, bot):
    """After each outbox batch: update the coordinator's progress message; report when done."""
    last_edit: dict[int, float] = {}

    async def on_batch(outbox_ids: list[int]) -> None:
        async with runtime.sessionmaker() as session:
            for broadcast_id in await broadcasts.broadcasts_of(session, outbox_ids):
                target = await broadcasts.progress_message(session, broadcast_id, runtime.settings.default_language)
                finished = await broadcasts.finish_if_done(session, broadcast_id, runtime.clock.now())
                if target is None:
                    continue
                t = runtime.translator(target.language)
                if finished is not None:
                    await _edit(bot, target, progress_text(t, finished))
                    for part in split_text(report_text(t, finished)):  # a school of 48 classes: several messages
                        await bot.send_message(target.chat_id, part)
                    continue
                if time.monotonic() - last_edit.get(broadcast_id, 0.0) >= PROGRESS_EVERY_SECONDS:
                    last_edit[broadcast_id] = time.monotonic()
                    await _edit(bot, target, progress_text(t, await broadcasts.report(session, broadcast_id)))

    return on_batch


async def _edit(bot, target: broadcasts.ProgressMessage, text: str) -> None:
    if target.message_id is None:
        return
    try:
        await edit_screen(bot, target.chat_id, target.message_id, Screen(text))
    except Exception:  # the message was deleted, the chat blocked the bot: progress is best effort
        log.warning("progress message of a broadcast could not be updated", exc_info=True)
