"""A teacher's private calendar address."""
from __future__ import annotations

from bot.buttons import Button
from bot.i18n import Translator
from bot.screens.keyboard import Screen, button, markup

CALENDAR_RENEW = Button("calendar_renew", legacy="calr")


def feed_screen(t: Translator, url: str, *, renewed: bool) -> Screen:
    lead = ("🔄 " + t._("Nieuwe link gemaakt; de oude werkt niet meer.") + "\n\n") if renewed else ""
    return Screen(lead + t._("📅 Je huisbezoeken in je eigen agenda: abonneer je op deze link (in Google Agenda, "
                             "Outlook of op je telefoon). Deel hem met niemand.\n\n{url}").format(url=url),
                  markup([button("🔄 " + t._("Nieuwe link maken"), CALENDAR_RENEW)]))


def feed_off_screen(t: Translator) -> Screen:
    return Screen(t._("De agenda-koppeling staat nog niet aan: de beheerder moet PUBLIC_URL instellen."))
