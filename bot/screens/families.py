"""What a teacher sees when recording what was agreed with a family outside the bot:
their families (a page at a time), one family's card, and the steps of "visit agreed",
"not this year" and "called, no answer"."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from bot.buttons import Button, Day, OneOf, Page, Ref
from bot.buttons import Slot as SlotField
from bot.i18n import N_, Translator
from bot.screens.keyboard import Screen, button, markup, rows
from bot.screens.paging import page_screen, paginate
from bot.screens.phrases import (
    DECLINE_REASON_ICONS,
    DECLINE_REASON_LABELS,
    venue_button,
    venue_phrase,
    when_where,
)
from bot.services.arrangements import CALLS_BEFORE_A_LETTER, RECORDED, Family
from bot.services.invitations import DECLINE_REASONS
from bot.services.slots import Slot
from db.models import VENUES, AppointmentStatus, Channel, InvitationStatus, VisitPeriod

FAMILIES = Button("families", Page())
FAMILY = Button("family", Ref("invitation"))
# What was agreed: a visit, or not this year; then how the family said so.
RECORD = Button("record", Ref("invitation"), OneOf("what", "visit", "no"))
RECORD_HOW = Button("record_how", Ref("invitation"), OneOf("what", "visit", "no"), OneOf("channel", *RECORDED))
RECORD_DAY = Button("record_day", Ref("invitation"), Day(), OneOf("times", "free", "any"))
RECORD_OTHER_DAY = Button("record_other_day", Ref("invitation"))  # a moment outside the teacher's times
RECORD_TIME = Button("record_time", Ref("invitation"), SlotField())
RECORD_VENUE = Button("record_venue", Ref("invitation"), OneOf("venue", *VENUES))
RECORD_PLACE_ANY = Button("record_place_any", Ref("invitation"))
RECORD_SAVE = Button("record_save", Ref("invitation"))
RECORD_WHY = Button("record_why", Ref("invitation"), OneOf("reason", *DECLINE_REASONS, "none"))
RECORD_NO_ANSWER = Button("record_no_answer", Ref("invitation"))

FAMILIES_PER_PAGE = 10
MAX_DAYS_SHOWN = 12
OTHER_DAYS_SHOWN = 42
OTHER_TIMES = [time(h, m) for h in range(8, 21) for m in (0, 30)]  # 08:00 .. 20:30
LABEL_MAX = 50

CHANNEL_LABELS = {
    Channel.PHONE: N_("Telefonisch"),
    Channel.DOOR: N_("Aan de deur"),
    Channel.LETTER: N_("Per brief"),
}
CHANNEL_ICONS = {Channel.BOT: "💬", Channel.WEB: "🌐", Channel.PHONE: "📞", Channel.DOOR: "🚪", Channel.LETTER: "✉️"}
# Inside a sentence: "afgesproken: telefonisch".
CHANNEL_PHRASES = {
    Channel.BOT: N_("via de bot"),
    Channel.WEB: N_("via de webpagina"),
    Channel.PHONE: N_("telefonisch"),
    Channel.DOOR: N_("aan de deur"),
    Channel.LETTER: N_("per brief"),
}


def channel_phrase(t: Translator, channel: str) -> str:
    return t._(CHANNEL_PHRASES[Channel(channel)])


def _children(family: Family) -> str:
    return ", ".join(family.children) or "–"


def state_line(t: Translator, family: Family) -> str:
    """Where the family stands, in a few words."""
    a, inv = family.appointment, family.invitation
    if a is not None and a.status == AppointmentStatus.CONFIRMED:
        return "✅ " + t._("Bezoek: {when} ({how})").format(when=when_where(t, a, for_teacher=True),
                                                          how=channel_phrase(t, a.channel))
    if a is not None:
        return "⏳ " + t._("Verzoek: {when}").format(when=when_where(t, a, for_teacher=True))
    if inv.status == InvitationStatus.DECLINED:
        return "🙅 " + t._("Dit jaar liever niet ({how})").format(how=channel_phrase(t, inv.reached_by or Channel.BOT))
    if inv.status == InvitationStatus.NO_FIT:
        return "💬 " + t._("Geen van je momenten past")
    if family.calls:
        return "📵 " + t.ngettext("{count} keer gebeld zonder gehoor", "{count} keer gebeld zonder gehoor",
                                 len(family.calls)).format(count=len(family.calls))
    return "— " + t._("Nog geen afspraak")


def calls_line(t: Translator, calls: tuple[datetime, ...]) -> str:
    """The calls nobody answered, and after a few of them a hint."""
    if not calls:
        return ""
    line = "📵 " + t._("Gebeld zonder gehoor: {times}").format(times=", ".join(t.day_and_time(c) for c in calls))
    if len(calls) >= CALLS_BEFORE_A_LETTER:
        line += "\n✉️ " + t._("Een brief helpt misschien: vraag de coördinator om een brief met /letters.")
    return line


def families_screen(t: Translator, families: list[Family], index: int) -> Screen:
    if not families:
        return Screen(t._("Er zijn nu geen gezinnen om iets voor vast te leggen: er is geen bezoekperiode open, "
                          "of je klas heeft nog geen uitnodigingen."))
    names = [_children(f) for f in families]
    # A child with parents in two households is there twice: the guardians tell them apart.
    names = [f"{name} · {', '.join(g for g, _, _ in f.guardians)}" if names.count(name) > 1 and f.guardians else name
             for name, f in zip(names, families)]
    lines = [f"{t.isolate(name)} – {state_line(t, f)}" for name, f in zip(names, families)]
    page = paginate(lines, index, most=FAMILIES_PER_PAGE, separator="\n")
    buttons = [button("👪 " + names[k][:LABEL_MAX], FAMILY, families[k].invitation.id)
               for k in range(page.start, page.end)]
    header = t.ngettext("👪 Je gezinnen: {count}. Tik op een gezin om vast te leggen wat jullie afspraken.",
                        "👪 Je gezinnen: {count}. Tik op een gezin om vast te leggen wat jullie afspraken.",
                        len(families)).format(count=len(families))
    return page_screen(t, header, lines[page.start:page.end], page, FAMILIES, separator="\n",
                       buttons=rows(buttons, 1))


def family_screen(t: Translator, family: Family, lead: str = "") -> Screen:
    no_phone = t._("geen telefoonnummer")
    people = [f"📞 {t.isolate(name)}: {t.isolate(phone) if phone else no_phone}" + (" · Telegram ✓" if on else "")
              for name, phone, on in family.guardians]
    lines = ([lead, ""] if lead else []) + [
        "👪 " + t._("{children} ({classes})").format(children=t.isolate(_children(family)),
                                                    classes=t.isolate(", ".join(family.class_names))),
        state_line(t, family), "", *people]
    if family.calls:
        lines += ["", calls_line(t, family.calls)]
    inv = family.invitation.id
    return Screen("\n".join(lines), markup(
        [button("📅 " + t._("Bezoek afgesproken"), RECORD, inv, "visit")],
        [button("🙅 " + t._("Dit jaar liever niet"), RECORD, inv, "no")],
        [button("📵 " + t._("Gebeld, geen gehoor"), RECORD_NO_ANSWER, inv)],
        [button("↩️ " + t._("Alle gezinnen"), FAMILIES, 0)],
    ))


def how_screen(t: Translator, invitation_id: int, what: str) -> Screen:
    question = (t._("Hoe spraken jullie het bezoek af?") if what == "visit"
                else t._("Hoe liet het gezin het weten?"))
    return Screen(question, markup(*rows([button(f"{CHANNEL_ICONS[c]} {t._(CHANNEL_LABELS[c])}", RECORD_HOW,
                                                 invitation_id, what, c) for c in RECORDED], 1),
                                   [button("↩️ " + t._("Terug"), FAMILY, invitation_id)]))


def days_screen(t: Translator, invitation_id: int, days: dict[date, list[Slot]], lead: str = "") -> Screen:
    """The days with free times of the teacher, and another moment for a family that asked for one."""
    day_buttons = [button(f"{t.short_day(day)} ({len(slots)})", RECORD_DAY, invitation_id, day, "free")
                   for day, slots in list(days.items())[:MAX_DAYS_SHOWN]]
    text = t._("Op welke dag? Tussen haakjes je vrije momenten. Vroeg het gezin een ander moment, tik dan op "
               "Een ander moment.")
    return Screen(f"{lead}\n\n{text}" if lead else text, markup(
        *rows(day_buttons, 2), [button("🗓 " + t._("Een ander moment"), RECORD_OTHER_DAY, invitation_id)]))


def other_days_screen(t: Translator, invitation_id: int, period: VisitPeriod, today: date) -> Screen:
    days = [period.first_day + timedelta(days=i) for i in range((period.last_day - period.first_day).days + 1)]
    buttons = [button(t.short_day(d), RECORD_DAY, invitation_id, d, "any") for d in days if d >= today]
    return Screen(t._("Op welke dag, ook buiten je tijden?"), markup(*rows(buttons[:OTHER_DAYS_SHOWN], 3)))


def times_screen(t: Translator, invitation_id: int, day: date, starts: list[datetime]) -> Screen:
    if not starts:
        return Screen(t._("Op die dag is geen moment meer vrij."), markup(
            [button("🗓 " + t._("Een ander moment"), RECORD_OTHER_DAY, invitation_id)]))
    buttons = [button(t.time(s), RECORD_TIME, invitation_id, int(s.timestamp()) // 60) for s in starts]
    return Screen(t._("Hoe laat op {day}?").format(day=t.day(day)), markup(*rows(buttons, 4)))


def other_times(day: date, tz, now: datetime) -> list[datetime]:
    """Every half hour of the day, for a moment outside the teacher's times."""
    return [s for s in (datetime.combine(day, x, tzinfo=tz) for x in OTHER_TIMES) if s > now]


def venue_screen(t: Translator, invitation_id: int) -> Screen:
    return Screen(t._("Waar?"), markup(*rows([button(venue_button(t, v), RECORD_VENUE, invitation_id, v)
                                              for v in VENUES], 2)))


def place_screen(t: Translator, invitation_id: int, venue: str) -> Screen:
    text = (t._("Welk park? Typ de naam, of tik op de knop.") if venue == "park"
            else t._("Welk café? Typ de naam, of tik op de knop."))
    return Screen(text, markup([button("➡️ " + t._("Geen naam nodig"), RECORD_PLACE_ANY, invitation_id)]))


def summary_screen(t: Translator, family: Family, start: datetime, venue: str, place: str | None,
                   channel: str) -> Screen:
    text = t._("Klopt dit?\n\n👪 {children}\n📅 {when}\n📍 {where}\n{how}").format(
        children=t.isolate(_children(family)), when=t.day_and_time(start),
        where=venue_phrase(t, venue, place, for_teacher=True),
        how=CHANNEL_ICONS[Channel(channel)] + " " + t._("Afgesproken: {how}").format(how=channel_phrase(t, channel)))
    inv = family.invitation.id
    return Screen(text, markup([button("💾 " + t._("Vastleggen"), RECORD_SAVE, inv)],
                               [button("↩️ " + t._("Opnieuw"), RECORD, inv, "visit")]))


def visit_saved_screen(t: Translator, family: Family) -> Screen:
    told = any(on for _, _, on in family.guardians)
    text = "✅ " + t._("Vastgelegd: {when}, {children}. Het staat in je agenda.").format(
        when=when_where(t, family.appointment, for_teacher=True), children=t.isolate(_children(family)))
    if told:
        text += " " + t._("Het gezin krijgt ook een bevestiging in de bot.")
    return Screen(text, markup([button("↩️ " + t._("Alle gezinnen"), FAMILIES, 0)]))


def slot_taken_lead(t: Translator) -> str:
    return "⚠️ " + t._("Dat moment is intussen bezet, of te dicht op een ander bezoek. Kies een ander moment.")


def reasons_screen(t: Translator, invitation_id: int) -> Screen:
    reasons = [button(f"{DECLINE_REASON_ICONS[r]} {t._(DECLINE_REASON_LABELS[r])}", RECORD_WHY, invitation_id, r)
               for r in DECLINE_REASONS]
    return Screen(t._("Zei het gezin waarom? Dat hoeft niet."),
                  markup(*rows(reasons, 2), [button("➡️ " + t._("Geen reden"), RECORD_WHY, invitation_id, "none")]))


def declined_saved_screen(t: Translator, family: Family) -> Screen:
    return Screen("🙅 " + t._("Vastgelegd: {children}, dit jaar liever geen huisbezoek. Het gezin krijgt geen "
                             "herinneringen meer.").format(children=t.isolate(_children(family))),
                  markup([button("↩️ " + t._("Alle gezinnen"), FAMILIES, 0)]))


def no_answer_saved_screen(t: Translator, family: Family) -> Screen:
    return family_screen(t, family, "📵 " + t._("Vastgelegd: gebeld op {when}, geen gehoor.").format(
        when=t.day_and_time(family.calls[-1])))


def closed_screen(t: Translator) -> Screen:
    return Screen(t._("De bezoekperiode is gesloten; er valt niets meer vast te leggen."))


def restart_screen(t: Translator, invitation_id: int) -> Screen:
    return Screen(t._("Dit was al vastgelegd of is verlopen. Begin opnieuw bij het gezin."),
                  markup([button("👪 " + t._("Naar het gezin"), FAMILY, invitation_id)]))
