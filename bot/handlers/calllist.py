"""/calllist: the families a teacher should phone, with the numbers."""
from __future__ import annotations

from telegram import Update

from bot.context import HomevisitContext
from bot.i18n import N_
from bot.services.nudges import call_list

REASONS = {
    "no_answer": N_("reageert niet op berichten"),
    "not_linked": N_("gebruikt de bot niet"),
    "unreachable": N_("berichten komen niet aan"),
    "no_fit": N_("geen van je momenten past"),
}


async def show(update: Update, context: HomevisitContext) -> None:
    t = context.t
    staff = context.who.staff
    if staff is None:
        await update.effective_message.reply_text(t._("Dit is voor leerkrachten. Kijk bij /help wat je kunt doen."))
        return
    entries = await call_list(context.session, staff.id, context.runtime.clock.now(), context.runtime.ladder)
    if not entries:
        await update.effective_message.reply_text(t._("Je bellijst is leeg: alle gezinnen hebben gereageerd of "
                                                      "krijgen nog berichten."))
        return
    blocks = [t.ngettext("📞 Bellijst: {count} gezin om even te bellen", "📞 Bellijst: {count} gezinnen om even te bellen",
                         len(entries)).format(count=len(entries))]
    for entry in entries:
        head = t._("{children} ({classes}) – {reason}").format(
            children=t.isolate(", ".join(entry.children)), classes=t.isolate(", ".join(entry.class_names)),
            reason=t._(REASONS[entry.reason]))
        no_phone = t._("geen telefoonnummer")
        people = [f"  • {t.isolate(g.name)}: {t.isolate(g.phone) if g.phone else no_phone}" for g in entry.guardians]
        blocks.append("\n".join([head, *people]))
    await update.effective_message.reply_text("\n\n".join(blocks))
