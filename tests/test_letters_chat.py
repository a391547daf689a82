"""/letters in chat, over the Bot API sandbox with the real bot and its web server (PUBLIC_URL):
the coordinator picks a class or every household without Telegram and gets the PDF as a
document (made in a thread, beside the event loop); a parent follows the QR code of her
letter and is linked, and the second code opens her household's web page. Nobody else may
ask, a forged button changes nothing, and missing fonts are said plainly. On SQLite and
PostgreSQL."""
from __future__ import annotations

import asyncio
import re
import threading

import pytest
from sqlalchemy import func, select

import bot.documents.letters as documents
from bot.screens.letters import LETTERS_FOR
from bot.services import web_links
from bot.services.invitations import send_invitations
from bot.services.periods import current_period
from db.models import Household, InviteToken
from tests.seed import (
    account_of_guardian,
    guardian_link,
    load_example_roster,
    staff_link,
)
from tests.test_letters import codes_on, pages, plain
from tests.test_letters_cli import CLASSES, GUARDIANS
from tests.visit_setup import MARIEKE, open_autumn
from tests.web_setup import get, served_bot
from tests.words import Words

ON_TELEGRAM = {"H011", "H010"}  # Emily Smith, Katrin Müller
LINK = re.compile(r"https://t\.me/homevisit_test_bot\?start=([A-Za-z0-9_-]{32})")


@pytest.fixture(scope="module")
async def bot(double, database_url, module_clock):
    """The bot with its web server, so that the letters carry the households' web pages."""
    async with served_bot(double, database_url, module_clock) as under_test:
        yield under_test


async def issue_web_link(rt, household: str) -> str:
    async with rt.sessionmaker() as session:
        household_id = await session.scalar(select(Household.id).where(Household.external_id == household))
        token = (await web_links.issue(session, rt.school_id, [household_id], rt.clock.now()))[household_id]
        await session.commit()
    return web_links.web_url(rt.settings.public_url, token)


def document_of(user) -> tuple[dict, bytes]:
    message = [m for m in user.messages() if "document" in m][-1]
    return message, user.bot.double.documents[(user.id, message["message_id"])]


async def test_the_coordinator_prints_the_letters_of_a_class_and_a_parent_follows_hers(bot, monkeypatch):
    rt = bot.runtime
    await load_example_roster(rt)
    for name, language in (("Emily Smith", "en"), ("Katrin Müller", "de")):  # they open their links
        await bot.user(name.split()[0], language_code=language).send(f"/start {await guardian_link(rt, name)}")
    w = Words("nl")
    wilma = bot.user("Wilma")
    await wilma.send(f"/start {await staff_link(rt, 'Wilma Hoekstra', role='coordinator', language='nl')}")
    [help_text] = await wilma.send("/help")
    assert "/letters – " + w("Brieven voor gezinnen zonder Telegram") in help_text["text"]

    [refused] = await wilma.send("/letters")
    assert refused["text"] == w("Open eerst een bezoekperiode met /period.")

    async with rt.sessionmaker() as session:
        await open_autumn(session, rt.school_id, rt.clock.now())
    old_web = await issue_web_link(rt, "H003")  # the El Amrani household's web page, sent to it earlier
    [menu] = await wilma.send("/letters")
    without = len(GUARDIANS) - len(ON_TELEGRAM)
    assert w.n("{count} gezin zonder Telegram heeft nog niet geantwoord.",
               "{count} gezinnen zonder Telegram hebben nog niet geantwoord.", without) in menu["text"]
    groep_5 = sorted(CLASSES["Groep 5"] - ON_TELEGRAM)
    assert [label for label, _ in wilma.buttons(menu)] == [
        "📄 " + w("Alle gezinnen zonder Telegram"),
        f"📄 Groep 3 ({len(CLASSES['Groep 3'] - ON_TELEGRAM)})", f"📄 Groep 5 ({len(groep_5)})",
        f"📄 Groep 7 ({len(CLASSES['Groep 7'] - ON_TELEGRAM)})"]

    # The PDF is made in a worker thread, not on the bot's event loop.
    rendered_in = []
    render = documents.render_letters

    def watched(*args, **kwargs):
        try:
            asyncio.get_running_loop()
            rendered_in.append("the event loop")
        except RuntimeError:
            rendered_in.append(threading.current_thread().name)
        return render(*args, **kwargs)

    monkeypatch.setattr(documents, "render_letters", watched)
    _, groep_5_data = wilma.find_button(f"Groep 5 ({len(groep_5)})", message=menu)
    await wilma.press(groep_5_data, message=menu)
    assert len(rendered_in) == 1 and rendered_in[0] not in ("the event loop", threading.main_thread().name)
    message, pdf = document_of(wilma)
    # A second tap on the same menu prints nothing (it would retire the links just printed).
    async with rt.sessionmaker() as session:
        tokens = await session.scalar(select(func.count()).select_from(InviteToken))
    answer = await wilma.press(groep_5_data, message=menu)
    assert answer["text"] == w("Deze knop werkt niet meer. Kijk bij /help wat je kunt doen.")
    assert document_of(wilma)[0] == message and len(rendered_in) == 1
    async with rt.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(InviteToken)) == tokens
    assert message["document"]["file_name"] == "huisbezoek-brieven.pdf"
    assert message["caption"] == "\n".join([
        w.n("📄 {count} brief om te printen: één A4 per gezin.", "📄 {count} brieven om te printen: één A4 per gezin.",
            len(groep_5)),
        w.n("{count} nieuwe link; oudere ongebruikte links van deze ouders werken niet meer.",
            "{count} nieuwe links; oudere ongebruikte links van deze ouders werken niet meer.", len(groep_5)),
        w.n("{count} nieuwe link naar de webpagina van het gezin; de oudere werkt niet meer.",
            "{count} nieuwe links naar de webpagina's van de gezinnen; de oudere werken niet meer.", len(groep_5))])
    assert wilma.bot.double.chats[wilma.id].messages[menu["message_id"]]["text"] == "✅ " + w(
        "De brieven staan hieronder.")
    read = pages(pdf)
    households = [re.search(r"\b(H\d{3}) · ", text).group(1) for text, _ in read]
    assert sorted(households) == groep_5

    # Every letter has two codes: the Telegram link, and below it the household's web page.
    web_link = re.compile(re.escape(rt.settings.public_url) + r"/v/[A-Za-z0-9_-]{32}")
    for household, (text, image) in zip(households, read):
        [(telegram, _), (web, _)] = codes_on(image)
        assert LINK.fullmatch(telegram) and web_link.fullmatch(web), household
        assert telegram in plain(text) and web in plain(text), household

    # Khadija El Amrani (H003): the second code on her letter opens her household's page (once the
    # invitations are out); the page sent earlier no longer does.
    text, image = read[households.index("H003")]
    assert "Yasmine El Amrani" in plain(text) and "Adam El Amrani" in plain(text)
    [(telegram, _), (web, _)] = codes_on(image)
    async with rt.sessionmaker() as session:
        await send_invitations(session, await current_period(session, rt.school_id), rt.clock.now())
    await bot.drain()
    status, page = await get(web)
    assert status == 200 and "Yasmine El Amrani" in page
    assert (await get(old_web))[0] == 404
    # She scans the first code and is linked.
    token = LINK.fullmatch(telegram).group(1)
    khadija = bot.user("Khadija", language_code="ar")
    assert await account_of_guardian(rt, "Khadija El Amrani") is None
    await khadija.send(f"/start {token}")
    assert await account_of_guardian(rt, "Khadija El Amrani") is not None

    # Every household without Telegram, now without the El Amrani household.
    [menu] = await wilma.send("/letters")
    await wilma.click(w("Alle gezinnen zonder Telegram"), message=menu)
    _, pdf = document_of(wilma)
    assert len(pages(pdf)) == without - 1


async def test_only_the_coordinator_and_only_with_fonts(bot, monkeypatch, tmp_path):
    rt = bot.runtime
    w = Words("nl")
    marieke = bot.user("Marieke")
    await marieke.send(f"/start {await staff_link(rt, MARIEKE)}")
    [refused] = await marieke.send("/letters")
    assert refused["text"] == w("Dit is voor de coördinator. Kijk bij /help wat je kunt doen.")
    stranger = bot.user("Iemand")
    [refused] = await stranger.send("/letters")
    assert refused["text"] == w("Dit is voor de coördinator. Kijk bij /help wat je kunt doen.")
    await load_example_roster(rt)  # (as the test above left it, when run on its own)
    async with rt.sessionmaker() as session:
        if await current_period(session, rt.school_id) is None:
            await open_autumn(session, rt.school_id, rt.clock.now())

    wilma = bot.user("Wilma")
    await wilma.send(f"/start {await staff_link(rt, 'Wilma Hoekstra', role='coordinator', language='nl')}")
    [menu] = await wilma.send("/letters")
    documents_before = len(bot.double.documents)
    async with rt.sessionmaker() as session:
        tokens_before = await session.scalar(select(func.count()).select_from(InviteToken))

    # A forged button for a class of no school: refused, nothing printed.
    answer = await wilma.press(LETTERS_FOR.data(987_654), message=menu)
    assert answer["text"] == w("Deze knop werkt niet meer. Kijk bij /help wat je kunt doen.")

    # The fonts are gone from the server: the coordinator is told, nothing is issued.
    monkeypatch.setattr(documents, "FONT_DIRS", (tmp_path / "no-fonts",))
    [menu] = await wilma.send("/letters")
    await wilma.click(w("Alle gezinnen zonder Telegram"), message=menu)
    assert wilma.last_text() == w("De brieven kunnen nu niet gemaakt worden: op de server ontbreken de lettertypen "
                                  "(het pakket fonts-noto-core). Vraag de beheerder om ze te installeren.")
    assert len(bot.double.documents) == documents_before
    async with rt.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(InviteToken)) == tokens_before
