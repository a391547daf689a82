"""What a user of a given language reads, straight from the catalogs: tests check the
bot's texts against the catalog entry instead of repeating them."""
from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from bot.i18n import Catalogs, Translator

SCHOOL_TZ = ZoneInfo("Europe/Amsterdam")


@lru_cache(maxsize=1)
def _catalogs() -> Catalogs:
    return Catalogs()


class Words:
    def __init__(self, language: str) -> None:
        self.language = language
        self.t: Translator = _catalogs().translator(language, SCHOOL_TZ)

    def __call__(self, msgid: str, **values: object) -> str:
        text = self.t._(msgid)
        return text.format(**values) if values else text

    def n(self, singular: str, plural: str, count: int, **values: object) -> str:
        return self.t.ngettext(singular, plural, count).format(count=count, **values)

    def day(self, moment: date | datetime) -> str:
        return self.t.day(moment)

    def short_day(self, moment: date | datetime) -> str:
        return self.t.short_day(moment)

    def time(self, moment: datetime) -> str:
        return self.t.time(moment)

    def when(self, moment: datetime) -> str:
        return self.t.day_and_time(moment)

    def iso(self, text: str) -> str:
        """A name or value as the bot embeds it (isolated inside right-to-left text)."""
        return self.t.isolate(text)

    def first_line(self, msgid: str, **values: object) -> str:
        return self(msgid, **values).split("\n")[0]
