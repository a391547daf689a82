"""homevisit benchmarks: `python -m bench` prints a table and writes BENCHMARKS.md.

Everything runs on this machine against the local Bot API sandbox (bot/sandbox),
over real HTTP on 127.0.0.1, with the real python-telegram-bot Application.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import insert, select, text


ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.clock import MovableClock  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.sandbox.api import BotAPIDouble  # noqa: E402
from bot.sandbox.players import BotUnderTest  # noqa: E402
from db.migrate import upgrade_to_head_async  # noqa: E402

USERS = 200
UPDATES = 2000
RATE = 100  # updates a second, for the latency run
RESULTS: list[tuple[str, str, str, str]] = []  # (what, backend, figure, target)
PENDING_DROPS: list[str] = []  # PostgreSQL databases to drop once the event loop is done


def record(what: str, backend: str, figure: str, target: str = "") -> None:
    RESULTS.append((what, backend, figure, target))
    print(f"  {what} [{backend}]: {figure}" + (f"   (target {target})" if target else ""), flush=True)


# -- databases -------------------------------------------------------------------------

async def fresh_database(backend: str, tmp: str) -> tuple[str, callable]:
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp}/bench-{time.monotonic_ns()}.db"
        await upgrade_to_head_async(url)
        return url, (lambda: None)
    from tests.databases import create_pg_database

    url = await asyncio.to_thread(create_pg_database)
    await upgrade_to_head_async(url)
    return url, (lambda: PENDING_DROPS.append(url))


def settings_for(api: BotAPIDouble, url: str, **extra) -> Settings:
    values = dict(bot_token=api.token, telegram_api_url=api.url, database_url=url, school_name="De Regenboog",
                  outbox_rate=10_000.0, outbox_chat_seconds=0.0)
    values.update(extra)
    return Settings(**values)


# -- 1. throughput: bare echo against the full bot -----------------------------------------

def _message(user_id: int, text: str, n: int) -> dict:
    return {"message": {"message_id": n, "date": 0, "text": text, "chat": {"id": user_id, "type": "private"},
                        "from": {"id": user_id, "is_bot": False, "first_name": "U", "language_code": "nl"}}}


ROUNDS = 3  # each throughput figure is the median of this many runs: this machine is noisy


async def _drain_run(api: BotAPIDouble, payloads: list[dict], done_count, expected: int) -> tuple[float, float]:
    """Queue every payload, wait until the bot handled them all: (updates/s, CPU ms per update)."""
    started, cpu_started = time.perf_counter(), time.process_time()
    for payload in payloads:
        api.push_update(payload)
    while done_count() < expected:
        await asyncio.sleep(0.005)
    took = time.perf_counter() - started
    return len(payloads) / took, (time.process_time() - cpu_started) * 1000 / len(payloads)


def _median_run(runs: list[tuple[float, float]]) -> tuple[float, float]:
    return sorted(runs)[len(runs) // 2]


async def echo_throughput(transport: str = "httpx") -> tuple[float, float]:
    """A bare python-telegram-bot echo bot: PTB's defaults (httpx), or our aiohttp transport."""
    from telegram.ext import ApplicationBuilder, MessageHandler, filters

    from bot.transport import AiohttpRequest

    api = BotAPIDouble()
    await api.start()
    done = 0

    async def echo(update, context) -> None:
        nonlocal done
        await update.effective_message.reply_text(update.effective_message.text)
        done += 1

    builder = ApplicationBuilder().token(api.token).base_url(api.url + "/bot")
    if transport == "aiohttp":
        builder = builder.request(AiohttpRequest()).get_updates_request(AiohttpRequest(connection_pool_size=1))
    app = builder.build()
    app.add_handler(MessageHandler(filters.TEXT, echo))
    await app.initialize()
    await app.updater.start_polling(poll_interval=0, timeout=5)
    await app.start()
    runs = []
    for round_ in range(ROUNDS):
        payloads = [_message(1_000 + i % USERS, f"hallo {i}", i) for i in range(UPDATES)]
        before = done
        runs.append(await _drain_run(api, payloads, lambda: done - before, UPDATES))
    api.release_polls()
    await app.updater.stop()
    await app.stop()
    await app.shutdown()
    await api.stop()
    return _median_run(runs)


async def full_bot(backend: str, tmp: str):
    """A started bot with USERS linked guardians, each with a message showing the language menu."""
    from bot.services.personal_links import issue_token, redeem
    from bot.services.roster import import_roster
    from db.models import Guardian
    from tests.big_school import roster_csv

    url, drop = await fresh_database(backend, tmp)
    api = BotAPIDouble()
    await api.start()
    clock = MovableClock(datetime.now(timezone.utc))
    bot = BotUnderTest(api, settings_for(api, url), clock)
    await bot.start()
    rt = bot.runtime
    async with rt.sessionmaker() as session:
        await import_roster(session, rt.school_id, roster_csv(USERS), default_language="nl", now=clock.now())
        guardians = (await session.scalars(select(Guardian).order_by(Guardian.id))).all()
        for n, guardian in enumerate(guardians):
            token = await issue_token(session, now=clock.now(),
                                      valid_for=timedelta(days=1), guardian_id=guardian.id)
            await session.commit()
            await redeem(session, token, school_id=rt.school_id, telegram_user_id=1_000 + n, chat_id=1_000 + n,
                         telegram_language="nl",
                         now=clock.now())
    menus = {}
    for n in range(USERS):
        user = bot.user("U", user_id=1_000 + n)
        await user.send("/language")
        menus[user.id] = user.latest()
    return bot, api, menus, drop


def _press(user_id: int, message: dict, lang: str, n: int) -> dict:
    return {"callback_query": {"id": f"b{n}", "chat_instance": "c", "data": f"v2:language:{lang}", "message": message,
                               "from": {"id": user_id, "is_bot": False, "first_name": "U", "language_code": "nl"}}}


async def bot_throughput(backend: str, tmp: str) -> tuple[tuple[float, float], list[float]]:
    bot, api, menus, drop = await full_bot(backend, tmp)
    done = {"n": 0}
    bot.app.update_done_listeners.append(lambda _id: done.__setitem__("n", done["n"] + 1))
    users = list(menus)
    runs = []
    for round_ in range(ROUNDS):
        # Each press switches the person's language (English, Dutch, English, ...), so
        # every one writes, and every one also updates that person's command menu.
        payloads = [_press(users[i % USERS], menus[users[i % USERS]], ("en", "nl")[(i // USERS + round_) % 2],
                           round_ * UPDATES + i) for i in range(UPDATES)]
        before = done["n"]
        runs.append(await _drain_run(api, payloads, lambda: done["n"] - before, UPDATES))
    throughput = _median_run(runs)

    # Latency at a fixed rate: push RATE updates a second, time each to the end of its handling.
    pushed: dict[int, float] = {}
    finished: dict[int, float] = {}
    bot.app.update_done_listeners.append(lambda update_id: finished.setdefault(update_id, time.perf_counter()))
    count = RATE * 10
    start = time.perf_counter()
    for i in range(count):
        due = start + i / RATE
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        user = users[i % USERS]
        update_id = api.push_update(_press(user, menus[user], ("en", "nl")[i % 2], 10_000 + i))
        pushed[update_id] = time.perf_counter()
    while len([u for u in pushed if u in finished]) < count:
        await asyncio.sleep(0.01)
    latencies = sorted((finished[u] - pushed[u]) * 1000 for u in pushed)
    await bot.stop()
    await api.stop()
    drop()
    return throughput, latencies


# -- 3. broadcast to 2,000 chats under Telegram's limits -----------------------------------

async def broadcast(tmp: str, households: int = 2000) -> None:
    from collections import Counter

    from bot.services import broadcasts
    from db.models import School
    from tests import big_school

    url, drop = await fresh_database("sqlite", tmp)
    api = BotAPIDouble()
    await api.start()
    # School time, whatever the hour the benchmark runs at: a broadcast waits out the quiet hours.
    clock = MovableClock(datetime.now(timezone.utc).replace(hour=13, minute=0))
    bot = BotUnderTest(api, settings_for(api, url, outbox_rate=29.5, outbox_chat_seconds=1.0), clock)
    await bot.start()
    rt = bot.runtime
    chats = await big_school.build(rt.sessionmaker, clock.now(), households=households)
    async with rt.sessionmaker() as session:
        school_id = await session.scalar(select(School.id))
        await broadcasts.create(session, school_id, "guardians", None, {}, created_by=None,
                                progress_account_id=None, now=clock.now())
    api.enforce_limits = True
    started = time.perf_counter()
    while await bot.drain():
        clock.advance(timedelta(seconds=2))  # a 429 makes a message due again after retry_after
    took = time.perf_counter() - started
    per_chat = Counter(int(c.params["chat_id"]) for c in api.calls_of("sendMessage")
                       if int(c.params["chat_id"]) in set(chats.values()) and c not in api.too_many)
    lost = sum(1 for chat in chats.values() if per_chat[chat] == 0)
    doubled = sum(1 for chat in chats.values() if per_chat[chat] > 1)
    rate = len(chats) / took
    record("broadcast to 2,000 chats: messages per second", "sqlite", f"{rate:.1f}/s ({rate / 30:.0%} of 30/s)",
           "≥ 95 % of 30/s")
    record("broadcast: 429s received / lost / doubled", "sqlite", f"{len(api.too_many)} / {lost} / {doubled}",
           "0 lost, 0 doubled")
    await bot.stop()
    await api.stop()
    drop()


# -- 3b. two workers, one bot: the sending lease ------------------------------------------

async def two_workers_broadcast(tmp: str, households: int = 250) -> None:
    """Two dispatchers (as two worker processes run them) on one database, under
    Telegram's limits: one sends for the bot at a time, so nothing is over the limit."""
    from collections import Counter

    from telegram import Bot

    from bot.app import build_runtime
    from bot.outbox import Dispatcher
    from bot.services import broadcasts
    from db.models import School
    from tests import big_school

    url, drop = await fresh_database("sqlite", tmp)
    api = BotAPIDouble()
    await api.start()
    settings = settings_for(api, url, outbox_rate=29.5, outbox_chat_seconds=1.0)
    now = datetime.now(timezone.utc).replace(hour=13)  # school time, whatever the hour: not in the quiet hours
    workers = [await build_runtime(settings, MovableClock(now)) for _ in range(2)]
    chats = await big_school.build(workers[0].sessionmaker, now, households=households)
    async with workers[0].sessionmaker() as session:
        school_id = await session.scalar(select(School.id))
        await broadcasts.create(session, school_id, "guardians", None, {}, created_by=None,
                                progress_account_id=None, now=now)
    bots = [Bot(api.token, base_url=settings.bot_base_url) for _ in workers]
    for bot in bots:
        await bot.initialize()
    api.enforce_limits = True
    started = time.perf_counter()
    handled = await asyncio.gather(*(Dispatcher(rt, bot).dispatch_due() for rt, bot in zip(workers, bots)))
    took = time.perf_counter() - started
    per_chat = Counter(int(c.params["chat_id"]) for c in api.calls_of("sendMessage") if c not in api.too_many)
    doubled = sum(1 for chat in chats.values() if per_chat[chat] > 1)
    record(f"two workers, one bot: broadcast to {households} chats", "sqlite",
           f"{len(api.too_many)} 429s, {doubled} doubled, sent by {sum(1 for n in handled if n)} worker, "
           f"{households / took:.1f}/s", "0 429s")
    for bot in bots:
        await bot.shutdown()
    for rt in workers:
        await rt.engine.dispose()
    await api.stop()
    drop()


# -- 3c. one chat flooding: does everyone else still get an answer? -----------------------

async def flood(tmp: str, flood_size: int = 150, rounds: int = 3) -> None:
    """One person sends `flood_size` messages at once, with Telegram's per-chat limit in
    force; meanwhile another parent asks /help. How long until the parent's answer?"""
    url, drop = await fresh_database("sqlite", tmp)
    api = BotAPIDouble()
    await api.start()
    clock = MovableClock(datetime.now(timezone.utc))
    bot = BotUnderTest(api, settings_for(api, url, outbox_chat_seconds=1.0), clock)
    await bot.start()
    api.enforce_limits = True
    waits, dropped = [], 0
    for round_ in range(rounds):
        flooder, parent = 6_000_000 + round_, 6_100_000 + round_
        before = bot.app.update_processor.dropped
        pushed = [api.push_update(_message(flooder, f"hallo {i}", i)) for i in range(flood_size)]
        started = time.perf_counter()
        await bot.deliver(_message(parent, "/help", 1))
        waits.append((time.perf_counter() - started) * 1000)
        await bot.wait_done(pushed)
        dropped += bot.app.update_processor.dropped - before
    record(f"one chat sends {flood_size} messages at once: another parent's /help answered after", "sqlite",
           f"{statistics.median(waits):.0f} ms (median of {rounds}); {dropped / rounds:.0f} of the "
           f"{flood_size} dropped", "not held up")
    await bot.stop()
    await api.stop()
    drop()


# -- 4. one dispatch tick with 100,000 appointments, 100 due ---------------------------------

async def dispatch_tick(backend: str, tmp: str) -> None:
    from telegram import Bot

    from bot.app import build_runtime
    from bot.outbox import Dispatcher
    from db.models import (
        Account,
        Appointment,
        Household,
        Invitation,
        OutboxMessage,
        Staff,
        VisitPeriod,
    )

    url, drop = await fresh_database(backend, tmp)
    api = BotAPIDouble()
    await api.start()
    now = datetime(2026, 11, 10, 9, 0, tzinfo=timezone.utc)
    clock = MovableClock(now)
    settings = settings_for(api, url)
    rt = await build_runtime(settings, clock)  # no running bot: no scheduler tick competes with the measurement
    n = 100_000
    async with rt.sessionmaker() as session:
        staff = Staff(school_id=rt.school_id, name="T", role="teacher", active=True, created_at=now)
        session.add(staff)
        period = VisitPeriod(school_id=rt.school_id, name="P", first_day=date(2026, 11, 1),
                             last_day=date(2027, 1, 31), visit_minutes=60, buffer_minutes=15, status="open",
                             opened_at=now)
        session.add(period)
        await session.flush()
        await session.execute(insert(Account), [dict(school_id=rt.school_id, telegram_user_id=10_000 + i,
                                                     chat_id=10_000 + i, created_at=now, updated_at=now)
                                                for i in range(100)])
        await session.execute(insert(Household), [dict(school_id=rt.school_id, external_id=f"H{i}", active=True)
                                                  for i in range(n)])
        household_ids = (await session.scalars(select(Household.id).order_by(Household.id))).all()
        await session.execute(insert(Invitation), [dict(school_id=rt.school_id, period_id=period.id, household_id=h,
                                                        teacher_id=staff.id, status="booked", created_at=now,
                                                        version=1, nudges_sent=0) for h in household_ids])
        invitation_ids = (await session.scalars(select(Invitation.id).order_by(Invitation.id))).all()
        await session.execute(insert(Appointment), [dict(
            school_id=rt.school_id, invitation_id=inv, teacher_id=staff.id,
            starts_at=now + timedelta(minutes=75 * (i + 1)), ends_at=now + timedelta(minutes=75 * (i + 1) + 60),
            venue="home", status="confirmed", created_at=now, updated_at=now) for i, inv in enumerate(invitation_ids)])
        account_ids = (await session.scalars(select(Account.id))).all()
        appointment_ids = (await session.scalars(select(Appointment.id).order_by(Appointment.id))).all()
        # Every appointment has its reminder queued; the first 100 fall due now.
        await session.execute(insert(OutboxMessage), [dict(
            school_id=rt.school_id, account_id=account_ids[i % 100], kind="announcement",
            payload={"broadcast": -1}, due_at=(now - timedelta(minutes=1)) if i < 100 else now + timedelta(days=1 + i),
            status="pending", attempts=0, created_at=now, quiet=True, appointment_id=a)
            for i, a in enumerate(appointment_ids)])
        await session.commit()
        if backend == "sqlite":
            await session.execute(text("ANALYZE"))
            plan = (await session.execute(text(
                "EXPLAIN QUERY PLAN SELECT id FROM outbox WHERE status = 'pending' AND due_at <= :now "
                "ORDER BY due_at LIMIT 100"), {"now": now.replace(tzinfo=None)})).all()
            plan_text = "; ".join(str(row[-1]) for row in plan)
        else:
            await session.execute(text("ANALYZE outbox"))
            plan = (await session.execute(text(
                "EXPLAIN SELECT id FROM outbox WHERE status = 'pending' AND due_at <= :now "
                "ORDER BY due_at LIMIT 100 FOR UPDATE SKIP LOCKED"), {"now": now.replace(tzinfo=None)})).all()
            plan_text = "; ".join(row[0].strip() for row in plan)
    outbox_bot = Bot(api.token, base_url=settings.bot_base_url)
    await outbox_bot.initialize()
    dispatcher = Dispatcher(rt, outbox_bot)
    claim_started = time.perf_counter()
    ids = await dispatcher._claim()
    claim_ms = (time.perf_counter() - claim_started) * 1000
    async with rt.sessionmaker() as session:  # put them back for the whole tick
        await session.execute(text("UPDATE outbox SET status = 'pending', attempts = 0 WHERE status = 'sending'"))
        await session.commit()
    tick_started = time.perf_counter()
    handled = await dispatcher.dispatch_due()
    tick_ms = (time.perf_counter() - tick_started) * 1000
    record("dispatch tick, 100,000 appointments: claiming the 100 due", backend,
           f"{claim_ms:.1f} ms ({len(ids)} rows)", "< 50 ms")
    record("dispatch tick: claim + render + send the 100 due", backend, f"{tick_ms:.0f} ms ({handled} rows)")
    record("query plan of the claim", backend, plan_text[:160], "uses ix_outbox_due")
    await outbox_bot.shutdown()
    await rt.engine.dispose()
    await api.stop()
    drop()


# -- 5. resident memory with 10,000 households ---------------------------------------------

def memory(tmp: str) -> None:
    code = f"""
import asyncio, resource, sys
sys.path.insert(0, {str(ROOT)!r})
from bench.memory import main
print(asyncio.run(main({tmp!r})))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        record("resident memory, 10,000 households", "sqlite", "failed: " + out.stderr[-200:], "< 150 MB")
        return
    steady, peak = out.stdout.strip().splitlines()[-1].split()
    record("resident memory, 10,000 households loaded (bot running, invitations sent, coverage)", "sqlite",
           f"{steady} MB (peak {peak} MB during the run)", "< 150 MB")


# -- 6. printed letters for 1,000 households -------------------------------------------------

LETTER_HOUSEHOLDS = 1000


async def letters(backend: str, tmp: str, households: int = LETTER_HOUSEHOLDS) -> tuple[float, int]:
    """`homevisit letters` for a school where nobody is on Telegram yet: the fresh links issued
    (one transaction) and the PDF rendered (in a thread, as /letters does), one page each.
    Returns (seconds, bytes)."""
    from zoneinfo import ZoneInfo

    from bot.documents.letters import find_fonts, render_letters
    from bot.i18n import Catalogs
    from bot.services.letters import prepare_letters
    from bot.services.periods import PeriodDraft, open_period
    from bot.services.roster import import_roster
    from bot.services.schools import ensure_school
    from db.session import make_engine, make_sessionmaker
    from tests.big_school import roster_csv

    url, drop = await fresh_database(backend, tmp)
    engine = make_engine(url)
    now = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)
    catalogs, fonts = Catalogs(), find_fonts()
    try:
        async with make_sessionmaker(engine)() as session:
            school = await ensure_school(session, "De Regenboog", "Europe/Amsterdam", "nl", now)
            await import_roster(session, school.id, roster_csv(households), default_language="nl", now=now)
            await open_period(session, school.id, PeriodDraft("Huisbezoeken", date(2026, 11, 16),
                                                              date(2026, 11, 27)), now)
            started = time.perf_counter()
            batch = await prepare_letters(session, school.id, default_language="nl", now=now,
                                          valid_for=timedelta(days=60))
            issued = time.perf_counter() - started
        pdf = await asyncio.to_thread(render_letters, batch, catalogs=catalogs, tz=ZoneInfo("Europe/Amsterdam"),
                                      school="De Regenboog", phone="+31 20 123 4567",
                                      bot_username="regenboog_huisbezoek_bot", fonts=fonts)
        took = time.perf_counter() - started
    finally:
        await engine.dispose()
        drop()
    pages = len(batch.letters)
    record(f"printed letters for {households:,} households (nine languages): links issued + PDF", backend,
           f"{took:.1f} s ({issued:.1f} s issuing {batch.fresh_links} links, {(took - issued) * 1000 / pages:.0f} ms "
           "a page)", "< 30 s")
    record(f"printed letters for {households:,} households: PDF size", backend,
           f"{len(pdf) / 2 ** 20:.1f} MB ({pages} A4 pages, {len(pdf) / pages / 1024:.1f} KB a page)", "< 20 MB")
    return took, len(pdf)


# -- the report -----------------------------------------------------------------------------

def machine() -> str:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2 ** 30
    import sqlite3

    import telegram
    return (f"{platform.node()}: {os.cpu_count()} cores ({cpu}), {mem:.0f} GiB, {platform.system()} "
            f"{platform.release()}; Python {platform.python_version()}, python-telegram-bot {telegram.__version__}, "
            f"SQLite {sqlite3.sqlite_version}")


async def run_all(skip_pg: bool) -> None:
    backends = ["sqlite"] if skip_pg else ["sqlite", "postgresql"]
    with tempfile.TemporaryDirectory() as tmp:
        print("1. update throughput and latency", flush=True)
        echo, echo_cpu = await echo_throughput()
        record("bare python-telegram-bot echo bot (PTB's defaults: httpx)", "-",
               f"{echo:.0f} updates/s ({echo_cpu:.2f} ms CPU per update)")
        echo_aiohttp, echo_aiohttp_cpu = await echo_throughput("aiohttp")
        record("the same echo bot on our aiohttp transport (for comparison)", "-",
               f"{echo_aiohttp:.0f} updates/s ({echo_aiohttp_cpu:.2f} ms CPU per update)")
        for backend in backends:
            (throughput, cpu), latencies = await bot_throughput(backend, tmp)
            record("full bot, button press (reads and writes the database, replies)", backend,
                   f"{throughput:.0f} updates/s = {throughput / echo:.2f} of echo ({cpu:.2f} ms CPU per update)",
                   "≥ 0.6 of echo")
            record(f"handling latency at {RATE} updates/s, p50 / p99", backend,
                   f"{statistics.median(latencies):.1f} ms / {latencies[int(len(latencies) * 0.99)]:.1f} ms",
                   "p99 < 20 ms")
        print("2. broadcast", flush=True)
        await broadcast(tmp)
        await two_workers_broadcast(tmp)
        await flood(tmp)
        print("3. dispatch tick", flush=True)
        for backend in backends:
            await dispatch_tick(backend, tmp)
        print("4. memory", flush=True)
        memory(tmp)
        print("5. printed letters", flush=True)
        for backend in backends:
            await letters(backend, tmp)
        print("6. the family's web page", flush=True)
        from bench import pages
        await pages.run(backends, tmp, record)
        print("6b. evenings that follow the map (postcodes)", flush=True)
        from bench import routes
        await routes.run(tmp, record)
        if not skip_pg:
            print("7. a school board's peak (20 schools, two workers, PostgreSQL)", flush=True)
            from bench import board
            await board.run(record=record)


def write_markdown(path: Path, started: datetime) -> None:
    lines = ["# Benchmarks", "", f"Run with `python -m bench` on {started:%Y-%m-%d %H:%M} UTC.", "",
             f"Machine: {machine()}.", "",
             "Everything runs on this machine: the real python-telegram-bot Application over HTTP against the "
             "local Bot API sandbox (`bot/sandbox`) on 127.0.0.1, in one process with the load generator.", "",
             "| what | database | measured | target |", "|---|---|---|---|"]
    for what, backend, figure, target in RESULTS:
        lines.append(f"| {what} | {backend} | {figure.replace('|', '/')} | {target} |")
    path.write_text("\n".join(lines) + "\n" + NOTES, encoding="utf-8")


NOTES = """
## How each figure is made

- **Throughput**: 2,000 updates from 200 users queued in the sandbox, long polling, until the last is
  handled; three rounds, the median is shown. CPU per update is the process's CPU time over the
  round divided by the updates, and it includes the sandbox and the load generator, which run in the
  same process. The echo bot replies with `sendMessage`. The full bot handles a language-button
  press: group -3 checks the update id was not handled before (a read), group -2 loads the account with
  its guardian and staff rows (one query), the handler saves the choice (an UPDATE and a commit), answers
  the callback and edits the message (two Bot API calls), and, because the language changed, sets
  that person's command menu in the new language (a third Bot API call, in the background); at the
  end the update id is recorded as handled (a write and a commit).
- **Latency**: 1,000 presses pushed at a fixed 100 a second; each is timed from being queued in the
  sandbox to the end of its handling (`update_done_listeners`), so it includes the long-poll hop.
- **Broadcast**: 2,000 linked families, the sandbox enforcing 30 messages a second per bot (sliding
  window) and 4 a second per chat; the outbox paces at 29.5 a second, spaced from each actual send. A
  429 is retried after `retry_after`.
- **Two workers**: two outbox dispatchers (as two `homevisit run` processes run them) on one
  database, 250 linked families, the sandbox enforcing Telegram's limits; the sending lease lets
  one of them send at a time (before it, two workers sent 2 × 30 a second and met 78–108 429s).
- **Flood**: one chat's 150 messages queued at once, the sandbox enforcing the per-chat limit, then
  another parent's /help, timed to the end of its handling; each person's updates are handled one
  at a time and a backlog over 10 is dropped.
- **Dispatch tick**: 100,000 confirmed appointments with a queued reminder each, 100 of them due; the
  claim is the dispatcher's `UPDATE ... RETURNING` over the `(status, due_at)` index.
- **Printed letters**: 1,000 households of one pupil and one guardian each (the nine languages in
  turn), none on Telegram, an open period; `prepare_letters` (which households, a fresh link for
  each, one transaction) and `render_letters` (fpdf2 in a thread: one A4 page each, the Dutch text
  beneath the other eight languages, a QR code per page, the fonts embedded once as subsets). HarfBuzz
  shapes every Arabic line and any line whose letters need it; precomposed Latin and Cyrillic lines
  are set from the font's character map (the same glyphs, without kerning): shaping every line
  measured about twice the time per page.
- **The family's web page** (`bench/pages.py`): 600 households of a generated school, each with
  its web link, invitations out, six evenings per teacher; `GET /v/<token>` over HTTP against the
  web server in this process (the page, its invitation in the household's language, read from the
  database on every request); 8 clients for throughput, then 1,000 requests at a fixed 50 a second.
- **Evenings that follow the map** (`bench/routes.py`): 28 families with postcodes in 7 areas
  of a town (seeded), a teacher with 8 evenings of 4 visits; the families answer in a random
  order and each takes the first evening and time it is offered, over the real services on
  SQLite; area changes (two visits in a row in different areas) per evening, ten seeds.
- **Memory**: a separate process: 10,000 households imported, a period opened, invitations sent to
  every household, the coverage report computed, each step in a session of its own as the commands
  and handlers that do them in production; resident set size afterwards, and the peak. The Bot API
  sandbox runs in that process too and keeps every message the bot sends it.

## What was improved, and what limits the rest

Improvements in this round, each measured with this benchmark:

- **The bot talks to Telegram through aiohttp's client** (`bot/transport.py`, PTB's documented
  `BaseRequest` extension point) instead of httpx. The second row of the table shows what that alone
  does for the bare echo bot: about 1.1 → 0.6 ms CPU per update. The full bot makes three Bot API
  calls per press, so it gained the most.
- **SQLite statements make one trip to the driver's thread** (`db/sqlite_driver.py`) instead of four
  (open a cursor, execute, fetch, close); each trip costs two context switches and a wake-up of the
  event loop. The pool keeps a connection per update in flight and skips its redundant rollback on
  return. Trips per press: about 14 → 5 (counted by wrapping the driver's call).
- **The per-update statements are built once** with bound parameters and read as plain rows.
- Before this round the full bot did 114 (SQLite) and 101 (PostgreSQL) updates a second; see the
  table for now.

**Throughput (target 0.6 of the echo bot) is still missed.** The full bot spends about 4–5 ms of
CPU per press against the echo bot's 1.1 ms (0.6 ms on aiohttp). Profiled with cProfile over 3,000
presses (sequential, SQLite), the CPU goes to: python-telegram-bot building and parsing objects
(about 23 %: every callback update and every edited message carries the nine-button language
keyboard, which PTB turns into objects on the way in and out), SQLAlchemy (about 16 %: two
transactions, three statements, the session around them), aiohttp client and server (about 16 %:
three calls instead of one, and the sandbox answering them in the same process), and the event loop
itself. No single part is large enough that removing it would reach 0.6: even with no database at
all the press measured about 650 updates a second (0.7 of the httpx echo bot, 0.4 of the aiohttp
one). Reaching 0.6 with the database would need the update id, the identity and the write in one
statement, or an identity cache that stays right across workers; both were left out because they
trade correctness across processes for a benchmark figure. Concurrency does not help against a
sandbox that answers instantly (sequential handling measured about 10 % faster), but against the
real Bot API, where each call takes 50–100 ms, the 16 updates in flight are what keeps one process
busy; it stays at 16.

**Latency p99 (target 20 ms)** is met on most runs on SQLite and varies from run to run on
PostgreSQL (about 11 ms in quiet runs, occasionally 60–200 ms). A watchdog thread that samples the
event loop found no blocking longer than 12 ms in quiet runs; in the slow runs the loop waited for
PostgreSQL's answers, whose server processes share this machine's two cores with the benchmark.
The median stays at 5–9 ms.

## The hardening round (December 2026)

Each person's updates are now handled one at a time, replies are paced per chat, an update
is recorded as handled when its handling is complete (asked in the identity's own query, so
no extra round trip), and the outbox sends with no transaction open and records the result in
a transaction of its own. Measured against the code before that round (commit 250fa9a, in a
git worktree), alternating, SQLite, the button-press benchmark above: 195 → 194 updates a
second (5.27 → 5.25 ms CPU per press), latency p99 at 100 a second 35–48 → 9–14 ms (three
runs each). The dispatch tick's claim + render + send takes longer (413 → 641 ms for 100 on
SQLite, 397 → 452 ms on PostgreSQL, the previous BENCHMARKS.md against this run, not side by
side: two short transactions per message instead of one long one), still far below what
Telegram's 30 a second allows. In a full run of `python -m bench`
the SQLite latency p99 varies from run to run (9 to 150 ms seen on this machine); the median
stays at about 5 ms.
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--output", type=Path, default=ROOT / "BENCHMARKS.md")
    args = parser.parse_args()
    import logging

    logging.basicConfig(level=logging.ERROR)
    started = datetime.now(timezone.utc)
    try:
        asyncio.run(run_all(args.no_postgres))
    finally:
        from tests.databases import drop_pg_database

        for url in PENDING_DROPS:
            drop_pg_database(url)
    write_markdown(args.output, started)
    print(f"\nwritten to {args.output}")
    return 0
