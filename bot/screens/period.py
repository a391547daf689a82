"""What the coordinator sees when opening or closing the visit period and sending the
invitations."""
from __future__ import annotations

from datetime import date, timedelta

from bot.buttons import Button, Day, Minutes
from bot.i18n import Translator
from bot.screens.keyboard import Screen, button, markup, rows
from bot.services.invitations import InviteReport
from bot.services.periods import PeriodDraft
from db.models import VisitPeriod

PERIOD_NAME = Button("period_name", legacy="pnm")  # the suggested name
PERIOD_FIRST = Button("period_first", Day(), legacy="pfd")
PERIOD_LAST = Button("period_last", Day(), legacy="pld")
PERIOD_VISIT = Button("period_visit", Minutes("minutes"), legacy="pvm")
PERIOD_BUFFER = Button("period_buffer", Minutes("minutes"), legacy="pbm")
PERIOD_OPEN = Button("period_open", legacy="pok")
STOP = Button("stop", legacy="pno")  # stop a coordinator's dialog (period, announcement): nothing changes
PERIOD_CLOSE = Button("period_close", legacy="pcl")
PERIOD_CLOSE_YES = Button("period_close_yes", legacy="pcy")
INVITE_SEND = Button("invite_send", legacy="ivs")

VISIT_CHOICES = (45, 60, 75, 90)
BUFFER_CHOICES = (0, 10, 15, 20, 30)


def period_text(t: Translator, period: VisitPeriod | PeriodDraft) -> str:
    return t._("{name}\n📅 {first} t/m {last}\n⏱ bezoek {visit} min, daarna {buffer} min reistijd").format(
        name=t.isolate(period.name), first=t.day(period.first_day), last=t.day(period.last_day),
        visit=period.visit_minutes, buffer=period.buffer_minutes)


def open_period_screen(t: Translator, period: VisitPeriod) -> Screen:
    return Screen(t._("Deze bezoekperiode is open:") + "\n\n" + period_text(t, period),
                  markup([button("🔒 " + t._("Periode sluiten"), PERIOD_CLOSE)]))


def name_screen(t: Translator, default: str) -> Screen:
    return Screen(t._("Nieuwe bezoekperiode. Hoe heet hij? Typ een naam, of tik op de knop."),
                  markup([button(default, PERIOD_NAME)]))


def restart_screen(t: Translator) -> Screen:
    return Screen(t._("Begin opnieuw met /period."))


def first_day_screen(t: Translator, today: date) -> Screen:
    monday = today + timedelta(days=(7 - today.weekday()) % 7 or 7)
    mondays = [monday + timedelta(weeks=i) for i in range(8)]
    return Screen(t._("Wat is de eerste dag? Tik op een maandag, of typ een datum (bijvoorbeeld 9-11-2026)."),
                  markup(*rows([button(t.short_day(d), PERIOD_FIRST, d) for d in mondays], 4)))


def last_day_screen(t: Translator, first: date) -> Screen:
    fridays = [first + timedelta(days=(4 - first.weekday()) % 7 + 7 * i) for i in range(4)]
    return Screen(t._("Eerste dag: {first}. Wat is de laatste dag? Tik op een vrijdag, of typ een datum.").format(
        first=t.day(first)), markup(*rows([button(t.short_day(d), PERIOD_LAST, d) for d in fridays], 4)))


def visit_screen(t: Translator) -> Screen:
    return Screen(t._("Hoe lang duurt een bezoek? (Meestal een uur.)"), markup(
        [button(t._("{minutes} min").format(minutes=m), PERIOD_VISIT, m) for m in VISIT_CHOICES]))


def buffer_screen(t: Translator) -> Screen:
    return Screen(t._("Hoeveel reistijd tussen twee bezoeken?"), markup(
        [button(t._("{minutes} min").format(minutes=m), PERIOD_BUFFER, m) for m in BUFFER_CHOICES]))


def confirm_screen(t: Translator, draft: PeriodDraft) -> Screen:
    return Screen(t._("Klopt dit?") + "\n\n" + period_text(t, draft),
                  markup([button("✅ " + t._("Periode openen"), PERIOD_OPEN)], [button("✖️ " + t._("Stoppen"), STOP)]))


def refused_screen(t: Translator, code: str) -> Screen:
    message = {
        "already_open": t._("Er is al een bezoekperiode open. Sluit die eerst met /period."),
        "days": t._("De laatste dag ligt voor de eerste dag, of de periode is langer dan 120 dagen."),
    }.get(code, t._("Dat klopt niet helemaal. Begin opnieuw met /period."))
    return Screen("⚠️ " + message)


def opened_screen(t: Translator, period: VisitPeriod) -> Screen:
    return Screen("✅ " + t._("De bezoekperiode is open.") + "\n\n" + period_text(t, period) + "\n\n" +
                  t._("Leerkrachten geven nu hun tijden door met /availability. Stuur de uitnodigingen met /invite "
                      "zodra de leerkrachten tijden hebben."))


def stopped_screen(t: Translator) -> Screen:
    return Screen(t._("Gestopt. Er is niets veranderd."))


def close_question_screen(t: Translator) -> Screen:
    return Screen(t._("Weet je het zeker? Na het sluiten kunnen ouders geen nieuwe afspraken meer maken. "
                      "Afspraken die al staan, blijven staan."),
                  markup([button("🔒 " + t._("Ja, sluiten"), PERIOD_CLOSE_YES)]))


def closed_screen(t: Translator, period: VisitPeriod | None) -> Screen:
    return Screen(t._("De bezoekperiode {name} is gesloten.").format(name=t.isolate(period.name))
                  if period else t._("Er is geen bezoekperiode open."))


def no_period_screen(t: Translator) -> Screen:
    return Screen(t._("Open eerst een bezoekperiode met /period."))


def invite_question_screen(t: Translator) -> Screen:
    return Screen(t._("Alle gezinnen krijgen een uitnodiging van de leerkracht van hun kind, in hun eigen taal. "
                      "Gezinnen die al een uitnodiging hebben, krijgen geen tweede. Versturen?"),
                  markup([button("📨 " + t._("Uitnodigingen versturen"), INVITE_SEND)]))


def invited_screen(t: Translator, report: InviteReport) -> Screen:
    return Screen(
        t.ngettext("📨 {count} gezin uitgenodigd.", "📨 {count} gezinnen uitgenodigd.", report.households).format(
            count=report.households) + "\n" +
        t.ngettext("{count} bericht gaat nu de deur uit.", "{count} berichten gaan nu de deur uit.",
                   report.messages).format(count=report.messages) + "\n" +
        t.ngettext("{count} ouder heeft de bot nog niet gekoppeld en krijgt de uitnodiging bij het koppelen.",
                   "{count} ouders hebben de bot nog niet gekoppeld en krijgen de uitnodiging bij het koppelen.",
                   report.guardians_not_linked).format(count=report.guardians_not_linked))
