"""What the coordinator sees when announcing the visit period: whom to, the message in
each language with an optional line of their own, progress while it goes out, and the
report; and the announcement itself, as its readers see it."""
from __future__ import annotations

from bot.buttons import Button, OneOf, RefOrNone
from bot.i18n import Translator
from bot.languages import LANGUAGE_FLAGS, LANGUAGE_NAMES, SUPPORTED_LANGUAGES
from bot.screens.keyboard import Screen, button, markup, rows
from bot.screens.period import STOP
from bot.services.broadcasts import AUDIENCES, STAFF_BUCKET, Audience, Report
from db.models import SchoolClass, VisitPeriod

ANNOUNCE_TO = Button("announce_to", OneOf("audience", *AUDIENCES), RefOrNone("class_"), legacy="anc")
ANNOUNCE_LINE = Button("announce_line", OneOf("language", *SUPPORTED_LANGUAGES), legacy="anl")
ANNOUNCE_PREVIEW = Button("announce_preview", legacy="anp")
ANNOUNCE_SEND = Button("announce_send", legacy="ans")


def announcement_text(t: Translator, school: str, period: VisitPeriod, extra: dict[str, str], staff: bool) -> str:
    if staff:
        text = t._("📣 De huisbezoeken van {school} beginnen: {first} t/m {last}.\n\nGeef je tijden door met "
                   "/availability. Zodra de uitnodigingen de deur uit zijn, kiezen de ouders zelf een moment."
                   ).format(school=t.isolate(school), first=t.day(period.first_day), last=t.day(period.last_day))
    else:
        text = t._("📣 Huisbezoeken bij {school}\n\nVan {first} tot en met {last} komen de leerkrachten graag bij "
                   "alle gezinnen op bezoek. Even kennismaken: hoe gaat het thuis, en waar zijn jullie trots op?\n\n"
                   "Je krijgt een uitnodiging van de leerkracht van je kind. Je kiest zelf een moment, of een andere "
                   "plek: op school, in een park, in een café of telefonisch. Nee zeggen mag ook."
                   ).format(school=t.isolate(school), first=t.day(period.first_day), last=t.day(period.last_day))
    # A Flemish reader without a line of their own reads the Dutch one.
    line = extra.get(t.language) or extra.get(t.language.split("_")[0])
    return f"{text}\n\n{line}" if line else text


def audience_screen(t: Translator, classes: list[SchoolClass]) -> Screen:
    class_buttons = [button("👪 " + t._("Ouders van {name}").format(name=c.name), ANNOUNCE_TO, "class", c.id)
                     for c in classes]
    return Screen(t._("Aan wie stuur je de aankondiging?"), markup(
        [button("👪 " + t._("Alle ouders"), ANNOUNCE_TO, "guardians", 0)],
        [button("🧑‍🏫 " + t._("Alle leerkrachten"), ANNOUNCE_TO, "staff", 0)],
        *rows(class_buttons, 2)))


def menu_screen(t: Translator, preview: str, who: Audience, languages: list[str], lead: str = "") -> Screen:
    lines = [lead] if lead else []
    lines += [t._("Zo ziet je bericht eruit:"), "", preview, "",
              t.ngettext("Het gaat naar {count} persoon met Telegram.", "Het gaat naar {count} personen met Telegram.",
                         who.size).format(count=who.size)]
    if who.not_linked_people:
        lines.append(t.ngettext("{count} persoon heeft geen Telegram gekoppeld en krijgt het niet.",
                                "{count} personen hebben geen Telegram gekoppeld en krijgen het niet.",
                                who.not_linked_people).format(count=who.not_linked_people))
    extra_buttons = [button("✍️ " + t._("Eigen zin: {language}").format(
        language=f"{LANGUAGE_FLAGS[lang]} {LANGUAGE_NAMES[lang]}"), ANNOUNCE_LINE, lang) for lang in languages]
    return Screen("\n".join(lines), markup(
        *rows(extra_buttons, 2),
        [button("👀 " + t._("Voorbeeld in elke taal"), ANNOUNCE_PREVIEW)],
        [button("📨 " + t._("Versturen"), ANNOUNCE_SEND)],
        [button("✖️ " + t._("Stoppen"), STOP)],
    ))


def restart_screen(t: Translator) -> Screen:
    return Screen(t._("Begin opnieuw met /announce."))


def line_question(t: Translator, language: str) -> Screen:
    return Screen(t._("Typ de zin die onder het bericht komt voor wie {language} leest. Schrijf hem in die taal.")
                  .format(language=LANGUAGE_NAMES[language]))


def preview_text(language: str, text: str) -> str:
    return f"{LANGUAGE_FLAGS[language]} {LANGUAGE_NAMES[language]}\n\n{text}"


def progress_text(t: Translator, result: Report) -> str:
    c = result.total
    done = c.sent + c.failed + c.blocked
    return t._("📣 Versturen: {done} van {total}").format(done=done, total=done + c.waiting)


def report_text(t: Translator, result: Report) -> str:
    c = result.total
    lines = [t._("📣 Klaar! Je aankondiging is verstuurd."), "",
             t._("✅ Aangekomen: {count}").format(count=c.sent),
             t._("⚠️ Niet gelukt: {count}").format(count=c.failed),
             t._("🚫 Bot geblokkeerd: {count}").format(count=c.blocked),
             t._("📵 Zonder Telegram: {count}").format(count=c.not_linked)]
    if c.failed:
        lines.append(t._("Wat niet lukte, zie je in /coverage; daar kun je het opnieuw laten proberen."))
    if len(result.per_class) > 1 or STAFF_BUCKET not in result.per_class:
        lines += ["", t._("Per groep:")]
        for name, k in result.per_class.items():
            lines.append(t._("{name}: {sent} aangekomen, {failed} niet gelukt, {blocked} geblokkeerd, "
                             "{not_linked} zonder Telegram").format(name=t.isolate(name), sent=k.sent, failed=k.failed,
                                                                    blocked=k.blocked, not_linked=k.not_linked))
    return "\n".join(lines)
