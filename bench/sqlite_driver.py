"""What the stock SQLite driver costs against the one-trip driver (db/sqlite_driver.py).

    python -m bench.sqlite_driver                 # both measurements, 5 repetitions each
    python -m bench.sqlite_driver --only statements --repeat 9

`statements`: the database work of one button press, done with sessions the way the
handlers do it (insert the update id and commit; load the account with its guardian and
staff rows; update the language and commit). Both engines are open at once, each on its
own database, and take turns in chunks of 100 sequences (one after another) and of 400
(16 in flight), 2,000 sequences each way per repetition, so that the machine's load
drifting during a run falls on both alike. Figures: sequences per second, CPU per
sequence (the process's, all threads), trips to the connection's thread per sequence.

`press`: the button-press benchmark of `python -m bench` (bench/run.py's
`bot_throughput`, SQLite): updates per second (the median of its three rounds), CPU per
update and latency at 100 updates a second; one run with each driver per repetition, in
alternating order.

Printed: the median over the repetitions for each driver, and the median of the
repetitions' stock/fast ratios. "stock" is SQLAlchemy's own sqlite+aiosqlite driver, what
`make_engine` falls back to when `sqlite_driver.check()` reports a problem.
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiosqlite  # noqa: E402
from sqlalchemy import bindparam, insert, select, update  # noqa: E402

from db import sqlite_driver  # noqa: E402
from db.migrate import upgrade_to_head_async  # noqa: E402
from db.models import Account, Guardian, ProcessedUpdate, School, Staff  # noqa: E402
from db.session import make_engine, make_sessionmaker  # noqa: E402

PATHS = ("fast", "stock")
SEQUENCES = 2000
CHUNK = 100
IN_FLIGHT = 16
USERS = 200
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)
_REAL_CHECK = sqlite_driver.check


def _turned_off() -> str:
    return "turned off by bench/sqlite_driver.py"


def _require_fast() -> None:
    if _REAL_CHECK() is not None:
        raise SystemExit(f"the fast driver is off on this installation: {_REAL_CHECK()}")


# -- statements ------------------------------------------------------------------------------

RECORD = insert(ProcessedUpdate).values(school_id=1, update_id=bindparam("u"), processed_at=bindparam("t"))
IDENTITY = (select(Account.id, Account.language, Guardian.id, Staff.id)
            .outerjoin(Guardian, Guardian.account_id == Account.id)
            .outerjoin(Staff, Staff.account_id == Account.id)
            .where(Account.telegram_user_id == bindparam("tg")))
SAVE = update(Account).where(Account.id == bindparam("a")).values(language=bindparam("lang"),
                                                                    updated_at=bindparam("t"))


async def _press(sessionmaker, n: int) -> None:
    async with sessionmaker() as session:
        await session.execute(RECORD, {"u": n, "t": NOW})
        await session.commit()
    async with sessionmaker() as session:
        account_id, language, _guardian, _staff = (await session.execute(IDENTITY, {"tg": 1_000 + n % USERS})).one()
        await session.execute(SAVE, {"a": account_id, "lang": "en" if language != "en" else "nl", "t": NOW})
        await session.commit()


class _Bench:
    """One engine on its own database, and a counter of the update ids it has used."""

    def __init__(self, path: str, tmp: str) -> None:
        self.path, self.tmp, self.next_id = path, tmp, 0
        self.wall = {"sequential": 0.0, "concurrent": 0.0}
        self.cpu = 0.0

    async def open(self) -> None:
        url = f"sqlite+aiosqlite:///{self.tmp}/statements-{self.path}-{time.monotonic_ns()}.db"
        await upgrade_to_head_async(url)
        self.engine = make_engine(url, sqlite_check=None if self.path == "fast" else _turned_off)
        async with self.engine.connect() as conn:
            driver = type((await conn.get_raw_connection()).driver_connection)
        assert issubclass(driver, sqlite_driver.Connection) == (self.path == "fast"), driver
        self.sessionmaker = make_sessionmaker(self.engine)
        async with self.sessionmaker() as session:
            await session.execute(insert(School), [dict(id=1, name="Bench", timezone="Europe/Amsterdam",
                                                        default_language="nl", created_at=NOW)])
            await session.execute(insert(Account), [dict(school_id=1, telegram_user_id=1_000 + i,
                                                         chat_id=1_000 + i, created_at=NOW, updated_at=NOW)
                                                    for i in range(USERS)])
            await session.commit()
        await self.concurrent(2 * IN_FLIGHT * 10, timed=False)  # warm up: every pooled connection, the caches

    def ids(self, count: int) -> range:
        first, self.next_id = self.next_id, self.next_id + count
        return range(first, first + count)

    async def sequential(self, count: int) -> None:
        started, cpu_started = time.perf_counter(), time.process_time()
        for n in self.ids(count):
            await _press(self.sessionmaker, n)
        self.wall["sequential"] += time.perf_counter() - started
        self.cpu += time.process_time() - cpu_started

    async def concurrent(self, count: int, timed: bool = True) -> None:
        ids = iter(self.ids(count))

        async def worker() -> None:
            for n in ids:
                await _press(self.sessionmaker, n)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(IN_FLIGHT)))
        if timed:
            self.wall["concurrent"] += time.perf_counter() - started

    async def trips(self, count: int = 100) -> float:
        """Trips to the connection's thread per sequence: every sqlite3 call that aiosqlite
        makes there goes through `Connection._execute` (the one-trip cursor's too)."""
        trips = 0
        original = aiosqlite.Connection._execute

        async def counted(connection, fn, *args, **kwargs):
            nonlocal trips
            trips += 1
            return await original(connection, fn, *args, **kwargs)

        aiosqlite.Connection._execute = counted
        try:
            for n in self.ids(count):
                await _press(self.sessionmaker, n)
        finally:
            aiosqlite.Connection._execute = original
        return trips / count


async def statements(tmp: str, round_: int) -> dict[str, tuple[float, float, float, float]]:
    """For each driver: (sequences/s one after another, sequences/s IN_FLIGHT at once,
    ms CPU per sequence one after another, trips to the thread per sequence)."""
    benches = {path: _Bench(path, tmp) for path in PATHS}
    for bench in benches.values():
        await bench.open()
    for turn in range(SEQUENCES // CHUNK):
        for path in PATHS if (turn + round_) % 2 == 0 else reversed(PATHS):
            await benches[path].sequential(CHUNK)
    for turn in range(SEQUENCES // (4 * CHUNK)):
        for path in PATHS if (turn + round_) % 2 == 0 else reversed(PATHS):
            await benches[path].concurrent(4 * CHUNK)
    result = {}
    for path, bench in benches.items():
        result[path] = (SEQUENCES / bench.wall["sequential"], SEQUENCES / bench.wall["concurrent"],
                        bench.cpu * 1000 / SEQUENCES, await bench.trips())
        await bench.engine.dispose()
    return result


# -- the full bot's button press -------------------------------------------------------------

async def press(path: str, tmp: str) -> tuple[float, float, float, float]:
    """(updates/s, ms CPU per update, latency p50 and p99 in ms) of bench/run.py's button
    press. The bot makes its engine deep inside, so the check is swapped for the run."""
    from bench.run import bot_throughput

    sqlite_driver.check = _REAL_CHECK if path == "fast" else _turned_off
    try:
        (throughput, cpu), latencies = await bot_throughput("sqlite", tmp)
    finally:
        sqlite_driver.check = _REAL_CHECK
    return throughput, cpu, statistics.median(latencies), latencies[int(len(latencies) * 0.99)]


# -- the report ------------------------------------------------------------------------------

def _report(name: str, runs: dict[str, list[tuple]], labels: tuple[str, ...]) -> None:
    print(f"\n{name}: the median of {len(runs['fast'])} repetitions")
    print(f"  {'':<30} {'fast':>9} {'stock':>9}  stock/fast (median of the repetitions' ratios)")
    for i, label in enumerate(labels):
        fast = statistics.median(run[i] for run in runs["fast"])
        stock = statistics.median(run[i] for run in runs["stock"])
        ratio = statistics.median(s[i] / f[i] for f, s in zip(runs["fast"], runs["stock"]))
        print(f"  {label:<30} {fast:9.2f} {stock:9.2f}  {ratio:5.2f}"
              f"   (fast {[round(r[i], 1) for r in runs['fast']]}, stock {[round(r[i], 1) for r in runs['stock']]})")


async def run(repeat: int, only: str | None) -> None:
    _require_fast()
    with tempfile.TemporaryDirectory() as tmp:
        if only in (None, "statements"):
            runs = {path: [] for path in PATHS}
            for round_ in range(repeat):
                result = await statements(tmp, round_)
                for path in PATHS:
                    runs[path].append(result[path])
                print("  statements: " + ", ".join(f"{path} {result[path][0]:.0f} / {result[path][1]:.0f} seq/s"
                                                   for path in PATHS), flush=True)
            _report(f"button-press statements (3 statements, 2 commits), {SEQUENCES} sequences each way", runs,
                    ("one at a time: sequences/s", f"{IN_FLIGHT} in flight: sequences/s", "ms CPU per sequence",
                     "trips to the thread per seq"))
        if only in (None, "press"):
            runs = {path: [] for path in PATHS}
            for round_ in range(repeat):
                for path in PATHS if round_ % 2 == 0 else reversed(PATHS):
                    runs[path].append(await press(path, tmp))
                    print(f"  press [{path}]: {runs[path][-1][0]:.0f} updates/s", flush=True)
            _report("full bot, button press, SQLite (bench/run.py; each run the median of its 3 rounds)", runs,
                    ("updates/s", "ms CPU per update", "latency p50 ms", "latency p99 ms"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5, help="repetitions of each measurement (default 5)")
    parser.add_argument("--only", choices=("statements", "press"), help="one of the two measurements")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    asyncio.run(run(args.repeat, args.only))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
