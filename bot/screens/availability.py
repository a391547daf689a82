"""What a teacher sees when giving their times: the times given (a page at a time, each
with a remove button), and picking a day, a start and an end."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from bot.buttons import Button, Clock, Day, OneOf, Page, Ref
from bot.i18n import Translator
from bot.screens.keyboard import Screen, button, markup, rows
from bot.screens.paging import page_screen, paginate
from bot.services.availability import Window
from db.models import VisitPeriod

TIMES = Button("times", legacy="av")
TIMES_ADD = Button("times_add", legacy="ava")
# A day, with the evening (e) or the earlier hours (d) to start from.
TIMES_DAY = Button("times_day", Day(), OneOf("part", "e", "d"), legacy="avd")
TIMES_START = Button("times_start", Day(), Clock("start"), legacy="avs")
TIMES_END = Button("times_end", Day(), Clock("start"), Clock("end"), legacy="ave")
TIMES_REMOVE = Button("times_remove", Ref("window"), legacy="avx")
TIMES_PAGE = Button("times_page", Page(), legacy="avp")

EVENING = [time(h, m) for h in range(15, 21) for m in (0, 30)]  # 15:00 .. 20:30
DAYTIME = [time(h, m) for h in range(8, 15) for m in (0, 30)]  # 08:00 .. 14:30
LATEST_END = time(22, 0)
WINDOWS_PER_PAGE = 15  # a line and a remove button each
MAX_DAYS_SHOWN = 42


def window_label(t: Translator, start: datetime, end: datetime) -> str:
    return t._("{day} {start}–{end}").format(day=t.short_day(start), start=t.time(start), end=t.time(end))


def menu_screen(t: Translator, period: VisitPeriod, windows: list[Window], lead: str = "",
                index: int = 0) -> Screen:
    add = [button("➕ " + t._("Tijd toevoegen"), TIMES_ADD)]
    if not windows:
        text = t._("Je hebt nog geen tijden doorgegeven voor {period}. Ouders kunnen pas kiezen als je "
                   "tijden hebt.").format(period=t.isolate(period.name))
        return Screen(f"{lead}\n{text}" if lead else text, markup(add))
    lines = ["• " + window_label(t, w.starts_at, w.ends_at) + (
        " – " + t.ngettext("{count} bezoek", "{count} bezoeken", w.booked).format(count=w.booked) if w.booked else "")
        for w in windows]
    page = paginate(lines, index, most=WINDOWS_PER_PAGE, separator="\n")
    remove = [button("🗑 " + window_label(t, w.starts_at, w.ends_at), TIMES_REMOVE, w.id)
              for w in windows[page.start:page.end]]
    header = "\n".join([*([lead] if lead else []), t._("Je tijden in {period}:").format(period=t.isolate(period.name))])
    return page_screen(t, header, lines[page.start:page.end], page, TIMES_PAGE, separator="\n",
                       buttons=[add, *rows(remove, 1)])


def no_period_screen(t: Translator) -> Screen:
    return Screen(t._("Er is nog geen bezoekperiode geopend. De coördinator doet dat met /period."))


def days_screen(t: Translator, period: VisitPeriod, today: date) -> Screen:
    days = [period.first_day + timedelta(days=i) for i in range((period.last_day - period.first_day).days + 1)]
    buttons = [button(t.short_day(d), TIMES_DAY, d, "e") for d in days if d >= today][:MAX_DAYS_SHOWN]
    return Screen(t._("Welke dag?"), markup(*rows(buttons, 3), [button("↩️ " + t._("Terug"), TIMES)]))


def start_screen(t: Translator, day: date, early: bool) -> Screen:
    buttons = [button(t.time(x), TIMES_START, day, x) for x in (DAYTIME if early else EVENING)]
    other = (button("🌆 " + t._("Middag en avond"), TIMES_DAY, day, "e") if early
             else button("🌅 " + t._("Eerder op de dag"), TIMES_DAY, day, "d"))
    return Screen(t._("{day}: vanaf hoe laat kun je?").format(day=t.day(day)),
                  markup(*rows(buttons, 4), [other], [button("↩️ " + t._("Andere dag"), TIMES_ADD)]))


def end_screen(t: Translator, day: date, start: time, visit_minutes: int) -> Screen:
    ends = []
    moment = datetime.combine(day, start) + timedelta(minutes=visit_minutes)
    while moment.time() <= LATEST_END and moment.date() == day:
        ends.append(moment.time())
        moment += timedelta(minutes=30)
    buttons = [button(t.time(x), TIMES_END, day, start, x) for x in ends]
    return Screen(t._("{day} vanaf {start}: tot hoe laat?").format(day=t.day(day), start=t.time(start)),
                  markup(*rows(buttons, 4), [button("↩️ " + t._("Terug"), TIMES_DAY, day, "e")]))


def refused_lead(t: Translator, code: str) -> str:
    """Why a time could not be added or removed (a `RuleError` code)."""
    if code == "gone":
        return t._("Die tijd bestaat niet meer.")
    return "⚠️ " + {
        "overlap": t._("Die tijd overlapt met tijd die je al had doorgegeven."),
        "short": t._("Die tijd is korter dan één bezoek."),
        "order": t._("De eindtijd ligt voor de begintijd."),
        "holds_visit": t._("Die tijd kan niet weg: er staat een huisbezoek in. Zeg dat bezoek eerst af via /agenda; "
                           "het gezin krijgt dan bericht."),
    }.get(code, t._("Die dag valt buiten de bezoekperiode."))
