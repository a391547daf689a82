"""The parent's flow: invitation → time and place (or decline) → request.

Callback data carry the invitation id and its version: a press on a message from
before the household's last change shows where things stand now instead of acting.
"""
from __future__ import annotations

import logging
from datetime import date, datetime

from telegram import Update

from bot import callbacks
from bot.context import HomevisitContext
from bot.dialogs import state as dialog_state
from bot.i18n import Translator
from bot.keyboards import Screen, button, markup, rows
from bot.replies import refuse, show
from bot.services import availability, booking
from bot.services.invitations import DECLINE_REASONS, NotAllowed, InvitationView, view_for_guardian
from bot.services.slots import Slot, by_day, slot_start_from_key
from bot.texts import DECLINE_REASON_ICONS, DECLINE_REASON_LABELS, children_phrase, status_line, venue_button, venue_phrase, when_where
from db.models import VENUES, Appointment

log = logging.getLogger(__name__)

NO_VENUE = "x"
NO_SLOT = 0
MAX_DAYS_SHOWN = 12
PLACE_MAX = 120


# -- screens ------------------------------------------------------------------------

def invitation_screen(t: Translator, view: InvitationView) -> Screen:
    inv = view.invitation
    text = t._(
        "Hallo {name}! 👋\n\n{teacher}, de leerkracht van {children}, komt graag bij jullie op "
        "huisbezoek. Even kennismaken, en horen waar jullie trots op zijn. Het bezoek duurt "
        "ongeveer {minutes} minuten.\n\nKies zelf een moment tussen {first} en {last}. Liever "
        "ergens anders afspreken kan ook: op school, in een park, in een café of telefonisch."
    ).format(
        name=t.isolate(view.guardian.name if view.guardian else ""), teacher=t.isolate(view.teacher.name),
        children=children_phrase(t, view), minutes=view.period.visit_minutes,
        first=t.day(view.period.first_day), last=t.day(view.period.last_day),
    )
    return Screen(text, markup(
        [button("📅 " + t._("Kies een moment"), "inv", inv.id, inv.version, "t")],
        [button("📍 " + t._("Ergens anders afspreken"), "inv", inv.id, inv.version, "e")],
        [button("🙅 " + t._("Dit jaar liever niet"), "inv", inv.id, inv.version, "n")],
    ))


def status_screen(t: Translator, view: InvitationView) -> Screen:
    """Where the invitation stands, with what can be done about it now."""
    inv = view.invitation
    appointment = view.appointment
    text = t._("Huisbezoek van {teacher} voor {children}").format(
        teacher=t.isolate(view.teacher.name), children=children_phrase(t, view)) + "\n\n" + status_line(t, view)
    if view.period.status != "open":
        return Screen(text)
    if appointment is not None and appointment.status == "proposed":
        return Screen(text, markup(
            [button("✅ " + t._("Ja, dat past"), "prop", appointment.id, "y")],
            [button("❌ " + t._("Past niet"), "prop", appointment.id, "n")],
        ))
    if appointment is not None:
        return Screen(text, markup(
            [button("🔁 " + t._("Ander moment kiezen"), "mv", appointment.id, inv.version, "r")],
            [button("✖️ " + t._("Afzeggen"), "mv", appointment.id, inv.version, "c")],
        ))
    if inv.status == "declined":
        return Screen(text, markup([button("📍 " + t._("Toch graag afspreken"), "inv", inv.id, inv.version, "t")]))
    return Screen(text, markup(
        [button("📅 " + t._("Kies een moment"), "inv", inv.id, inv.version, "t")],
        [button("📍 " + t._("Ergens anders afspreken"), "inv", inv.id, inv.version, "e")],
        [button("🙅 " + t._("Dit jaar liever niet"), "inv", inv.id, inv.version, "n")],
    ))


def days_screen(t: Translator, view: InvitationView, slots: list[Slot], venue: str, lead: str = "") -> Screen:
    inv = view.invitation
    days = by_day(slots, t.tz)
    if not days:
        text = t._("{teacher} heeft op dit moment geen vrije momenten meer. Tik op de knop, dan "
                   "krijgt de leerkracht bericht en neemt contact met jullie op.").format(
            teacher=t.isolate(view.teacher.name))
        return Screen(_lead(lead, text), markup([button("💬 " + t._("Vraag om een ander moment"), "nofit", inv.id,
                                                         inv.version)]))
    day_buttons = [
        button(f"{t.short_day(day)} ({len(day_slots)})", "day", inv.id, inv.version, day.strftime("%Y%m%d"), venue)
        for day, day_slots in list(days.items())[:MAX_DAYS_SHOWN]
    ]
    text = t._("Op welke dag past het jullie? Tussen haakjes staat hoeveel momenten er die dag vrij zijn.")
    return Screen(_lead(lead, text), markup(
        *rows(day_buttons, 2),
        [button("💬 " + t._("Geen van deze dagen past"), "nofit", inv.id, inv.version)],
    ))


def times_screen(t: Translator, view: InvitationView, day: date, slots: list[Slot], venue: str) -> Screen:
    inv = view.invitation
    time_buttons = [button(t.time(s.starts_at), "slot", inv.id, inv.version, s.key, venue) for s in slots]
    text = t._("Hoe laat op {day}?").format(day=t.day(day))
    return Screen(text, markup(
        *rows(time_buttons, 3),
        [button("↩️ " + t._("Andere dag"), "days", inv.id, inv.version, venue)],
    ))


def venue_screen(t: Translator, view: InvitationView, slot_key: int, with_home: bool) -> Screen:
    inv = view.invitation
    venues = [v for v in VENUES if with_home or v != "home"]
    text = t._("Waar willen jullie afspreken?")
    return Screen(text, markup(*rows([button(venue_button(t, v), "ven", inv.id, inv.version, slot_key, v)
                                      for v in venues], 2)))


def place_screen(t: Translator, view: InvitationView, slot_key: int, venue: str) -> Screen:
    inv = view.invitation
    text = (t._("Welk park? Typ de naam, of tik op de knop.") if venue == "park"
            else t._("Welk café? Typ de naam, of tik op de knop."))
    return Screen(text, markup([button("🤝 " + t._("Maakt niet uit, de leerkracht mag kiezen"),
                                       "plc", inv.id, inv.version, slot_key, venue)]))


def summary_screen(t: Translator, view: InvitationView, slot_start: datetime, venue: str, place: str | None) -> Screen:
    inv = view.invitation
    text = t._("Klopt dit?\n\n📅 {when}\n📍 {where}\n👤 {teacher}").format(
        when=t.day_and_time(slot_start), where=venue_phrase(t, venue, place), teacher=t.isolate(view.teacher.name))
    key = int(slot_start.timestamp()) // 60
    return Screen(text, markup(
        [button("✅ " + t._("Verstuur"), "send", inv.id, inv.version, key, venue)],
        [button("↩️ " + t._("Opnieuw kiezen"), "days", inv.id, inv.version, NO_VENUE)],
    ))


def _lead(lead: str, text: str) -> str:
    return f"{lead}\n\n{text}" if lead else text


# -- handlers -----------------------------------------------------------------------

async def _view(update: Update, context: HomevisitContext, invitation_id: int) -> InvitationView | None:
    try:
        return await view_for_guardian(context.session, invitation_id, tuple(g.id for g in context.who.guardians))
    except NotAllowed:
        await refuse(update, context)
        return None


async def _current(update: Update, context: HomevisitContext, view: InvitationView, version: int) -> bool:
    """True when the press belongs to the invitation's current state; else show that state."""
    if view.invitation.version == version and view.period.status == "open":
        return True
    t = context.t
    note = t._("Er is intussen iets veranderd. Zo staat het nu:")
    screen = status_screen(t, view)
    await show(update, Screen(note + "\n\n" + screen.text, screen.markup))
    return False


async def _free(context: HomevisitContext, view: InvitationView) -> list[Slot]:
    appointment = view.appointment
    return await availability.free_slots(context.session, view.period, view.invitation.teacher_id,
                                         context.runtime.clock.now(),
                                         ignore_appointment=appointment.id if appointment else None)


def _args(update: Update) -> callbacks.Callback:
    data = callbacks.parse(update.callback_query.data)
    if data is None:
        raise callbacks.CallbackDataError("unparseable")
    return data


async def on_invitation(update: Update, context: HomevisitContext) -> None:
    """The three buttons of an invitation: a time, somewhere else, not this year."""
    data = _args(update)
    inv_id, version, choice = data.int_arg(0), data.int_arg(1), data.args[2]
    view = await _view(update, context, inv_id)
    if view is None or not await _current(update, context, view, version):
        return
    t = context.t
    if choice == "t":
        await show(update, days_screen(t, view, await _free(context, view), NO_VENUE))
    elif choice == "e":
        await show(update, venue_screen(t, view, NO_SLOT, with_home=False))
    elif choice == "n":
        outcome = await booking.decline(context.session, inv_id, _guardians(context), None,
                                        context.runtime.clock.now(), expected_version=version)
        await _after_decline(update, context, inv_id, outcome)
    else:
        await refuse(update, context)


async def on_days(update: Update, context: HomevisitContext) -> None:
    data = _args(update)
    view = await _view(update, context, data.int_arg(0))
    if view is None or not await _current(update, context, view, data.int_arg(1)):
        return
    await show(update, days_screen(context.t, view, await _free(context, view), _venue_arg(data.args[2])))


async def on_day(update: Update, context: HomevisitContext) -> None:
    data = _args(update)
    view = await _view(update, context, data.int_arg(0))
    if view is None or not await _current(update, context, view, data.int_arg(1)):
        return
    venue = _venue_arg(data.args[3])
    try:
        day = datetime.strptime(data.args[2], "%Y%m%d").date()
    except ValueError:
        await refuse(update, context)
        return
    t = context.t
    free = await _free(context, view)
    on_that_day = by_day(free, t.tz).get(day, [])
    if not on_that_day:
        await show(update, days_screen(t, view, free, venue, t._("Op die dag is intussen niets meer vrij.")))
        return
    await show(update, times_screen(t, view, day, on_that_day, venue))


async def on_slot(update: Update, context: HomevisitContext) -> None:
    data = _args(update)
    view = await _view(update, context, data.int_arg(0))
    if view is None or not await _current(update, context, view, data.int_arg(1)):
        return
    key, venue = data.int_arg(2), _venue_arg(data.args[3])
    if not await _still_free(update, context, view, key, venue):
        return
    if venue == NO_VENUE:
        await show(update, venue_screen(context.t, view, key, with_home=True))
    else:
        await _after_venue(update, context, view, key, venue)


async def on_venue(update: Update, context: HomevisitContext) -> None:
    data = _args(update)
    view = await _view(update, context, data.int_arg(0))
    if view is None or not await _current(update, context, view, data.int_arg(1)):
        return
    key, venue = data.int_arg(2), data.args[3]
    if venue not in VENUES:
        await refuse(update, context)
        return
    if key == NO_SLOT:
        await show(update, days_screen(context.t, view, await _free(context, view), venue))
        return
    if not await _still_free(update, context, view, key, venue):
        return
    await _after_venue(update, context, view, key, venue)


async def _after_venue(update: Update, context: HomevisitContext, view: InvitationView, key: int, venue: str) -> None:
    if venue in ("park", "cafe"):
        await dialog_state.put(context.session, context.who.account_id, "place", "name",
                               {"invitation": view.invitation.id, "version": view.invitation.version,
                                "slot": key, "venue": venue, "message": update.callback_query.message.message_id},
                               context.runtime.clock.now())
        await show(update, place_screen(context.t, view, key, venue))
        return
    await dialog_state.clear(context.session, context.who.account_id)
    await show(update, summary_screen(context.t, view, slot_start_from_key(key), venue, None))


async def on_place_skipped(update: Update, context: HomevisitContext) -> None:
    data = _args(update)
    view = await _view(update, context, data.int_arg(0))
    if view is None or not await _current(update, context, view, data.int_arg(1)):
        return
    await dialog_state.clear(context.session, context.who.account_id)
    await show(update, summary_screen(context.t, view, slot_start_from_key(data.int_arg(2)), data.args[3], None))


async def on_place_typed(update: Update, context: HomevisitContext) -> bool:
    """Typed text while a park or café name is awaited. False when no such step is open."""
    state = await dialog_state.get(context.session, context.who.account_id, context.runtime.clock.now())
    if state is None or state.flow != "place":
        return False
    data = dict(state.data)
    try:
        view = await view_for_guardian(context.session, data["invitation"], _guardians(context))
    except NotAllowed:
        await dialog_state.clear(context.session, context.who.account_id)
        return False
    t = context.t
    place = " ".join((update.effective_message.text or "").split())[:PLACE_MAX]
    if view.invitation.version != data["version"]:
        await dialog_state.clear(context.session, context.who.account_id)
        screen = status_screen(t, view)
        await update.effective_message.reply_text(screen.text, reply_markup=screen.markup)
        return True
    data["place"] = place
    await dialog_state.put(context.session, context.who.account_id, "place", "confirm", data,
                           context.runtime.clock.now())
    screen = summary_screen(t, view, slot_start_from_key(data["slot"]), data["venue"], place)
    await update.effective_message.reply_text(screen.text, reply_markup=screen.markup)
    return True


async def on_send(update: Update, context: HomevisitContext) -> None:
    data = _args(update)
    inv_id = data.int_arg(0)
    view = await _view(update, context, inv_id)
    if view is None or not await _current(update, context, view, data.int_arg(1)):
        return
    key, venue = data.int_arg(2), data.args[3]
    state = await dialog_state.get(context.session, context.who.account_id, context.runtime.clock.now())
    place = None
    if state is not None and state.flow == "place" and state.data.get("invitation") == inv_id \
            and state.data.get("slot") == key and state.data.get("venue") == venue:
        place = state.data.get("place")
    outcome = await booking.request_slot(context.session, inv_id, _guardians(context), slot_start_from_key(key),
                                         venue, place, context.runtime.clock.now(), expected_version=data.int_arg(1))
    await dialog_state.clear(context.session, context.who.account_id)
    t = context.t
    if outcome.code == "requested":
        await show(update, Screen(t._(
            "📨 Verstuurd! {teacher} bevestigt het zo snel mogelijk. Je krijgt dan een bericht.\n\n"
            "Veranderen of afzeggen kan altijd met /myvisit."
        ).format(teacher=t.isolate(view.teacher.name))))
    elif outcome.code == "slot_taken":
        fresh = await _view(update, context, inv_id)
        lead = t._("Dit moment is net door een ander gezin gekozen. Kies een ander moment.")
        await show(update, days_screen(t, fresh, await _free(context, fresh), venue, lead))
    else:
        await _current(update, context, await _view(update, context, inv_id), -1)


async def on_no_fit(update: Update, context: HomevisitContext) -> None:
    data = _args(update)
    inv_id = data.int_arg(0)
    view = await _view(update, context, inv_id)
    if view is None or not await _current(update, context, view, data.int_arg(1)):
        return
    outcome = await booking.no_fitting_time(context.session, inv_id, _guardians(context), context.runtime.clock.now(),
                                            expected_version=data.int_arg(1))
    t = context.t
    if outcome.code == "no_fit":
        await show(update, Screen(t._(
            "Dank je wel. {teacher} krijgt bericht en zoekt samen met jullie naar een ander moment, "
            "of belt jullie even."
        ).format(teacher=t.isolate(view.teacher.name))))
    else:
        await _current(update, context, await _view(update, context, inv_id), -1)


async def _after_decline(update: Update, context: HomevisitContext, inv_id: int, outcome: booking.Outcome) -> None:
    t = context.t
    view = await _view(update, context, inv_id)
    if view is None:
        return
    if outcome.code != "declined":
        await _current(update, context, view, -1)
        return
    inv = view.invitation
    reasons = [button(f"{DECLINE_REASON_ICONS[r]} {t._(DECLINE_REASON_LABELS[r])}", "decl", inv.id, inv.version, r)
               for r in DECLINE_REASONS]
    await show(update, Screen(
        t._("Dank je wel dat je het laat weten. Dat is helemaal goed.\n\n"
            "Wil je zeggen waarom? Dat hoeft niet.\n\n"
            "Kennismaken kan ook op een andere plek: op school, in een park, in een café of telefonisch."),
        markup(*rows(reasons, 2), [button("📍 " + t._("Ja, liever ergens anders"), "inv", inv.id, inv.version, "e")]),
    ))


async def on_decline_reason(update: Update, context: HomevisitContext) -> None:
    data = _args(update)
    inv_id, reason = data.int_arg(0), data.args[2]
    view = await _view(update, context, inv_id)
    if view is None or not await _current(update, context, view, data.int_arg(1)):
        return
    if reason not in DECLINE_REASONS:
        await refuse(update, context)
        return
    outcome = await booking.decline(context.session, inv_id, _guardians(context), reason, context.runtime.clock.now(),
                                    expected_version=data.int_arg(1))
    view = await _view(update, context, inv_id)
    if view is None:
        return
    if outcome.code != "declined":
        await _current(update, context, view, -1)
        return
    t = context.t
    await show(update, Screen(
        t._("Dank je wel. {teacher} weet het nu. We wensen jullie een fijn schooljaar!").format(
            teacher=t.isolate(view.teacher.name)),
        markup([button("📍 " + t._("Toch graag afspreken, ergens anders"), "inv", inv_id,
                       view.invitation.version, "e")]),
    ))


async def on_manage(update: Update, context: HomevisitContext) -> None:
    """Reschedule or cancel one's own visit (from /myvisit)."""
    data = _args(update)
    appointment_id, version, action = data.int_arg(0), data.int_arg(1), data.args[2]
    appointment = await context.session.get(Appointment, appointment_id)
    if appointment is None:
        await refuse(update, context)
        return
    view = await _view(update, context, appointment.invitation_id)
    if view is None or not await _current(update, context, view, version):
        return
    t = context.t
    if view.appointment is None or view.appointment.id != appointment_id:
        await _current(update, context, view, -1)
        return
    if action == "r":
        await show(update, days_screen(t, view, await _free(context, view), view.appointment.venue))
    elif action == "c":
        await show(update, Screen(
            t._("Weet je zeker dat je het huisbezoek van {when} wilt afzeggen?").format(
                when=t.day_and_time(view.appointment.starts_at)),
            markup([button("✖️ " + t._("Ja, afzeggen"), "mv", appointment_id, version, "y")],
                   [button("↩️ " + t._("Nee, laat maar staan"), "mv", appointment_id, version, "k")]),
        ))
    elif action == "y":
        await booking.cancel_by_guardian(context.session, appointment_id, _guardians(context),
                                         context.runtime.clock.now())
        view = await _view(update, context, view.invitation.id)
        inv = view.invitation
        await show(update, Screen(
            t._("Het huisbezoek is afgezegd. {teacher} krijgt bericht.\n\nWil je een nieuw moment kiezen?").format(
                teacher=t.isolate(view.teacher.name)),
            markup([button("📅 " + t._("Kies een moment"), "inv", inv.id, inv.version, "t")],
                   [button("🙅 " + t._("Dit jaar liever niet"), "inv", inv.id, inv.version, "n")]),
        ))
    elif action == "k":
        await show(update, status_screen(t, view))
    else:
        await refuse(update, context)


async def on_proposal(update: Update, context: HomevisitContext) -> None:
    data = _args(update)
    appointment_id, answer = data.int_arg(0), data.args[1]
    if answer not in ("y", "n"):
        await refuse(update, context)
        return
    try:
        outcome = await booking.answer_proposal(context.session, appointment_id, _guardians(context), answer == "y",
                                                context.runtime.clock.now(), context.runtime.reminder_plan)
    except NotAllowed:
        await refuse(update, context)
        return
    view = await _view(update, context, outcome.invitation_id)
    if view is None:
        return
    t = context.t
    if outcome.code == "accepted":
        await show(update, Screen(t._("Fijn! Het huisbezoek staat vast: {when}.").format(
            when=_when_where(t, view))))
    elif outcome.code == "rejected":
        lead = t._("Jammer dat het niet past. {teacher} krijgt bericht. Kies gerust zelf een ander moment.").format(
            teacher=t.isolate(view.teacher.name))
        await show(update, days_screen(t, view, await _free(context, view), NO_VENUE, lead))
    else:
        await _current(update, context, view, -1)


def _when_where(t: Translator, view: InvitationView) -> str:
    return when_where(t, view.appointment) if view.appointment else ""


async def _still_free(update: Update, context: HomevisitContext, view: InvitationView, key: int, venue: str) -> bool:
    start = slot_start_from_key(key)
    if any(s.starts_at == start for s in await _free(context, view)):
        return True
    t = context.t
    lead = t._("Dit moment is net door een ander gezin gekozen. Kies een ander moment.")
    await show(update, days_screen(t, view, await _free(context, view), venue, lead))
    return False


def _venue_arg(value: str) -> str:
    return value if value in VENUES else NO_VENUE


def _guardians(context: HomevisitContext) -> tuple[int, ...]:
    return tuple(g.id for g in context.who.guardians)
