"""Peak resident memory with 10,000 households: run in a process of its own."""
from __future__ import annotations

import gc
from datetime import date, datetime, timezone


async def main(tmp: str) -> float:
    from bot.clock import MovableClock
    from bot.config import Settings
    from bot.sandbox.api import BotAPIDouble
    from bot.sandbox.players import BotUnderTest
    from bot.services.coverage import coverage
    from bot.services.invitations import send_invitations
    from bot.services.periods import PeriodDraft, open_period
    from bot.services.roster import import_roster
    from db.migrate import upgrade_to_head_async
    from tests.big_school import roster_csv

    url = f"sqlite+aiosqlite:///{tmp}/memory.db"
    await upgrade_to_head_async(url)
    api = BotAPIDouble()
    await api.start()
    clock = MovableClock(datetime(2026, 11, 10, 9, 0, tzinfo=timezone.utc))
    settings = Settings(bot_token=api.token, telegram_api_url=api.url, database_url=url)
    bot = BotUnderTest(api, settings, clock)
    await bot.start()
    rt = bot.runtime
    # Each step in a session of its own, as the commands and handlers that do them in
    # production have (import-roster, /period, /invite, /coverage).
    async with rt.sessionmaker() as session:
        await import_roster(session, rt.school_id, roster_csv(10_000), default_language="nl", now=clock.now())
    async with rt.sessionmaker() as session:
        period = await open_period(session, rt.school_id, PeriodDraft("P", date(2026, 11, 16), date(2026, 11, 27)),
                                   clock.now())
    async with rt.sessionmaker() as session:
        await send_invitations(session, period, clock.now())
    async with rt.sessionmaker() as session:
        await coverage(session, rt.school_id, period, clock.now())
    gc.collect()
    steady = _rss_mb()
    await bot.stop()
    await api.stop()
    return f"{steady:.0f} {_status_mb('VmHWM'):.0f}"


def _rss_mb() -> float:
    return _status_mb("VmRSS")


def _status_mb(field: str) -> float:
    """From /proc/self/status. (Not getrusage's ru_maxrss: Linux carries that over from
    the parent across exec, so a child of the benchmark would report the parent's peak.)"""
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0
