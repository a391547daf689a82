"""The family's web page under load: `GET /v/<token>` (the invitation, rendered in the
household's language) for 600 households of a generated school, over real HTTP against
the web server, on SQLite and PostgreSQL.

- throughput: 8 clients one request after another, 2,000 requests, requests per second;
- latency: requests sent at a fixed 50 a second for 20 s (1,000), each timed from sending
  to the last byte; p50 and p99.

    python -m bench.pages [--no-postgres]
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from datetime import date, datetime, time as clock_time, timezone

import aiohttp
from aiohttp import web
from sqlalchemy import select

HOUSEHOLDS = 600
RATE = 50


async def _school(runtime, now: datetime) -> list[str]:
    """The generated school, a period with evenings, invitations out, a web link each."""
    from bot.services import web_links
    from bot.services.availability import add_window
    from bot.services.invitations import send_invitations
    from bot.services.periods import PeriodDraft, open_period
    from bot.services.roster import import_roster
    from db.models import Household, SchoolClass
    from tests.big_school import roster_csv

    async with runtime.sessionmaker() as session:
        await import_roster(session, runtime.school_id, roster_csv(HOUSEHOLDS), default_language="nl", now=now)
        period = await open_period(session, runtime.school_id,
                                   PeriodDraft("Huisbezoeken", date(2026, 11, 16), date(2026, 11, 27)), now)
        teachers = (await session.scalars(select(SchoolClass.teacher_id))).all()
        for teacher_id in teachers:
            for day in (16, 17, 18, 19, 23, 24):
                await add_window(session, period, teacher_id, date(2026, 11, day), clock_time(15), clock_time(20),
                                 runtime.settings.tz, now)
        await send_invitations(session, period, now)
        ids = (await session.scalars(select(Household.id).order_by(Household.id))).all()
        tokens = await web_links.issue(session, runtime.school_id, ids, now)
        await session.commit()
    return [f"/v/{tokens[i]}" for i in ids]


async def measure(backend: str, tmp: str) -> tuple[float, list[float]]:
    """Returns (requests per second, latencies in ms at RATE a second)."""
    from bench.run import fresh_database
    from bot.app import build_runtime
    from bot.clock import MovableClock
    from bot.config import Settings
    from bot.pages import add_pages
    from tests.web_setup import free_port

    url, drop = await fresh_database(backend, tmp)
    now = datetime(2026, 11, 10, 15, 0, tzinfo=timezone.utc)
    port = free_port()
    settings = Settings(bot_token="1:bench", database_url=url, school_name="De Regenboog",
                        public_url=f"http://127.0.0.1:{port}")
    runtime = await build_runtime(settings, MovableClock(now))
    app = web.Application()
    add_pages(app, runtime)
    runner = web.AppRunner(app, access_log=None)
    try:
        paths = await _school(runtime, now)
        # The limits per link and per address are the page's defence; here one address asks for all.
        from bot.pages import family
        app[family.BY_TOKEN].per_minute = app[family.BY_ADDRESS].per_minute = 10 ** 9
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        base = settings.public_url
        async with aiohttp.ClientSession() as http:
            async def fetch(path: str) -> float:
                started = time.perf_counter()
                async with http.get(base + path) as response:
                    await response.read()
                    assert response.status == 200, response.status
                return (time.perf_counter() - started) * 1000

            for path in paths[:50]:  # warm up
                await fetch(path)
            counter = iter(range(2000))

            async def client() -> None:
                for n in counter:
                    await fetch(paths[n % len(paths)])

            started = time.perf_counter()
            await asyncio.gather(*(client() for _ in range(8)))
            throughput = 2000 / (time.perf_counter() - started)

            latencies: list[float] = []
            tasks = []
            start = time.perf_counter()
            for n in range(RATE * 20):
                delay = start + n / RATE - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                tasks.append(asyncio.create_task(fetch(paths[(n * 7) % len(paths)])))
            latencies = sorted(await asyncio.gather(*tasks))
    finally:
        await runner.cleanup()
        await runtime.engine.dispose()
        drop()
    return throughput, latencies


async def run(backends: list[str], tmp: str, record) -> None:
    for backend in backends:
        throughput, latencies = await measure(backend, tmp)
        record("family's web page (GET /v/<token>, 600 households): requests per second, 8 clients", backend,
               f"{throughput:.0f} requests/s")
        record(f"family's web page at {RATE} requests/s: p50 / p99", backend,
               f"{statistics.median(latencies):.1f} ms / {latencies[int(len(latencies) * 0.99)]:.1f} ms",
               "p99 < 50 ms")


def main() -> int:
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()

    def show(what, backend, figure, target=""):
        print(f"{what} [{backend}]: {figure}" + (f"   (target {target})" if target else ""))

    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(run(["sqlite"] if args.no_postgres else ["sqlite", "postgresql"], tmp, show))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
