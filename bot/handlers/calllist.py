"""/calllist: the families a teacher should phone, with the numbers, a page at a time."""
from __future__ import annotations

from telegram import Update

from bot import callbacks
from bot.context import HomevisitContext
from bot.i18n import N_, Translator
from bot.keyboards import Screen
from bot.paging import page_screen, paginate
from bot.replies import refuse, reply, show as show_screen
from bot.services.nudges import CallEntry, call_list

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


async def _screen(context: HomevisitContext, index: int) -> Screen:
    t = context.t
    entries = await call_list(context.session, context.who.staff.id, context.runtime.clock.now(),
                              context.runtime.ladder)
    if not entries:
        return Screen(t._("Je bellijst is leeg: alle gezinnen hebben gereageerd of krijgen nog berichten."))
    header = t.ngettext("📞 Bellijst: {count} gezin om even te bellen", "📞 Bellijst: {count} gezinnen om even te bellen",
                        len(entries)).format(count=len(entries))
    blocks = [entry_text(t, e) for e in entries]
    page = paginate(blocks, index)
    return page_screen(t, header, blocks[page.start:page.end], page, "clp")


async def show(update: Update, context: HomevisitContext) -> None:
    if context.who.staff is None:
        await update.effective_message.reply_text(
            context.t._("Dit is voor leerkrachten. Kijk bij /help wat je kunt doen."))
        return
    await reply(update, await _screen(context, 0))


async def on_page(update: Update, context: HomevisitContext) -> None:
    """clp:<page>"""
    if context.who.staff is None:
        await refuse(update, context)
        return
    page = int(callbacks.parse(update.callback_query.data).args[0])
    await show_screen(update, await _screen(context, page))
