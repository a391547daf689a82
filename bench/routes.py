"""Evenings that follow the map: how often a teacher crosses town between two visits of
one evening, with and without offering the evenings in the order of the route.

A class of 28 families with postcodes spread over a town of 7 areas (Utrecht's numbers:
3511 and 3512 are neighbours, the others are not), drawn with a seeded random; a teacher
with 8 evenings of 4 visits (15:00-20:00, 60 minutes a visit and 15 to travel). The
families answer their invitation one by one in a random order, and each takes the first
evening it is offered and that evening's first free time. All of it runs over the real
services on SQLite: the roster import, the period, the teacher's windows, the free times
(`availability.free_slots`), the order of the evenings (`areas.evening_fit`), the request
(`booking.request_slot`), and the teacher's agenda (`booking.agenda`) it is measured on.

- date order: the evenings as they come (as without postcodes);
- nearby first: only the evenings with a visit nearby moved to the front;
- the bot's order: nearby first, then the evenings still open to any route, and last the
  evenings that take the teacher elsewhere (what `bot/services/areas.py` does).

An area change is two visits after one another in an evening in different areas (the
postcode's four digits); the figure is their mean per evening with visits, over the seeds.

    python -m bench.routes [--seeds 10] [--evenings 8]
"""
from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timezone
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select

ROOT = Path(__file__).resolve().parent.parent
FAMILIES = 28
EVENINGS = (date(2026, 11, 16), date(2026, 11, 17), date(2026, 11, 18), date(2026, 11, 19),
            date(2026, 11, 23), date(2026, 11, 24), date(2026, 11, 25), date(2026, 11, 26))
AREAS = (3511, 3512, 3521, 3531, 3551, 3562, 3581)  # a town: 3511 and 3512 are neighbours
SEEDS = 10
TZ = "Europe/Amsterdam"
NOW = datetime(2026, 11, 10, 15, 0, tzinfo=timezone.utc)
MODES = ("date order", "nearby first", "the bot's order")


def roster(seed: int) -> bytes:
    rng = random.Random(seed)
    lines = ["pupil_id,pupil_name,class,teacher,household_id,guardian_name,guardian_phone,guardian_language,postcode"]
    for n in range(FAMILIES):
        postcode = f"{rng.choice(AREAS)} {rng.choice('ABCDEGHJKLMNPRSTVWXZ')}{rng.choice('ABCDEGHJKLMNPRSTVWXZ')}"
        lines.append(f"R{n:02d},Kind {n:02d},Groep 5,Juf Kaart,HR{n:02d},Ouder {n:02d},,nl,{postcode}")
    return ("\n".join(lines) + "\n").encode()


async def one_run(url: str, seed: int, mode: str, evenings: tuple[date, ...] = EVENINGS) -> list[int]:
    """The area changes of each evening with visits, after every family has chosen."""
    from bot.services import areas, availability, booking
    from bot.services.invitations import send_invitations
    from bot.services.periods import PeriodDraft, open_period
    from bot.services.roster import import_roster
    from bot.services.schools import ensure_school
    from bot.services.slots import by_day
    from db.models import Guardian, Invitation, SchoolClass
    from db.session import make_engine, make_sessionmaker

    tz = ZoneInfo(TZ)
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            school = await ensure_school(session, "De Regenboog", TZ, "nl", NOW)
            await import_roster(session, school.id, roster(seed), default_language="nl", now=NOW)
            period = await open_period(session, school.id,
                                       PeriodDraft("Huisbezoeken", evenings[0], evenings[-1]), NOW)
            teacher_id = await session.scalar(select(SchoolClass.teacher_id))
            for day in evenings:
                await add_window(session, period, teacher_id, day, tz)
            await send_invitations(session, period, NOW)
            invitations = list((await session.scalars(select(Invitation).order_by(Invitation.id))).all())
            random.Random(seed).shuffle(invitations)
            for invitation in invitations:
                days = by_day(await availability.free_slots(session, period, teacher_id, NOW), tz)
                if mode == "date order":
                    offered = list(days)
                else:
                    fit = await areas.evening_fit(session, invitation, days, tz)
                    offered = (fit if mode == "the bot's order" else areas.EveningFit(near=fit.near)).order(days)
                guardians = tuple((await session.scalars(
                    select(Guardian.id).where(Guardian.household_id == invitation.household_id))).all())
                outcome = await booking.request_slot(session, invitation.id, guardians, days[offered[0]][0].starts_at,
                                                     "home", None, NOW)
                assert outcome.code == "requested", outcome
            items = await booking.agenda(session, teacher_id, NOW)
    finally:
        await engine.dispose()
    assert len(items) == FAMILIES
    evenings: dict[date, list] = {}
    for item in items:  # in time order
        evenings.setdefault(item.appointment.starts_at.astimezone(tz).date(), []).append(
            areas.area_of(item.postcode))
    return [sum(a != b for a, b in zip(visits, visits[1:])) for visits in evenings.values()]


async def add_window(session, period, teacher_id: int, day: date, tz: ZoneInfo) -> None:
    from bot.services.availability import add_window as add

    await add(session, period, teacher_id, day, clock_time(15), clock_time(20), tz, NOW)


async def run(tmp: str, record, seeds: int = SEEDS, evenings: int = len(EVENINGS)) -> dict[str, float]:
    from bench.run import fresh_database

    template, _ = await fresh_database("sqlite", tmp)
    template_file = Path(template.split("///", 1)[1])
    started = time.perf_counter()
    means: dict[str, float] = {}
    for mode in MODES:
        changes: list[int] = []
        for seed in range(seeds):
            copy = template_file.with_name(f"routes-{seed}-{MODES.index(mode)}.db")
            shutil.copyfile(template_file, copy)
            changes += await one_run(f"sqlite+aiosqlite:///{copy}", seed, mode, EVENINGS[:evenings])
            copy.unlink()
        means[mode] = statistics.mean(changes)
    took = time.perf_counter() - started
    plain = means["date order"]
    what = (f"evenings that follow the map: area changes per evening, {FAMILIES} families in {len(AREAS)} areas, "
            f"{evenings} evenings × 4 visits, {seeds} seeds")
    record(f"{what}: date order", "sqlite", f"{plain:.2f}")
    for mode in MODES[1:]:
        fewer = 1 - means[mode] / plain if plain else 0.0
        record(f"{what}: {mode}", "sqlite", f"{means[mode]:.2f} ({fewer:.0%} fewer)",
               "≥ 33 % fewer" if mode == "the bot's order" else "")
    print(f"  ({len(MODES) * seeds} runs in {took:.0f} s)", flush=True)
    return means


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=SEEDS)
    parser.add_argument("--evenings", type=int, default=len(EVENINGS), choices=range(7, len(EVENINGS) + 1),
                        help="7 (exactly one place per family) or 8 (default)")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    import logging

    logging.basicConfig(level=logging.ERROR)
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(run(tmp, lambda what, backend, figure, target="": print(
            f"  {what} [{backend}]: {figure}" + (f"   (target {target})" if target else "")), args.seeds,
            args.evenings))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
