"""The catalogs: in sync with the code, complete where promised, placeholders intact,
plural forms right, and they compile. A new msgid without translations fails here,
listing what is missing."""
from __future__ import annotations

import io
import re
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot.i18n import Catalogs
from bot.languages import SOURCE_LANGUAGE, SUPPORTED_LANGUAGES

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "locales"
TRANSLATED = [lang for lang in SUPPORTED_LANGUAGES if lang != SOURCE_LANGUAGE]
# Every language translates every text; Dutch is the source itself.
COMPLETE = tuple(TRANSLATED)
PLACEHOLDER = re.compile(r"\{[a-z_]*\}")


def catalog(lang: str):
    with (LOCALES / lang / "LC_MESSAGES" / "homevisit.po").open("rb") as fh:
        return read_po(fh, locale=lang)


def msgids_in_code() -> set[str]:
    method_map = [("**.py", "python")]
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT / "bot"), method_map, keywords=keywords
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def ids(cat) -> set[str]:
    return {m.id[0] if isinstance(m.id, tuple) else m.id for m in cat if m.id}


def test_every_text_in_the_code_is_in_the_template_and_every_catalog():
    in_code = msgids_in_code()
    with (LOCALES / "homevisit.pot").open("rb") as fh:
        template = ids(read_po(fh))
    missing = sorted(in_code - template)
    assert not missing, "run tools/update_catalogs.sh; not in locales/homevisit.pot:\n" + "\n".join(missing)
    for lang in TRANSLATED:
        absent = sorted(in_code - ids(catalog(lang)))
        assert not absent, f"{lang}: run tools/update_catalogs.sh; missing:\n" + "\n".join(absent)


@pytest.mark.parametrize("lang", COMPLETE)
def test_complete_languages_translate_everything(lang):
    untranslated = [m.id for m in catalog(lang) if m.id and (not m.string or
                    (isinstance(m.string, tuple) and not all(m.string)))]
    fuzzy = [m.id for m in catalog(lang) if m.id and m.fuzzy]
    assert not untranslated, f"{lang} lacks translations for:\n" + "\n".join(map(str, untranslated))
    assert not fuzzy, f"{lang} has fuzzy entries:\n" + "\n".join(map(str, fuzzy))


@pytest.mark.parametrize("lang", TRANSLATED)
def test_placeholders_survive_translation(lang):
    wrong = []
    for message in catalog(lang):
        if not message.id or not message.string:
            continue
        source = message.id if isinstance(message.id, tuple) else (message.id,)
        expected = set(PLACEHOLDER.findall(" ".join(source)))
        targets = message.string if isinstance(message.string, tuple) else (message.string,)
        for target in targets:
            if target and set(PLACEHOLDER.findall(target)) != expected:
                wrong.append(f"{source[0][:50]!r} -> {target[:50]!r}")
    assert not wrong, f"{lang}: placeholders differ:\n" + "\n".join(wrong)


@pytest.mark.parametrize("lang", TRANSLATED)
def test_plural_entries_have_every_form_of_the_language(lang):
    cat = catalog(lang)
    for message in cat:
        if message.pluralizable and any(message.string):
            assert len(message.string) == cat.num_plurals, (lang, message.id[0][:40])


@pytest.mark.parametrize("lang", TRANSLATED)
def test_catalog_compiles(lang):
    buf = io.BytesIO()
    write_mo(buf, catalog(lang))
    assert buf.tell() > 0


def test_every_supported_language_loads_and_untranslated_text_falls_back_to_english():
    catalogs = Catalogs()
    assert catalogs.languages == SUPPORTED_LANGUAGES
    tz = ZoneInfo("Europe/Amsterdam")
    english = catalogs.translator("en", tz)._("Kies je taal")
    assert english == "Choose your language"
    for lang in TRANSLATED:
        text = catalogs.translator(lang, tz)._("Kies je taal")
        if lang == "nl_BE":
            assert text != ""
        else:
            assert text != "Kies je taal", f"{lang} shows Dutch instead of its own words or English"


def test_dates_follow_the_reader_and_the_school_time_zone():
    catalogs = Catalogs()
    moment = datetime(2026, 11, 10, 16, 30, tzinfo=timezone.utc)  # 17:30 in Amsterdam
    tz = ZoneInfo("Europe/Amsterdam")
    assert catalogs.translator("nl", tz).day_and_time(moment) == "dinsdag 10 november om 17:30"
    assert catalogs.translator("en", tz).day_and_time(moment) == "Tuesday, 10 November at 17:30"
    summer = datetime(2026, 10, 20, 15, 30, tzinfo=timezone.utc)  # still summer time: 17:30
    assert catalogs.translator("nl", tz).time(summer) == "17:30"
    arabic = catalogs.translator("ar", tz).time(moment)
    assert arabic.startswith("\u2068") and arabic.endswith("\u2069")


def test_a_number_in_a_sentence_goes_through_ngettext():
    """'{count} ...' in running text needs the language's plural forms; a label ending in
    ': {count}' (a counter) does not."""
    method_map = [("**.py", "python")]
    singles = set()
    for _f, _l, message, _c, _ctx in extract_from_dir(str(ROOT / "bot"), method_map,
                                                      keywords={"_": None, "gettext": None, "N_": None}):
        if isinstance(message, str) and "{count}" in message and not re.search(r": \{count\}$", message):
            singles.add(message)
    assert not singles, "use ngettext for:\n" + "\n".join(sorted(singles))
