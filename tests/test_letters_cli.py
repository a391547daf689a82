"""`homevisit letters`: which households get a page (those without Telegram, one class, one
household, or all), the fresh links it says it issued (and the old ones it retired), the
web page's code beside the Telegram one with PUBLIC_URL, and the one-line refusals that
write no file and issue no link. On SQLite and PostgreSQL."""
from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta, timezone

import pypdfium2 as pdfium
import pytest
import zxingcpp
from sqlalchemy import func, select

from bot.services import family_page, web_links
from bot.services.invitations import send_invitations
from bot.services.periods import current_period
from bot.services.personal_links import Redeemed, issue_token, redeem
from db.models import Household, InviteToken, WebLink
from tests.seed import EXAMPLE_ROSTER, only_school
from tests.test_letters import codes_on, pages, plain
from tests.visit_setup import (
    guardian,
    household_id,
    link_guardian,
    load_roster,
    new_school,
    open_autumn,
)

LINKED = ("Anouk Jansen", "Emily Smith", "Katrin Müller")  # H001 (three classes), H011 (alone), H010 (not Stefan)
LINK = re.compile(r"https://t\.me/regenboog_test_bot\?start=([A-Za-z0-9_-]{32})")
PUBLIC_URL = "https://huisbezoek.example.nl"
WEB = re.compile(re.escape(PUBLIC_URL) + r"/v/([A-Za-z0-9_-]{32})")
NO_WEB = "No web links on the letters: set PUBLIC_URL to give families without Telegram a web page."


def roster() -> tuple[dict[str, set[str]], dict[str, set[str]], dict[str, set[str]]]:
    """class -> households, household -> guardians, household -> pupils, from the example file."""
    classes: dict[str, set[str]] = {}
    guardians: dict[str, set[str]] = {}
    pupils: dict[str, set[str]] = {}
    for row in csv.DictReader(io.StringIO(EXAMPLE_ROSTER.read_text(encoding="utf-8"))):
        classes.setdefault(row["class"], set()).add(row["household_id"])
        guardians.setdefault(row["household_id"], set()).add(row["guardian_name"])
        pupils.setdefault(row["household_id"], set()).add(row["pupil_name"])
    return classes, guardians, pupils


CLASSES, GUARDIANS, PUPILS = roster()
ON_TELEGRAM = {h for h, names in GUARDIANS.items() if names & set(LINKED)}
FULLY_LINKED = {h for h, names in GUARDIANS.items() if names <= set(LINKED)}


@pytest.fixture
async def school(engine, database_url, session, clock):
    """The example school, three families on Telegram, the autumn period open."""
    school_id = await new_school(session, clock.now())
    await load_roster(session, school_id, clock.now())
    for name in LINKED:
        await link_guardian(session, name, clock.now())
    await open_autumn(session, school_id, clock.now())
    return school_id


async def live_tokens(session) -> int:
    return await session.scalar(select(func.count()).select_from(InviteToken).where(
        InviteToken.used_at.is_(None), InviteToken.replaced_at.is_(None)).execution_options(populate_existing=True))


def texts_of(pdf: bytes) -> list[tuple[str, None]]:
    """(text, None) per page: what `pages` reads, without the images where no code is read."""
    document = pdfium.PdfDocument(pdf)
    try:
        result = []
        for page in document:
            textpage = page.get_textpage()
            result.append((textpage.get_text_range(), None))
            textpage.close()
            page.close()
        return result
    finally:
        document.close()


def households_on(read: list[tuple[str, object]]) -> list[str]:
    """The household id in each page's footer."""
    return [re.search(r"\b(H\d{3}) · ", text).group(1) for text, _ in read]


async def test_households_without_telegram_one_class_one_household_or_all(school, cli, database_url, session,
                                                                            tmp_path):
    out = tmp_path / "letters.pdf"
    ran = await cli(database_url, "letters", "--output", str(out))
    assert ran.code == 0, ran.err
    read = texts_of(out.read_bytes())
    expected = sorted(set(GUARDIANS) - ON_TELEGRAM)
    assert sorted(households_on(read)) == expected and len(read) == len(expected) == 34
    assert ran.out.splitlines() == [
        f"34 letters written to {out} (one A4 page per household)",
        "34 fresh links, each working once for 60 days; older unused links of these guardians no longer work"]
    assert NO_WEB in ran.err.splitlines()  # without PUBLIC_URL: no web page, and the coordinator is told how
    assert await live_tokens(session) == 34
    assert await session.scalar(select(func.count()).select_from(WebLink)) == 0

    # One class: its households without Telegram (Jansen and Müller have it), all their children named.
    ran = await cli(database_url, "letters", "--class", "Groep 5", "--output", str(out))
    assert ran.code == 0, ran.err
    read = texts_of(out.read_bytes())
    assert sorted(households_on(read)) == sorted(CLASSES["Groep 5"] - ON_TELEGRAM)
    for household, (text, _) in zip(households_on(read), read):
        for pupil in PUPILS[household]:
            assert pupil in plain(text), (household, pupil)
    assert ran.out.splitlines()[1].startswith(f"{len(read)} fresh links")
    assert await live_tokens(session) == 34  # the class's guardians got new ones, the old ones were retired

    # With --all also the households on Telegram; one whose every guardian is on it gets no link.
    ran = await cli(database_url, "letters", "--all", "--output", str(out))
    assert ran.code == 0, ran.err
    assert sorted(households_on(texts_of(out.read_bytes()))) == sorted(GUARDIANS)
    fresh = len(GUARDIANS) - len(FULLY_LINKED)
    assert ran.out.splitlines() == [
        f"{len(GUARDIANS)} letters written to {out} (one A4 page per household)",
        f"{fresh} fresh links, each working once for 60 days; older unused links of these guardians no longer work"]

    ran = await cli(database_url, "letters", "--household", "H001", "--all", "--output", str(out))
    assert ran.code == 0, ran.err
    [(text, image)] = pages(out.read_bytes())
    assert all(pupil in plain(text) for pupil in ("Emma Jansen", "Lucas Jansen", "Noor Jansen"))
    assert all(teacher in plain(text) for teacher in ("Marieke de Vries", "Jeroen Bakker", "Sanne Vermeulen"))
    [code] = zxingcpp.read_barcodes(image)
    token = LINK.fullmatch(code.text).group(1)
    mark = await guardian(session, "Mark Jansen")  # Anouk is on Telegram: the link is her partner's
    result = await redeem(session, token,
                          school_id=await only_school(session),
                          telegram_user_id=8_100_001, chat_id=8_100_001, telegram_language=None,
                          now=datetime.now(timezone.utc))
    assert result.outcome == Redeemed.LINKED and result.guardian_id == mark.id


async def test_one_household_and_its_old_link(school, cli, database_url, session, clock, tmp_path):
    khadija = await guardian(session, "Khadija El Amrani")
    old = await issue_token(session, now=clock.now(), valid_for=timedelta(days=60),
                            guardian_id=khadija.id)
    await session.commit()
    out = tmp_path / "el-amrani.pdf"
    ran = await cli(database_url, "letters", "--household", "H003", "--output", str(out))
    assert ran.code == 0, ran.err
    assert ran.out.splitlines() == [
        f"1 letter written to {out} (one A4 page per household)",
        "1 fresh link, each working once for 60 days; older unused links of these guardians no longer work"]
    [(text, image)] = pages(out.read_bytes())
    assert "Yasmine El Amrani" in plain(text) and "Adam El Amrani" in plain(text)
    [code] = zxingcpp.read_barcodes(image)
    assert LINK.fullmatch(code.text)
    # The old link no longer works; the printed one does.
    now = datetime.now(timezone.utc)  # the command line runs on the real clock
    assert (await redeem(session, old,
                         school_id=await only_school(session),
                         telegram_user_id=8_200_001, chat_id=8_200_001, telegram_language=None,
                         now=now)).outcome == Redeemed.REPLACED
    result = await redeem(session, LINK.fullmatch(code.text).group(1),
                          school_id=await only_school(session), telegram_user_id=8_200_002,
                          chat_id=8_200_002, telegram_language=None, now=now)
    assert result.outcome == Redeemed.LINKED and result.guardian_id == khadija.id


async def test_with_public_url_each_letter_opens_the_households_web_page_too(school, cli, database_url, session,
                                                                            clock, tmp_path):
    await send_invitations(session, await current_period(session, school), clock.now())  # so the pages open
    # An older web link of the El Amrani household (H003, Groep 3 and 5): printing replaces it.
    el_amrani = await household_id(session, "H003")
    old = (await web_links.issue(session, school, [el_amrani], clock.now()))[el_amrani]
    await session.commit()
    out = tmp_path / "groep-5.pdf"
    ran = await cli(database_url, "letters", "--class", "Groep 5", "--output", str(out), PUBLIC_URL=PUBLIC_URL)
    assert ran.code == 0, ran.err
    read = pages(out.read_bytes())
    households = households_on(read)
    count = len(read)
    assert sorted(households) == sorted(CLASSES["Groep 5"] - ON_TELEGRAM) and "H003" in households
    assert ran.out.splitlines() == [
        f"{count} letters written to {out} (one A4 page per household)",
        f"{count} fresh links, each working once for 60 days; older unused links of these guardians no longer work",
        (f"{count} fresh web links, one per household, to its page for families without Telegram; older web links "
         "of these households no longer work")]
    assert NO_WEB not in ran.err

    now = datetime.now(timezone.utc)  # the command line runs on the real clock
    for household, (text, image) in zip(households, read):
        # Two codes on each page: the Telegram link, and below it the household's web page.
        [(telegram, _), (web, _)] = codes_on(image)
        assert LINK.fullmatch(telegram) and telegram in plain(text), household
        token = WEB.fullmatch(web).group(1)
        assert web in plain(text), household
        live = await web_links.find(session, token, now)
        assert (await session.get(Household, live.household_id)).external_id == household
        assert await family_page.open_page(session, token, now, "nl") is not None, household
    assert await web_links.find(session, old, now) is None  # the older web link no longer works

    # One household, all its guardians on Telegram (--all): the web page's code alone.
    ran = await cli(database_url, "letters", "--household", "H011", "--all", "--output", str(out),
                    PUBLIC_URL=PUBLIC_URL + "/")
    assert ran.code == 0, ran.err
    assert ran.out.splitlines()[1:] == [
        "0 fresh links, each working once for 60 days; older unused links of these guardians no longer work",
        ("1 fresh web link, one per household, to its page for families without Telegram; older web links of this "
         "household no longer work")]
    [(text, image)] = pages(out.read_bytes())
    [(web, _)] = codes_on(image)
    assert WEB.fullmatch(web) and web in plain(text)


async def test_the_school_phone_is_on_the_letter(school, cli, database_url, tmp_path):
    out = tmp_path / "letters.pdf"
    ran = await cli(database_url, "letters", "--household", "H020", "--output", str(out),
                    SCHOOL_PHONE="+31 20 555 01 01")
    assert ran.code == 0, ran.err
    [(text, _)] = texts_of(out.read_bytes())
    assert "bel de school: +31 20 555 01 01." in plain(text)


@pytest.mark.parametrize("args, message", [
    (("--class", "Groep 9"), ("homevisit: no class named 'Groep 9' (the classes: Groep 3, Groep 5, Groep 7); "
                              "no letters were written")),
    (("--household", "H999"), "homevisit: no household 'H999' with a pupil on the roster; no letters were written"),
    (("--household", "H003", "--class", "Groep 7"), ("homevisit: household 'H003' has no pupil in that class; "
                                                     "no letters were written")),
    (("--household", "H011"), ("homevisit: every household asked for has linked Telegram or answered already "
                               "(add --all to print their letters anyway); no letters were written")),
])
async def test_unknown_class_or_household_is_one_line_and_no_file(school, cli, database_url, session, tmp_path,
                                                                   args, message):
    before = await live_tokens(session)
    out = tmp_path / "letters.pdf"
    ran = await cli(database_url, "letters", *args, "--output", str(out))
    assert (ran.code, ran.err.strip(), ran.out) == (1, message, "")
    assert not out.exists()
    assert await live_tokens(session) == before


async def test_no_open_period_no_fonts_or_no_place_to_write(engine, database_url, session, clock, cli, tmp_path,
                                                             monkeypatch):
    school_id = await new_school(session, clock.now())
    await load_roster(session, school_id, clock.now())
    out = tmp_path / "letters.pdf"
    ran = await cli(database_url, "letters", "--output", str(out))
    assert (ran.code, ran.err.strip()) == (1, ("homevisit: no visit period is open; open one with "
                                               "`homevisit open-period`; no letters were written"))
    await open_autumn(session, school_id, clock.now())

    ran = await cli(database_url, "letters", "--output", str(tmp_path / "missing" / "letters.pdf"))
    missing = tmp_path / "missing"
    assert (ran.code, ran.err.strip()) == (1, (f"homevisit: cannot write {missing / 'letters.pdf'}: "
                                               f"the directory {missing} does not exist"))

    import bot.documents.letters as documents

    monkeypatch.setattr(documents, "FONT_DIRS", (tmp_path / "no-fonts",))
    ran = await cli(database_url, "letters", "--output", str(out))
    assert ran.code == 1 and len(ran.err.strip().splitlines()) == 1
    assert "install Debian's fonts-noto-core package (apt-get install fonts-noto-core)" in ran.err
    assert not out.exists()
    assert await live_tokens(session) == 0  # nothing was issued by any of these


async def test_letters_has_help(cli, database_url):
    ran = await cli(database_url, "letters", "--help")
    assert ran.code == 0
    for option in ("--class", "--household", "--all", "--output"):
        assert option in ran.out
