"""A bot under test with its web server (calendar feeds, personal pages) on a free port
of 127.0.0.1, that PUBLIC_URL names, for the modules whose tests open those pages; and
reading what it serves."""
from __future__ import annotations

import socket
from contextlib import asynccontextmanager

import aiohttp
from aiohttp import web

from bot.clock import Clock
from bot.sandbox.api import BotAPIDouble
from bot.web import build_web_app
from db.session import make_engine
from tests.conftest import make_settings
from tests.databases import wipe
from tests.harness import BotUnderTest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@asynccontextmanager
async def served_bot(double: BotAPIDouble, database_url: str, clock: Clock, **settings):
    """The bot on a freshly wiped database, and its web server at PUBLIC_URL."""
    engine = make_engine(database_url)
    await wipe(engine)
    await engine.dispose()
    port = free_port()
    under_test = BotUnderTest(double, make_settings(database_url, public_url=f"http://127.0.0.1:{port}", **settings),
                              clock)
    await under_test.start()
    runner = web.AppRunner(build_web_app(under_test.app, under_test.runtime))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield under_test
    finally:
        await runner.cleanup()
        await under_test.stop()


async def get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status, await response.text()


def fields(ics: str) -> dict[str, list[str]]:
    """An iCalendar text's fields by name (folded lines unfolded), each with its values."""
    found: dict[str, list[str]] = {}
    for line in ics.replace("\r\n ", "").split("\r\n"):
        key, _, value = line.partition(":")
        found.setdefault(key, []).append(value)
    return found
