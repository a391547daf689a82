"""The teacher's side of a visit: confirm or counter-propose a request, the agenda,
and cancelling with a short reason."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from telegram import Update

from bot import callbacks
from bot.context import HomevisitContext
from bot.paging import page_screen, paginate
from bot.handlers.paged import TEACHERS, paged
from bot.replies import refuse, show
from bot.i18n import Translator
from bot.keyboards import Screen, button, markup, rows
from bot.services import availability, booking
from bot.services.invitations import InvitationView, NotAllowed, household_guardians, view
from bot.services.periods import current_period
from bot.services.slots import by_day, slot_start_from_key
from bot.texts import TEACHER_CANCEL_LABELS, children_phrase, venue_phrase, when_where
from db.models import ACTIVE_APPOINTMENT_STATES, Appointment

log = logging.getLogger(__name__)

AGENDA_PER_PAGE = 10  # visits a page, each with its cancel button


def request_screen(t: Translator, v: InvitationView, appointment: Appointment, guardian_name: str,
                   phones: list[str], *, rescheduled: bool = False) -> Screen:
    head = ("🔁 " + t._("Een gezin wil het huisbezoek verzetten")) if rescheduled else (
        "📩 " + t._("Nieuw verzoek voor een huisbezoek"))
    text = head + "\n\n" + t._("{guardian} (voor {children}) vraagt:\n📅 {when}\n📍 {where}").format(
        guardian=t.isolate(guardian_name), children=children_phrase(t, v),
        when=t.day_and_time(appointment.starts_at),
        where=venue_phrase(t, appointment.venue, appointment.place, for_teacher=True))
    if phones:
        text += "\n📞 " + t.isolate(", ".join(phones))
    return Screen(text, markup(
        [button("✅ " + t._("Bevestigen"), "tc", appointment.id)],
        [button("🔄 " + t._("Ander moment voorstellen"), "tp", appointment.id)],
    ))


async def _own_appointment(update: Update, context: HomevisitContext, appointment_id: int) -> Appointment | None:
    staff = context.who.staff
    appointment = await context.session.get(Appointment, appointment_id, populate_existing=True)
    if staff is None or appointment is None or appointment.teacher_id != staff.id:
        await refuse(update, context)
        return None
    return appointment


def _appointment_arg(update: Update) -> callbacks.Callback:
    data = callbacks.parse(update.callback_query.data)
    if data is None:
        raise callbacks.CallbackDataError("unparseable")
    return data


async def on_confirm(update: Update, context: HomevisitContext) -> None:
    data = _appointment_arg(update)
    appointment = await _own_appointment(update, context, data.int_arg(0))
    if appointment is None:
        return
    outcome = await booking.confirm(context.session, appointment.id, context.who.staff.id, context.runtime.clock.now(),
                                    context.runtime.reminder_plan)
    t = context.t
    v = await view(context.session, appointment.invitation_id)
    if outcome.code in ("confirmed", "already_confirmed"):
        await show(update, Screen(t._("✅ Bevestigd: {when}, {children}. Het gezin krijgt bericht.").format(
            when=when_where(t, appointment, for_teacher=True), children=children_phrase(t, v))))
    else:
        await show(update, Screen(t._("Dit verzoek is intussen veranderd of afgezegd. Kijk bij /agenda hoe het nu staat.")))


async def on_propose_start(update: Update, context: HomevisitContext) -> None:
    data = _appointment_arg(update)
    appointment = await _own_appointment(update, context, data.int_arg(0))
    if appointment is None:
        return
    await show(update, await _proposal_days(context, appointment))


async def _proposal_days(context: HomevisitContext, appointment: Appointment, lead: str = "") -> Screen:
    t = context.t
    period = await current_period(context.session, context.runtime.school_id)
    if period is None or appointment.status not in ACTIVE_APPOINTMENT_STATES:
        return Screen(t._("Dit verzoek is intussen veranderd of afgezegd. Kijk bij /agenda hoe het nu staat."))
    free = await availability.free_slots(context.session, period, appointment.teacher_id,
                                         context.runtime.clock.now(), ignore_appointment=appointment.id)
    days = by_day(free, t.tz)
    if not days:
        return Screen(t._("Je hebt geen vrije momenten meer. Voeg eerst tijd toe met /availability."))
    text = t._("Welke dag wil je voorstellen?")
    if lead:
        text = lead + "\n\n" + text
    buttons = [button(t.short_day(day), "tpd", appointment.id, day.strftime("%Y%m%d")) for day in list(days)[:12]]
    return Screen(text, markup(*rows(buttons, 3)))


async def on_propose_day(update: Update, context: HomevisitContext) -> None:
    data = _appointment_arg(update)
    appointment = await _own_appointment(update, context, data.int_arg(0))
    if appointment is None:
        return
    t = context.t
    try:
        day = datetime.strptime(data.args[1], "%Y%m%d").date()
    except ValueError:
        await refuse(update, context)
        return
    period = await current_period(context.session, context.runtime.school_id)
    free = await availability.free_slots(context.session, period, appointment.teacher_id,
                                         context.runtime.clock.now(), ignore_appointment=appointment.id) if period else []
    slots = by_day(free, t.tz).get(day, [])
    if not slots:
        await show(update, await _proposal_days(context, appointment, t._("Op die dag is intussen niets meer vrij.")))
        return
    buttons = [button(t.time(s.starts_at), "tps", appointment.id, s.key) for s in slots]
    await show(update, Screen(t._("Hoe laat op {day}?").format(day=t.day(day)),
                              markup(*rows(buttons, 3), [button("↩️ " + t._("Andere dag"), "tp", appointment.id)])))


async def on_propose_slot(update: Update, context: HomevisitContext) -> None:
    data = _appointment_arg(update)
    appointment = await _own_appointment(update, context, data.int_arg(0))
    if appointment is None:
        return
    t = context.t
    outcome = await booking.propose(context.session, appointment.id, context.who.staff.id,
                                    slot_start_from_key(data.int_arg(1)), context.runtime.clock.now())
    if outcome.code == "proposed":
        proposal = await context.session.get(Appointment, outcome.appointment_id)
        await show(update, Screen(t._("🔄 Voorgesteld: {when}. Het gezin krijgt de vraag of dat past.").format(
            when=t.day_and_time(proposal.starts_at))))
    elif outcome.code == "slot_taken":
        await show(update, await _proposal_days(context, appointment, t._("Dat moment is intussen bezet.")))
    else:
        await show(update, Screen(t._("Dit verzoek is intussen veranderd of afgezegd. Kijk bij /agenda hoe het nu staat.")))


def _agenda_line(t: Translator, item: booking.AgendaItem) -> str:
    a = item.appointment
    status = {"confirmed": "✅", "requested": "⏳", "proposed": "🔄"}[a.status]
    phones = ", ".join(p for _, p in item.guardians if p)
    names = ", ".join(n for n, _ in item.guardians)
    line = t._("{status} {time} {children} – {guardians} – {where}").format(
        status=status, time=t.time(a.starts_at), children=t.isolate(", ".join(item.children)),
        guardians=t.isolate(names), where=venue_phrase(t, a.venue, a.place, for_teacher=True))
    return line + (" – 📞 " + t.isolate(phones) if phones else "")


async def _agenda_screen(context: HomevisitContext, index: int) -> Screen:
    t = context.t
    now = context.runtime.clock.now()
    items = await booking.agenda(context.session, context.who.staff.id, now - timedelta(hours=12))
    if not items:
        return Screen(t._("Er staan nog geen huisbezoeken in je agenda."))
    days = [t.day(i.appointment.starts_at.astimezone(t.tz).date()) for i in items]
    lines = [_agenda_line(t, i) for i in items]
    # Sized with its day's heading: a page may start with any item.
    page = paginate([f"{d}\n{line}" for d, line in zip(days, lines)], index, most=AGENDA_PER_PAGE, separator="\n")
    body, cancel_buttons, current_day = [], [], None
    for i in range(page.start, page.end):
        if days[i] != current_day:
            body.append("\n" + days[i])
            current_day = days[i]
        body.append(lines[i])
        a = items[i].appointment
        if a.starts_at > now:
            cancel_buttons.append(button("✖️ " + t._("Afzeggen: {day} {time}").format(
                day=t.short_day(a.starts_at), time=t.time(a.starts_at)), "tx", a.id))
    header = t.ngettext("Je agenda: {count} huisbezoek", "Je agenda: {count} huisbezoeken", len(items)).format(
        count=len(items))
    legend = "\n" + t._("✅ bevestigd · ⏳ wacht op jou · 🔄 voorgesteld aan het gezin")
    return page_screen(t, header, body, page, "agp", separator="\n",
                       footer=legend, buttons=rows(cancel_buttons, 1))


agenda, on_agenda_page = paged(TEACHERS, _agenda_screen)  # /agenda, and agp:<page>


async def on_cancel_start(update: Update, context: HomevisitContext) -> None:
    data = _appointment_arg(update)
    appointment = await _own_appointment(update, context, data.int_arg(0))
    if appointment is None:
        return
    t = context.t
    icons = {"ill": "🤒", "unavailable": "📅", "other": "💬"}
    reasons = [button(f"{icons[code]} {t._(label)}", "txr", appointment.id, code)
               for code, label in TEACHER_CANCEL_LABELS.items()]
    await update.callback_query.answer()
    await update.effective_message.reply_text(
        t._("Waarom zeg je het bezoek van {when} af? Het gezin krijgt een vriendelijk bericht en kan een nieuw "
            "moment kiezen.").format(when=t.day_and_time(appointment.starts_at)),
        reply_markup=markup(*rows(reasons, 1)),
    )


async def on_cancel_reason(update: Update, context: HomevisitContext) -> None:
    data = _appointment_arg(update)
    appointment = await _own_appointment(update, context, data.int_arg(0))
    if appointment is None:
        return
    t = context.t
    try:
        outcome = await booking.cancel_by_teacher(context.session, appointment.id, context.who.staff.id,
                                                  data.args[1], context.runtime.clock.now())
    except NotAllowed:
        await refuse(update, context)
        return
    if outcome.code == "cancelled":
        await show(update, Screen(t._("Afgezegd. Het gezin krijgt bericht en kan een nieuw moment kiezen.")))
    else:
        await show(update, Screen(t._("Dit verzoek is intussen veranderd of afgezegd. Kijk bij /agenda hoe het nu staat.")))


async def guardian_phones(context_session, household_id: int) -> tuple[str, list[str]]:
    guardians = await household_guardians(context_session, household_id)
    return ", ".join(g.name for g in guardians), [f"{g.name}: {g.phone}" for g in guardians if g.phone]
