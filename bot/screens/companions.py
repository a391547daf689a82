"""A second visitor on a confirmed visit, as the teacher manages it (a colleague from a paged
list, an interpreter's name and phone typed), as the colleague and the family hear of it,
and the family's one question in the booking flow: would an interpreter help?"""
from __future__ import annotations

from babel.lists import format_list

from bot.buttons import Button, OneOf, Page, Ref, Revision
from bot.buttons import Slot as SlotField
from bot.i18n import Translator
from bot.screens.keyboard import Screen, button, markup, rows
from bot.screens.paging import page_screen, paginate
from bot.screens.phrases import children_phrase, when_where
from bot.services.booking import AgendaItem
from bot.services.companions import Company
from bot.services.invitations import InvitationView
from db.models import VENUES, Appointment

COMPANIONS = Button("companions", Ref("appointment"))
COLLEAGUES = Button("colleagues", Ref("appointment"), Page())
COLLEAGUE = Button("colleague", Ref("appointment"), Ref("staff"))
COLLEAGUE_OFF = Button("colleague_off", Ref("appointment"))
INTERPRETER = Button("interpreter", Ref("appointment"))
NO_PHONE = Button("interpreter_nophone", Ref("appointment"))
INTERPRETER_OFF = Button("interpreter_off", Ref("appointment"))
# The family, in the booking flow: would an interpreter help? (y/n), then the summary.
INTERPRETER_WISH = Button("interpreter_wish", Ref("invitation"), Revision(), SlotField(), OneOf("venue", *VENUES),
                          OneOf("answer", "y", "n"))

COLLEAGUES_PER_PAGE = 8


# -- beside other screens ---------------------------------------------------------------------

def companions_button(t: Translator, appointment: Appointment, *, with_when: bool = False):
    """The way into the second visitor's screen, on a confirmed visit of the teacher's own."""
    label = (t._("Collega of tolk: {day} {time}").format(day=t.short_day(appointment.starts_at),
                                                         time=t.time(appointment.starts_at))
             if with_when else t._("Collega of tolk meenemen"))
    return button("👥 " + label, COMPANIONS, appointment.id)


def wish_line(t: Translator, wanted: bool | None) -> str:
    """The family's answer to the interpreter question, for the teacher ('' when not asked)."""
    if wanted is None:
        return ""
    return "🗣 " + (t._("Het gezin wil graag een tolk bij het bezoek.") if wanted
                   else t._("Het gezin heeft geen tolk nodig."))


def agenda_suffix(t: Translator, item: AgendaItem) -> str:
    """Who else goes, after a visit's line in the agenda and the morning overview."""
    a, parts = item.appointment, []
    # The reader goes along with the visit's teacher, or a colleague goes along; siblings' other teachers come too.
    others = [name for name in (item.lead if item.lead is not None else item.colleague, *item.partners) if name]
    if others:
        parts.append("👥 " + t._("samen met {name}").format(
            name=format_list([t.isolate(name) for name in others], locale=t.babel_locale)))
    if a.interpreter_name:
        who = a.interpreter_name + (f" {a.interpreter_phone}" if a.interpreter_phone else "")
        parts.append("🗣 " + t._("tolk: {name}").format(name=t.isolate(who)))
    elif item.interpreter_wanted:
        parts.append("🗣 " + t._("tolk gewenst"))
    return "".join(" – " + p for p in parts)


def feed_lines(t: Translator, company: Company, reader_id: int) -> list[str]:
    """Who else goes, in the description of a visit in the reader's calendar feed."""
    lines = []
    other = company.teacher if company.colleague_id == reader_id else company.colleague
    if other:
        lines.append(t._("samen met {name}").format(name=other))
    if company.interpreter:
        lines.append(t._("tolk: {name}").format(
            name=company.interpreter + (f" {company.interpreter_phone}" if company.interpreter_phone else "")))
    return lines


# -- the teacher ---------------------------------------------------------------------------------

def menu_screen(t: Translator, v: InvitationView, appointment: Appointment, company: Company,
                lead: str = "") -> Screen:
    text = t._("👥 Wie gaat er mee naar dit huisbezoek?\n📅 {when}\n👧 {children}").format(
        when=when_where(t, appointment, for_teacher=True), children=children_phrase(t, v))
    going = []
    if company.colleague:
        going.append("👩‍🏫 " + t._("Collega: {name}").format(name=t.isolate(company.colleague)))
    if company.interpreter:
        phone = company.interpreter_phone or t._("geen nummer")
        going.append("🗣 " + t._("Tolk: {name} ({phone})").format(name=t.isolate(company.interpreter),
                                                                 phone=t.isolate(phone)))
    text += "\n\n" + ("\n".join(going) if going else t._("Nog niemand: je gaat alleen."))
    wish = wish_line(t, v.invitation.interpreter_wanted)
    if wish:
        text += "\n" + wish
    a = appointment.id
    buttons = [[button("👩‍🏫 " + (t._("Andere collega") if company.colleague else t._("Collega meenemen")),
                       COLLEAGUES, a, 0)]]
    if company.colleague:
        buttons.append([button("✖️ " + t._("Collega gaat niet mee"), COLLEAGUE_OFF, a)])
    buttons.append([button("🗣 " + (t._("Andere tolk") if company.interpreter else t._("Tolk meenemen")),
                           INTERPRETER, a)])
    if company.interpreter:
        buttons.append([button("✖️ " + t._("Geen tolk"), INTERPRETER_OFF, a)])
    return Screen(f"{lead}\n\n{text}" if lead else text, markup(*buttons))


def colleagues_screen(t: Translator, appointment: Appointment, staff: list[tuple[int, str]], current: int | None,
                      index: int, lead: str = "") -> Screen:
    if not staff:
        return Screen(t._("Er zijn geen andere collega's om mee te nemen."),
                      markup([button("↩️ " + t._("Terug"), COMPANIONS, appointment.id)]))
    page = paginate([name for _, name in staff], index, most=COLLEAGUES_PER_PAGE)
    people = [button(("✓ " if staff_id == current else "") + name, COLLEAGUE, appointment.id, staff_id)
              for staff_id, name in staff[page.start:page.end]]
    header = t._("Welke collega gaat mee?")
    return page_screen(t, f"{lead}\n\n{header}" if lead else header, [], page, COLLEAGUES, appointment.id,
                       buttons=[*rows(people, 2), [button("↩️ " + t._("Terug"), COMPANIONS, appointment.id)]])


def colleague_lead(t: Translator, code: str, name: str | None = None) -> str:
    """What became of the colleague the teacher chose (or took off)."""
    if code == "added":
        return "✅ " + t._("{name} gaat mee. {name} en het gezin krijgen bericht.").format(name=t.isolate(name or ""))
    if code == "removed":
        return "✅ " + t._("De collega gaat niet meer mee. De collega en het gezin krijgen bericht.")
    if code == "self":
        return t._("Jij gaat zelf al. Kies een collega die met je meegaat.")
    if code == "busy":
        return t._("{name} heeft op dat moment zelf een huisbezoek. Kies een andere collega.").format(
            name=t.isolate(name or ""))
    if code == "unchanged":
        return t._("Dat was al zo.")
    return t._("Die collega kan ik niet vinden bij jullie school. Kies iemand uit de lijst.")


def interpreter_lead(t: Translator, code: str) -> str:
    if code == "saved":
        return "✅ " + t._("De tolk staat erbij. Het gezin krijgt bericht.")
    if code == "removed":
        return "✅ " + t._("Er gaat geen tolk meer mee. Het gezin krijgt bericht.")
    return t._("Dat was al zo.")


def name_question(t: Translator, appointment: Appointment, why: str | None = None) -> Screen:
    """Ask for the interpreter's name; again, with why, when the answer was not a name."""
    if why == "phone_like":
        text = t._("Dat lijkt een telefoonnummer. Typ eerst de naam van de tolk; het nummer vraag ik daarna.")
    elif why == "too_long":
        text = t._("Die naam is te lang. Typ alleen de naam van de tolk, dan vraag ik daarna het nummer.")
    elif why == "no_name":
        text = t._("Ik heb de naam van de tolk nodig. Typ de naam, bijvoorbeeld: Samira Haddad.")
    else:
        text = "🗣 " + t._("Hoe heet de tolk? Typ de naam.")
    return Screen(text, markup([button("↩️ " + t._("Terug"), COMPANIONS, appointment.id)]))


def phone_question(t: Translator, appointment: Appointment, name: str, *, again: bool = False) -> Screen:
    if again:
        text = t._("Dat lijkt geen telefoonnummer. Typ het nummer (bijvoorbeeld 06 1234 5678), of tik op de knop.")
    else:
        text = "📞 " + t._("Wat is het telefoonnummer van {name}? Typ het nummer, of tik op de knop.").format(
            name=t.isolate(name))
    return Screen(text, markup([button("➖ " + t._("Geen nummer"), NO_PHONE, appointment.id)],
                               [button("↩️ " + t._("Terug"), COMPANIONS, appointment.id)]))


def not_confirmed_screen(t: Translator) -> Screen:
    return Screen(t._("Dit huisbezoek staat niet (meer) vast. Kijk bij /agenda hoe het nu staat."))


# -- the colleague and the family hear of it -------------------------------------------------------

def colleague_added_text(t: Translator, v: InvitationView, appointment: Appointment) -> str:
    return "👥 " + t._("Je gaat met {teacher} mee op huisbezoek: {when}, bij {children}. Het staat in je /agenda."
                      ).format(teacher=t.isolate(v.teacher.name), when=when_where(t, appointment, for_teacher=True),
                               children=children_phrase(t, v))


def colleague_removed_text(t: Translator, v: InvitationView, appointment: Appointment) -> str:
    return t._("{teacher} gaat zonder jou naar het huisbezoek van {when} ({children}). Het staat niet meer in je "
               "/agenda.").format(teacher=t.isolate(v.teacher.name), when=t.day_and_time(appointment.starts_at),
                                  children=children_phrase(t, v))


def colleague_cancelled_text(t: Translator, v: InvitationView, appointment: Appointment) -> str:
    return "✖️ " + t._("Het huisbezoek van {when} ({children}), waar je met {teacher} mee zou gaan, gaat niet door. "
                      "Het staat niet meer in je /agenda.").format(
        when=t.day_and_time(appointment.starts_at), children=children_phrase(t, v), teacher=t.isolate(v.teacher.name))


def family_text(t: Translator, v: InvitationView, appointment: Appointment, company: Company) -> str:
    """Who will come to the family's visit, in its language."""
    values = dict(teacher=t.isolate(v.teacher.name), when=when_where(t, appointment),
                  colleague=t.isolate(company.colleague or ""), interpreter=t.isolate(company.interpreter or ""))
    if company.colleague and company.interpreter:
        text = t._("{teacher} komt {when} samen met {colleague}, en met een tolk: {interpreter}.")
    elif company.colleague:
        text = t._("{teacher} komt {when} samen met {colleague}.")
    elif company.interpreter:
        text = t._("{teacher} komt {when} met een tolk: {interpreter}.")
    else:
        text = t._("{teacher} komt {when} toch alleen, zonder collega of tolk.")
    return "👥 " + text.format(**values)


# -- the family: the interpreter question -----------------------------------------------------------

def with_wish_question(t: Translator, summary: Screen, view: InvitationView, slot_key: int, venue: str) -> Screen:
    """The booking's summary with the question beneath it, and its two answers under the send
    button: answering is a tap, and sending without an answer is fine too."""
    inv = view.invitation
    answers = [button("🗣 " + t._("Ja, graag"), INTERPRETER_WISH, inv.id, inv.version, slot_key, venue, "y"),
               button("👍 " + t._("Nee, dank je"), INTERPRETER_WISH, inv.id, inv.version, slot_key, venue, "n")]
    keyboard = [list(row) for row in summary.markup.inline_keyboard] if summary.markup else []
    text = summary.text + "\n\n🗣 " + t._("Zou een tolk helpen bij het huisbezoek? Dan probeert de school er een te "
                                          "regelen.")
    return Screen(text, markup(*keyboard[:1], answers, *keyboard[1:]))


def wish_answered(t: Translator, summary: Screen) -> Screen:
    """The summary again, once the family answered the interpreter question."""
    return Screen(summary.text + "\n\n🗣 " + t._("Dank je, dat is genoteerd."), summary.markup)
