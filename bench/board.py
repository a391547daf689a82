"""The board peak: 20 schools of a school board, 400 households each, on PostgreSQL, served
by two `homevisit run` worker processes in webhook mode (one schools file, one bot per
school). The announcement and the invitations go to all 8,000 families at once, and a fifth
of the families answer their invitation the moment it arrives.

- The Bot API sandbox (all 20 bots at one address, Telegram's limits enforced: 30 messages a
  second per bot, a short burst per chat) and the load generator run in this process; the
  two workers are processes of their own, as a board would run them. The generator is the
  load balancer: each answer (a press on the invitation's first button) is posted to one
  worker's webhook, the two in turn.
- Handling latency: from posting the answer to the webhook's reply (the worker answers a
  webhook once the update is handled, its Bot API calls made).
- Messages per second per bot: each bot's announcements and invitations that Telegram
  accepted, over the time from its first to its last.
- Lost: a family without its announcement or its invitation when the outbox is empty; doubled:
  the same text twice in one chat. CPU and memory are read from each worker's /proc.

    python -m bench.board [--schools 20] [--households 400]
"""
from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
from sqlalchemy import insert, select, update

ROOT = Path(__file__).resolve().parent.parent
SCHOOLS = 20
HOUSEHOLDS = 400
ANSWERING = 5  # one family in five answers at once
LIMIT = 30
TZ = "Europe/Amsterdam"
FIRST_CHAT = 20_000_000


def _token(n: int) -> str:
    return f"{700_000 + n}:board-bench-{n:02d}"


def _secret(n: int) -> str:
    return f"secret-of-school-{n:02d}"


def _quiet_hours_away_from(now: datetime) -> str:
    """One minute of quiet hours, twelve hours from now (school time): the peak is never held."""
    start = (now.astimezone(ZoneInfo(TZ)) + timedelta(hours=12)).time()
    end = (datetime.combine(date.today(), start) + timedelta(minutes=1)).time()
    return f"{start:%H:%M}-{end:%H:%M}"


def write_schools_file(path: Path, schools: int, now: datetime) -> None:
    lines = []
    for n in range(schools):
        lines += ["[[school]]", f'key = "school-{n:02d}"', f'name = "Basisschool {n:02d}"',
                  f'bot_token = "{_token(n)}"', f'bot_username = "school{n:02d}_bot"', f'timezone = "{TZ}"',
                  f'quiet_hours = "{_quiet_hours_away_from(now)}"', f'webhook_secret = "{_secret(n)}"', ""]
    path.write_text("\n".join(lines), encoding="utf-8")


async def seed(url: str, schools: int, households: int, now: datetime) -> dict[int, dict[int, str]]:
    """Each school's roster, a visit period with evenings for every teacher, every guardian
    linked to a Telegram account. Returns {school: {chat id: household's language}}."""
    from bot.services.availability import add_window
    from bot.services.periods import PeriodDraft, open_period
    from bot.services.roster import import_roster
    from bot.services.schools import ensure_school
    from db.models import Account, Guardian, SchoolClass
    from db.session import make_engine, make_sessionmaker
    from tests.big_school import roster_csv

    engine = make_engine(url)
    chats: dict[int, dict[int, str]] = {}
    tz = ZoneInfo(TZ)
    first = now.astimezone(tz).date() + timedelta(days=1)
    try:
        async with make_sessionmaker(engine)() as session:
            for n in range(schools):
                school = await ensure_school(session, f"Basisschool {n:02d}", TZ, "nl", now, key=f"school-{n:02d}")
                await import_roster(session, school.id, roster_csv(households), default_language="nl", now=now)
                period = await open_period(session, school.id,
                                           PeriodDraft("Huisbezoeken", first, first + timedelta(days=13)), now)
                for teacher_id in (await session.scalars(
                        select(SchoolClass.teacher_id).where(SchoolClass.school_id == school.id))).all():
                    for day in range(0, 12, 2):
                        await add_window(session, period, teacher_id, first + timedelta(days=day), clock_time(15),
                                         clock_time(20), tz, now)
                # Linked as /start with a personal link would link them, in one statement per school.
                guardians = (await session.execute(select(Guardian.id, Guardian.language).where(
                    Guardian.school_id == school.id).order_by(Guardian.id))).all()
                base = FIRST_CHAT + n * 100_000
                ids = (await session.scalars(insert(Account).returning(Account.id), [
                    dict(school_id=school.id, telegram_user_id=base + i, chat_id=base + i, created_at=now,
                         updated_at=now) for i in range(len(guardians))])).all()
                await session.execute(update(Guardian), [dict(id=g.id, account_id=a) for g, a in zip(guardians, ids)])
                chats[school.id] = {base + i: g.language for i, g in enumerate(guardians)}
                await session.commit()
    finally:
        await engine.dispose()
    return chats


async def queue_the_peak(url: str, now: datetime) -> int:
    """The coordinators press "send": every school's announcement and invitations."""
    from bot.services import broadcasts
    from bot.services.invitations import send_invitations
    from bot.services.periods import current_period
    from db.models import School
    from db.session import make_engine, make_sessionmaker

    engine = make_engine(url)
    queued = 0
    try:
        async with make_sessionmaker(engine)() as session:
            for school_id in (await session.scalars(select(School.id).order_by(School.id))).all():
                await broadcasts.create(session, school_id, "guardians", None, {}, created_by=None,
                                        progress_account_id=None, now=now)
                report = await send_invitations(session, await current_period(session, school_id), now)
                queued += report.messages
    finally:
        await engine.dispose()
    return queued


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _memory_mb(pid: int) -> tuple[float, float]:
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return values["VmRSS"], values["VmHWM"]


def _press(chat: int, message: dict, data: str, n: int) -> dict:
    return {"update_id": 9_000_000 + n, "callback_query": {
        "id": f"board{n}", "chat_instance": "c", "data": data, "message": message,
        "from": {"id": chat, "is_bot": False, "first_name": "Ouder", "language_code": "nl"}}}


def _first_button(markup: dict | None) -> str | None:
    for row in (markup or {}).get("inline_keyboard", []):
        for button in row:
            if "callback_data" in button:
                return button["callback_data"]
    return None


async def run(schools: int = SCHOOLS, households: int = HOUSEHOLDS, record=None, timeout: float = 600.0) -> dict:
    from bench.run import fresh_database
    from bot.sandbox.api import BotAPIDouble
    from tests.web_setup import free_port, until_healthy

    record = record or (lambda what, backend, figure, target="": print(f"  {what}: {figure}   ({target})"))
    with tempfile.TemporaryDirectory() as tmp:
        url, drop = await fresh_database("postgresql", tmp)
        now = datetime.now(timezone.utc)
        doubles = [BotAPIDouble(_token(n), f"school{n:02d}_bot") for n in range(schools)]
        api_url = await doubles[0].start(beside=doubles[1:])
        started = time.perf_counter()
        chats = await seed(url, schools, households, now)
        print(f"  seeded {schools} schools x {households} households in {time.perf_counter() - started:.0f} s",
              flush=True)
        schools_file = Path(tmp) / "schools.toml"
        write_schools_file(schools_file, schools, now)
        ports = [free_port(), free_port()]
        workers = []
        for port in ports:
            env = dict(os.environ, DATABASE_URL=url, SCHOOLS_FILE=str(schools_file), TELEGRAM_API_URL=api_url,
                       WEBHOOK_URL=f"http://127.0.0.1:{port}/tg", WEBHOOK_PORT=str(port), LOG_LEVEL="WARNING")
            workers.append(subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=ROOT, env=env,
                                            stdout=subprocess.DEVNULL, stderr=open(Path(tmp) / f"w{port}.log", "w")))
        try:
            async with aiohttp.ClientSession() as http:
                for port in ports:
                    await until_healthy(http, f"http://127.0.0.1:{port}", lambda: next(
                        (f"a worker stopped with {w.returncode} before it was up" for w in workers
                         if w.poll() is not None), None), "the workers", timeout=60, every=0.2)
                for double in doubles:
                    double.enforce_limits, double.global_per_second = True, LIMIT
                cpu_before = [_cpu_seconds(w.pid) for w in workers]
                peak_started = time.perf_counter()
                queued = await queue_the_peak(url, now)
                figures = await _answer_while_sending(http, doubles, chats, ports, peak_started, timeout)
                took = time.perf_counter() - peak_started
                cpu = [_cpu_seconds(w.pid) - c for w, c in zip(workers, cpu_before)]
                memory = [_memory_mb(w.pid) for w in workers]
        finally:
            for worker in workers:
                worker.terminate()
            for worker in workers:
                try:
                    worker.wait(timeout=40)
                except subprocess.TimeoutExpired:
                    worker.kill()
            for double in doubles:
                double.release_polls()
            await doubles[0].stop()
            drop()
    families = schools * households
    rates = sorted(figures["rates"])
    latencies = sorted(figures["latencies"])
    p = (lambda q: latencies[min(len(latencies) - 1, int(len(latencies) * q))]) if latencies else (lambda q: 0.0)
    where = "postgresql, 2 workers"
    record(f"board peak: {schools} schools × {households} households, announcement + invitation to each "
           f"({queued + families:,} messages)", where, f"all sent in {took:.0f} s")
    record("board peak: handling latency of the answers while sending, p50 / p99", where,
           f"{statistics.median(latencies):.0f} ms / {p(0.99):.0f} ms ({len(latencies)} answers)" if latencies
           else "no answers", "p99 < 100 ms")
    record("board peak: messages per second per bot (lowest / median / highest)", where,
           f"{rates[0]:.1f} / {statistics.median(rates):.1f} / {rates[-1]:.1f} a second "
           f"({rates[0] / LIMIT:.0%} / {statistics.median(rates) / LIMIT:.0%} / {rates[-1] / LIMIT:.0%} of 30)",
           "every bot ≥ 90 % of 30/s")
    record("board peak: lost / doubled messages; 429s from the limits", where,
           f"{figures['lost']} / {figures['doubled']}; {figures['too_many']}", "0 lost, 0 doubled")
    units = figures["sent"] + len(latencies)
    record("board peak: CPU per update or message sent (both workers)", where,
           f"{sum(cpu) * 1000 / max(1, units):.1f} ms ({sum(cpu):.0f} s CPU for {figures['sent']:,} messages and "
           f"{len(latencies):,} answers; {' + '.join(f'{c:.0f}' for c in cpu)} s)")
    record("board peak: resident memory per worker, at the end (peak)", where,
           " and ".join(f"{rss:.0f} MB ({hwm:.0f} MB)" for rss, hwm in memory), "< 300 MB per worker")
    figures.update(took=took, cpu=cpu, memory=memory)
    return figures


async def _answer_while_sending(http, doubles, chats, ports, started: float, timeout: float) -> dict:
    """Watch each bot's sends; a fifth of the families press their invitation's first button
    the moment it arrives, posted to the workers' webhooks in turn. Until every family has its
    two messages and every answer is answered. Each call is looked at once, as it comes."""
    school_ids = sorted(chats)
    answering = {chat for school in chats.values() for i, chat in enumerate(sorted(school)) if i % ANSWERING == 0}
    seen = [0] * len(doubles)
    texts: dict[int, set] = {}  # chat -> the different texts Telegram accepted for it
    waiting = sum(len(school) for school in chats.values())  # families without their two messages yet
    answered: set[int] = set()
    latencies: list[float] = []
    tasks: list[asyncio.Task] = []

    async def answer(n: int, key: str, chat: int, message: dict, data: str) -> None:
        body = _press(chat, message, data, n)
        posted = time.perf_counter()
        async with http.post(f"http://127.0.0.1:{ports[n % 2]}/tg/{key}", json=body,
                             headers={"X-Telegram-Bot-Api-Secret-Token": _secret(int(key[-2:]))}) as response:
            await response.read()
            if response.status == 200:
                latencies.append((time.perf_counter() - posted) * 1000)

    while time.perf_counter() - started < timeout:
        for index, double in enumerate(doubles):
            calls = double.calls
            new, seen[index] = calls[seen[index]:], len(calls)
            if not new:
                continue
            refused = {id(c) for c in double.too_many[-50:] + double.failed[-50:]}
            family = chats[school_ids[index]]
            for call in new:
                if call.method != "sendMessage" or id(call) in refused:
                    continue
                chat = int(call.params.get("chat_id") or 0)
                if chat not in family:
                    continue
                got = texts.setdefault(chat, set())
                if len(got) < 2:
                    got.add(call.params.get("text"))
                    waiting -= len(got) == 2
                data = _first_button(call.params.get("reply_markup"))
                if chat in answering and chat not in answered and data is not None:
                    message = next((m for m in reversed(double.messages_to(chat)) if m.get("reply_markup")), None)
                    if message is not None:
                        answered.add(chat)
                        tasks.append(asyncio.create_task(answer(len(answered), f"school-{index:02d}", chat,
                                                                message, data)))
        if waiting == 0 and len(answered) >= len(answering) and all(t.done() for t in tasks):
            break
        await asyncio.sleep(0.05)
    await asyncio.gather(*tasks, return_exceptions=True)
    rates, lost, doubled, sent, too_many = [], 0, 0, 0, 0
    for double, school in zip(doubles, school_ids):
        refused = {id(c) for c in double.too_many + double.failed}
        calls = [c for c in double.calls if c.method == "sendMessage" and id(c) not in refused
                 and int(c.params["chat_id"]) in chats[school]]
        sent += len(calls)
        too_many += len(double.too_many)
        per_text = Counter((int(c.params["chat_id"]), c.params.get("text")) for c in calls)
        doubled += sum(k - 1 for k in per_text.values() if k > 1)
        per_chat = Counter(chat for chat, _ in per_text)
        lost += sum(max(0, 2 - per_chat[chat]) for chat in chats[school])
        if len(calls) > 1:
            rates.append(len(calls) / (calls[-1].at - calls[0].at))
    return dict(latencies=latencies, rates=rates, lost=lost, doubled=doubled, sent=sent, too_many=too_many,
                answers=len(answering))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--schools", type=int, default=SCHOOLS)
    parser.add_argument("--households", type=int, default=HOUSEHOLDS)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    import logging

    logging.basicConfig(level=logging.ERROR)
    from bench.run import PENDING_DROPS
    from tests.databases import drop_pg_database

    try:
        asyncio.run(run(args.schools, args.households))
    finally:
        for url in PENDING_DROPS:
            drop_pg_database(url)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
