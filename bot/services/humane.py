"""Humane hours: planned messages never go out at night (school time)."""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo


def in_quiet_hours(moment: datetime, tz: ZoneInfo, start: time, end: time) -> bool:
    local = moment.astimezone(tz).time()
    if start <= end:  # e.g. 13:00-14:00
        return start <= local < end
    return local >= start or local < end  # across midnight, e.g. 21:00-08:00


def next_humane(moment: datetime, tz: ZoneInfo, start: time, end: time) -> datetime:
    """`moment` itself when outside quiet hours, else the end of the quiet hours."""
    if not in_quiet_hours(moment, tz, start, end):
        return moment
    local = moment.astimezone(tz)
    day = local.date() if local.time() < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tzinfo=tz).astimezone(timezone.utc)


def at_local(day, clock_time: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, clock_time, tzinfo=tz).astimezone(timezone.utc)
