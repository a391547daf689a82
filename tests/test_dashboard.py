"""The coordinator's dashboard: asked for in chat (/dashboard), opened in the browser with
a one-time login link, the same numbers as /coverage, the call lists per teacher, the
downloads, and a session that ends when the coordinator logs out."""
from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.handlers.guards import COORDINATOR
from bot.screens.coverage import row_text
from bot.services import periods
from bot.services.coverage import coverage
from db.models import AuditEntry
from tests.messaging_setup import MON, book, school
from tests.messaging_setup import NL as w
from tests.seed import staff_link
from tests.web_client import Browser
from tests.web_setup import bot, module_clock  # noqa: F401  (fixtures)

MARIEKE = "Marieke de Vries"
LOGIN = re.compile(r"http://127\.0\.0\.1:\d+/dashboard/login/[A-Za-z0-9_-]{32}")


@pytest.fixture(scope="module")
async def people(bot):
    people = await school(bot, [MARIEKE, "Jeroen Bakker"], ["Ingrid Visser"], [(MARIEKE, MON, "15:00", "20:00")])
    await book(people["ingrid"], MARIEKE, MON, "16:15")
    await bot.drain()
    wilma = bot.user("Wilma")
    await wilma.send(f"/start {await staff_link(bot.runtime, 'Wilma Hoekstra', role='coordinator', language='nl')}")
    people["wilma"] = wilma
    return people


@pytest.fixture
async def browser(bot):
    b = Browser(bot.runtime.settings.public_url)
    yield b
    await b.close()


async def login_link(wilma) -> str:
    [reply] = await wilma.send("/dashboard")
    return LOGIN.search(reply["text"]).group(0)


def table(page) -> dict[str, list[str]]:
    """The dashboard's rows: the first cell (the class) → the numbers."""
    rows = {}
    for row in re.findall(r"<tr(?: class=\"total\")?>\s*<th scope=\"row\">(.*?)</th>(.*?)</tr>", page.html, re.S):
        name, cells = row
        rows[name] = re.findall(r"<td>(\d+)</td>", cells)
    return rows


async def test_the_login_link_opens_the_dashboard_once(bot, people, browser):
    link = await login_link(people["wilma"])
    page = await browser.get(link)
    assert page.status == 200 and page.url.endswith("/dashboard")
    assert page.headers["Cache-Control"] == "no-store" and "script-src" not in page.headers["Content-Security-Policy"]
    cookie = next(c for c in browser.http.cookie_jar if c.key == "hv_dash")
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and cookie["path"] == "/dashboard"
    assert w("Per leerkracht:") in page.text

    other = Browser(bot.runtime.settings.public_url)
    try:
        again = await other.get(link)  # the same link once more, in another browser
        assert again.status == 404
        assert w("Deze inloglink werkt niet (meer)") in again.text
        assert (await other.get("/dashboard")).status == 401
    finally:
        await other.close()


async def test_the_dashboard_shows_the_numbers_of_coverage(bot, people, browser):
    await browser.get(await login_link(people["wilma"]))
    page = await browser.get("/dashboard")
    rt = bot.runtime
    async with rt.sessionmaker() as session:
        report = await coverage(session, rt.school_id, await periods.current_period(session, rt.school_id),
                                rt.clock.now(), rt.settings.hours_per_visit)
    shown = table(page)
    assert set(shown) == {w("Hele school"), *(row.name for row in report.classes)}
    for name, row in [(w("Hele school"), report.school), *((r.name, r) for r in report.classes)]:
        assert shown[name] == [str(n) for n in (row.households, row.linked, row.invited, row.booked, row.visited,
                                                row.declined, row.unreachable)]
    # The same as the coordinator reads in chat.
    [summary] = await people["wilma"].send("/coverage")
    assert row_text(w.t, report.school) in summary["text"]
    assert report.school.booked == 0 and report.school.households == 37  # Ingrid's visit is still a request
    # Each teacher's call list, counted.
    assert w.n("{count} gezin om te bellen", "{count} gezinnen om te bellen", 13) in page.text
    assert "<meter" in page.html and "Ingrid" not in page.html  # a bar per class, no family named


async def test_the_downloads_and_the_audit_log(bot, people, browser):
    await browser.get(await login_link(people["wilma"]))
    sheet = await browser.get("/dashboard/coverage.csv")
    assert sheet.status == 200 and sheet.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(sheet.html.lstrip("\ufeff"))))
    assert rows[0]["class"] == "Groep 3" and "reached_web" in rows[0]
    notes = await browser.get("/dashboard/notes.csv")
    assert notes.status == 200 and notes.html.lstrip("\ufeff").startswith("pupil_id,date,teacher")
    async with bot.runtime.sessionmaker() as session:
        exports = (await session.scalars(select(AuditEntry).where(AuditEntry.action == "notes_export"))).all()
    assert [e.actor.startswith("staff:") for e in exports] == [True]


async def test_logging_out_ends_the_session_and_a_late_link_fails(bot, people, browser):
    await browser.get(await login_link(people["wilma"]))
    page = await browser.get("/dashboard")
    out = await browser.submit(page.form(w("Uitloggen")))
    assert out.status == 401
    assert (await browser.get("/dashboard/coverage.csv")).status == 401

    link = await login_link(people["wilma"])
    bot.clock.advance(timedelta(minutes=11))
    assert (await browser.get(link)).status == 404


async def test_only_the_coordinator_gets_a_link(bot, people):
    [reply] = await people["marieke"].send("/dashboard")
    assert reply["text"] == w(COORDINATOR.refusal)
    assert not LOGIN.search(reply["text"])
