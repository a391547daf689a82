"""The commands each role can use: one list for /help and for Telegram's command menu."""
from __future__ import annotations

from dataclasses import dataclass

from bot.i18n import N_, Translator
from bot.services.accounts import Identity


@dataclass(frozen=True)
class Command:
    name: str
    description: str  # a msgid


COMMON = (
    Command("language", N_("Kies je taal")),
    Command("help", N_("Wat kan ik hier doen?")),
)
GUARDIAN: tuple[Command, ...] = (
    Command("myvisit", N_("Mijn huisbezoek: bekijken, verzetten of afzeggen")),
    Command("forget", N_("Mijn gegevens laten verwijderen")),
)
TEACHER: tuple[Command, ...] = (
    Command("availability", N_("Mijn tijden voor huisbezoeken")),
    Command("agenda", N_("Mijn huisbezoeken")),
    Command("calllist", N_("Gezinnen om even te bellen")),
    Command("families", N_("Mijn gezinnen: vastleggen wat we afspraken")),
    Command("note", N_("Notitie na een huisbezoek")),
    Command("followups", N_("Open afspraken afvinken")),
    Command("calendar", N_("Mijn huisbezoeken in mijn agenda")),
)
COORDINATOR: tuple[Command, ...] = (
    Command("period", N_("Bezoekperiode openen of sluiten")),
    Command("invite", N_("Uitnodigingen versturen")),
    Command("announce", N_("Aankondiging aan ouders of leerkrachten")),
    Command("coverage", N_("Bereik per groep en voor de school")),
    Command("debrief", N_("Nabespreking: aantallen per groep, zonder namen")),
    Command("notes", N_("Notities lezen")),
    Command("letters", N_("Brieven voor gezinnen zonder Telegram")),
    Command("dashboard", N_("Het dashboard in de browser")),
)


def commands_for(who: Identity) -> list[Command]:
    """The commands this person may use, role commands first, without repeats."""
    chosen: list[Command] = []
    groups = []
    if who.is_coordinator:
        groups.append(COORDINATOR)
    if who.is_teacher:
        groups.append(TEACHER)
    if who.is_guardian:
        groups.append(GUARDIAN)
    groups.append(COMMON)
    for group in groups:
        for command in group:
            if command.name not in {c.name for c in chosen}:
                chosen.append(command)
    return chosen


def command_lines(t: Translator, commands: list[Command]) -> str:
    return "\n".join(f"/{c.name} – {t._(c.description)}" for c in commands)
