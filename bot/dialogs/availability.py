"""/availability: a teacher adds and removes the windows in which they can visit.
The screens are in `bot/screens/availability.py`."""
from __future__ import annotations

import functools

from telegram import Update

from bot.buttons import on
from bot.context import HomevisitContext
from bot.handlers.guards import STAFF, requires
from bot.replies import put, refuse, show
from bot.screens.availability import (
    TIMES,
    TIMES_ADD,
    TIMES_DAY,
    TIMES_END,
    TIMES_PAGE,
    TIMES_REMOVE,
    TIMES_START,
    days_screen,
    end_screen,
    menu_screen,
    no_period_screen,
    refused_lead,
    start_screen,
    window_label,
)
from bot.screens.keyboard import Screen
from bot.services import availability
from bot.services.errors import RuleError
from bot.services.periods import current_period
from db.models import VisitPeriod


def with_period(handler):
    """Staff only, and only while a visit period is open; the handler gets the period."""

    @requires(STAFF)
    @functools.wraps(handler)
    async def guarded(update: Update, context: HomevisitContext) -> None:
        period = await current_period(context.session, context.runtime.school_id)
        if period is None:
            await put(update, no_period_screen(context.t), edit=True)
            return
        await handler(update, context, period)

    return guarded


async def _menu(context: HomevisitContext, period: VisitPeriod, lead: str = "", index: int = 0) -> Screen:
    windows = await availability.list_windows(context.session, period.id, context.who.staff.id)
    return menu_screen(context.t, period, windows, lead, index)


@on(TIMES)
@with_period
async def start(update: Update, context: HomevisitContext, period: VisitPeriod) -> None:
    """/availability, or "back": the teacher's times."""
    await put(update, await _menu(context, period), edit=True)


@on(TIMES_PAGE)
@with_period
async def on_page(update: Update, context: HomevisitContext, period: VisitPeriod) -> None:
    await show(update, await _menu(context, period, index=context.press.page))


@on(TIMES_ADD)
@with_period
async def on_add(update: Update, context: HomevisitContext, period: VisitPeriod) -> None:
    t = context.t
    await show(update, days_screen(t, period, context.runtime.clock.now().astimezone(t.tz).date()))


@on(TIMES_DAY)
@with_period
async def on_day(update: Update, context: HomevisitContext, period: VisitPeriod) -> None:
    press = context.press
    if not period.first_day <= press.day <= period.last_day:
        await refuse(update, context)
        return
    await show(update, start_screen(context.t, press.day, early=press.part == "d"))


@on(TIMES_START)
@with_period
async def on_start_time(update: Update, context: HomevisitContext, period: VisitPeriod) -> None:
    await show(update, end_screen(context.t, context.press.day, context.press.start, period.visit_minutes))


@on(TIMES_END)
@with_period
async def on_end_time(update: Update, context: HomevisitContext, period: VisitPeriod) -> None:
    t, press = context.t, context.press
    try:
        window = await availability.add_window(context.session, period, context.who.staff.id, press.day, press.start,
                                               press.end, t.tz, context.runtime.clock.now())
    except RuleError as exc:
        await show(update, await _menu(context, period, refused_lead(t, exc.code)))
        return
    lead = "✅ " + t._("Toegevoegd: {window}.").format(window=window_label(t, window.starts_at, window.ends_at))
    await show(update, await _menu(context, period, lead))


@on(TIMES_REMOVE)
@with_period
async def on_remove(update: Update, context: HomevisitContext, period: VisitPeriod) -> None:
    t = context.t
    try:
        await availability.remove_window(context.session, context.press.window, context.who.staff.id)
    except RuleError as exc:
        await show(update, await _menu(context, period, refused_lead(t, exc.code)))
        return
    await show(update, await _menu(context, period, "🗑 " + t._("Verwijderd.")))
