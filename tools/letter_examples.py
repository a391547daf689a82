"""Developer tool: draw one printed letter per language into examples/letters/<lang>.png.

    .venv/bin/python tools/letter_examples.py            (pypdfium2 comes with the test extras)

The fictional school of examples/roster.csv goes into a throwaway SQLite database, a visit
period is opened and the letters of every household are made as `homevisit letters --all`
makes them, with a PUBLIC_URL, so that each letter carries the household's web page too;
for each language, the page of the household with the most children whose letter is in it
is rendered to PNG. The tokens are derived from counters so that the pictures change only
when the letter does: those links work nowhere.
"""
from __future__ import annotations

import asyncio
import hashlib
import itertools
import sys
import tempfile
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.documents.letters import render_letters  # noqa: E402
from bot.i18n import Catalogs  # noqa: E402
from bot.languages import SUPPORTED_LANGUAGES  # noqa: E402
from bot.services import personal_links, web_links  # noqa: E402
from bot.services.letters import LetterBatch, prepare_letters  # noqa: E402
from bot.services.periods import PeriodDraft, open_period  # noqa: E402
from bot.services.roster import import_roster  # noqa: E402
from bot.services.schools import ensure_school  # noqa: E402
from db.migrate import upgrade_to_head_async  # noqa: E402
from db.session import make_engine, make_sessionmaker  # noqa: E402

OUT = ROOT / "examples" / "letters"
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)
PERIOD = PeriodDraft("Huisbezoeken najaar 2026", date(2026, 11, 16), date(2026, 11, 27))
SCHOOL, PHONE, BOT = "De Regenboog", "+31 20 123 45 67", "regenboog_huisbezoek_bot"
PUBLIC_URL = "https://huisbezoek.example.nl"  # where the school's server would answer
SCALE = 1.5  # 108 dpi: the QR code's modules are four pixels wide


async def letters(database_url: str) -> LetterBatch:
    await upgrade_to_head_async(database_url)
    engine = make_engine(database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            school = await ensure_school(session, SCHOOL, "Europe/Amsterdam", "nl", NOW)
            await import_roster(session, school.id, (ROOT / "examples" / "roster.csv").read_bytes(),
                                default_language="nl", now=NOW)
            await open_period(session, school.id, PERIOD, NOW)
            return await prepare_letters(session, school.id, default_language="nl", now=NOW,
                                         valid_for=timedelta(days=60), everyone=True, public_url=PUBLIC_URL)
    finally:
        await engine.dispose()


def main() -> int:
    import pypdfium2 as pdfium

    counter = itertools.count(1)
    personal_links.new_token = lambda: hashlib.sha256(f"example-{next(counter)}".encode()).hexdigest()[:32]
    web_counter = itertools.count(1)
    web_links.new_token = lambda: hashlib.sha256(f"example-web-{next(web_counter)}".encode()).hexdigest()[:32]
    with tempfile.TemporaryDirectory() as tmp:
        batch = asyncio.run(letters(f"sqlite+aiosqlite:///{tmp}/examples.db"))
    firsts: dict[str, int] = {}  # per language, the household with the most children (then the first)
    for number, letter in enumerate(batch.letters):
        best = firsts.get(letter.language)
        if best is None or len(letter.children) > len(batch.letters[best].children):
            firsts[letter.language] = number
    chosen = [(lang, firsts[lang]) for lang in SUPPORTED_LANGUAGES if lang in firsts]
    shown = LetterBatch(batch.period_name, batch.first_day, batch.last_day, batch.links_valid_until,
                        tuple(batch.letters[number] for _, number in chosen))
    pdf = render_letters(shown, catalogs=Catalogs(), tz=ZoneInfo("Europe/Amsterdam"), school=SCHOOL, phone=PHONE,
                         bot_username=BOT)
    OUT.mkdir(parents=True, exist_ok=True)
    document = pdfium.PdfDocument(pdf)
    try:
        for (lang, number), page in zip(chosen, document):
            image = page.render(scale=SCALE).to_pil().convert("L")
            page.close()
            path = OUT / f"{lang}.png"
            image.save(path, optimize=True)
            print(f"{path.relative_to(ROOT)}: household {batch.letters[number].household}")
    finally:
        document.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
