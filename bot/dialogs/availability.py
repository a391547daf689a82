"""/availability: a teacher adds and removes the windows in which they can visit."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from telegram import Update

from bot import callbacks
from bot.context import HomevisitContext
from bot.replies import refuse, show
from bot.i18n import Translator
from bot.keyboards import Screen, button, markup, rows
from bot.paging import page_screen, paginate
from bot.services import availability
from bot.services.availability import AvailabilityError
from bot.services.periods import current_period
from db.models import VisitPeriod

EVENING = [time(h, m) for h in range(15, 21) for m in (0, 30)]  # 15:00 .. 20:30
DAYTIME = [time(h, m) for h in range(8, 15) for m in (0, 30)]  # 08:00 .. 14:30
LATEST_END = time(22, 0)


WINDOWS_PER_PAGE = 15  # a line and a remove button each


async def menu_screen(context: HomevisitContext, period: VisitPeriod, lead: str = "", index: int = 0) -> Screen:
    t = context.t
    windows = await availability.list_windows(context.session, period.id, context.who.staff.id)
    add = [button("➕ " + t._("Tijd toevoegen"), "ava")]
    if not windows:
        text = t._("Je hebt nog geen tijden doorgegeven voor {period}. Ouders kunnen pas kiezen als je "
                   "tijden hebt.").format(period=t.isolate(period.name))
        return Screen(f"{lead}\n{text}" if lead else text, markup(add))
    lines = ["• " + _window_label(t, w.starts_at, w.ends_at) + (
        " – " + t.ngettext("{count} bezoek", "{count} bezoeken", w.booked).format(count=w.booked) if w.booked else "")
        for w in windows]
    page = paginate(lines, index, most=WINDOWS_PER_PAGE, separator="\n")
    remove = [button("🗑 " + _window_label(t, w.starts_at, w.ends_at), "avx", w.id)
              for w in windows[page.start:page.end]]
    header = "\n".join([*([lead] if lead else []), t._("Je tijden in {period}:").format(period=t.isolate(period.name))])
    return page_screen(t, header, lines[page.start:page.end], page, "avp", separator="\n",
                       buttons=[add, *rows(remove, 1)])


def _window_label(t: Translator, start: datetime, end: datetime) -> str:
    return t._("{day} {start}–{end}").format(day=t.short_day(start), start=t.time(start), end=t.time(end))


async def _teacher_period(update: Update, context: HomevisitContext) -> VisitPeriod | None:
    t = context.t
    if context.who.staff is None:
        await _say(update, t._("Dit is voor leerkrachten. Kijk bij /help wat je kunt doen."))
        return None
    period = await current_period(context.session, context.runtime.school_id)
    if period is None:
        await _say(update, t._("Er is nog geen bezoekperiode geopend. De coördinator doet dat met /period."))
    return period


async def _say(update: Update, text: str) -> None:
    if update.callback_query is not None:
        await show(update, Screen(text))
    else:
        await update.effective_message.reply_text(text)


async def start(update: Update, context: HomevisitContext) -> None:
    period = await _teacher_period(update, context)
    if period is None:
        return
    screen = await menu_screen(context, period)
    if update.callback_query is not None:
        await show(update, screen)
    else:
        await update.effective_message.reply_text(screen.text, reply_markup=screen.markup)


async def on_page(update: Update, context: HomevisitContext) -> None:
    """avp:<page>: another page of the teacher's times."""
    period = await _teacher_period(update, context)
    if period is None:
        return
    await show(update, await menu_screen(context, period, index=int(callbacks.parse(update.callback_query.data).args[0])))


async def on_add(update: Update, context: HomevisitContext) -> None:
    period = await _teacher_period(update, context)
    if period is None:
        return
    t = context.t
    today = context.runtime.clock.now().astimezone(t.tz).date()
    days = [period.first_day + timedelta(days=i) for i in range((period.last_day - period.first_day).days + 1)]
    days = [d for d in days if d >= today][:42]
    buttons = [button(t.short_day(d), "avd", d.strftime("%Y%m%d"), "e") for d in days]
    await show(update, Screen(t._("Welke dag?"), markup(*rows(buttons, 3), [button("↩️ " + t._("Terug"), "av")])))


async def on_day(update: Update, context: HomevisitContext) -> None:
    period = await _teacher_period(update, context)
    data = callbacks.parse(update.callback_query.data)
    day = _day(data.args[0]) if data and data.args else None
    if period is None:
        return
    if day is None or not period.first_day <= day <= period.last_day:
        await refuse(update, context)
        return
    t = context.t
    early = len(data.args) > 1 and data.args[1] == "d"
    times = DAYTIME if early else EVENING
    buttons = [button(t.time(x), "avs", data.args[0], x.strftime("%H%M")) for x in times]
    other = (button("🌆 " + t._("Middag en avond"), "avd", data.args[0], "e") if early
             else button("🌅 " + t._("Eerder op de dag"), "avd", data.args[0], "d"))
    await show(update, Screen(t._("{day}: vanaf hoe laat kun je?").format(day=t.day(day)),
                              markup(*rows(buttons, 4), [other], [button("↩️ " + t._("Andere dag"), "ava")])))


async def on_start_time(update: Update, context: HomevisitContext) -> None:
    period = await _teacher_period(update, context)
    data = callbacks.parse(update.callback_query.data)
    if period is None:
        return
    day, start = (_day(data.args[0]), _time(data.args[1])) if data and len(data.args) == 2 else (None, None)
    if day is None or start is None:
        await refuse(update, context)
        return
    t = context.t
    first_end = (datetime.combine(day, start) + timedelta(minutes=period.visit_minutes)).time()
    ends = []
    moment = datetime.combine(day, first_end)
    while moment.time() <= LATEST_END and moment.date() == day:
        ends.append(moment.time())
        moment += timedelta(minutes=30)
    buttons = [button(t.time(x), "ave", data.args[0], data.args[1], x.strftime("%H%M")) for x in ends]
    await show(update, Screen(t._("{day} vanaf {start}: tot hoe laat?").format(day=t.day(day), start=t.time(start)),
                              markup(*rows(buttons, 4), [button("↩️ " + t._("Terug"), "avd", data.args[0], "e")])))


async def on_end_time(update: Update, context: HomevisitContext) -> None:
    period = await _teacher_period(update, context)
    data = callbacks.parse(update.callback_query.data)
    if period is None:
        return
    parsed = (_day(data.args[0]), _time(data.args[1]), _time(data.args[2])) if data and len(data.args) == 3 else None
    if parsed is None or None in parsed:
        await refuse(update, context)
        return
    day, start, end = parsed
    t = context.t
    try:
        window = await availability.add_window(context.session, period, context.who.staff.id, day, start, end, t.tz,
                                               context.runtime.clock.now())
    except AvailabilityError as exc:
        lead = {
            "overlap": t._("Die tijd overlapt met tijd die je al had doorgegeven."),
            "short": t._("Die tijd is korter dan één bezoek."),
            "order": t._("De eindtijd ligt voor de begintijd."),
        }.get(exc.code, t._("Die dag valt buiten de bezoekperiode."))
        await show(update, await menu_screen(context, period, "⚠️ " + lead))
        return
    lead = "✅ " + t._("Toegevoegd: {window}.").format(window=_window_label(t, window.starts_at, window.ends_at))
    await show(update, await menu_screen(context, period, lead))


async def on_remove(update: Update, context: HomevisitContext) -> None:
    period = await _teacher_period(update, context)
    data = callbacks.parse(update.callback_query.data)
    if period is None:
        return
    t = context.t
    try:
        await availability.remove_window(context.session, data.int_arg(0), context.who.staff.id)
    except AvailabilityError as exc:
        if exc.code == "gone":
            await show(update, await menu_screen(context, period, t._("Die tijd bestaat niet meer.")))
            return
        await show(update, await menu_screen(context, period, "⚠️ " + t._(
            "Die tijd kan niet weg: er staat een huisbezoek in. Zeg dat bezoek eerst af via /agenda; het gezin "
            "krijgt dan bericht.")))
        return
    await show(update, await menu_screen(context, period, "🗑 " + t._("Verwijderd.")))


def _day(raw: str) -> date | None:
    try:
        return datetime.strptime(raw, "%Y%m%d").date()
    except ValueError:
        return None


def _time(raw: str) -> time | None:
    try:
        return datetime.strptime(raw, "%H%M").time()
    except ValueError:
        return None
