"""What the team discusses after the visits (`/debrief`): the school's counts first, with a
button per class; then one class at a time, ◀ ▶ to the neighbouring classes. Counts only:
a suppressed count reads "fewer than 3" or "hidden" (see bot/services/debrief.py). The same
words make the command line's table."""
from __future__ import annotations

from bot.buttons import Button, Page, Ref
from bot.i18n import N_, Translator
from bot.screens.families import CHANNEL_ICONS, channel_phrase
from bot.screens.keyboard import Screen, button, markup, rows
from bot.screens.notes import OUTCOME_ICONS, OUTCOME_LABELS, follow_up_label
from bot.screens.paging import Page as PageOf
from bot.screens.paging import page_line, page_screen, paginate
from bot.screens.phrases import DECLINE_REASON_ICONS, DECLINE_REASON_LABELS
from bot.services.debrief import (
    CATEGORIES,
    DECLINE_REASON,
    FEWER_THAN_3,
    NO_REASON,
    OUTCOME,
    REACHED,
    THEME,
    Cell,
    Debrief,
    Scope,
)
from db.models import Channel

DEBRIEF = Button("debrief", Page())
DEBRIEF_CLASS = Button("debrief_class", Ref("class_"))

CLASSES_PER_PAGE = 24  # a button each, two to a row
LABEL_MAX = 40  # characters of a class's name on a button

HEADINGS = {
    OUTCOME: N_("Hoe gingen de bezoeken"),
    THEME: N_("Afspraken na het bezoek, per thema"),
    DECLINE_REASON: N_("Redenen om nee te zeggen"),
    REACHED: N_("Hoe de gezinnen bereikt zijn"),
}
NO_REASON_LABEL = N_("Geen reden gegeven")


def key_label(t: Translator, category: str, key: str, *, icon: bool = True) -> str:
    if category == OUTCOME:
        icon_text, label = OUTCOME_ICONS[key], t._(OUTCOME_LABELS[key])
    elif category == THEME:
        icon_text, label = follow_up_label(t, key).split(" ", 1)
    elif category == DECLINE_REASON:
        icon_text = DECLINE_REASON_ICONS.get(key, "–")
        label = t._(NO_REASON_LABEL) if key == NO_REASON else t._(DECLINE_REASON_LABELS[key])
    else:
        icon_text, label = CHANNEL_ICONS[Channel(key)], channel_phrase(t, key)
    return f"{icon_text} {label}" if icon else label


def cell_text(t: Translator, cell: Cell) -> str:
    if cell.count is not None:
        return str(cell.count)
    return t._("minder dan 3") if cell.suppressed == FEWER_THAN_3 else t._("verborgen")


def explanation(t: Translator) -> str:
    return t._("Alleen aantallen: geen namen en niets uit de notities. „minder dan 3” is 1 of 2, zodat geen gezin "
               "herkenbaar is. „verborgen” is 3 of meer, weggelaten zodat een klein aantal niet uit het "
               "schooltotaal te berekenen is.")


def title(t: Translator, report: Debrief) -> str:
    return (t._("🗣 Nabespreking: {period}").format(period=t.isolate(report.period.name)) if report.period
            else t._("🗣 Nabespreking (nog geen bezoekperiode)"))


def scope_name(t: Translator, scope: Scope) -> str:
    return t._("Hele school") if scope.class_id is None else t.isolate(scope.name)


def scope_text(t: Translator, scope: Scope) -> str:
    """A class's or the school's counts: a heading per category, a line per item."""
    blocks = [scope_name(t, scope)]
    for category, keys in CATEGORIES.items():
        lines = [t._(HEADINGS[category])]
        lines += ["  " + t._("{label}: {count}").format(label=key_label(t, category, key),
                                                        count=cell_text(t, scope.cell(category, key)))
                  for key in keys]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def no_period_screen(t: Translator, report: Debrief) -> Screen:
    return Screen(title(t, report) + "\n\n" + t._("Er is nog geen bezoekperiode geweest, dus nog niets om na te "
                                                  "bespreken. Open er een met /period."))


def school_screen(t: Translator, report: Debrief, index: int) -> Screen:
    """The school's counts and a button per class (24 to a page)."""
    if report.period is None:
        return no_period_screen(t, report)
    names = [scope.name for scope in report.classes]
    page = paginate(names, index, budget=10**6, most=CLASSES_PER_PAGE)
    buttons = [button(report.classes[k].name[:LABEL_MAX], DEBRIEF_CLASS, report.classes[k].class_id)
               for k in range(page.start, page.end)]
    lead = t._("De aantallen per groep: kies een groep.") if report.classes else t._("Nog geen groepen.")
    return page_screen(t, title(t, report), [scope_text(t, report.school), explanation(t), lead], page, DEBRIEF,
                       buttons=rows(buttons, 2))


def class_screen(t: Translator, report: Debrief, class_id: int) -> Screen | None:
    """One class's counts, ◀ ▶ to the classes beside it; None when it is no class of the report."""
    where = next((i for i, scope in enumerate(report.classes) if scope.class_id == class_id), None)
    if where is None or report.period is None:
        return None
    scope = report.classes[where]
    nav = []
    if where > 0:
        before = report.classes[where - 1]
        nav.append(button(f"◀ {before.name[:LABEL_MAX]}", DEBRIEF_CLASS, before.class_id))
    if where + 1 < len(report.classes):
        after = report.classes[where + 1]
        nav.append(button(f"{after.name[:LABEL_MAX]} ▶", DEBRIEF_CLASS, after.class_id))
    position = page_line(t, PageOf(where, len(report.classes), where, where + 1))
    text = "\n\n".join(p for p in (title(t, report), scope_text(t, scope), explanation(t), position) if p)
    return Screen(text, markup(nav, [button("↩️ " + t._("Hele school"), DEBRIEF, where // CLASSES_PER_PAGE)]))


def debrief_table(t: Translator, report: Debrief) -> str:
    """The command line's text: a table per scope, the school first, labels without icons."""
    if report.period is None:
        return no_period_screen(t, report).text + "\n"
    labels = {(c, k): key_label(t, c, k, icon=False) for c, keys in CATEGORIES.items() for k in keys}
    width = max(len(label) for label in labels.values()) + 2
    out = [title(t, report), explanation(t)]
    for scope in (report.school, *report.classes):
        lines = [scope_name(t, scope), "=" * len(scope_name(t, scope))]
        for category, keys in CATEGORIES.items():
            lines.append(t._(HEADINGS[category]))
            lines += [f"  {labels[category, key]:<{width}}{cell_text(t, scope.cell(category, key)):>12}"
                      for key in keys]
        out.append("\n".join(lines))
    return "\n\n".join(out) + "\n"
