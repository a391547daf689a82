"""Free slots: the teacher's windows cut into visits, minus what is taken. Pure functions."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True, order=True)
class Slot:
    starts_at: datetime  # UTC
    ends_at: datetime

    @property
    def key(self) -> int:
        """Minutes since the epoch: compact and exact, for callback data."""
        return int(self.starts_at.timestamp()) // 60


def slot_start_from_key(key: int) -> datetime:
    from datetime import timezone

    return datetime.fromtimestamp(key * 60, tz=timezone.utc)


def cut_window(starts_at: datetime, ends_at: datetime, visit: timedelta, buffer: timedelta) -> list[Slot]:
    """Visits laid end to end from the window's start, with the travel buffer between them."""
    slots = []
    start = starts_at
    while start + visit <= ends_at:
        slots.append(Slot(start, start + visit))
        start += visit + buffer
    return slots


def free_slots(
    windows: list[tuple[datetime, datetime]],
    busy: list[tuple[datetime, datetime]],
    *,
    visit: timedelta,
    buffer: timedelta,
    not_before: datetime,
) -> list[Slot]:
    """Slots of the windows that start after `not_before` and keep `buffer` from every busy visit."""
    result = set()
    for w_start, w_end in windows:
        for slot in cut_window(w_start, w_end, visit, buffer):
            if slot.starts_at < not_before:
                continue
            if any(slot.starts_at < b_end + buffer and b_start - buffer < slot.ends_at for b_start, b_end in busy):
                continue
            result.add(slot)
    return sorted(result)


def local_day(moment: datetime, tz: ZoneInfo) -> date:
    return moment.astimezone(tz).date()


def by_day(slots: list[Slot], tz: ZoneInfo) -> dict[date, list[Slot]]:
    days: dict[date, list[Slot]] = {}
    for slot in slots:
        days.setdefault(local_day(slot.starts_at, tz), []).append(slot)
    return days
