"""/start: link a Telegram account through a personal invitation link, and greet."""
from __future__ import annotations

import logging

from telegram import Update

from bot.screens.language import change_language_button
from bot.context import HomevisitContext
from bot.handlers.identity import refresh_identity
from bot.i18n import Translator
from bot.menus import set_chat_menu
from bot.services import invitations, invites, onboarding
from bot.services.accounts import Identity
from bot.services.invites import Redeemed

log = logging.getLogger(__name__)


async def start(update: Update, context: HomevisitContext) -> None:
    message = update.effective_message
    token = context.args[0] if context.args else None
    if token is None:
        await message.reply_text(**await _welcome_without_token(context))
        return

    rt = context.runtime
    user = update.effective_user
    result = await invites.redeem(
        context.session, token, telegram_user_id=user.id, chat_id=update.effective_chat.id,
        telegram_language=user.language_code, now=rt.clock.now(),
    )
    log.info("start link for user %s: %s", user.id, result.outcome.value)
    if result.outcome in (Redeemed.LINKED, Redeemed.ALREADY_LINKED):
        await refresh_identity(context, user.id, update.effective_chat.id, user.language_code)
        text = await _greeting(context, result.guardian_id, result.staff_id, again=result.outcome is Redeemed.ALREADY_LINKED)
        await message.reply_text(text, reply_markup=change_language_button(context.t))
        await set_chat_menu(context.bot, rt, update.effective_chat.id, context.who)
        if result.outcome is Redeemed.LINKED and result.guardian_id is not None:
            # Linked during an open period: the household's invitations follow at once.
            await invitations.invite_linked_guardian(context.session, result.guardian_id, rt.clock.now())
        return
    await message.reply_text(_link_problem(context.t, result.outcome, context.who))


async def _greeting(context: HomevisitContext, guardian_id: int | None, staff_id: int | None, again: bool) -> str:
    t = context.t
    school = t.isolate(context.runtime.settings.school_name)
    if staff_id is not None:
        staff = await onboarding.staff_member(context.session, staff_id)
        name = t.isolate(staff.name)
        if again:
            return t._("Je bent al aangemeld, {name}. Kijk bij /help wat je kunt doen.").format(name=name)
        if staff.role == "coordinator":
            return t._(
                "Hallo {name}! Je bent aangemeld als coördinator van {school}.\n\n"
                "Via mij zet je de huisbezoeken klaar: je opent de bezoekperiode, stuurt "
                "de ouders een bericht in hun eigen taal en ziet per groep hoeveel gezinnen "
                "al bezocht zijn.\n\nKijk bij /help wat je kunt doen."
            ).format(name=name, school=school)
        classes = await onboarding.classes_of_teacher(context.session, staff_id)
        return t._(
            "Hallo {name}! Je bent aangemeld als leerkracht van {classes}.\n\n"
            "Via mij geef je door wanneer je op huisbezoek kunt, bevestig je de afspraken "
            "met ouders en schrijf je na elk bezoek een korte notitie.\n\n"
            "Kijk bij /help wat je kunt doen."
        ).format(name=name, classes=t.isolate(", ".join(classes)) if classes else "–")

    guardian_name = next((g.name for g in context.who.guardians if g.id == guardian_id), "")
    name = t.isolate(guardian_name)
    if again:
        return t._("Je bent al aangemeld, {name}. Kijk bij /help wat je kunt doen.").format(name=name)
    children = await onboarding.children_of_guardian(context.session, guardian_id)
    child_names = t.isolate(", ".join(c.name for c in children))
    return t.ngettext(
        "Hallo {name}! Welkom bij de huisbezoek-bot van {school}.\n\n"
        "De leerkracht van {children} komt graag een keer bij jullie op bezoek, om "
        "elkaar beter te leren kennen. Ik stuur je straks een uitnodiging. Dan kies je "
        "met een paar tikken een moment dat jou past, of een andere plek. "
        "Nee zeggen mag ook.",
        "Hallo {name}! Welkom bij de huisbezoek-bot van {school}.\n\n"
        "De leerkrachten van {children} komen graag een keer bij jullie op bezoek, om "
        "elkaar beter te leren kennen. Ik stuur je straks een uitnodiging. Dan kies je "
        "met een paar tikken een moment dat jou past, of een andere plek. "
        "Nee zeggen mag ook.",
        len(children),
    ).format(name=name, school=school, children=child_names)


def _link_problem(t: Translator, outcome: Redeemed, who: Identity) -> str:
    if outcome is Redeemed.USED_ELSEWHERE:
        text = t._(
            "Deze link is al gebruikt met een ander Telegram-account. Elke link werkt maar "
            "één keer. Heb je een nieuwe telefoon of een ander account? Vraag de school "
            "dan om een nieuwe link."
        )
    elif outcome is Redeemed.EXPIRED:
        text = t._(
            "Deze link is verlopen. Vraag de leerkracht of de school om een nieuwe link. "
            "Daarna kun je meteen verder."
        )
    elif outcome is Redeemed.REPLACED:
        text = t._(
            "Er is een nieuwere link voor jou gemaakt. Open de laatste link die je van "
            "school kreeg, of vraag de school om een nieuwe."
        )
    else:
        text = t._(
            "Deze link ken ik niet. Misschien is hij niet helemaal gekopieerd. Open de "
            "link nog eens vanuit het bericht van school, of vraag de school om een nieuwe."
        )
    if who.is_known:
        text += "\n\n" + t._("Je bent al aangemeld. Kijk bij /help wat je kunt doen.")
    return text


async def _welcome_without_token(context: HomevisitContext) -> dict:
    t = context.t
    who = context.who
    if who.is_known:
        return {"text": t._("Welkom terug, {name}! Kijk bij /help wat je kunt doen.").format(name=t.isolate(who.name))}
    return {
        "text": t._(
            "Hallo! Ik ben de huisbezoek-bot van {school}. Ik help ouders en leerkrachten "
            "van de school om huisbezoeken te plannen.\n\n"
            "Om mee te doen heb je een persoonlijke link nodig. Die krijg je van de "
            "school, bijvoorbeeld van de leerkracht van je kind. Open die link, dan weet "
            "ik wie je bent."
        ).format(school=t.isolate(context.runtime.settings.school_name)),
        "reply_markup": change_language_button(t),
    }
