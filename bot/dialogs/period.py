"""/period and /invite: the coordinator opens (or closes) the visit period and sends
the invitations. The draft period waits in `dialog_states` between steps; the screens
are in `bot/screens/period.py`."""
from __future__ import annotations

import logging
import re
from datetime import date

from telegram import Update

from bot.buttons import on
from bot.context import HomevisitContext
from bot.handlers.guards import COORDINATOR, requires
from bot.replies import put, refuse, reply, show
from bot.screens.keyboard import Screen
from bot.screens.period import (
    INVITE_SEND,
    PERIOD_ALL_CLASSES,
    PERIOD_BUFFER,
    PERIOD_CLASS,
    PERIOD_CLASSES_DONE,
    PERIOD_CLOSE,
    PERIOD_CLOSE_YES,
    PERIOD_FIRST,
    PERIOD_LAST,
    PERIOD_NAME,
    PERIOD_OPEN,
    PERIOD_PICK,
    PERIOD_VISIT,
    STOP,
    buffer_screen,
    classes_question_screen,
    close_question_screen,
    closed_screen,
    confirm_screen,
    first_day_screen,
    invite_question_screen,
    invited_screen,
    last_day_screen,
    name_screen,
    no_period_screen,
    none_chosen_lead,
    open_period_screen,
    opened_screen,
    pick_classes_screen,
    refused_screen,
    restart_screen,
    stopped_screen,
    visit_screen,
)
from bot.services import dialog_state, invitations, period_scope, periods
from bot.services.errors import RuleError
from bot.services.periods import PeriodDraft
from db.models import DialogState

log = logging.getLogger(__name__)
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


@requires(COORDINATOR)
async def start(update: Update, context: HomevisitContext) -> None:
    t = context.t
    period = await periods.current_period(context.session, context.runtime.school_id)
    if period is not None:
        covered = await period_scope.covered_classes(context.session, period)
        await reply(update, open_period_screen(t, period, *await _chosen(context, [c.id for c in covered or ()])))
        return
    default = t._("Huisbezoeken {year}").format(year=context.runtime.clock.now().astimezone(t.tz).year)
    await _keep(context, "name", {"default": default})
    await reply(update, name_screen(t, default))


async def _keep(context: HomevisitContext, step: str, draft: dict) -> None:
    await dialog_state.put(context.session, context.who.account_id, "period", step, draft, context.runtime.clock.now())


async def _state(context: HomevisitContext) -> DialogState | None:
    state = await dialog_state.get(context.session, context.who.account_id, context.runtime.clock.now())
    return state if state is not None and state.flow == "period" else None


def _today(context: HomevisitContext) -> date:
    return context.runtime.clock.now().astimezone(context.t.tz).date()


@on(PERIOD_NAME)
@requires(COORDINATOR)
async def on_default_name(update: Update, context: HomevisitContext) -> None:
    state = await _state(context)
    if state is None:
        await show(update, restart_screen(context.t))
        return
    await _ask_first_day(update, context, {**state.data, "name": state.data["default"]})


async def on_text(update: Update, context: HomevisitContext, state: DialogState) -> None:
    """A typed name or date during /period."""
    t = context.t
    text = " ".join((update.effective_message.text or "").split())
    if state.step == "name":
        if not text or len(text) > 100:
            await reply(update, Screen(t._("Een naam van hooguit 100 tekens, graag.")))
            return
        await _ask_first_day(update, context, {**state.data, "name": text})
    elif state.step in ("first", "last"):
        day = parse_day(text, _today(context))
        if day is None:
            await reply(update, Screen(t._("Die datum begrijp ik niet. Typ bijvoorbeeld 9-11-2026.")))
        elif state.step == "first":
            await _ask_last_day(update, context, {**state.data, "first": day.isoformat()})
        else:
            await _ask_visit(update, context, {**state.data, "last": day.isoformat()})
    else:
        await reply(update, Screen(t._("Tik op een van de knoppen hierboven.")))


async def _ask_first_day(update: Update, context: HomevisitContext, draft: dict) -> None:
    await _keep(context, "first", draft)
    await put(update, first_day_screen(context.t, _today(context)), edit=True)


async def _ask_last_day(update: Update, context: HomevisitContext, draft: dict) -> None:
    await _keep(context, "last", draft)
    await put(update, last_day_screen(context.t, date.fromisoformat(draft["first"])), edit=True)


async def _ask_visit(update: Update, context: HomevisitContext, draft: dict) -> None:
    await _keep(context, "visit", draft)
    await put(update, visit_screen(context.t), edit=True)


@on(PERIOD_FIRST, PERIOD_LAST, PERIOD_VISIT, PERIOD_BUFFER)
@requires(COORDINATOR)
async def on_step(update: Update, context: HomevisitContext) -> None:
    """Fill one field of the draft and ask the next."""
    press, t = context.press, context.t
    state = await _state(context)
    if state is None:
        await show(update, restart_screen(t))
        return
    draft = dict(state.data)
    if press.kind is PERIOD_FIRST:
        await _ask_last_day(update, context, {**draft, "first": press.day.isoformat()})
    elif press.kind is PERIOD_LAST:
        await _ask_visit(update, context, {**draft, "last": press.day.isoformat()})
    elif press.kind is PERIOD_VISIT:
        await _keep(context, "buffer", {**draft, "visit": press.minutes})
        await show(update, buffer_screen(t))
    elif {"name", "first", "last", "visit"} <= set(draft):
        draft["buffer"] = press.minutes
        total = len(await period_scope.school_classes(context.session, context.runtime.school_id))
        if total < 2:  # nothing to choose
            await _confirm(update, context, {**draft, "classes": []})
            return
        await _keep(context, "classes", draft)
        await show(update, classes_question_screen(t, total))
    else:
        await show(update, restart_screen(t))


async def _confirm(update: Update, context: HomevisitContext, draft: dict) -> None:
    await _keep(context, "confirm", draft)
    names, total = await _chosen(context, draft.get("classes"))
    await show(update, confirm_screen(context.t, _draft(draft), names, total))


async def _chosen(context: HomevisitContext, class_ids) -> tuple[list[str] | None, int]:
    """The names of the chosen classes (None: every class) and how many the school has."""
    classes = await period_scope.school_classes(context.session, context.runtime.school_id)
    chosen = set(class_ids or ())
    return ([c.name for c in classes if c.id in chosen] if chosen else None), len(classes)


@on(PERIOD_ALL_CLASSES, PERIOD_PICK, PERIOD_CLASS, PERIOD_CLASSES_DONE)
@requires(COORDINATOR)
async def on_classes(update: Update, context: HomevisitContext) -> None:
    """Every class, or the classes chosen by tapping them (a school that visits every other year)."""
    press, t = context.press, context.t
    state = await _state(context)
    if state is None or state.step not in ("classes", "pick", "confirm") or "buffer" not in state.data:
        await show(update, restart_screen(t))
        return
    draft = dict(state.data)
    chosen = list(draft.get("classes") or [])
    if press.kind is PERIOD_ALL_CLASSES:
        await _confirm(update, context, {**draft, "classes": []})
        return
    if press.kind is PERIOD_CLASSES_DONE and chosen:
        await _confirm(update, context, draft)
        return
    classes = await period_scope.school_classes(context.session, context.runtime.school_id)
    lead = none_chosen_lead(t) if press.kind is PERIOD_CLASSES_DONE else ""
    if press.kind is PERIOD_CLASS:
        if press.class_ not in {c.id for c in classes}:  # forged, or a class of another school
            log.warning("period: a class button for class %s, not of this school", press.class_)
            await refuse(update, context)
            return
        chosen = [c for c in chosen if c != press.class_] if press.class_ in chosen else [*chosen, press.class_]
    await _keep(context, "pick", {**draft, "classes": chosen})
    await show(update, pick_classes_screen(t, classes, set(chosen), getattr(press, "page", 0), lead))


def _draft(data: dict) -> PeriodDraft:
    return PeriodDraft(data["name"], date.fromisoformat(data["first"]), date.fromisoformat(data["last"]),
                       int(data.get("visit", periods.DEFAULT_VISIT_MINUTES)),
                       int(data.get("buffer", periods.DEFAULT_BUFFER_MINUTES)),
                       tuple(int(i) for i in data.get("classes") or ()))


@on(PERIOD_OPEN)
@requires(COORDINATOR)
async def on_open(update: Update, context: HomevisitContext) -> None:
    t = context.t
    state = await _state(context)
    if state is None or state.step != "confirm":
        await show(update, restart_screen(t))
        return
    try:
        period = await periods.open_period(context.session, context.runtime.school_id, _draft(state.data),
                                           context.runtime.clock.now())
    except RuleError as exc:
        await dialog_state.clear(context.session, context.who.account_id)
        await show(update, refused_screen(t, exc.code))
        return
    await dialog_state.clear(context.session, context.who.account_id)
    covered = await period_scope.covered_classes(context.session, period)
    names, total = await _chosen(context, [c.id for c in covered or ()])
    await show(update, opened_screen(t, period, names, total))


@on(STOP)
async def on_stop(update: Update, context: HomevisitContext) -> None:
    await dialog_state.clear(context.session, context.who.account_id)
    await show(update, stopped_screen(context.t))


@on(PERIOD_CLOSE, PERIOD_CLOSE_YES)
@requires(COORDINATOR)
async def on_close(update: Update, context: HomevisitContext) -> None:
    t = context.t
    if context.press.kind is PERIOD_CLOSE:
        await show(update, close_question_screen(t))
        return
    period = await periods.close_period(context.session, context.runtime.school_id, context.runtime.clock.now())
    await show(update, closed_screen(t, period))


@requires(COORDINATOR)
async def invite(update: Update, context: HomevisitContext) -> None:
    t = context.t
    if await periods.current_period(context.session, context.runtime.school_id) is None:
        await reply(update, no_period_screen(t))
        return
    await reply(update, invite_question_screen(t))


@on(INVITE_SEND)
@requires(COORDINATOR)
async def on_invite(update: Update, context: HomevisitContext) -> None:
    t = context.t
    period = await periods.current_period(context.session, context.runtime.school_id)
    if period is None:
        await show(update, no_period_screen(t))
        return
    report = await invitations.send_invitations(context.session, period, context.runtime.clock.now(),
                                                sibling_visits=context.runtime.settings.sibling_visits)
    await show(update, invited_screen(t, report))
