"""/coverage: the coordinator sees whether every pupil's family was reached. The screens
are in `bot/screens/coverage.py`."""
from __future__ import annotations

from telegram import Update

from bot.buttons import on
from bot.context import HomevisitContext
from bot.handlers.guards import COORDINATOR, requires
from bot.replies import edit_screen, refuse, reply
from bot.replies import show as show_screen
from bot.screens.coverage import (
    COVERAGE,
    COVERAGE_CLASS,
    COVERAGE_FAMILIES,
    COVERAGE_RETRY,
    COVERAGE_TEACHERS,
    class_screen,
    retried_text,
    summary_screen,
    teachers_screen,
)
from bot.screens.keyboard import Screen
from bot.services import outbox, visit_history
from bot.services.coverage import Coverage, of_current_period


async def _report(context: HomevisitContext) -> Coverage:
    rt = context.runtime
    return await of_current_period(context.session, rt.school_id, rt.clock.now(), rt.settings.hours_per_visit)


async def _summary(context: HomevisitContext, index: int) -> Screen:
    failed = await outbox.failed_count(context.session, context.runtime.school_id)
    return summary_screen(context.t, await _report(context), failed, index)


@requires(COORDINATOR)
async def show(update: Update, context: HomevisitContext) -> None:
    await reply(update, await _summary(context, 0))


@on(COVERAGE)
@requires(COORDINATOR)
async def on_summary(update: Update, context: HomevisitContext) -> None:
    await show_screen(update, await _summary(context, context.press.page))


@on(COVERAGE_CLASS, COVERAGE_FAMILIES)
@requires(COORDINATOR)
async def on_class(update: Update, context: HomevisitContext) -> None:
    """A class's counts and its families' last visits (a class the period covers, or not)."""
    report, press, rt = await _report(context), context.press, context.runtime
    row = next((r for r in [*report.classes, *report.others] if r.class_id == press.class_), None)
    if row is None:  # not a class of this school
        await refuse(update, context)
        return
    households = await visit_history.class_households(context.session, rt.school_id, row.class_id, report.period,
                                                      rt.clock.now())
    await show_screen(update, class_screen(context.t, report, row, households, getattr(press, "page", 0)))


@on(COVERAGE_TEACHERS)
@requires(COORDINATOR)
async def on_teachers(update: Update, context: HomevisitContext) -> None:
    await show_screen(update, teachers_screen(context.t, await _report(context), context.press.page))


@on(COVERAGE_RETRY)
@requires(COORDINATOR)
async def on_retry(update: Update, context: HomevisitContext) -> None:
    """Send again what could not be delivered; say how many, and show the summary afresh."""
    queued = await outbox.retry_failed(context.session, context.runtime.school_id, None, context.runtime.clock.now())
    await update.callback_query.answer(retried_text(context.t, queued), show_alert=True)
    message = update.callback_query.message
    await edit_screen(context.bot, message.chat.id, message.message_id, await _summary(context, 0))
