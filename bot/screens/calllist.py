"""The teacher's call list: the families to phone, with the numbers and the calls nobody
answered, a page at a time; a button per family to record what the call brought."""
from __future__ import annotations

from bot.buttons import Button, Page
from bot.i18n import N_, Translator
from bot.screens.families import FAMILY, LABEL_MAX, calls_line
from bot.screens.keyboard import Screen, button, rows
from bot.screens.paging import page_screen, paginate
from bot.services.nudges import CallEntry

CALL_LIST = Button("call_list", Page(), legacy="clp")
CALLS_PER_PAGE = 30

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
    calls = calls_line(t, entry.calls)
    return "\n".join([head, *people] + ([calls] if calls else []))


def call_list_screen(t: Translator, entries: list[CallEntry], index: int) -> Screen:
    if not entries:
        return Screen(t._("Je bellijst is leeg: alle gezinnen hebben gereageerd of krijgen nog berichten."))
    header = t.ngettext("📞 Bellijst: {count} gezin om even te bellen", "📞 Bellijst: {count} gezinnen om even te bellen",
                        len(entries)).format(count=len(entries))
    blocks = [entry_text(t, e) for e in entries]
    page = paginate(blocks, index, most=CALLS_PER_PAGE)
    record = [button("✍️ " + ", ".join(entries[k].children)[:LABEL_MAX], FAMILY, entries[k].invitation_id)
              for k in range(page.start, page.end)]
    footer = t._("Gebeld? Tik op het gezin om vast te leggen wat jullie afspraken.")
    return page_screen(t, header, blocks[page.start:page.end], page, CALL_LIST, buttons=rows(record, 1),
                       footer=footer)
