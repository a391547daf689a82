"""What a household sees on its web page: where each invitation stands and what can be
done about it, choosing a day, a time and a place, saying "not this year", cancelling.

Pure, like the chat's screens (and with the chat's words wherever they fit): each
function turns a `FamilyPage` or an `InvitationView` into plain values for a template;
the template only lays them out. Addresses come from the adapter (`bot/pages`), as
`FamilyUrls`, so the screens know no routes.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from babel.lists import format_list

from bot.i18n import Translator
from bot.languages import LANGUAGE_NAMES, RTL_LANGUAGES, SUPPORTED_LANGUAGES
from bot.screens import siblings as joint
from bot.screens.invitation import nearby_legend
from bot.screens.phrases import (
    DECLINE_REASON_ICONS,
    DECLINE_REASON_LABELS,
    VENUE_ICONS,
    VENUE_LABELS,
    children_phrase,
    status_line,
    venue_phrase,
)
from bot.services.areas import EveningFit
from bot.services.family_page import FamilyPage
from bot.services.invitations import DECLINE_REASONS, InvitationView
from bot.services.slots import Slot, by_day
from db.models import VENUES, AppointmentStatus, InvitationStatus

PLACE_MAX = 120


class FamilyUrls(Protocol):
    def home(self, notice: str | None = None) -> str: ...
    def days(self, invitation_id: int) -> str: ...
    def day(self, invitation_id: int, day: date, notice: str | None = None) -> str: ...
    def book(self, invitation_id: int) -> str: ...
    def interpreter(self, invitation_id: int) -> str: ...
    def no_fit(self, invitation_id: int) -> str: ...
    def decline(self, invitation_id: int) -> str: ...
    def cancel(self, appointment_id: int) -> str: ...
    def proposal(self, appointment_id: int) -> str: ...
    def ics(self, appointment_id: int) -> str: ...
    def language(self, code: str) -> str: ...


@dataclass(frozen=True)
class Action:
    """A big button: a link (`href`), or a form posting `fields` to `post`."""

    label: str
    href: str | None = None
    post: str | None = None
    fields: tuple[tuple[str, str], ...] = ()
    primary: bool = False
    lang: str | None = None  # the language the label is in, when not the page's


@dataclass(frozen=True)
class Card:
    heading: str
    paragraphs: tuple[str, ...]
    actions: tuple[Action, ...] = ()


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    checked: bool = False


@dataclass(frozen=True)
class Page:
    """What every page has: its language and direction, a title, the language picker."""

    lang: str
    dir: str
    title: str
    heading: str
    languages: tuple[Action, ...]
    language_label: str
    footer: str
    notice: str | None = None
    body: dict = field(default_factory=dict)


# Notices after an action (PRG: the address names the notice, never anything personal).
NOTICES = ("requested", "declined", "reason", "no_fit", "cancelled", "accepted", "rejected", "changed", "closed")


def notice_text(t: Translator, notice: str | None) -> str | None:
    texts = {
        "requested": t._("📨 Verstuurd! De leerkracht bevestigt het zo snel mogelijk. Kijk hier later of het "
                         "vaststaat."),
        "declined": t._("Dank je wel dat je het laat weten. Dat is helemaal goed."),
        "reason": t._("Dank je wel. De leerkracht weet het nu. We wensen jullie een fijn schooljaar!"),
        "no_fit": t._("Dank je wel. De leerkracht krijgt bericht en zoekt samen met jullie naar een ander moment, "
                      "of belt jullie even."),
        "cancelled": t._("Het huisbezoek is afgezegd. De leerkracht krijgt bericht."),
        "accepted": t._("Fijn! Het huisbezoek staat vast."),
        "rejected": t._("Jammer dat het niet past. De leerkracht krijgt bericht. Kies gerust zelf een ander moment."),
        "changed": t._("Er is intussen iets veranderd. Zo staat het nu:"),
        "closed": t._("De periode voor huisbezoeken is voorbij."),
    }
    return texts.get(notice or "")


def page(t: Translator, urls: FamilyUrls, school: str, phone: str | None, title: str, heading: str, *,
         notice: str | None = None, **body) -> Page:
    languages = tuple(Action(LANGUAGE_NAMES[code], href=urls.language(code), primary=code == t.language,
                             lang=code.replace("_", "-")) for code in SUPPORTED_LANGUAGES)
    footer = (t._("Vragen? Bel de school: {phone}").format(phone=t.isolate(phone)) if phone
              else t._("Vragen? Vraag het de leerkracht of bel de school."))
    return Page(lang=t.language.replace("_", "-"), dir="rtl" if t.language in RTL_LANGUAGES else "ltr",
                title=f"{title} · {school}", heading=heading, languages=languages,
                language_label=t._("Taal"), footer=footer, notice=notice, body=body)


def _household_names(page_: FamilyPage, t: Translator) -> str:
    """'Samira Benali en Youssef Benali', as the language lists names (each isolated on its own,
    so a right-to-left list reads its own 'and' and commas)."""
    return format_list([t.isolate(g.name) for g in page_.guardians], locale=t.babel_locale)


def visit_heading(t: Translator, v: InvitationView) -> str:
    """Whose visit the page is about: one teacher and their pupils, or (siblings visited
    together) the whole family's."""
    if v.partners:
        return t._("Huisbezoek voor het hele gezin")
    return t._("Huisbezoek van {teacher} voor {children}").format(
        teacher=t.isolate(v.teacher.name), children=children_phrase(t, v))


def invitation_card(t: Translator, urls: FamilyUrls, page_: FamilyPage, v: InvitationView) -> Card:
    inv, appointment = v.invitation, v.appointment
    heading = t._("Huisbezoek van {teacher} voor {children}").format(
        teacher=t.isolate(v.teacher.name), children=children_phrase(t, v))
    paragraphs = [status_line(t, v)]
    if v.partners:  # siblings' teachers together: every teacher and child, one card
        heading, paragraphs = t._("Huisbezoek voor het hele gezin"), [joint.visitor_lines(t, v), *paragraphs]
    if not page_.guardians:  # nobody on the roster to answer for: the school arranges it
        return Card(heading, (*paragraphs, t._("Vragen? Vraag het de leerkracht of bel de school.")))
    if appointment is not None and appointment.status == AppointmentStatus.PROPOSED:
        actions = (
            Action("✅ " + t._("Ja, dat past"), post=urls.proposal(appointment.id), fields=(("answer", "y"),),
                   primary=True),
            Action("❌ " + t._("Past niet"), post=urls.proposal(appointment.id), fields=(("answer", "n"),)),
        )
    elif appointment is not None:
        actions = (
            Action("🔁 " + t._("Ander moment kiezen"), href=urls.days(inv.id)),
            Action("✖️ " + t._("Afzeggen"), href=urls.cancel(appointment.id)),
        )
        if appointment.status == AppointmentStatus.CONFIRMED:
            actions = (Action("🗓 " + t._("Zet het in je agenda (.ics)"), href=urls.ics(appointment.id),
                              primary=True), *actions)
    elif inv.status == InvitationStatus.DECLINED:
        actions = (Action("📍 " + t._("Toch graag afspreken"), href=urls.days(inv.id)),)
    else:
        if inv.status == InvitationStatus.PENDING and not v.partners:
            paragraphs = [t._(
                "{teacher}, de leerkracht van {children}, komt graag bij jullie op huisbezoek. Even kennismaken, "
                "en horen waar jullie trots op zijn. Het bezoek duurt ongeveer {minutes} minuten."
            ).format(teacher=t.isolate(v.teacher.name), children=children_phrase(t, v),
                     minutes=v.period.visit_minutes),
                t._("Kies zelf een moment tussen {first} en {last}. Liever ergens anders afspreken kan ook: op "
                    "school, in een park, in een café of telefonisch. Dit jaar liever niet? Dat is ook goed.").format(
                    first=t.day(v.period.first_day), last=t.day(v.period.last_day))]
        actions = (
            Action("📅 " + t._("Kies een moment"), href=urls.days(inv.id), primary=True),
            Action("🙅 " + t._("Dit jaar liever niet"), href=urls.decline(inv.id)),
        )
    return Card(heading, tuple(paragraphs), actions)


def home(t: Translator, urls: FamilyUrls, page_: FamilyPage, school: str, phone: str | None,
         notice: str | None) -> Page:
    names = _household_names(page_, t)
    greeting = t._("Hallo {name}! 👋").format(name=names) if names else t._("Hallo! 👋")
    cards = tuple(invitation_card(t, urls, page_, v) for v in page_.views)
    return page(t, urls, school, phone, t._("Huisbezoek"), greeting, notice=notice_text(t, notice), cards=cards)


def days(t: Translator, urls: FamilyUrls, v: InvitationView, slots: list[Slot], school: str,
         phone: str | None, notice: str | None = None, *, fit: EveningFit = EveningFit()) -> Page:
    """The free days in the order of the teacher's route (`fit`), those nearby marked 📍."""
    inv = v.invitation
    grouped = by_day(slots, t.tz)
    heading = visit_heading(t, v)
    if not grouped and joint.apart_when_empty(v):  # no shared time: the home page shows each invitation now
        text, options = joint.apart_text(t, v), ()
        no_fit = Action("📨 " + t._("Bekijk de uitnodigingen"), href=urls.home(), primary=True)
    elif not grouped:
        text = t._("{teacher} heeft op dit moment geen vrije momenten meer. Tik op de knop, dan krijgt de "
                   "leerkracht bericht en neemt contact met jullie op.").format(teacher=t.isolate(v.teacher.name))
        options: tuple[Action, ...] = ()
        no_fit = Action("💬 " + t._("Vraag om een ander moment"), post=urls.no_fit(inv.id),
                        fields=(("version", str(inv.version)),))
    else:
        text = t._("Op welke dag past het jullie? Tussen haakjes staat hoeveel momenten er die dag vrij zijn.")
        options = tuple(Action(("📍 " if day in fit.near else "") + f"{t.day(day)} ({len(grouped[day])})",
                               href=urls.day(inv.id, day)) for day in fit.order(grouped))
        if fit.near.intersection(grouped):
            text += " " + nearby_legend(t, v.teacher.name)
        no_fit = Action("💬 " + t._("Geen van deze dagen past"), post=urls.no_fit(inv.id),
                        fields=(("version", str(inv.version)),))
    return page(t, urls, school, phone, t._("Kies een moment"), heading, notice=notice, text=text,
                days=options, no_fit=no_fit, back=Action("↩️ " + t._("Terug"), href=urls.home()))


def day(t: Translator, urls: FamilyUrls, v: InvitationView, on: date, slots: list[Slot], school: str,
        phone: str | None, *, notice: str | None = None, chosen: dict | None = None,
        interpreter: bool = False) -> Page:
    """The form: a time that day, the place (home, school, park, café, phone) and its name; above
    it, when `interpreter` (bot/services/family_page.py: ask_interpreter), the bot's question
    whether an interpreter would help, with its two answers (each a form of its own)."""
    inv, chosen = v.invitation, chosen or {}
    question = None
    if interpreter:
        question = Card("🗣 " + t._("Zou een tolk helpen bij het huisbezoek? Dan probeert de school er een te "
                                    "regelen."), (), tuple(
            Action(label, post=urls.interpreter(inv.id),
                   fields=(("version", str(inv.version)), ("day", on.isoformat()), ("answer", answer)))
            for label, answer in (("🗣 " + t._("Ja, graag"), "y"), ("👍 " + t._("Nee, dank je"), "n"))))
    current = v.appointment
    venue_now = chosen.get("venue") or (current.venue if current else "home")
    times = tuple(Choice(str(s.key), t.time(s.starts_at), checked=str(s.key) == chosen.get("slot"))
                  for s in slots)
    venues = tuple(Choice(venue, f"{VENUE_ICONS[venue]} {t._(VENUE_LABELS[venue])}", checked=venue == venue_now)
                   for venue in VENUES)
    return page(
        t, urls, school, phone, t._("Kies een moment"), t._("Kies een moment"),
        notice=notice, action=urls.book(inv.id), version=str(inv.version), day=on.isoformat(), times=times,
        times_label=t._("Hoe laat op {day}?").format(day=t.day(on)), venues=venues,
        venues_label=t._("Waar willen jullie afspreken?"),
        place_label=t._("Naam van de plek (mag leeg blijven: de leerkracht mag kiezen)"),
        place=chosen.get("place") or (current.place if current and current.place else ""), place_max=PLACE_MAX,
        send=Action("✅ " + t._("Verstuur"), primary=True),
        back=Action("↩️ " + t._("Andere dag"), href=urls.days(inv.id)), interpreter=question,
        teacher=visit_heading(t, v))


def interpreter_noted(t: Translator) -> str:
    """After the household answered the interpreter question (the bot's words)."""
    return "🗣 " + t._("Dank je, dat is genoteerd.")


def slot_taken(t: Translator) -> str:
    return t._("Dit moment is net door een ander gezin gekozen. Kies een ander moment.")


def choose_a_time(t: Translator) -> str:
    return t._("Kies eerst een tijd.")


def decline(t: Translator, urls: FamilyUrls, v: InvitationView, school: str, phone: str | None) -> Page:
    inv = v.invitation
    reasons = tuple(Choice(r, f"{DECLINE_REASON_ICONS[r]} {t._(DECLINE_REASON_LABELS[r])}") for r in DECLINE_REASONS)
    return page(
        t, urls, school, phone, t._("Dit jaar liever niet"), t._("Dit jaar liever niet"),
        text=t._("Dat is helemaal goed. Kennismaken kan ook op een andere plek: op school, in een park, in een "
                 "café of telefonisch."),
        reasons_label=t._("Wil je zeggen waarom? Dat hoeft niet."), reasons=reasons,
        action=urls.decline(inv.id), version=str(inv.version),
        send=Action("🙅 " + t._("Dit jaar liever niet"), primary=True),
        elsewhere=Action("📍 " + t._("Ja, liever ergens anders"), href=urls.days(inv.id)),
        back=Action("↩️ " + t._("Terug"), href=urls.home()))


def cancel(t: Translator, urls: FamilyUrls, v: InvitationView, school: str, phone: str | None) -> Page:
    appointment = v.appointment
    return page(
        t, urls, school, phone, t._("Afzeggen"), t._("Afzeggen"),
        text=t._("Weet je zeker dat je het huisbezoek van {when} wilt afzeggen?").format(
            when=t.day_and_time(appointment.starts_at)),
        where=venue_phrase(t, appointment.venue, appointment.place),
        send=Action("✖️ " + t._("Ja, afzeggen"), post=urls.cancel(appointment.id),
                    fields=(("version", str(v.invitation.version)),), primary=True),
        back=Action("↩️ " + t._("Nee, laat maar staan"), href=urls.home()))


def not_found(t: Translator, urls: FamilyUrls, school: str, phone: str | None) -> Page:
    """Any link that does not (or no longer) work: one kind page, whatever the reason."""
    return page(t, urls, school, phone, t._("Deze link werkt niet (meer)"), t._("Deze link werkt niet (meer)"),
                text=t._("Misschien is de periode voor huisbezoeken voorbij, of heeft de school een nieuwe link "
                         "gestuurd. Vraag de leerkracht of de school gerust om een nieuwe link."))


def refused(t: Translator, urls: FamilyUrls, school: str, phone: str | None, reason: str) -> Page:
    """A form that cannot be taken (too big, sent from elsewhere, too many at once)."""
    texts = {
        "csrf": t._("Dit formulier is verlopen. Ga terug, laad de pagina opnieuw en probeer het nog eens."),
        "too_big": t._("Dat was te veel tekst. Ga terug en probeer het korter."),
        "too_many": t._("Even rustig aan: probeer het over een minuut nog eens."),
    }
    return page(t, urls, school, phone, t._("Dat lukte niet"), t._("Dat lukte niet"), text=texts[reason],
                back=Action("↩️ " + t._("Terug"), href=urls.home()))
