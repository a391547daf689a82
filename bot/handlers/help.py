"""/help: what this person's role can do here."""
from __future__ import annotations

from telegram import Update

from bot.commands import command_lines, commands_for
from bot.context import HomevisitContext


async def show_help(update: Update, context: HomevisitContext) -> None:
    t = context.t
    who = context.who
    parts = []
    if who.is_coordinator:
        parts.append(t._(
            "Je bent coördinator. Je zet de huisbezoeken klaar: leerlingenlijst, "
            "bezoekperiode, berichten aan ouders en het overzicht per groep."
        ))
    if who.is_teacher:
        parts.append(t._(
            "Je bent leerkracht. Je geeft door wanneer je kunt, bevestigt afspraken met "
            "ouders en schrijft na elk bezoek een korte notitie."
        ))
    if who.is_guardian:
        parts.append(t._(
            "Je krijgt van mij een uitnodiging voor het huisbezoek. Je kiest een moment of "
            "een andere plek door op de knoppen te tikken. Typen hoeft niet. Je kunt ook "
            "later nog veranderen, afzeggen of nee zeggen."
        ))
    if not who.is_known:
        parts.append(t._(
            "Deze bot is voor ouders en leerkrachten van {school}. Om mee te doen heb je "
            "een persoonlijke link van de school nodig. Open die link, dan weet ik wie je bent."
        ).format(school=t.isolate(context.runtime.settings.school_name)))
    parts.append(t._("Dit kun je gebruiken:") + "\n" + command_lines(t, commands_for(who)))
    await update.effective_message.reply_text("\n\n".join(parts))
