"""Slot math: how a teacher's windows become the times a parent can pick."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from bot.services.slots import Slot, by_day, cut_window, free_slots, slot_start_from_key

UTC = timezone.utc
TZ = ZoneInfo("Europe/Amsterdam")
HOUR = timedelta(hours=1)
QUARTER = timedelta(minutes=15)


def at(hour: int, minute: int = 0, day: int = 12) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def starts(slots: list[Slot]) -> list[str]:
    return [s.starts_at.strftime("%d %H:%M") for s in slots]


def test_window_is_cut_into_visits_with_the_buffer_between_them():
    slots = cut_window(at(14), at(18), HOUR, QUARTER)
    assert starts(slots) == ["12 14:00", "12 15:15", "12 16:30"]
    assert all(s.ends_at - s.starts_at == HOUR for s in slots)


def test_the_last_visit_must_end_inside_the_window():
    # 16:30 would end at 17:30: one minute short is too short.
    assert starts(cut_window(at(14), at(17, 29), HOUR, QUARTER)) == ["12 14:00", "12 15:15"]
    assert starts(cut_window(at(14), at(17, 30), HOUR, QUARTER)) == ["12 14:00", "12 15:15", "12 16:30"]


def test_a_window_of_exactly_one_visit_gives_one_slot_and_a_shorter_one_none():
    assert starts(cut_window(at(14), at(15), HOUR, QUARTER)) == ["12 14:00"]
    assert cut_window(at(14), at(14, 59), HOUR, QUARTER) == []


def test_no_buffer_lays_visits_end_to_end():
    assert starts(cut_window(at(14), at(16), timedelta(minutes=30), timedelta(0))) == [
        "12 14:00", "12 14:30", "12 15:00", "12 15:30"]


def test_free_slots_keep_the_buffer_around_a_busy_visit():
    windows = [(at(14), at(19))]  # 14:00 15:15 16:30 17:45
    # A visit 15:15-16:15 blocks its own slot; 16:30 is exactly one buffer later: still free.
    free = free_slots(windows, [(at(15, 15), at(16, 15))], visit=HOUR, buffer=QUARTER, not_before=at(0))
    assert starts(free) == ["12 14:00", "12 16:30", "12 17:45"]


def test_a_busy_visit_off_the_grid_blocks_every_slot_within_the_buffer():
    windows = [(at(14), at(19))]  # 14:00 15:15 16:30 17:45
    # 15:30-16:30 overlaps 15:15; it ends at 16:30, so 16:30 lacks the travel buffer.
    free = free_slots(windows, [(at(15, 30), at(16, 30))], visit=HOUR, buffer=QUARTER, not_before=at(0))
    assert starts(free) == ["12 14:00", "12 17:45"]
    # A visit ending 14 minutes before a slot also leaves too little time to travel.
    free = free_slots(windows, [(at(12, 46), at(13, 46))], visit=HOUR, buffer=QUARTER, not_before=at(0))
    assert starts(free) == ["12 15:15", "12 16:30", "12 17:45"]


def test_slots_starting_before_not_before_are_left_out():
    windows = [(at(14), at(19))]
    free = free_slots(windows, [], visit=HOUR, buffer=QUARTER, not_before=at(15, 15))
    assert starts(free) == ["12 15:15", "12 16:30", "12 17:45"]
    free = free_slots(windows, [], visit=HOUR, buffer=QUARTER, not_before=at(15, 16))
    assert starts(free) == ["12 16:30", "12 17:45"]


def test_windows_of_several_days_merge_into_one_sorted_list_without_doubles():
    windows = [(at(18, day=13), at(19, day=13)), (at(14, day=12), at(16, day=12)),
               (at(14, day=12), at(16, day=12))]  # the same window twice gives its slots once
    free = free_slots(windows, [], visit=HOUR, buffer=QUARTER, not_before=at(0, day=1))
    assert starts(free) == ["12 14:00", "13 18:00"]
    assert free == sorted(free)


def test_no_windows_no_slots():
    assert free_slots([], [(at(14), at(15))], visit=HOUR, buffer=QUARTER, not_before=at(0)) == []


def test_slot_key_round_trips_to_the_same_utc_start():
    slot = Slot(at(16, 30), at(17, 30))
    assert isinstance(slot.key, int)
    assert slot_start_from_key(slot.key) == slot.starts_at
    assert slot_start_from_key(slot.key).tzinfo is not None
    # Different starts give different keys, one minute apart is enough.
    assert Slot(at(16, 31), at(17, 31)).key == slot.key + 1
    # A start given in local time is the same moment, so the same key.
    assert Slot(at(16, 30).astimezone(TZ), at(17, 30).astimezone(TZ)).key == slot.key


def test_by_day_groups_by_the_amsterdam_calendar_day():
    # 23:30 UTC on the 12th is 00:30 on the 13th in Amsterdam (CET, UTC+1).
    late = Slot(at(23, 30), at(23, 30) + HOUR)
    early = Slot(at(14), at(15))
    also_12th = Slot(at(22, 45), at(23, 45))  # 23:45 local, still the 12th
    days = by_day([early, also_12th, late], TZ)
    assert list(days) == [date(2026, 11, 12), date(2026, 11, 13)]
    assert days[date(2026, 11, 12)] == [early, also_12th]
    assert days[date(2026, 11, 13)] == [late]
