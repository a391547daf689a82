"""The teacher's call list: the families to phone, with the numbers, a page at a time."""
from __future__ import annotations

from bot.buttons import Button, Page
from bot.i18n import N_, Translator
from bot.screens.keyboard import Screen
from bot.screens.paging import page_screen, paginate
from bot.services.nudges import CallEntry

CALL_LIST = Button("call_list", Page(), legacy="clp")

REASONS = {
    "no_answer": N_("reageert niet op berichten"),
    "not_linked": N_("gebruikt de bot niet"),
    "unreachable": N_("berichten komen niet aan"),
    "no_fit": N_("geen van je momenten past"),
}


def entry_text(t: Translator, entry: CallEntry) -> str:
    head = t._("{children} ({classes}) – {reason}").format(
        children=t.isolate(", ".join(entry.children)), classes=t.isolate(", ".join(entry.class_names)),
        reason=t._(REASONS[entry.reason]))
    no_phone = t._("geen telefoonnummer")
    people = [f"  • {t.isolate(g.name)}: {t.isolate(g.phone) if g.phone else no_phone}" for g in entry.guardians]
    return "\n".join([head, *people])


def call_list_screen(t: Translator, entries: list[CallEntry], index: int) -> Screen:
    if not entries:
        return Screen(t._("Je bellijst is leeg: alle gezinnen hebben gereageerd of krijgen nog berichten."))
    header = t.ngettext("📞 Bellijst: {count} gezin om even te bellen", "📞 Bellijst: {count} gezinnen om even te bellen",
                        len(entries)).format(count=len(entries))
    blocks = [entry_text(t, e) for e in entries]
    page = paginate(blocks, index)
    return page_screen(t, header, blocks[page.start:page.end], page, CALL_LIST)
