"""Catalogs and the per-update translator.

Dutch is the source language: msgids are Dutch, every other language has a catalog
under `locales/<lang>/LC_MESSAGES/homevisit.po`. A compiled `.mo` is used when it is
at least as new as its `.po`; otherwise the `.po` is compiled in memory (and a
warning logged), so a forgotten `pybabel compile` never shows raw msgids. A
supported language without a catalog stops start-up.

The translator belongs to one update (see `bot.context`), never to the module, so
concurrent updates in different languages cannot mix.
"""
from __future__ import annotations

import gettext
import io
import logging
import re
from dataclasses import dataclass
from datetime import date as Date
from datetime import datetime
from datetime import time as Time
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_skeleton, format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent
from babel.support import Translations

from bot.languages import RTL_LANGUAGES, SOURCE_LANGUAGE, SUPPORTED_LANGUAGES

log = logging.getLogger(__name__)

DOMAIN = "homevisit"
LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"

# Babel locale used to format dates and numbers for each language. English readers
# here live in the Netherlands or Belgium: use the 24-hour clock of en_GB.
FORMAT_LOCALES = {"en": "en_GB"}

# Unicode isolates keep a Dutch street name or a time readable inside Arabic text.
FSI, PDI = "\u2068", "\u2069"


def N_(message: str) -> str:
    """Mark a string for extraction where it is translated later."""
    return message


_YEAR = re.compile(r"[,،\s]*\by+\b(\s*'[^']*')?\.?")


def _day_pattern(locale: Locale) -> str:
    """The locale's full date pattern (weekday, day, month in its own order) without the year."""
    return _YEAR.sub("", locale.date_formats["full"].pattern).strip(" ,")


class CatalogError(RuntimeError):
    pass


def _load_translations(lang: str, locales_dir: Path) -> gettext.NullTranslations:
    lc_dir = locales_dir / lang / "LC_MESSAGES"
    po_path = lc_dir / f"{DOMAIN}.po"
    mo_path = lc_dir / f"{DOMAIN}.mo"
    if mo_path.is_file() and (not po_path.is_file() or mo_path.stat().st_mtime >= po_path.stat().st_mtime):
        with mo_path.open("rb") as fh:
            return Translations(fh, domain=DOMAIN)
    if not po_path.is_file():
        raise CatalogError(f"no catalog for language {lang!r}: expected {po_path}")
    log.warning("compiling %s in memory: run `pybabel compile -d locales -D homevisit`", po_path)
    with po_path.open("rb") as fh:
        catalog = read_po(fh, locale=lang, domain=DOMAIN)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return Translations(buf, domain=DOMAIN)


class Catalogs:
    """Every supported language's translations, loaded once at start-up."""

    def __init__(self, locales_dir: Path = LOCALES_DIR, languages: tuple[str, ...] = SUPPORTED_LANGUAGES):
        self._by_lang: dict[str, gettext.NullTranslations] = {}
        for lang in languages:
            if lang == SOURCE_LANGUAGE:
                self._by_lang[lang] = gettext.NullTranslations()
            else:
                self._by_lang[lang] = _load_translations(lang, locales_dir)
        # A text not yet translated falls back to English, which more parents read
        # than Dutch; Flemish Dutch falls back to the Dutch source itself.
        english = self._by_lang.get("en")
        for lang, translations in self._by_lang.items():
            if english is not None and lang not in ("en", "nl_BE", SOURCE_LANGUAGE):
                translations.add_fallback(english)
        self.languages = tuple(self._by_lang)

    def translator(self, language: str, tz: ZoneInfo) -> Translator:
        translations = self._by_lang.get(language)
        if translations is None:
            language = SOURCE_LANGUAGE
            translations = self._by_lang[SOURCE_LANGUAGE]
        return Translator(language, translations, tz)


@dataclass(frozen=True)
class Translator:
    language: str
    translations: gettext.NullTranslations
    tz: ZoneInfo

    # -- words ---------------------------------------------------------------
    def _(self, message: str) -> str:
        return self.translations.gettext(message)

    gettext = _

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.translations.ngettext(singular, plural, n)

    def isolate(self, text: str) -> str:
        """Wrap a name or a time so it reads right inside right-to-left text."""
        return f"{FSI}{text}{PDI}" if self.language in RTL_LANGUAGES else text

    # -- dates and times -------------------------------------------------------
    @property
    def babel_locale(self) -> Locale:
        return Locale.parse(FORMAT_LOCALES.get(self.language, self.language))

    def day(self, moment: datetime | Date) -> str:
        """'dinsdag 10 november' / 'Tuesday, 10 November', in the school's time zone."""
        if isinstance(moment, datetime):
            moment = moment.astimezone(self.tz)
        return self.isolate(format_date(moment, _day_pattern(self.babel_locale), locale=self.babel_locale))

    def short_day(self, moment: datetime | Date) -> str:
        """'di 10 nov' / 'Tue 10 Nov': for buttons."""
        if isinstance(moment, datetime):
            moment = moment.astimezone(self.tz)
        return self.isolate(format_skeleton("MMMEd", moment, locale=self.babel_locale))

    def time(self, moment: datetime | Time) -> str:
        if isinstance(moment, datetime):
            moment = moment.astimezone(self.tz)
        return self.isolate(format_time(moment, format="short", locale=self.babel_locale))

    def day_and_time(self, moment: datetime) -> str:
        return self._("{day} om {time}").format(day=self.day(moment), time=self.time(moment))

    def percent(self, share: float) -> str:
        return self.isolate(format_percent(share, locale=self.babel_locale))

    def number(self, value: float) -> str:
        return self.isolate(format_decimal(value, locale=self.babel_locale))

    def date(self, moment: datetime | Date) -> str:
        if isinstance(moment, datetime):
            moment = moment.astimezone(self.tz)
        return self.isolate(format_date(moment, format="long", locale=self.babel_locale))
