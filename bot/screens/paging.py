"""Long lists as pages that Telegram accepts: each page under 4,096 characters and under
100 buttons, with ◀ ▶ and "page 2 of 5", never cut silently.

A list is rendered afresh from the database for every page shown, so paging through a
list that changed meanwhile shows its current state (a page past the end shows the last).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from telegram import InlineKeyboardButton

from bot.buttons import Button
from bot.i18n import Translator
from bot.screens.fit import utf16_length
from bot.screens.keyboard import Screen, button, markup

# Room for a page's items; the header, the page line and the separators fit in the rest.
BUDGET = 3500
MAX_ITEM = 1500  # one item longer than this is shortened by its renderer, never by the pager


@dataclass(frozen=True)
class Page:
    index: int  # 0-based
    count: int
    start: int  # items[start:end] are on this page
    end: int

    @property
    def more_than_one(self) -> bool:
        return self.count > 1


def paginate(blocks: Sequence[str], index: int, *, budget: int = BUDGET, most: int | None = None,
             separator: str = "\n\n") -> Page:
    """Which of these rendered items go on page `index` (clamped to the pages there are).
    A page takes items while they fit in `budget` UTF-16 code units, and at most `most`."""
    bounds: list[tuple[int, int]] = []
    start, used = 0, 0
    for i, block in enumerate(blocks):
        size = utf16_length(block) + utf16_length(separator)
        full = (most is not None and i - start >= most) or (i > start and used + size > budget)
        if full:
            bounds.append((start, i))
            start, used = i, 0
        used += size
    bounds.append((start, len(blocks)))
    index = max(0, min(index, len(bounds) - 1))
    return Page(index, len(bounds), *bounds[index])


def page_line(t: Translator, page: Page) -> str:
    return t._("Pagina {page} van {pages}").format(page=page.index + 1, pages=page.count) if page.more_than_one else ""


def nav_row(page: Page, kind: Button, *args: object) -> list[InlineKeyboardButton]:
    """◀ and ▶ to the neighbouring pages; the button takes `args` and then the page index."""
    row = []
    if page.index > 0:
        row.append(button(f"◀ {page.index}", kind, *args, page.index - 1))
    if page.index + 1 < page.count:
        row.append(button(f"{page.index + 2} ▶", kind, *args, page.index + 1))
    return row


def page_screen(t: Translator, header: str, shown: Sequence[str], page: Page, kind: Button, *args: object,
                buttons: Sequence[Sequence[InlineKeyboardButton]] = (), separator: str = "\n\n",
                footer: str = "") -> Screen:
    """The screen of one page: header, the page's items (`shown`), the page line, its own
    buttons and ◀ ▶."""
    parts = [header, *shown]
    tail = "\n".join(p for p in (footer, page_line(t, page)) if p)
    if tail:
        parts.append(tail)
    return Screen(separator.join(p for p in parts if p), markup(*buttons, nav_row(page, kind, *args)))
