"""What a parent sees: the invitation, choosing a day, a time and a place, the summary,
where things stand, and what follows a decline or a change of plans."""
from __future__ import annotations

from datetime import date, datetime

from bot.buttons import Button, Day, OneOf, Ref, Revision
from bot.buttons import Slot as SlotField
from bot.i18n import Translator
from bot.screens import siblings as joint
from bot.screens.keyboard import Screen, button, markup, rows
from bot.screens.phrases import (
    DECLINE_REASON_ICONS,
    DECLINE_REASON_LABELS,
    children_phrase,
    status_line,
    venue_button,
    venue_phrase,
    when_where,
)
from bot.services.areas import EveningFit
from bot.services.invitations import DECLINE_REASONS, InvitationView
from bot.services.slots import Slot, by_day
from db.models import (
    VENUES,
    AppointmentStatus,
    InvitationStatus,
    PeriodStatus,
)

NO_VENUE = "x"  # no place chosen yet
NO_SLOT = 0  # no time chosen yet
MAX_DAYS_SHOWN = 12

_VENUE_OR_NONE = OneOf("venue", *VENUES, NO_VENUE)
_VENUE = OneOf("venue", *VENUES)

# The invitation's three answers: a time (t), somewhere else (e), not this year (n).
INVITATION = Button("invitation", Ref("invitation"), Revision(), OneOf("choice", "t", "e", "n"), legacy="inv")
DAYS = Button("days", Ref("invitation"), Revision(), _VENUE_OR_NONE, legacy="days")
DAY = Button("day", Ref("invitation"), Revision(), Day(), _VENUE_OR_NONE, legacy="day")
SLOT = Button("slot", Ref("invitation"), Revision(), SlotField(), _VENUE_OR_NONE, legacy="slot")
VENUE = Button("venue", Ref("invitation"), Revision(), SlotField(or_none=True), _VENUE, legacy="ven")
PLACE_ANY = Button("place_any", Ref("invitation"), Revision(), SlotField(), _VENUE, legacy="plc")
SEND = Button("send", Ref("invitation"), Revision(), SlotField(), _VENUE, legacy="send")
NO_FIT = Button("no_fit", Ref("invitation"), Revision(), legacy="nofit")
DECLINE_REASON = Button("decline_why", Ref("invitation"), Revision(), OneOf("reason", *DECLINE_REASONS),
                        legacy="decl")
# One's own visit (from /myvisit): another time (r), cancel (c), yes cancel (y), keep it (k).
MY_VISIT = Button("my_visit", Ref("appointment"), Revision(), OneOf("choice", "r", "c", "y", "k"), legacy="mv")
PROPOSAL = Button("proposal", Ref("appointment"), OneOf("answer", "y", "n"), legacy="prop")


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
    ) if not view.partners else joint.invitation_text(t, view)  # siblings' teachers together
    return Screen(text, markup(
        [button("📅 " + t._("Kies een moment"), INVITATION, inv.id, inv.version, "t")],
        [button("📍 " + t._("Ergens anders afspreken"), INVITATION, inv.id, inv.version, "e")],
        [button("🙅 " + t._("Dit jaar liever niet"), INVITATION, inv.id, inv.version, "n")],
    ))


def status_screen(t: Translator, view: InvitationView) -> Screen:
    """Where the invitation stands, with what can be done about it now."""
    inv = view.invitation
    appointment = view.appointment
    text = (t._("Huisbezoek van {teacher} voor {children}").format(
        teacher=t.isolate(view.teacher.name), children=children_phrase(t, view)) if not view.partners
        else joint.status_head(t, view)) + "\n\n" + status_line(t, view)
    if view.period.status != PeriodStatus.OPEN:
        return Screen(text)
    if appointment is not None and appointment.status == AppointmentStatus.PROPOSED:
        return Screen(text, markup(
            [button("✅ " + t._("Ja, dat past"), PROPOSAL, appointment.id, "y")],
            [button("❌ " + t._("Past niet"), PROPOSAL, appointment.id, "n")],
        ))
    if appointment is not None:
        return Screen(text, markup(
            [button("🔁 " + t._("Ander moment kiezen"), MY_VISIT, appointment.id, inv.version, "r")],
            [button("✖️ " + t._("Afzeggen"), MY_VISIT, appointment.id, inv.version, "c")],
        ))
    if inv.status == InvitationStatus.DECLINED:
        return Screen(text, markup([button("📍 " + t._("Toch graag afspreken"), INVITATION, inv.id, inv.version, "t")]))
    return Screen(text, markup(
        [button("📅 " + t._("Kies een moment"), INVITATION, inv.id, inv.version, "t")],
        [button("📍 " + t._("Ergens anders afspreken"), INVITATION, inv.id, inv.version, "e")],
        [button("🙅 " + t._("Dit jaar liever niet"), INVITATION, inv.id, inv.version, "n")],
    ))


def days_screen(t: Translator, view: InvitationView, slots: list[Slot], venue: str, lead: str = "", *,
                fit: EveningFit = EveningFit()) -> Screen:
    """The free days in the order of the teacher's route (`fit`), those nearby marked 📍."""
    inv = view.invitation
    days = by_day(slots, t.tz)
    if not days and joint.apart_when_empty(view):  # no shared time: the separate invitations follow
        return Screen(_lead(lead, joint.apart_text(t, view)))
    if not days:
        text = t._("{teacher} heeft op dit moment geen vrije momenten meer. Tik op de knop, dan "
                   "krijgt de leerkracht bericht en neemt contact met jullie op.").format(
            teacher=t.isolate(view.teacher.name))
        return Screen(_lead(lead, text), markup([button("💬 " + t._("Vraag om een ander moment"), NO_FIT, inv.id,
                                                         inv.version)]))
    shown = fit.order(days)[:MAX_DAYS_SHOWN]
    day_buttons = [
        button(("📍 " if day in fit.near else "") + f"{t.short_day(day)} ({len(days[day])})", DAY, inv.id, inv.version,
               day, venue)
        for day in shown
    ]
    text = t._("Op welke dag past het jullie? Tussen haakjes staat hoeveel momenten er die dag vrij zijn.")
    if fit.near.intersection(shown):
        text += "\n\n" + nearby_legend(t, view.teacher.name)
    return Screen(_lead(lead, text), markup(
        *rows(day_buttons, 2),
        [button("💬 " + t._("Geen van deze dagen past"), NO_FIT, inv.id, inv.version)],
    ))


def nearby_legend(t: Translator, teacher: str) -> str:
    return t._("📍 = {teacher} is die dag al bij jullie in de buurt.").format(teacher=t.isolate(teacher))


def times_screen(t: Translator, view: InvitationView, day: date, slots: list[Slot], venue: str) -> Screen:
    inv = view.invitation
    time_buttons = [button(t.time(s.starts_at), SLOT, inv.id, inv.version, s.key, venue) for s in slots]
    text = t._("Hoe laat op {day}?").format(day=t.day(day))
    return Screen(text, markup(
        *rows(time_buttons, 3),
        [button("↩️ " + t._("Andere dag"), DAYS, inv.id, inv.version, venue)],
    ))


def venue_screen(t: Translator, view: InvitationView, slot_key: int, with_home: bool) -> Screen:
    inv = view.invitation
    venues = [v for v in VENUES if with_home or v != "home"]
    text = t._("Waar willen jullie afspreken?")
    return Screen(text, markup(*rows([button(venue_button(t, v), VENUE, inv.id, inv.version, slot_key, v)
                                      for v in venues], 2)))


def place_screen(t: Translator, view: InvitationView, slot_key: int, venue: str) -> Screen:
    inv = view.invitation
    text = (t._("Welk park? Typ de naam, of tik op de knop.") if venue == "park"
            else t._("Welk café? Typ de naam, of tik op de knop."))
    return Screen(text, markup([button("🤝 " + t._("Maakt niet uit, de leerkracht mag kiezen"),
                                       PLACE_ANY, inv.id, inv.version, slot_key, venue)]))


def summary_screen(t: Translator, view: InvitationView, slot_start: datetime, venue: str, place: str | None) -> Screen:
    inv = view.invitation
    text = t._("Klopt dit?\n\n📅 {when}\n📍 {where}\n👤 {teacher}").format(
        when=t.day_and_time(slot_start), where=venue_phrase(t, venue, place),
        teacher=joint.teacher_names(t, view) if view.partners else t.isolate(view.teacher.name))
    key = int(slot_start.timestamp()) // 60
    return Screen(text, markup(
        [button("✅ " + t._("Verstuur"), SEND, inv.id, inv.version, key, venue)],
        [button("↩️ " + t._("Opnieuw kiezen"), DAYS, inv.id, inv.version, NO_VENUE)],
    ))


def changed_screen(t: Translator, view: InvitationView) -> Screen:
    """A press on a message from before the household's last change: where things stand now."""
    screen = status_screen(t, view)
    return Screen(t._("Er is intussen iets veranderd. Zo staat het nu:") + "\n\n" + screen.text, screen.markup)


def requested_screen(t: Translator, view: InvitationView) -> Screen:
    if view.partners:
        return Screen(joint.requested_text(t, view))
    return Screen(t._("📨 Verstuurd! {teacher} bevestigt het zo snel mogelijk. Je krijgt dan een bericht.\n\n"
                      "Veranderen of afzeggen kan altijd met /myvisit.").format(teacher=t.isolate(view.teacher.name)))


def slot_taken_lead(t: Translator) -> str:
    return t._("Dit moment is net door een ander gezin gekozen. Kies een ander moment.")


def no_fit_screen(t: Translator, view: InvitationView) -> Screen:
    return Screen(t._("Dank je wel. {teacher} krijgt bericht en zoekt samen met jullie naar een ander moment, "
                      "of belt jullie even.").format(teacher=t.isolate(view.teacher.name)))


def declined_screen(t: Translator, view: InvitationView) -> Screen:
    """Right after "not this year": thanks, an optional reason, and once the other places."""
    inv = view.invitation
    reasons = [button(f"{DECLINE_REASON_ICONS[r]} {t._(DECLINE_REASON_LABELS[r])}", DECLINE_REASON, inv.id,
                      inv.version, r) for r in DECLINE_REASONS]
    return Screen(
        t._("Dank je wel dat je het laat weten. Dat is helemaal goed.\n\n"
            "Wil je zeggen waarom? Dat hoeft niet.\n\n"
            "Kennismaken kan ook op een andere plek: op school, in een park, in een café of telefonisch."),
        markup(*rows(reasons, 2), [button("📍 " + t._("Ja, liever ergens anders"), INVITATION, inv.id, inv.version,
                                          "e")]))


def reason_given_screen(t: Translator, view: InvitationView) -> Screen:
    inv = view.invitation
    return Screen(
        t._("Dank je wel. {teacher} weet het nu. We wensen jullie een fijn schooljaar!").format(
            teacher=t.isolate(view.teacher.name)),
        markup([button("📍 " + t._("Toch graag afspreken, ergens anders"), INVITATION, inv.id, inv.version, "e")]))


def cancel_question_screen(t: Translator, view: InvitationView) -> Screen:
    appointment, version = view.appointment, view.invitation.version
    return Screen(
        t._("Weet je zeker dat je het huisbezoek van {when} wilt afzeggen?").format(
            when=t.day_and_time(appointment.starts_at)),
        markup([button("✖️ " + t._("Ja, afzeggen"), MY_VISIT, appointment.id, version, "y")],
               [button("↩️ " + t._("Nee, laat maar staan"), MY_VISIT, appointment.id, version, "k")]))


def cancelled_screen(t: Translator, view: InvitationView) -> Screen:
    inv = view.invitation
    return Screen(
        t._("Het huisbezoek is afgezegd. {teacher} krijgt bericht.\n\nWil je een nieuw moment kiezen?").format(
            teacher=t.isolate(view.teacher.name)),
        markup([button("📅 " + t._("Kies een moment"), INVITATION, inv.id, inv.version, "t")],
               [button("🙅 " + t._("Dit jaar liever niet"), INVITATION, inv.id, inv.version, "n")]))


def accepted_screen(t: Translator, view: InvitationView) -> Screen:
    return Screen(t._("Fijn! Het huisbezoek staat vast: {when}.").format(
        when=when_where(t, view.appointment) if view.appointment else ""))


def rejected_lead(t: Translator, view: InvitationView) -> str:
    return t._("Jammer dat het niet past. {teacher} krijgt bericht. Kies gerust zelf een ander moment.").format(
        teacher=t.isolate(view.teacher.name))


def _lead(lead: str, text: str) -> str:
    return f"{lead}\n\n{text}" if lead else text


# -- handlers -----------------------------------------------------------------------


def nothing_to_plan_screen(t: Translator) -> Screen:
    return Screen(t._("Er is nu geen huisbezoek om te plannen. Je krijgt een bericht zodra de school de "
                      "uitnodigingen verstuurt."))
