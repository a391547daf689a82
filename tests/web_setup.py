"""A bot under test with its web server (calendar feeds, personal pages) on a free port
of 127.0.0.1, that PUBLIC_URL names, for the modules whose tests open those pages; and
reading what it serves."""
from __future__ import annotations

import asyncio
import socket
import time
from contextlib import asynccontextmanager

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import select

from bot.clock import Clock, MovableClock
from bot.sandbox.api import BotAPIDouble
from bot.services import web_links
from bot.web import build_web_app
from db.models import Household
from db.session import make_engine
from tests.conftest import make_settings
from tests.databases import wipe
from tests.harness import BotUnderTest
from tests.messaging_setup import START


async def until_healthy(http: aiohttp.ClientSession, url: str, trouble, what: str, *, timeout: float = 30.0,
                        every: float = 0.05) -> None:
    """Wait until `url`/healthz answers 200; fails at once when `trouble()` says why the server
    cannot come up any more (its process ended), and after `timeout` with `what` did not come up."""
    deadline = time.monotonic() + timeout
    while True:
        problem = trouble()
        assert problem is None, problem
        try:
            async with http.get(f"{url}/healthz") as response:
                if response.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        assert time.monotonic() < deadline, f"{what} did not come up"
        await asyncio.sleep(every)


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


# A module's bot with its web server, the clock on START when the module begins (import these
# two fixtures into a test module to use them).
@pytest.fixture(scope="module")
def module_clock(database_url) -> MovableClock:
    return MovableClock(START)


@pytest.fixture(scope="module")
async def bot(request, double, database_url, module_clock):
    """With the settings the module names in BOT_SETTINGS (if any), as conftest's `bot`."""
    async with served_bot(double, database_url, module_clock, **getattr(request.module, "BOT_SETTINGS", {})) \
            as under_test:
        yield under_test


async def web_link(bot, household: str) -> str:
    """A fresh web link for the household (by its roster id), as the coordinator's tools issue it."""
    rt = bot.runtime
    async with rt.sessionmaker() as session:
        household_id = await session.scalar(select(Household.id).where(Household.external_id == household))
        token = (await web_links.issue(session, rt.school_id, [household_id], rt.clock.now()))[household_id]
        await session.commit()
    return web_links.web_url(rt.settings.public_url, token)


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
