"""What a teacher sees of a visit: a family's request, a counter-proposal being made,
the agenda a page at a time, and cancelling with a short reason."""
from __future__ import annotations

from collections import Counter
from datetime import date, datetime

from bot.buttons import Button, Day, OneOf, Page, Ref
from bot.buttons import Slot as SlotField
from bot.i18n import Translator
from bot.screens import siblings as joint
from bot.screens.companions import agenda_suffix, companions_button, wish_line
from bot.screens.evening import agenda_late_buttons, agenda_late_mark
from bot.screens.families import CHANNEL_ICONS, FAMILIES, channel_phrase
from bot.screens.keyboard import Screen, button, markup, rows
from bot.screens.paging import page_screen, paginate
from bot.screens.phrases import (
    TEACHER_CANCEL_LABELS,
    children_phrase,
    venue_phrase,
    when_where,
)
from bot.services.areas import area_of, in_area_order
from bot.services.booking import TEACHER_CANCEL_REASONS, AgendaItem
from bot.services.invitations import InvitationView
from bot.services.slots import Slot
from db.models import Appointment, Channel

CONFIRM = Button("confirm", Ref("appointment"), legacy="tc")
PROPOSE = Button("propose", Ref("appointment"), legacy="tp")
PROPOSE_DAY = Button("propose_day", Ref("appointment"), Day(), legacy="tpd")
PROPOSE_SLOT = Button("propose_slot", Ref("appointment"), SlotField(), legacy="tps")
CANCEL = Button("cancel", Ref("appointment"), legacy="tx")
CANCEL_REASON = Button("cancel_why", Ref("appointment"), OneOf("reason", *TEACHER_CANCEL_REASONS), legacy="txr")
AGENDA = Button("agenda", Page(), legacy="agp")

AGENDA_PER_PAGE = 10  # visits a page, each with its cancel button
MAX_DAYS_SHOWN = 12
CANCEL_ICONS = {"ill": "🤒", "unavailable": "📅", "other": "💬"}
STATUS_ICONS = {"confirmed": "✅", "requested": "⏳", "proposed": "🔄"}


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
    if appointment.channel == Channel.WEB:
        text += "\n🌐 " + t._("Gekozen op de webpagina van het gezin")
    if v.invitation.interpreter_wanted is not None:  # the family's answer to the interpreter question
        text += "\n" + wish_line(t, v.invitation.interpreter_wanted)
    if v.partners:  # siblings' teachers visit together
        text += "\n\n" + joint.request_line(t, v)
    return Screen(text, markup(
        [button("✅ " + t._("Bevestigen"), CONFIRM, appointment.id)],
        [button("🔄 " + t._("Ander moment voorstellen"), PROPOSE, appointment.id)],
    ))


def confirmed_screen(t: Translator, v: InvitationView, appointment: Appointment) -> Screen:
    return Screen(t._("✅ Bevestigd: {when}, {children}. Het gezin krijgt bericht.").format(
        when=when_where(t, appointment, for_teacher=True), children=children_phrase(t, v)),
        markup([companions_button(t, appointment)]))


def changed_screen(t: Translator) -> Screen:
    return Screen(t._("Dit verzoek is intussen veranderd of afgezegd. Kijk bij /agenda hoe het nu staat."))


def proposal_days_screen(t: Translator, appointment: Appointment, days: list[date], lead: str = "") -> Screen:
    if not days:
        return Screen(t._("Je hebt geen vrije momenten meer. Voeg eerst tijd toe met /availability."))
    text = t._("Welke dag wil je voorstellen?")
    buttons = [button(t.short_day(day), PROPOSE_DAY, appointment.id, day) for day in days[:MAX_DAYS_SHOWN]]
    return Screen(f"{lead}\n\n{text}" if lead else text, markup(*rows(buttons, 3)))


def proposal_times_screen(t: Translator, appointment: Appointment, day: date, slots: list[Slot]) -> Screen:
    buttons = [button(t.time(s.starts_at), PROPOSE_SLOT, appointment.id, s.key) for s in slots]
    return Screen(t._("Hoe laat op {day}?").format(day=t.day(day)),
                  markup(*rows(buttons, 3), [button("↩️ " + t._("Andere dag"), PROPOSE, appointment.id)]))


def proposed_screen(t: Translator, starts_at: datetime) -> Screen:
    return Screen(t._("🔄 Voorgesteld: {when}. Het gezin krijgt de vraag of dat past.").format(
        when=t.day_and_time(starts_at)))


def agenda_line(t: Translator, item: AgendaItem) -> str:
    a = item.appointment
    phones = ", ".join(p for _, p in item.guardians if p)
    names = ", ".join(n for n, _ in item.guardians)
    line = t._("{status} {time} {children} – {guardians} – {where}").format(
        status=STATUS_ICONS[a.status], time=t.time(a.starts_at), children=t.isolate(", ".join(item.children)),
        guardians=t.isolate(names), where=venue_phrase(t, a.venue, a.place, for_teacher=True))
    if a.channel != Channel.BOT:  # agreed by phone, at the door, by letter
        line += f" ({CHANNEL_ICONS[Channel(a.channel)]} {channel_phrase(t, a.channel)})"
    line += agenda_suffix(t, item)  # who else goes: a colleague, an interpreter
    return line + (" – 📞 " + t.isolate(phones) if phones else "")


def area_headings(t: Translator, items: list[AgendaItem]) -> list[str | None]:
    """Each item's area heading ("📍 1011 · 3 huisbezoeken"), the same for all of one evening's
    visits in one area; None on an evening without postcodes."""
    keys = [(i.appointment.starts_at.astimezone(t.tz).date(), area_of(i.postcode)) for i in items]
    with_area = {day for day, area in keys if area is not None}
    counts = Counter(keys)
    return [None if day not in with_area else "📍 " + (
        t.ngettext("{area} · {count} huisbezoek", "{area} · {count} huisbezoeken", counts[day, area]).format(
            area=area.label, count=counts[day, area]) if area is not None else
        t.ngettext("zonder postcode · {count} huisbezoek", "zonder postcode · {count} huisbezoeken",
                   counts[day, area]).format(count=counts[day, area])) for day, area in keys]


def agenda_screen(t: Translator, items: list[AgendaItem], now: datetime, index: int) -> Screen:
    """The teacher's visits by day, each evening grouped by area, a page at a time, a cancel
    button for each still to come."""
    record = [button("✍️ " + t._("Iets vastleggen voor een gezin"), FAMILIES, 0)]
    if not items:
        return Screen(t._("Er staan nog geen huisbezoeken in je agenda."), markup(record))
    items = in_area_order(items, t.tz)
    heads = area_headings(t, items)
    days = [t.day(i.appointment.starts_at.astimezone(t.tz).date()) for i in items]
    lines = [agenda_line(t, i) + agenda_late_mark(t, i.appointment) for i in items]
    # Sized with its day's and area's heading: a page may start with any item.
    page = paginate([f"{d}\n{h or ''}\n{line}" for d, h, line in zip(days, heads, lines)], index,
                    most=AGENDA_PER_PAGE, separator="\n")
    body, cancel_buttons, current_day, current_area = [], [], None, None
    companion_buttons = []  # a second visitor for a confirmed visit (bot/screens/companions.py)
    late_buttons = []  # ⏰ running late, for today's visits
    for i in range(page.start, page.end):
        if days[i] != current_day:
            body.append("\n" + days[i])
            current_day, current_area = days[i], None
        if heads[i] is not None and heads[i] != current_area:
            body.append(heads[i])
            current_area = heads[i]
        body.append(lines[i])
        a = items[i].appointment
        if items[i].lead is not None:  # a visit of another teacher's, the reader goes along: theirs to change
            continue
        if a.status == "confirmed" and a.starts_at > now:
            companion_buttons.append(companions_button(t, a, with_when=True))
        late_buttons += agenda_late_buttons(t, a, now)
        if a.starts_at > now:
            cancel_buttons.append(button("✖️ " + t._("Afzeggen: {day} {time}").format(
                day=t.short_day(a.starts_at), time=t.time(a.starts_at)), CANCEL, a.id))
    header = t.ngettext("Je agenda: {count} huisbezoek", "Je agenda: {count} huisbezoeken", len(items)).format(
        count=len(items))
    legend = "\n" + t._("✅ bevestigd · ⏳ wacht op jou · 🔄 voorgesteld aan het gezin")
    return page_screen(t, header, body, page, AGENDA, separator="\n", footer=legend,
                       buttons=[*rows(late_buttons, 2), *rows(companion_buttons, 1), *rows(cancel_buttons, 1),
                                record])


def cancel_reasons_screen(t: Translator, appointment: Appointment) -> Screen:
    reasons = [button(f"{CANCEL_ICONS[code]} {t._(label)}", CANCEL_REASON, appointment.id, code)
               for code, label in TEACHER_CANCEL_LABELS.items()]
    return Screen(t._("Waarom zeg je het bezoek van {when} af? Het gezin krijgt een vriendelijk bericht en kan een "
                      "nieuw moment kiezen.").format(when=t.day_and_time(appointment.starts_at)),
                  markup(*rows(reasons, 1)))


def teacher_cancelled_screen(t: Translator) -> Screen:
    return Screen(t._("Afgezegd. Het gezin krijgt bericht en kan een nieuw moment kiezen."))
