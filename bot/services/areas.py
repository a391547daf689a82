"""Postcode areas: which evenings take a teacher near a family's home.

A postcode comes from the roster (`postcode` column), normalised on import:

- Dutch: four digits 1000-9999 and two letters, stored as "1234 AB" (typed "1234AB",
  "1234 ab" or "1234  AB" are the same postcode);
- Belgian: four digits 1000-9999, stored as "1234".

**The area** of a postcode is its four digits within its country: "1011 AB" and
"1011 CD" are area 1011 (NL); "2000" is area 2000 (BE). The letters of a Dutch postcode
name a street or a part of one, far finer than an evening's route needs.

**Nearby** is one simple rule: two areas of the same country whose numbers differ by at
most `NEARBY_SPAN` of that country: 2 in the Netherlands, 10 in Belgium. Neighbouring
areas mostly have close numbers, but the countries count differently: a Dutch town has
consecutive areas a few streets each (Utrecht's centre is 3511, 3512, 3513), a Belgian
one counts its districts in tens (Antwerpen 2000, 2018, 2020, 2030; Gent 9000, 9030,
9040); with one span of 10 a whole Dutch town would be "nearby". A Dutch and a Belgian
area are never nearby: their numbers mean different places. The rule errs on the side of
"not nearby" across a town's edge; it only orders the evenings offered, it never hides one.

`evening_fit` tells, for one invitation's teacher and the days offered, on which days that
teacher already visits (a live appointment: requested, proposed or confirmed) a household
in the same or a nearby area (`near`), and on which only households elsewhere
(`elsewhere`). The days are offered in that order: near first (marked 📍 on the screens),
then the evenings still open to any route (no visit yet, or only visits without a
postcode), then those that already take the teacher elsewhere; each part in date order.
Without that last step an evening fills with whoever answers first and nearby days are
never free (`python -m bench.routes` measures both). A family without a postcode, or a
teacher whose visits have none, sees the days in date order as before.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Iterable, Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import ACTIVE_APPOINTMENT_STATES, Appointment, Household, Invitation

NL, BE = "NL", "BE"
NEARBY_SPAN = {NL: 2, BE: 10}
_DUTCH = re.compile(r"([1-9][0-9]{3}) *([A-Za-z]{2})")
_BELGIAN = re.compile(r"[1-9][0-9]{3}")


@dataclass(frozen=True, order=True)
class Area:
    country: str  # NL or BE
    number: int  # the postcode's four digits

    @property
    def label(self) -> str:
        return f"{self.number:04d}"


def normalise_postcode(raw: str) -> str | None:
    """The postcode as stored ("1234 AB" or "1234"), or None when `raw` is not one.
    Surrounding spaces are ignored; digits must be ASCII digits."""
    value = raw.strip()
    if value.isascii():
        if (dutch := _DUTCH.fullmatch(value)) is not None:
            return f"{dutch.group(1)} {dutch.group(2).upper()}"
        if _BELGIAN.fullmatch(value):
            return value
    return None


def area_of(postcode: str | None) -> Area | None:
    """The area of a stored (or typed) postcode; None without one."""
    normalised = normalise_postcode(postcode) if postcode else None
    if normalised is None:
        return None
    return Area(NL if len(normalised) > 4 else BE, int(normalised[:4]))


def nearby(a: Area | None, b: Area | None) -> bool:
    """The same area, or one of the same country at most its NEARBY_SPAN numbers away."""
    return (a is not None and b is not None and a.country == b.country
            and abs(a.number - b.number) <= NEARBY_SPAN[a.country])


@dataclass(frozen=True)
class EveningFit:
    """How the days offered to one household fit the teacher's route."""

    near: frozenset[date] = frozenset()  # the teacher already visits the same or a nearby area
    elsewhere: frozenset[date] = frozenset()  # the teacher visits other areas only

    def order(self, days: Iterable[date]) -> list[date]:
        """Near first, then the open evenings, then those elsewhere; each part in the given order."""
        days = list(days)
        return ([d for d in days if d in self.near] + [d for d in days if d not in self.near | self.elsewhere]
                + [d for d in days if d in self.elsewhere])


async def household_area(session: AsyncSession, household_id: int) -> Area | None:
    return area_of(await session.scalar(select(Household.postcode).where(Household.id == household_id)))


async def evening_fit(session: AsyncSession, invitation: Invitation, days: Iterable[date], tz: ZoneInfo
                      ) -> EveningFit:
    """Of `days` (local dates in `tz`): those on which the invitation's teacher already has a
    live visit at another household in the same or a nearby area of this household's, and
    those on which all the teacher's visits with a postcode are elsewhere."""
    days = set(days)
    if not days:
        return EveningFit()
    home = await household_area(session, invitation.household_id)
    if home is None:
        return EveningFit()
    start = datetime.combine(min(days), time(), tzinfo=tz)
    end = datetime.combine(max(days) + timedelta(days=1), time(), tzinfo=tz)
    rows = await session.execute(
        select(Appointment.starts_at, Household.postcode)
        .join(Invitation, Invitation.id == Appointment.invitation_id)
        .join(Household, Household.id == Invitation.household_id)
        .where(Appointment.teacher_id == invitation.teacher_id,
               Appointment.status.in_(ACTIVE_APPOINTMENT_STATES),
               Appointment.starts_at >= start, Appointment.starts_at < end,
               Invitation.household_id != invitation.household_id,
               Household.postcode.is_not(None))
    )
    near: set[date] = set()
    elsewhere: set[date] = set()
    for starts_at, postcode in rows:
        day = starts_at.astimezone(tz).date()
        if day in days:
            (near if nearby(home, area_of(postcode)) else elsewhere).add(day)
    return EveningFit(frozenset(near), frozenset(elsewhere - near))


def in_area_order(items: Sequence, tz: ZoneInfo) -> list:
    """Agenda items (with `.appointment.starts_at` and `.postcode`), each day grouped by area:
    the areas in the order of their first visit that day, each area's visits by time. A day
    without postcodes stays in time order (all its visits are one group, "no area")."""
    def key(item) -> tuple[date, Area | None]:
        return item.appointment.starts_at.astimezone(tz).date(), area_of(item.postcode)

    first: dict[tuple[date, Area | None], datetime] = {}
    for item in sorted(items, key=lambda i: i.appointment.starts_at):
        first.setdefault(key(item), item.appointment.starts_at)
    return sorted(items, key=lambda i: (key(i)[0], first[key(i)], i.appointment.starts_at))
