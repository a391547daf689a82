"""Printable letters: a small school whose households read nine languages gets one A4
page each, in its own language (with the Dutch text beneath), naming its children and
teachers and the visit period as that language writes dates; the QR code on each page,
decoded from the rendered image, is the household's fresh personal link, and that link
works. With the server's public address (PUBLIC_URL) a second code opens the household's
web page, for a family without Telegram; its older web link stops working. On SQLite and
PostgreSQL.

The PDF is read back as a person's tools would: pypdfium2 renders every page to an image
(zxing-cpp reads the QR code from it) and extracts the text."""
from __future__ import annotations

import logging
import re
from datetime import date, timedelta

import pypdfium2 as pdfium
import pytest
import zxingcpp
from babel.dates import format_date
from sqlalchemy import select

from bot.documents.letters import render_letters
from bot.i18n import Catalogs
from bot.languages import SUPPORTED_LANGUAGES
from bot.services import family_page, web_links
from bot.services import letters as letter_rules
from bot.services.arrangements import record_decline, record_visit
from bot.services.errors import RuleError
from bot.services.invitations import send_invitations
from bot.services.periods import PeriodDraft, current_period, open_period
from bot.services.personal_links import Redeemed, deep_link, issue_token, redeem
from bot.services.roster import import_roster
from db.models import (
    Channel,
    Guardian,
    Household,
    Invitation,
    InviteToken,
    Staff,
    WebLink,
)
from tests.seed import only_school
from tests.visit_setup import TZ, guardian, new_school
from tests.words import Words

BOT = "regenboog_test_bot"
PHONE = "+31 20 123 4567"
PERIOD = PeriodDraft("Huisbezoeken najaar 2026", date(2026, 11, 16), date(2026, 11, 27))

# One household per language; El Amrani has children in two classes (two teachers), the
# Kowalenko household writes its names in Cyrillic, Müller's first guardian is linked.
ROSTER = """pupil_id,pupil_name,class,teacher,household_id,guardian_name,guardian_phone,guardian_language
L01,Daan Jansen,Groep 3,Marieke de Vries,H01,Anouk Jansen,,nl
L02,Tess Claes,Groep 3,Marieke de Vries,H02,An Claes,,nl_BE
L03,Oliver Smith,Groep 5,Jérôme Bakker,H03,Emily Smith,,en
L04,Chloé Martin,Groep 5,Jérôme Bakker,H04,Camille Martin,,fr
L05,Jonas Müller,Groep 5,Jérôme Bakker,H05,Katrin Müller,,de
L05,Jonas Müller,Groep 5,Jérôme Bakker,H05,Stefan Müller,,de
L06,Elif Yılmaz,Groep 3,Marieke de Vries,H06,Ayşe Yılmaz,,tr
L07,Yasmine El Amrani,Groep 3,Marieke de Vries,H07,Khadija El Amrani,,ar
L08,Adam El Amrani,Groep 7,Sanne Vermeulen,H07,Khadija El Amrani,,ar
L08,Adam El Amrani,Groep 7,Sanne Vermeulen,H07,Mohammed El Amrani,,nl
L09,Zofia Wiśniewska,Groep 7,Sanne Vermeulen,H08,Katarzyna Wiśniewska,,pl
L10,Мирослава Коваленко,Groep 7,Sanne Vermeulen,H09,Олена Коваленко,,uk
"""
LANGUAGE_OF = {"H01": "nl", "H02": "nl_BE", "H03": "en", "H04": "fr", "H05": "de", "H06": "tr", "H07": "ar",
               "H08": "pl", "H09": "uk"}
CHILDREN = {"H01": ["Daan Jansen"], "H02": ["Tess Claes"], "H03": ["Oliver Smith"], "H04": ["Chloé Martin"],
            "H05": ["Jonas Müller"], "H06": ["Elif Yılmaz"], "H07": ["Yasmine El Amrani", "Adam El Amrani"],
            "H08": ["Zofia Wiśniewska"], "H09": ["Мирослава Коваленко"]}
TEACHERS = {"H01": ["Marieke de Vries"], "H02": ["Marieke de Vries"], "H03": ["Jérôme Bakker"],
            "H04": ["Jérôme Bakker"], "H05": ["Jérôme Bakker"], "H06": ["Marieke de Vries"],
            "H07": ["Marieke de Vries", "Sanne Vermeulen"], "H08": ["Sanne Vermeulen"], "H09": ["Sanne Vermeulen"]}
# Whose link each letter carries: the first guardian without Telegram (Katrin Müller has it).
LINK_FOR = {"H01": "Anouk Jansen", "H02": "An Claes", "H03": "Emily Smith", "H04": "Camille Martin",
            "H05": "Stefan Müller", "H06": "Ayşe Yılmaz", "H07": "Khadija El Amrani",
            "H08": "Katarzyna Wiśniewska", "H09": "Олена Коваленко"}
INVISIBLE = re.compile("[\u2066-\u2069\u200e\u200f\ufffe\ufeff]")
PUBLIC_URL = "https://huisbezoek.example.nl"
WEB_CAPTION = "Geen Telegram? Open deze pagina in de browser van je telefoon:"


def unhyphenated(text: str) -> str:
    """pdfium takes a line ending in "-" for a word hyphenated there: it gives U+FFFE for the
    hyphen and the line break. The letters break lines at spaces only (a link whose random
    token ends in "-" is one such line): the "-" is the text's, and the line ends after it."""
    return text.replace("\ufffe", "-\n")


def plain(text: str) -> str:
    """Extracted or expected text, with bidi controls gone and every space one space."""
    return " ".join(INVISIBLE.sub("", unhyphenated(text)).replace("\u00a0", " ").replace("\u202f", " ").split())


PUNCTUATION = ".,،:;"


def found(expected: str, text: str, *, rtl: bool) -> bool:
    """`expected` is in the page's text. In a right-to-left page, text extraction guesses the
    order of a line's runs (it may give `16 نوفمبر` as `نوفمبر 16`, or a full stop on the
    wrong side of a number): there a phrase is found as its words, in either order."""
    expected, text = plain(expected), plain(text)
    if expected in text:
        return True
    if not rtl:
        return False
    words = [word.strip(PUNCTUATION) for word in expected.split()]
    lines = [[word.strip(PUNCTUATION) for word in line.split()] for line in INVISIBLE.sub("", text).splitlines()]
    return any(_contains(line, order) for line in lines for order in (words, words[::-1]))


def _contains(line: list[str], words: list[str]) -> bool:
    return any(line[i:i + len(words)] == words for i in range(len(line) - len(words) + 1))


async def school(session, clock) -> int:
    school_id = await new_school(session, clock.now())
    await import_roster(session, school_id, ROSTER.encode(), default_language="nl", now=clock.now())
    await open_period(session, school_id, PERIOD, clock.now())
    return school_id


async def link(session, name: str, clock, telegram_id: int) -> None:
    person = await guardian(session, name)
    token = await issue_token(session, now=clock.now(), valid_for=timedelta(days=1),
                              guardian_id=person.id)
    await session.commit()
    assert (await redeem(session, token,
                         school_id=await only_school(session),
                         telegram_user_id=telegram_id, chat_id=telegram_id, telegram_language=None,
                         now=clock.now())).outcome == Redeemed.LINKED


def pages(pdf: bytes) -> list[tuple[str, object]]:
    """(text, image) per page: the image at 200 dpi, as a scanner or a phone would see it."""
    document = pdfium.PdfDocument(pdf)
    try:
        result = []
        for page in document:
            textpage = page.get_textpage()
            result.append((textpage.get_text_range(), page.render(scale=200 / 72).to_pil()))
            textpage.close()
            page.close()
        return result
    finally:
        document.close()


async def test_a_letter_per_household_in_its_language_with_a_working_personal_link(session, clock, caplog):
    school_id = await school(session, clock)
    await link(session, "Katrin Müller", clock, 9_100_001)  # one of the Müllers is on Telegram: still a letter
    # An older link of Khadija's, from an earlier mail merge: the letter's link replaces it.
    khadija = await guardian(session, "Khadija El Amrani")
    old_token = await issue_token(session, now=clock.now(), valid_for=timedelta(days=60),
                                  guardian_id=khadija.id)
    await session.commit()

    batch = await letter_rules.prepare_letters(session, school_id, default_language="nl", now=clock.now(),
                                               valid_for=timedelta(days=60), everyone=True)
    assert sorted(letter.language for letter in batch.letters) == sorted(SUPPORTED_LANGUAGES)
    assert batch.fresh_links == 9
    # Without PUBLIC_URL there is no web page: no web link is issued or printed.
    assert batch.fresh_web_links == 0 and all(letter.web_link is None for letter in batch.letters)
    assert (await session.scalars(select(WebLink))).all() == []
    with caplog.at_level(logging.WARNING, logger="fpdf"):
        pdf = render_letters(batch, catalogs=Catalogs(), tz=TZ, school="De Regenboog", phone=PHONE,
                             bot_username=BOT)
    assert not [r for r in caplog.records if "missing" in r.getMessage()], "a glyph is missing from the fonts"

    read = pages(pdf)
    assert len(read) == 9
    # The letters come in the order of the class and the child's name, for handing them out.
    assert [letter.household for letter in batch.letters] == ["H01", "H06", "H02", "H07", "H04", "H05", "H03",
                                                              "H08", "H09"]
    dutch = Words("nl")
    for letter, (text, image) in zip(batch.letters, read):
        lang = letter.language
        assert lang == LANGUAGE_OF[letter.household]
        w, rtl = Words(lang), lang == "ar"
        where = f"{letter.household} ({lang})"
        # In the household's language ...
        assert found(w("Uitnodiging voor een huisbezoek"), text, rtl=rtl), where
        assert found(w("Kies zelf een moment"), text, rtl=rtl), where
        for name in CHILDREN[letter.household] + TEACHERS[letter.household]:
            assert found(name, text, rtl=rtl), f"{where}: {name}"
        for day in (PERIOD.first_day, PERIOD.last_day):
            assert found(w.day(day), text, rtl=rtl), f"{where}: {w.day(day)}"
        valid_until = format_date(clock.now().astimezone(TZ).date() + timedelta(days=60), format="long",
                                  locale=w.t.babel_locale)
        assert found(valid_until, text, rtl=rtl), f"{where}: {valid_until}"
        assert found(PHONE, text, rtl=False), where
        # ... with the Dutch text beneath it, unless it is Dutch (or Flemish) already.
        assert ("Nederlands" in text) == (lang not in ("nl", "nl_BE")), where
        if lang not in ("nl", "nl_BE"):
            assert found(dutch.day(PERIOD.first_day), text, rtl=False), where
            assert found(dutch("Kies zelf een moment"), text, rtl=False), where

        # The QR code, read from the picture, is the household's fresh link, printed beside it too;
        # the only code on the page (without PUBLIC_URL no web page, and no word of one).
        [code] = zxingcpp.read_barcodes(image)
        assert code.format == zxingcpp.BarcodeFormat.QRCode
        assert code.text == deep_link(BOT, letter.token)
        assert code.text in plain(text), where
        assert letter.guardian == LINK_FOR[letter.household]
        assert "/v/" not in text and not found(dutch(WEB_CAPTION), text, rtl=False), where

    # Arabic reads right to left: the title's first letter stands right of its last; a phone
    # number inside it still reads left to right.
    arabic = next(i for i, letter in enumerate(batch.letters) if letter.language == "ar")
    title = Words("ar")("Uitnodiging voor een huisbezoek")
    document = pdfium.PdfDocument(pdf)
    page = document[arabic]
    textpage = page.get_textpage()
    try:
        page_text = textpage.get_text_range()
        start = page_text.index(title[:5])
        assert textpage.get_charbox(start)[0] > textpage.get_charbox(start + len(title) - 1)[0]
        phone = re.search(r"\+31\W20\W123\W4567", page_text)
        lefts = [textpage.get_charbox(i)[0] for i in range(phone.start(), phone.end())
                 if not page_text[i].isspace()]
        assert len(lefts) == 12 and lefts == sorted(lefts)
    finally:
        textpage.close()
        page.close()
        document.close()

    # Each link works: following it links the guardian named on the letter; the old one is retired.
    for number, letter in enumerate(batch.letters):
        token = re.search(r"start=([A-Za-z0-9_-]+)", deep_link(BOT, letter.token)).group(1)
        result = await redeem(session, token,
                              school_id=await only_school(session),
                              telegram_user_id=9_200_000 + number, chat_id=9_200_000 + number,
                              telegram_language=None, now=clock.now())
        assert result.outcome == Redeemed.LINKED, letter.household
        linked = await session.get(Guardian, result.guardian_id, populate_existing=True)
        assert linked.name == LINK_FOR[letter.household] and linked.account_id is not None
    assert (await redeem(session, old_token,
                         school_id=await only_school(session),
                         telegram_user_id=9_300_000, chat_id=9_300_000, telegram_language=None,
                         now=clock.now())).outcome == Redeemed.REPLACED


def codes_on(image) -> list[tuple[str, int]]:
    """The QR codes on a page, from the top down: (text, top edge in pixels)."""
    found_codes = zxingcpp.read_barcodes(image)
    assert all(code.format == zxingcpp.BarcodeFormat.QRCode for code in found_codes)
    return sorted(((code.text, min(code.position.top_left.y, code.position.top_right.y)) for code in found_codes),
                  key=lambda pair: pair[1])


async def test_with_a_public_address_a_second_code_opens_the_households_web_page(session, clock, caplog):
    school_id = await school(session, clock)
    await send_invitations(session, await current_period(session, school_id), clock.now())  # so the pages open
    await link(session, "Katrin Müller", clock, 9_100_201)  # Stefan Müller still gets the Telegram link
    await link(session, "Emily Smith", clock, 9_100_202)  # the Smiths are all on Telegram: the web page only
    # An older web link of the El Amrani household, sent earlier: the letter's replaces it.
    el_amrani = await session.scalar(select(Household.id).where(Household.external_id == "H07"))
    old_web = (await web_links.issue(session, school_id, [el_amrani], clock.now()))[el_amrani]
    await session.commit()
    assert await web_links.find(session, old_web, clock.now()) is not None

    batch = await letter_rules.prepare_letters(session, school_id, default_language="nl", now=clock.now(),
                                               valid_for=timedelta(days=60), everyone=True,
                                               public_url=PUBLIC_URL + "/")
    assert batch.fresh_links == 8 and batch.fresh_web_links == 9  # every letter has the web page
    with caplog.at_level(logging.WARNING, logger="fpdf"):
        pdf = render_letters(batch, catalogs=Catalogs(), tz=TZ, school="De Regenboog", phone=PHONE,
                             bot_username=BOT)
    assert not [r for r in caplog.records if "missing" in r.getMessage()], "a glyph is missing from the fonts"
    read = pages(pdf)
    assert len(read) == 9  # still one A4 page each, in every language, with the Dutch text beneath
    dutch = Words("nl")
    for letter, (text, image) in zip(batch.letters, read):
        lang = letter.language
        w, rtl, where = Words(lang), lang == "ar", f"{letter.household} ({lang})"
        assert re.fullmatch(re.escape(PUBLIC_URL) + r"/v/[A-Za-z0-9_-]{32}", letter.web_link), where
        codes = [code for code, _ in codes_on(image)]
        if letter.household == "H03":  # nobody to link: only the web page's code
            assert letter.token is None and codes == [letter.web_link], where
            assert found(w("Jullie gebruiken Telegram al: de uitnodiging komt in jullie chat met de school."), text,
                         rtl=rtl), where
        else:  # the Telegram link's code first, the web page's below it
            assert codes == [deep_link(BOT, letter.token), letter.web_link], where
            assert deep_link(BOT, letter.token) in plain(text), where
        # The caption and the address written out, in the household's language and in the Dutch beneath.
        assert found(w(WEB_CAPTION), text, rtl=rtl), where
        assert letter.web_link in plain(text), where
        if lang not in ("nl", "nl_BE"):
            assert found(dutch(WEB_CAPTION), text, rtl=False), where
            assert plain(text).count(letter.web_link) == 2, where

        # The web link opens the household's page (it has an invitation in the open period).
        token = letter.web_link.rsplit("/", 1)[1]
        live = await web_links.find(session, token, clock.now())
        household = await session.get(Household, live.household_id)
        assert household.external_id == letter.household, where
        page = await family_page.open_page(session, token, clock.now(), "nl")
        assert page is not None and page.household_id == household.id, where
    # Nothing was pushed off the page: the last line, the signature (in Dutch where the Dutch text is
    # beneath), stands above the footer.
    document = pdfium.PdfDocument(pdf)
    try:
        for number, letter in enumerate(batch.letters):
            signature = Words(letter.language if letter.language in ("nl", "nl_BE") else "nl")(
                "de leerkrachten van {school}", school="De Regenboog")
            page = document[number]
            textpage = page.get_textpage()
            page_text = textpage.get_text_range()
            last = page_text.rindex(signature) + len(signature) - 1
            footer = page_text.index(f"{letter.household} · ")
            assert textpage.get_charbox(last)[1] > textpage.get_charbox(footer)[3] + 10, letter.household
            assert textpage.get_charbox(footer)[1] > 0, letter.household  # on the page (PDF points, from below)
            textpage.close()
            page.close()
    finally:
        document.close()
    # The El Amrani household's older web link no longer works.
    assert await web_links.find(session, old_web, clock.now()) is None
    assert await family_page.open_page(session, old_web, clock.now(), "nl") is None


async def test_which_households_get_a_letter(session, clock):
    school_id = await school(session, clock)
    await link(session, "Katrin Müller", clock, 9_100_101)
    await link(session, "Emily Smith", clock, 9_100_102)
    prepare = letter_rules.prepare_letters

    async def households(**selection) -> list[str]:
        batch = await prepare(session, school_id, default_language="nl", now=clock.now(),
                              valid_for=timedelta(days=60), **selection)
        return sorted(letter.household for letter in batch.letters)

    # Without Telegram: no guardian of the household is linked (Smith and Müller are).
    assert await households() == ["H01", "H02", "H04", "H06", "H07", "H08", "H09"]
    assert await households(everyone=True) == sorted(LANGUAGE_OF)
    groep_7 = await letter_rules.find_class(session, school_id, "groep  7")  # as people type it
    assert await households(class_id=groep_7) == ["H07", "H08", "H09"]  # El Amrani through Adam
    assert await households(household="H07") == ["H07"]
    assert await households(household="H05", everyone=True) == ["H05"]
    total, per_class = await letter_rules.households_waiting(session, school_id)
    assert (total, per_class[groep_7]) == (7, 3)

    for selection, code in [({"household": "H99"}, "unknown_household"),
                            ({"household": "H05"}, "nothing_to_print"), ({"class_id": 987_654}, "unknown_class")]:
        with pytest.raises(RuleError) as refused:
            await prepare(session, school_id, default_language="nl", now=clock.now(), valid_for=timedelta(days=60),
                          **selection)
        assert refused.value.code == code
    with pytest.raises(RuleError) as refused:
        await letter_rules.find_class(session, school_id, "Groep 9")
    assert refused.value.code == "unknown_class" and "'Groep 9'" in str(refused.value)
    assert "Groep 3, Groep 5, Groep 7" in str(refused.value)


async def test_a_household_its_teachers_have_heard_from_gets_no_letter(session, clock):
    """A visit agreed by phone, or a "not this year" at the door, is an answer: no letter for
    it, unless every teacher of the household has not heard from it yet (or with --all)."""
    school_id = await school(session, clock)
    await send_invitations(session, await current_period(session, school_id), clock.now())
    marieke = await session.scalar(select(Staff.id).where(Staff.name == "Marieke de Vries"))

    async def letter_for(household: str) -> int:
        return await session.scalar(select(Invitation.id).join(Household, Household.id == Invitation.household_id)
                                    .where(Household.external_id == household, Invitation.teacher_id == marieke))

    visit = await record_visit(session, await letter_for("H01"), marieke, clock.now() + timedelta(days=8), "home",
                               None, Channel.PHONE, clock.now(), any_time=True)
    assert visit.code == "confirmed"
    await record_decline(session, await letter_for("H07"), marieke, None, Channel.DOOR, clock.now())

    batch = await letter_rules.prepare_letters(session, school_id, default_language="nl", now=clock.now(),
                                               valid_for=timedelta(days=60))
    # H01 answered its only teacher; H07 answered Marieke, but Sanne (Adam's teacher) still waits.
    assert sorted(letter.household for letter in batch.letters) == ["H02", "H03", "H04", "H05", "H06", "H07",
                                                                   "H08", "H09"]
    total, _ = await letter_rules.households_waiting(session, school_id)
    assert total == 8
    everyone = await letter_rules.prepare_letters(session, school_id, default_language="nl", now=clock.now(),
                                                  valid_for=timedelta(days=60), everyone=True)
    assert "H01" in [letter.household for letter in everyone.letters]


async def test_a_household_without_guardians_or_language_reads_the_school_default(session, clock):
    school_id = await school(session, clock)
    # The Claes household's only guardian asked to be forgotten; Elif's guardian has no language we know.
    claes = await guardian(session, "An Claes")
    claes.active = False
    yilmaz = await guardian(session, "Ayşe Yılmaz")
    yilmaz.language = ""
    await session.commit()
    batch = await letter_rules.prepare_letters(session, school_id, default_language="en", now=clock.now(),
                                               valid_for=timedelta(days=60), everyone=True)
    by_household = {letter.household: letter for letter in batch.letters}
    assert by_household["H02"].language == "en" and by_household["H02"].token is None
    assert by_household["H06"].language == "en"
    assert by_household["H03"].language == "en"
    pdf = render_letters(batch, catalogs=Catalogs(), tz=TZ, school="De Regenboog", phone=None, bot_username=BOT)
    read = pages(pdf)
    english, dutch = Words("en"), Words("nl")
    assert "Nederlands" in read[[letter.household for letter in batch.letters].index("H02")][0]
    claes_text, claes_image = read[[letter.household for letter in batch.letters].index("H02")]
    # No link to print: no QR code, and how to get a link instead.
    assert zxingcpp.read_barcodes(claes_image) == []
    assert found(english("Wil je het via Telegram regelen? Vraag de leerkracht om een persoonlijke link."),
                 claes_text, rtl=False)
    # Without SCHOOL_PHONE the letter says to tell the teacher.
    tell = "Geen smartphone of geen Telegram? Zeg het tegen de leerkracht, dan maken we samen een afspraak."
    for letter, (text, _) in zip(batch.letters, read):
        assert found(Words(letter.language)(tell), text, rtl=letter.language == "ar"), letter.household
        assert found(dutch(tell), text, rtl=False), letter.household


async def test_no_letters_without_an_open_period(session, clock):
    school_id = await new_school(session, clock.now())
    await import_roster(session, school_id, ROSTER.encode(), default_language="nl", now=clock.now())
    with pytest.raises(RuleError) as refused:
        await letter_rules.prepare_letters(session, school_id, default_language="nl", now=clock.now(),
                                           valid_for=timedelta(days=60))
    assert refused.value.code == "no_period"
    assert (await session.scalars(select(InviteToken))).all() == []  # no link was issued
