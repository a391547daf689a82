"""Developer tool: fill a catalog's msgstrs from a Python dict file.

    python tools/po_fill.py en /tmp/en_strings.py

The dict file defines TRANSLATIONS = {msgid: msgstr or [plural forms]}. Entries not in
the dict are left as they are. Translators normally edit the .po files directly;
this helps when many strings arrive at once.
"""
from __future__ import annotations

import runpy
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent


def main(lang: str, source: str) -> None:
    translations = runpy.run_path(source)["TRANSLATIONS"]
    path = ROOT / "locales" / lang / "LC_MESSAGES" / "homevisit.po"
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    missing = set(translations)
    for message in catalog:
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        if key in translations:
            value = translations[key]
            message.string = tuple(value) if isinstance(message.id, tuple) else value
            message.flags.discard("fuzzy")
            missing.discard(key)
    with path.open("wb") as fh:
        write_po(fh, catalog, width=100)
    for key in sorted(missing):
        print(f"not in the catalog: {key[:60]!r}", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
