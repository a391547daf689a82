"""/period and /invite: the coordinator opens (or closes) the visit period and sends
the invitations. The draft period waits in `dialog_states` between steps."""
from __future__ import annotations

import re
from datetime import date, timedelta

from telegram import Update

from bot import callbacks
from bot.context import HomevisitContext
from bot.dialogs import state as dialog_state
from bot.replies import refuse, show
from bot.i18n import Translator
from bot.keyboards import Screen, button, markup, rows
from bot.services import invitations, periods
from bot.services.periods import PeriodDraft, PeriodError
from db.models import VisitPeriod

VISIT_CHOICES = (45, 60, 75, 90)
BUFFER_CHOICES = (0, 10, 15, 20, 30)
_DATE = re.compile(r"^\s*(\d{1,4})[-/.](\d{1,2})(?:[-/.](\d{2,4}))?\s*$")


def parse_day(text: str, today: date) -> date | None:
    """'2026-11-09', '9-11-2026', '9/11/26' or '9-11' (this year, or next when past)."""
    match = _DATE.match(text or "")
    if not match:
        return None
    a, b, c = match.groups()
    try:
        if len(a) == 4:
            return date(int(a), int(b), int(c)) if c else None
        year = int(c) if c else today.year
        if c and len(c) == 2:
            year += 2000
        day = date(year, int(b), int(a))
        if not c and day < today:
            day = date(year + 1, int(b), int(a))
        return day
    except ValueError:
        return None


def period_text(t: Translator, period: VisitPeriod | PeriodDraft) -> str:
    return t._("{name}\n📅 {first} t/m {last}\n⏱ bezoek {visit} min, daarna {buffer} min reistijd").format(
        name=t.isolate(period.name), first=t.day(period.first_day), last=t.day(period.last_day),
        visit=period.visit_minutes, buffer=period.buffer_minutes)


async def _coordinator(update: Update, context: HomevisitContext) -> bool:
    if context.who.is_coordinator:
        return True
    text = context.t._("Dit is voor de coördinator. Kijk bij /help wat je kunt doen.")
    if update.callback_query is not None:
        await refuse(update, context)
    else:
        await update.effective_message.reply_text(text)
    return False


async def start(update: Update, context: HomevisitContext) -> None:
    if not await _coordinator(update, context):
        return
    t = context.t
    period = await periods.current_period(context.session, context.runtime.school_id)
    if period is not None:
        await update.effective_message.reply_text(
            t._("Deze bezoekperiode is open:") + "\n\n" + period_text(t, period),
            reply_markup=markup([button("🔒 " + t._("Periode sluiten"), "pcl")]))
        return
    year = context.runtime.clock.now().astimezone(t.tz).year
    default = t._("Huisbezoeken {year}").format(year=year)
    await dialog_state.put(context.session, context.who.account_id, "period", "name", {"default": default},
                           context.runtime.clock.now())
    await update.effective_message.reply_text(
        t._("Nieuwe bezoekperiode. Hoe heet hij? Typ een naam, of tik op de knop."),
        reply_markup=markup([button(default, "pnm")]))


async def on_default_name(update: Update, context: HomevisitContext) -> None:
    if not await _coordinator(update, context):
        return
    state = await dialog_state.get(context.session, context.who.account_id, context.runtime.clock.now())
    if state is None or state.flow != "period":
        await show(update, Screen(context.t._("Begin opnieuw met /period.")))
        return
    await _ask_first_day(update, context, {**state.data, "name": state.data["default"]})


async def on_text(update: Update, context: HomevisitContext) -> bool:
    """Typed name or date during /period. False when no period dialog is open."""
    state = await dialog_state.get(context.session, context.who.account_id, context.runtime.clock.now())
    if state is None or state.flow != "period" or not context.who.is_coordinator:
        return False
    t = context.t
    text = " ".join((update.effective_message.text or "").split())
    today = context.runtime.clock.now().astimezone(t.tz).date()
    if state.step == "name":
        if not text or len(text) > 100:
            await update.effective_message.reply_text(t._("Een naam van hooguit 100 tekens, graag."))
            return True
        await _ask_first_day(update, context, {**state.data, "name": text})
    elif state.step in ("first", "last"):
        day = parse_day(text, today)
        if day is None:
            await update.effective_message.reply_text(t._("Die datum begrijp ik niet. Typ bijvoorbeeld 9-11-2026."))
            return True
        if state.step == "first":
            await _ask_last_day(update, context, {**state.data, "first": day.isoformat()})
        else:
            await _ask_visit(update, context, {**state.data, "last": day.isoformat()})
    else:
        await update.effective_message.reply_text(t._("Tik op een van de knoppen hierboven."))
    return True


async def _reply(update: Update, screen: Screen) -> None:
    if update.callback_query is not None:
        await show(update, screen)
    else:
        await update.effective_message.reply_text(screen.text, reply_markup=screen.markup)


async def _ask_first_day(update: Update, context: HomevisitContext, data: dict) -> None:
    t = context.t
    await dialog_state.put(context.session, context.who.account_id, "period", "first", data,
                           context.runtime.clock.now())
    today = context.runtime.clock.now().astimezone(t.tz).date()
    monday = today + timedelta(days=(7 - today.weekday()) % 7 or 7)
    mondays = [monday + timedelta(weeks=i) for i in range(8)]
    await _reply(update, Screen(
        t._("Wat is de eerste dag? Tik op een maandag, of typ een datum (bijvoorbeeld 9-11-2026)."),
        markup(*rows([button(t.short_day(d), "pfd", d.strftime("%Y%m%d")) for d in mondays], 4))))


async def _ask_last_day(update: Update, context: HomevisitContext, data: dict) -> None:
    t = context.t
    await dialog_state.put(context.session, context.who.account_id, "period", "last", data,
                           context.runtime.clock.now())
    first = date.fromisoformat(data["first"])
    fridays = [first + timedelta(days=(4 - first.weekday()) % 7 + 7 * i) for i in range(4)]
    await _reply(update, Screen(
        t._("Eerste dag: {first}. Wat is de laatste dag? Tik op een vrijdag, of typ een datum.").format(
            first=t.day(first)),
        markup(*rows([button(t.short_day(d), "pld", d.strftime("%Y%m%d")) for d in fridays], 4))))


async def _ask_visit(update: Update, context: HomevisitContext, data: dict) -> None:
    t = context.t
    await dialog_state.put(context.session, context.who.account_id, "period", "visit", data,
                           context.runtime.clock.now())
    await _reply(update, Screen(
        t._("Hoe lang duurt een bezoek? (Meestal een uur.)"),
        markup(rows([button(t._("{minutes} min").format(minutes=m), "pvm", m) for m in VISIT_CHOICES], 4)[0])))


async def on_step(update: Update, context: HomevisitContext) -> None:
    """pfd / pld / pvm / pbm buttons: fill one field of the draft and ask the next."""
    if not await _coordinator(update, context):
        return
    data = callbacks.parse(update.callback_query.data)
    state = await dialog_state.get(context.session, context.who.account_id, context.runtime.clock.now())
    t = context.t
    if state is None or state.flow != "period":
        await show(update, Screen(t._("Begin opnieuw met /period.")))
        return
    draft = dict(state.data)
    arg = data.args[0] if data.args else ""
    if data.action in ("pfd", "pld"):
        try:
            day = date(int(arg[:4]), int(arg[4:6]), int(arg[6:8]))
        except ValueError:
            await refuse(update, context)
            return
        if data.action == "pfd":
            await _ask_last_day(update, context, {**draft, "first": day.isoformat()})
        else:
            await _ask_visit(update, context, {**draft, "last": day.isoformat()})
    elif data.action == "pvm" and arg.isdigit():
        draft["visit"] = int(arg)
        await dialog_state.put(context.session, context.who.account_id, "period", "buffer", draft,
                               context.runtime.clock.now())
        await show(update, Screen(
            t._("Hoeveel reistijd tussen twee bezoeken?"),
            markup(rows([button(t._("{minutes} min").format(minutes=m), "pbm", m) for m in BUFFER_CHOICES], 5)[0])))
    elif data.action == "pbm" and arg.isdigit() and {"name", "first", "last", "visit"} <= set(draft):
        draft["buffer"] = int(arg)
        await dialog_state.put(context.session, context.who.account_id, "period", "confirm", draft,
                               context.runtime.clock.now())
        await show(update, Screen(
            t._("Klopt dit?") + "\n\n" + period_text(t, _draft(draft)),
            markup([button("✅ " + t._("Periode openen"), "pok")], [button("✖️ " + t._("Stoppen"), "pno")])))
    else:
        await show(update, Screen(t._("Begin opnieuw met /period.")))


def _draft(data: dict) -> PeriodDraft:
    return PeriodDraft(data["name"], date.fromisoformat(data["first"]), date.fromisoformat(data["last"]),
                       int(data.get("visit", periods.DEFAULT_VISIT_MINUTES)),
                       int(data.get("buffer", periods.DEFAULT_BUFFER_MINUTES)))


async def on_open(update: Update, context: HomevisitContext) -> None:
    if not await _coordinator(update, context):
        return
    t = context.t
    state = await dialog_state.get(context.session, context.who.account_id, context.runtime.clock.now())
    if state is None or state.flow != "period" or state.step != "confirm":
        await show(update, Screen(t._("Begin opnieuw met /period.")))
        return
    try:
        period = await periods.open_period(context.session, context.runtime.school_id, _draft(state.data),
                                           context.runtime.clock.now())
    except PeriodError as exc:
        message = {
            "already_open": t._("Er is al een bezoekperiode open. Sluit die eerst met /period."),
            "days": t._("De laatste dag ligt voor de eerste dag, of de periode is langer dan 120 dagen."),
        }.get(exc.code, t._("Dat klopt niet helemaal. Begin opnieuw met /period."))
        await dialog_state.clear(context.session, context.who.account_id)
        await show(update, Screen("⚠️ " + message))
        return
    await dialog_state.clear(context.session, context.who.account_id)
    await show(update, Screen(
        "✅ " + t._("De bezoekperiode is open.") + "\n\n" + period_text(t, period) + "\n\n" +
        t._("Leerkrachten geven nu hun tijden door met /availability. Stuur de uitnodigingen met /invite "
            "zodra de leerkrachten tijden hebben.")))


async def on_stop(update: Update, context: HomevisitContext) -> None:
    await dialog_state.clear(context.session, context.who.account_id)
    await show(update, Screen(context.t._("Gestopt. Er is niets veranderd.")))


async def on_close(update: Update, context: HomevisitContext) -> None:
    if not await _coordinator(update, context):
        return
    data = callbacks.parse(update.callback_query.data)
    t = context.t
    if data.action == "pcl":
        await show(update, Screen(
            t._("Weet je het zeker? Na het sluiten kunnen ouders geen nieuwe afspraken meer maken. "
                "Afspraken die al staan, blijven staan."),
            markup([button("🔒 " + t._("Ja, sluiten"), "pcy")])))
        return
    period = await periods.close_period(context.session, context.runtime.school_id, context.runtime.clock.now())
    await show(update, Screen(t._("De bezoekperiode {name} is gesloten.").format(name=t.isolate(period.name))
                              if period else t._("Er is geen bezoekperiode open.")))


async def invite(update: Update, context: HomevisitContext) -> None:
    if not await _coordinator(update, context):
        return
    t = context.t
    period = await periods.current_period(context.session, context.runtime.school_id)
    if period is None:
        await update.effective_message.reply_text(t._("Open eerst een bezoekperiode met /period."))
        return
    await update.effective_message.reply_text(
        t._("Alle gezinnen krijgen een uitnodiging van de leerkracht van hun kind, in hun eigen taal. "
            "Gezinnen die al een uitnodiging hebben, krijgen geen tweede. Versturen?"),
        reply_markup=markup([button("📨 " + t._("Uitnodigingen versturen"), "ivs")]))


async def on_invite(update: Update, context: HomevisitContext) -> None:
    if not await _coordinator(update, context):
        return
    t = context.t
    period = await periods.current_period(context.session, context.runtime.school_id)
    if period is None:
        await show(update, Screen(t._("Open eerst een bezoekperiode met /period.")))
        return
    report = await invitations.send_invitations(context.session, period, context.runtime.clock.now())
    await show(update, Screen(
        t.ngettext("📨 {count} gezin uitgenodigd.", "📨 {count} gezinnen uitgenodigd.", report.households).format(
            count=report.households) + "\n" +
        t.ngettext("{count} bericht gaat nu de deur uit.", "{count} berichten gaan nu de deur uit.",
                   report.messages).format(count=report.messages) + "\n" +
        t.ngettext("{count} ouder heeft de bot nog niet gekoppeld en krijgt de uitnodiging bij het koppelen.",
                   "{count} ouders hebben de bot nog niet gekoppeld en krijgen de uitnodiging bij het koppelen.",
                   report.guardians_not_linked).format(count=report.guardians_not_linked)))
