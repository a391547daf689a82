"""What someone sees when they open their personal link, or /start without one."""
from __future__ import annotations

from bot.i18n import Translator
from bot.screens.keyboard import Screen
from bot.screens.language import change_language_button
from bot.services.accounts import Identity
from bot.services.personal_links import Redeemed


def staff_greeting(t: Translator, school: str, name: str, role: str, classes: list[str], *, again: bool) -> Screen:
    name = t.isolate(name)
    if again:
        text = t._("Je bent al aangemeld, {name}. Kijk bij /help wat je kunt doen.").format(name=name)
    elif role == "coordinator":
        text = t._(
            "Hallo {name}! Je bent aangemeld als coördinator van {school}.\n\n"
            "Via mij zet je de huisbezoeken klaar: je opent de bezoekperiode, stuurt "
            "de ouders een bericht in hun eigen taal en ziet per groep hoeveel gezinnen "
            "al bezocht zijn.\n\nKijk bij /help wat je kunt doen."
        ).format(name=name, school=t.isolate(school))
    else:
        text = t._(
            "Hallo {name}! Je bent aangemeld als leerkracht van {classes}.\n\n"
            "Via mij geef je door wanneer je op huisbezoek kunt, bevestig je de afspraken "
            "met ouders en schrijf je na elk bezoek een korte notitie.\n\n"
            "Kijk bij /help wat je kunt doen."
        ).format(name=name, classes=t.isolate(", ".join(classes)) if classes else "–")
    return Screen(text, change_language_button(t))


def guardian_greeting(t: Translator, school: str, name: str, children: list[str], *, again: bool) -> Screen:
    name = t.isolate(name)
    if again:
        text = t._("Je bent al aangemeld, {name}. Kijk bij /help wat je kunt doen.").format(name=name)
    else:
        text = t.ngettext(
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
        ).format(name=name, school=t.isolate(school), children=t.isolate(", ".join(children)))
    return Screen(text, change_language_button(t))


def link_problem_screen(t: Translator, outcome: Redeemed, who: Identity) -> Screen:
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
    return Screen(text)


def welcome_screen(t: Translator, school: str, who: Identity) -> Screen:
    """/start without a link."""
    if who.is_known:
        return Screen(t._("Welkom terug, {name}! Kijk bij /help wat je kunt doen.").format(name=t.isolate(who.name)))
    return Screen(t._(
        "Hallo! Ik ben de huisbezoek-bot van {school}. Ik help ouders en leerkrachten "
        "van de school om huisbezoeken te plannen.\n\n"
        "Om mee te doen heb je een persoonlijke link nodig. Die krijg je van de "
        "school, bijvoorbeeld van de leerkracht van je kind. Open die link, dan weet "
        "ik wie je bent."
    ).format(school=t.isolate(school)), change_language_button(t))
