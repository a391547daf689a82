"""A parent asking to be forgotten."""
from __future__ import annotations

from bot.buttons import Button
from bot.i18n import Translator
from bot.screens.keyboard import Screen, button, markup

FORGET_YES = Button("forget_yes", legacy="fgy")
FORGET_NO = Button("forget_no", legacy="fgn")


def forget_question(t: Translator) -> Screen:
    return Screen(
        t._("Wil je dat we je vergeten? Dan halen we je Telegram-koppeling, je naam en je telefoonnummer weg, en "
            "krijg je geen berichten meer van deze bot. Een afspraak die nog staat, vervalt niet vanzelf: zeg die "
            "eerst af als dat nodig is."),
        markup([button("🗑 " + t._("Ja, vergeet mij"), FORGET_YES)], [button("↩️ " + t._("Nee, laat maar"), FORGET_NO)]))


def kept_screen(t: Translator) -> Screen:
    return Screen(t._("Goed, er verandert niets."))


def forgotten_screen(t: Translator) -> Screen:
    return Screen(t._("Gedaan. We hebben je gegevens weggehaald. Je krijgt geen berichten meer. "
                      "Dag, en het allerbeste!"))
