"""What the coordinator sees when opening or closing the visit period and sending the
invitations."""
from __future__ import annotations

from datetime import date, timedelta

from bot.buttons import Button, Day, Minutes, Page, Ref
from bot.i18n import Translator
from bot.screens.keyboard import Screen, button, markup, rows
from bot.screens.paging import page_screen, paginate
from bot.services.invitations import InviteReport
from bot.services.period_scope import ClassChoice
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
# Which classes the period covers (a school that visits every other year).
PERIOD_ALL_CLASSES = Button("period_all_classes")
PERIOD_PICK = Button("period_pick", Page())  # the page of class buttons
PERIOD_CLASS = Button("period_class", Ref("class_"), Page())  # choose or unchoose a class, stay on its page
PERIOD_CLASSES_DONE = Button("period_classes_done")
CLASSES_PER_PAGE = 24

VISIT_CHOICES = (45, 60, 75, 90)
BUFFER_CHOICES = (0, 10, 15, 20, 30)


def period_text(t: Translator, period: VisitPeriod | PeriodDraft) -> str:
    return t._("{name}\n📅 {first} t/m {last}\n⏱ bezoek {visit} min, daarna {buffer} min reistijd").format(
        name=t.isolate(period.name), first=t.day(period.first_day), last=t.day(period.last_day),
        visit=period.visit_minutes, buffer=period.buffer_minutes)


def open_period_screen(t: Translator, period: VisitPeriod, chosen: list[str] | None = None, total: int = 0) -> Screen:
    return Screen(t._("Deze bezoekperiode is open:") + "\n\n" + period_text(t, period) + "\n" +
                  classes_text(t, chosen, total),
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


def classes_text(t: Translator, chosen: list[str] | None, total: int) -> str:
    """'👥 every class', or '👥 2 of 48 classes: Groep 1, Groep 3'."""
    if chosen is None:
        return "👥 " + t._("alle groepen")
    return "👥 " + t.ngettext("{count} van {total} groep: {names}", "{count} van {total} groepen: {names}",
                             total).format(count=len(chosen), total=total,
                                           names=", ".join(t.isolate(name) for name in chosen))


def classes_question_screen(t: Translator, total: int) -> Screen:
    return Screen(t.ngettext("Bezoeken jullie in deze periode de gezinnen van de hele school ({count} groep), of "
                             "van een deel van de groepen?",
                             "Bezoeken jullie in deze periode de gezinnen van de hele school ({count} groepen), of "
                             "van een deel van de groepen?", total).format(count=total),
                  markup([button("👥 " + t._("Alle groepen"), PERIOD_ALL_CLASSES)],
                         [button("☑️ " + t._("Groepen kiezen"), PERIOD_PICK, 0)]))


def pick_classes_screen(t: Translator, classes: list[ClassChoice], chosen: set[int], index: int,
                        lead: str = "") -> Screen:
    """The school's classes as buttons, a page at a time: a tap chooses or unchooses one."""
    labels = [("✅ " if c.id in chosen else "⬜ ") + c.name[:40] for c in classes]
    page = paginate(labels, index, most=CLASSES_PER_PAGE, separator="\n")
    buttons = [button(labels[k], PERIOD_CLASS, classes[k].id, page.index) for k in range(page.start, page.end)]
    count = len([c for c in classes if c.id in chosen])
    header = t._("Tik op de groepen die in deze periode aan de beurt zijn, en dan op Klaar.") + "\n" + t.ngettext(
        "Gekozen: {count} van {total} groep.", "Gekozen: {count} van {total} groepen.", len(classes)).format(
        count=count, total=len(classes))
    done = [button("➡️ " + t._("Klaar"), PERIOD_CLASSES_DONE)], [button("👥 " + t._("Alle groepen"), PERIOD_ALL_CLASSES)]
    return page_screen(t, f"{lead}\n\n{header}" if lead else header, [], page, PERIOD_PICK,
                       buttons=[*rows(buttons, 2), *done])


def none_chosen_lead(t: Translator) -> str:
    return "⚠️ " + t._("Kies minstens één groep, of tik op Alle groepen.")


def confirm_screen(t: Translator, draft: PeriodDraft, chosen: list[str] | None = None, total: int = 0) -> Screen:
    return Screen(t._("Klopt dit?") + "\n\n" + period_text(t, draft) + "\n" + classes_text(t, chosen, total),
                  markup([button("✅ " + t._("Periode openen"), PERIOD_OPEN)], [button("✖️ " + t._("Stoppen"), STOP)]))


def refused_screen(t: Translator, code: str) -> Screen:
    message = {
        "already_open": t._("Er is al een bezoekperiode open. Sluit die eerst met /period."),
        "days": t._("De laatste dag ligt voor de eerste dag, of de periode is langer dan 120 dagen."),
    }.get(code, t._("Dat klopt niet helemaal. Begin opnieuw met /period."))
    return Screen("⚠️ " + message)


def opened_screen(t: Translator, period: VisitPeriod, chosen: list[str] | None = None, total: int = 0) -> Screen:
    return Screen("✅ " + t._("De bezoekperiode is open.") + "\n\n" + period_text(t, period) + "\n" +
                  classes_text(t, chosen, total) + "\n\n" +
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
