"""/letters: the coordinator picks whose letters to print, waits a moment, and gets the PDF."""
from __future__ import annotations

from bot.buttons import Button, RefOrNone
from bot.i18n import Translator
from bot.screens.keyboard import Screen, button, markup, rows

LETTERS_FOR = Button("letters_for", RefOrNone("class_"))  # 0: every household without Telegram


def choose_screen(t: Translator, total: int, classes: list[tuple[int, str, int]]) -> Screen:
    """`classes`: (id, name, households without Telegram) for each class that has some."""
    if not total:
        return nothing_screen(t)
    text = "\n\n".join([
        t._("📄 Brieven om te printen voor gezinnen zonder Telegram: één A4 per gezin, in de taal van het gezin, "
            "met een QR-code naar hun persoonlijke link."),
        t.ngettext("{count} gezin zonder Telegram heeft nog niet geantwoord.",
                   "{count} gezinnen zonder Telegram hebben nog niet geantwoord.", total).format(count=total),
        t._("Voor welke gezinnen maak je de brieven?"),
    ])
    class_buttons = [button(f"📄 {name} ({count})", LETTERS_FOR, class_id) for class_id, name, count in classes]
    return Screen(text, markup([button("📄 " + t._("Alle gezinnen zonder Telegram"), LETTERS_FOR, 0)],
                               *rows(class_buttons, 2)))


def working_screen(t: Translator) -> Screen:
    return Screen("⏳ " + t._("De brieven worden gemaakt. Dat duurt even."))


def ready_screen(t: Translator) -> Screen:
    return Screen("✅ " + t._("De brieven staan hieronder."))


def done_caption(t: Translator, letters: int, fresh_links: int, fresh_web_links: int = 0) -> str:
    lines = [
        t.ngettext("📄 {count} brief om te printen: één A4 per gezin.",
                   "📄 {count} brieven om te printen: één A4 per gezin.", letters).format(count=letters),
        t.ngettext("{count} nieuwe link; oudere ongebruikte links van deze ouders werken niet meer.",
                   "{count} nieuwe links; oudere ongebruikte links van deze ouders werken niet meer.",
                   fresh_links).format(count=fresh_links),
    ]
    if fresh_web_links:  # with PUBLIC_URL: each letter has the household's web page too
        lines.append(t.ngettext(
            "{count} nieuwe link naar de webpagina van het gezin; de oudere werkt niet meer.",
            "{count} nieuwe links naar de webpagina's van de gezinnen; de oudere werken niet meer.",
            fresh_web_links).format(count=fresh_web_links))
    return "\n".join(lines)


def nothing_screen(t: Translator) -> Screen:
    return Screen(t._("Deze gezinnen hebben Telegram al gekoppeld of al geantwoord: er zijn geen brieven nodig."))


def fonts_missing_screen(t: Translator) -> Screen:
    return Screen(t._("De brieven kunnen nu niet gemaakt worden: op de server ontbreken de lettertypen "
                      "(het pakket fonts-noto-core). Vraag de beheerder om ze te installeren."))
