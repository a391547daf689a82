"""What the coordinator sees on the dashboard: per class the households and how far each
got (linked, invited, planned, visited and how, declined and why, not reached yet), a
bar per class, the school's total, the call lists per teacher, and the downloads.
The same numbers as `/coverage` (the same `Coverage`), in the same words where they fit.
No note contents: those are read in chat or exported."""
from __future__ import annotations

from dataclasses import dataclass

from bot.i18n import Translator
from bot.languages import RTL_LANGUAGES
from bot.screens.coverage import (
    ALWAYS_SHOWN,
    CHANNELS,
    channel_counts,
    school_label,
    scope_line,
    teacher_line,
    title,
)
from bot.screens.keyboard import Screen
from bot.screens.phrases import DECLINE_REASON_LABELS
from bot.screens.web_family import Page
from bot.services.coverage import Coverage, Row


@dataclass(frozen=True)
class ClassRow:
    name: str
    cells: tuple[int, ...]  # in the order of `Dashboard.columns`
    share: float  # pupils visited, 0..1
    share_label: str
    reached: str
    visited_by: str
    reasons: str


@dataclass(frozen=True)
class Dashboard:
    lang: str
    dir: str
    title: str
    heading: str
    columns: tuple[str, ...]
    classes: tuple[ClassRow, ...]
    school: ClassRow
    share_caption: str
    teachers_heading: str
    teachers: tuple[tuple[str, str], ...]  # (what they did, call list)
    downloads_heading: str
    downloads: tuple[tuple[str, str], ...]  # (label, address)
    log_out: str
    footer: str
    languages: tuple = ()  # what every page has (base.html): no language picker here
    language_label: str = ""
    notice: str | None = None


def _row(t: Translator, name: str, row: Row) -> ClassRow:
    no_reason = t._("geen reden")
    reasons = ", ".join(f"{t._(DECLINE_REASON_LABELS[r]) if r in DECLINE_REASON_LABELS else no_reason} {n}"
                        for r, n in sorted(row.decline_reasons.items()))
    return ClassRow(
        name=name,
        cells=(row.households, row.linked, row.invited, row.booked, row.visited, row.declined, row.unreachable),
        share=round(row.share_visited, 3), share_label=t.percent(row.share_visited),
        reached=t._("Bereikt: {channels}").format(channels=channel_counts(
            t, row.reached, [c for c in CHANNELS if c in ALWAYS_SHOWN or row.reached[c]])),
        visited_by=t._("Bezocht, zo afgesproken: {channels}").format(channels=channel_counts(
            t, row.visited_by, [c for c in CHANNELS if row.visited_by[c]])) if row.visited else "",
        reasons=t._("Redenen voor nee: {reasons}").format(reasons=reasons) if reasons else "")


def dashboard(t: Translator, report: Coverage, call_lists: list[tuple[str, int]], *, school: str,
              downloads: dict[str, str], log_out: str) -> Dashboard:
    calls = dict(call_lists)
    teachers = tuple(
        (teacher_line(t, teacher), t.ngettext("{count} gezin om te bellen", "{count} gezinnen om te bellen",
                                              calls.get(teacher.name, 0)).format(count=calls.get(teacher.name, 0)))
        for teacher in report.teachers)
    return Dashboard(
        lang=t.language.replace("_", "-"), dir="rtl" if t.language in RTL_LANGUAGES else "ltr",
        title=f"{t._('Dashboard')} · {school}", heading=title(t, report),
        columns=(t._("Gezinnen"), t._("Gekoppeld"), t._("Uitgenodigd"), t._("Gepland"), t._("Bezocht"),
                 t._("Nee"), t._("Nog niet bereikt")),
        classes=tuple(_row(t, row.name, row) for row in report.classes),
        school=_row(t, school_label(t, report), report.school),
        share_caption=t._("Leerlingen bezocht"),
        teachers_heading=t._("Per leerkracht:"), teachers=teachers,
        downloads_heading=t._("Downloaden"),
        downloads=((t._("Bereik als spreadsheet (CSV)"), downloads["coverage"]),
                   (t._("Notities exporteren (CSV, wordt vastgelegd in het logboek)"), downloads["notes"])),
        log_out=t._("Uitloggen"), footer=school, notice=scope_line(t, report) or None)


def login_needed(t: Translator, *, expired_link: bool = False) -> Page:
    heading = t._("Deze inloglink werkt niet (meer)") if expired_link else t._("Dashboard")
    return Page(lang=t.language.replace("_", "-"), dir="rtl" if t.language in RTL_LANGUAGES else "ltr",
                title=heading, heading=heading, languages=(), language_label="", footer="", body={
                    "text": t._("Vraag in de chat met de bot een nieuwe inloglink met /dashboard. Een link werkt één "
                                "keer, tien minuten lang.")})


def login_link_screen(t: Translator, link: str) -> Screen:
    """The chat's answer to /dashboard."""
    return Screen(t._("📊 Je dashboard: {link}\n\nDeze link werkt één keer, tien minuten lang. Daarna blijf je in die "
               "browser een werkdag ingelogd.").format(link=link))


def no_public_url_screen(t: Translator) -> Screen:
    return Screen(t._("Het dashboard staat nog niet aan: de beheerder moet PUBLIC_URL instellen."))
