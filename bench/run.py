"""homevisit benchmarks: `python -m bench` prints a table and writes BENCHMARKS.md.

Everything runs on this machine against the local Bot API sandbox (bot/sandbox),
over real HTTP on 127.0.0.1, with the real python-telegram-bot Application.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, time as clock_time, timedelta, timezone
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
    from tests.databases import create_pg_database, drop_pg_database

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


async def _drain_run(api: BotAPIDouble, payloads: list[dict], done_count, expected: int) -> float:
    started = time.perf_counter()
    for payload in payloads:
        api.push_update(payload)
    while done_count() < expected:
        await asyncio.sleep(0.005)
    return time.perf_counter() - started


async def echo_throughput() -> float:
    from telegram.ext import ApplicationBuilder, MessageHandler, filters

    api = BotAPIDouble()
    await api.start()
    done = 0

    async def echo(update, context) -> None:
        nonlocal done
        await update.effective_message.reply_text(update.effective_message.text)
        done += 1

    app = ApplicationBuilder().token(api.token).base_url(api.url + "/bot").build()
    app.add_handler(MessageHandler(filters.TEXT, echo))
    await app.initialize()
    await app.updater.start_polling(poll_interval=0, timeout=5)
    await app.start()
    payloads = [_message(1_000 + i % USERS, f"hallo {i}", i) for i in range(UPDATES)]
    took = await _drain_run(api, payloads, lambda: done, UPDATES)
    api.release_polls()
    await app.updater.stop()
    await app.stop()
    await app.shutdown()
    await api.stop()
    return UPDATES / took


async def full_bot(backend: str, tmp: str):
    """A started bot with USERS linked guardians, each with a message showing the language menu."""
    from bot.services.invites import issue_token, redeem
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
            token = await issue_token(session, school_id=rt.school_id, now=clock.now(),
                                      valid_for=timedelta(days=1), guardian_id=guardian.id)
            await session.commit()
            await redeem(session, token, telegram_user_id=1_000 + n, chat_id=1_000 + n, telegram_language="nl",
                         now=clock.now())
    menus = {}
    for n in range(USERS):
        user = bot.user("U", user_id=1_000 + n)
        await user.send("/language")
        menus[user.id] = user.latest()
    return bot, api, menus, drop


def _press(user_id: int, message: dict, lang: str, n: int) -> dict:
    return {"callback_query": {"id": f"b{n}", "chat_instance": "c", "data": f"v1:lang:{lang}", "message": message,
                               "from": {"id": user_id, "is_bot": False, "first_name": "U", "language_code": "nl"}}}


async def bot_throughput(backend: str, tmp: str) -> tuple[float, list[float]]:
    bot, api, menus, drop = await full_bot(backend, tmp)
    done = {"n": 0}
    bot.app.update_done_listeners.append(lambda _id: done.__setitem__("n", done["n"] + 1))
    users = list(menus)
    payloads = [_press(users[i % USERS], menus[users[i % USERS]], ("en", "nl")[i // USERS % 2], i)
                for i in range(UPDATES)]
    took = await _drain_run(api, payloads, lambda: done["n"], UPDATES)
    throughput = UPDATES / took

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
    clock = MovableClock(datetime.now(timezone.utc))
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


# -- 4. one dispatch tick with 100,000 appointments, 100 due ---------------------------------

async def dispatch_tick(backend: str, tmp: str) -> None:
    from bot.outbox import Dispatcher
    from db.models import (Account, Appointment, Household, Invitation, OutboxMessage, SchoolClass, Staff,
                           VisitPeriod)

    from telegram import Bot

    from bot.app import build_runtime

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
        await session.execute(insert(Account), [dict(telegram_user_id=10_000 + i, chat_id=10_000 + i,
                                                     created_at=now, updated_at=now) for i in range(100)])
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
           f"{steady} MB (peak {peak} MB during the import)", "< 150 MB")


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
        echo = await echo_throughput()
        record("bare python-telegram-bot echo bot", "-", f"{echo:.0f} updates/s")
        for backend in backends:
            throughput, latencies = await bot_throughput(backend, tmp)
            record("full bot, button press (reads and writes the database, replies)", backend,
                   f"{throughput:.0f} updates/s = {throughput / echo:.2f} of echo", "≥ 0.6 of echo")
            record(f"handling latency at {RATE} updates/s, p50 / p99", backend,
                   f"{statistics.median(latencies):.1f} ms / {latencies[int(len(latencies) * 0.99)]:.1f} ms",
                   "p99 < 20 ms")
        print("2. broadcast", flush=True)
        await broadcast(tmp)
        print("3. dispatch tick", flush=True)
        for backend in backends:
            await dispatch_tick(backend, tmp)
        print("4. memory", flush=True)
        memory(tmp)


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
  handled. The echo bot replies with `sendMessage`; the full bot handles a language-button press: group
  -2 records the update id (a write), group -1 loads the account and identity (reads), the handler saves
  the choice (a write), answers the callback and edits the message (two Bot API calls).
- **Latency**: 1,000 presses pushed at a fixed 100 a second; each is timed from being queued in the
  sandbox to the end of its handling (`update_done_listeners`), so it includes the long-poll hop.
- **Broadcast**: 2,000 linked families, the sandbox enforcing 30 messages a second per bot (sliding
  window) and 4 a second per chat; the outbox paces at 29.5 a second, spaced from each actual send. A 429 is retried after `retry_after`.
- **Dispatch tick**: 100,000 confirmed appointments with a queued reminder each, 100 of them due; the
  claim is the dispatcher's `UPDATE ... RETURNING` over the `(status, due_at)` index.
- **Memory**: a separate process: 10,000 households imported, the bot started, invitations sent to every
  household, the coverage report computed; resident set size afterwards, and the peak.

## Targets missed, and what limits them

- **Throughput (about 0.13 of the echo bot, target 0.6).** Profiled with pyinstrument (1,000 presses,
  SQLite): the two Bot API calls of the reply (answerCallbackQuery, editMessageText) take about 4.5 ms of
  a press, and the database round trips most of the rest: record the update id and commit, one joined
  query for the account with its guardian and staff rows, store the choice and commit, each an
  SQLAlchemy statement through the driver's thread. The echo bot makes one call and no database trip.
  Improved during this work: 30 → about 115 updates/s on SQLite. PTB's `AIORateLimiter` capped every
  call, replies included, at 30 a second; replies are no longer pre-throttled (a 429 is still waited out
  and retried; the outbox paces itself). The identity is one query instead of three, the language choice
  one UPDATE and no re-read, and the per-chat command menu is set in the background. Reaching 0.6 would
  need the update id recorded inside the handler's own transaction and a cached identity that stays
  right across workers; not done yet.
- **Latency p99 at 100 updates a second (target 20 ms)**: p50 is 7–8 ms, but 100 a second is close to
  what one process handles, so bursts queue and the p99 reaches 50–110 ms. On SQLite, writers also wait
  their turn on the whole database (SQLite's busy handler) when 16 updates are in flight.
- **Memory (target 150 MB)**: about 150 MB once 10,000 households are loaded and invited; the import
  itself peaks near 330 MB because it holds the whole roster and its rows in one session to validate and apply it in one
  transaction. A streaming import would lower the peak.
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
