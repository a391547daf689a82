"""Shared setup for the tests of what comes after the visit (coverage, export, retention):
a school with the example roster, the autumn period open, teachers with times, visits
booked and confirmed through the booking services, and notes written through the notes
service. Nothing here goes through Telegram.
"""
from __future__ import annotations

import itertools
from datetime import date, datetime, time

from sqlalchemy import select

from bot.services.availability import add_window
from bot.services.booking import confirm, request_slot
from db.models import Account, Guardian, VisitPeriod
from tests.visit_setup import TZ, guardian, invitation, local, teacher

# Telegram ids of their own, so accounts made here never meet the harness's users (7_000_001...).
_telegram_ids = itertools.count(8_500_001)

THU, FRI, MON = date(2026, 11, 12), date(2026, 11, 13), date(2026, 11, 16)
SLOTS = ("15:00", "16:15", "17:30")  # in a 15:00-19:00 window with 60 min visits and 15 min travel


def at(day: date, hhmm: str) -> datetime:
    hours, minutes = map(int, hhmm.split(":"))
    return local(day, hours, minutes)


async def link(session, name: str, now: datetime, *, blocked: bool = False) -> int:
    """Give a guardian a Telegram account, as following their personal link does; `blocked`
    as when Telegram later answered 403 for them."""
    person = await guardian(session, name)
    telegram_id = next(_telegram_ids)
    account = Account(school_id=person.school_id, telegram_user_id=telegram_id, chat_id=telegram_id, language=None, telegram_language=None,
                      blocked_at=now if blocked else None, created_at=now, updated_at=now)
    session.add(account)
    await session.flush()
    person.account_id = account.id
    await session.commit()
    return account.id


async def windows(session, period: VisitPeriod, teacher_name: str, days, now: datetime) -> None:
    """15:00-19:00 on each day: three visits a day."""
    teacher_id = (await teacher(session, teacher_name)).id
    for day in days:
        await add_window(session, period, teacher_id, day, time(15), time(19), TZ, now)


async def confirmed_visit(session, household: str, teacher_name: str, guardian_name: str, start: datetime,
                          now: datetime, venue: str = "home") -> int:
    """The household asks for `start` and the teacher confirms; the appointment's id."""
    inv = await invitation(session, household, teacher_name)
    presser = (await session.scalars(select(Guardian.id).where(Guardian.name == guardian_name))).one()
    asked = await request_slot(session, inv.id, (presser,), start, venue, None, now)
    assert asked.code == "requested", (household, teacher_name, asked)
    teacher_id = (await teacher(session, teacher_name)).id
    done = await confirm(session, asked.appointment_id, teacher_id, now)
    assert done.code == "confirmed", (household, teacher_name, done)
    return asked.appointment_id
