"""Shared setup for the service-level tests of the visit loop (no Telegram involved).

A school with the example roster, some people linked to a Telegram account (so the
outbox gets rows for them), an open autumn period and a few lookups by the names a
coordinator would use.
"""
from __future__ import annotations

import itertools
from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.services.periods import PeriodDraft, open_period
from bot.services.roster import import_roster
from bot.services.schools import ensure_school
from db.models import (
    Account,
    Appointment,
    Guardian,
    Household,
    Invitation,
    OutboxMessage,
    Staff,
    VisitPeriod,
)
from tests.seed import EXAMPLE_ROSTER

TZ = ZoneInfo("Europe/Amsterdam")
UTC = timezone.utc

# The clock fixture stands on Tuesday 10 November 2026; the period runs around it.
AUTUMN = PeriodDraft("Huisbezoeken najaar 2026", date(2026, 11, 9), date(2026, 12, 4))

MARIEKE, JEROEN, SANNE = "Marieke de Vries", "Jeroen Bakker", "Sanne Vermeulen"

_telegram_ids = itertools.count(7_000_001)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    """A wall-clock time in Amsterdam, as the UTC moment the database stores."""
    return datetime.combine(day, time(hour, minute), tzinfo=TZ).astimezone(UTC)


async def new_school(session, now: datetime) -> int:
    return (await ensure_school(session, "De Regenboog", "Europe/Amsterdam", "nl", now)).id


async def load_roster(session, school_id: int, now: datetime) -> None:
    await import_roster(session, school_id, EXAMPLE_ROSTER.read_bytes(), default_language="nl", now=now)


async def _link(session, person, now: datetime) -> int:
    telegram_id = next(_telegram_ids)
    account = Account(school_id=person.school_id, telegram_user_id=telegram_id, chat_id=telegram_id, language=None,
                      telegram_language=None, created_at=now, updated_at=now)
    session.add(account)
    await session.flush()
    person.account_id = account.id
    await session.commit()
    return account.id


async def guardian(session, name: str) -> Guardian:
    return (await session.scalars(select(Guardian).where(Guardian.name == name))).one()


async def teacher(session, name: str) -> Staff:
    return (await session.scalars(select(Staff).where(Staff.name == name))).one()


async def link_guardian(session, name: str, now: datetime) -> int:
    """Give the guardian a Telegram account, as following their personal link does."""
    return await _link(session, await guardian(session, name), now)


async def link_teacher(session, name: str, now: datetime) -> int:
    return await _link(session, await teacher(session, name), now)


async def household_id(session, external_id: str) -> int:
    return (await session.scalars(select(Household.id).where(Household.external_id == external_id))).one()


async def guardians_of(session, external_id: str) -> tuple[int, ...]:
    """The guardian ids of a household, as the bot knows them for the presser."""
    rows = await session.scalars(
        select(Guardian.id).join(Household, Household.id == Guardian.household_id)
        .where(Household.external_id == external_id).order_by(Guardian.id)
    )
    return tuple(rows.all())


async def invitation(session, household: str, teacher_name: str) -> Invitation:
    return (await session.scalars(
        select(Invitation).join(Household, Household.id == Invitation.household_id)
        .join(Staff, Staff.id == Invitation.teacher_id)
        .where(Household.external_id == household, Staff.name == teacher_name)
        .execution_options(populate_existing=True)
    )).one()


async def appointment(session, appointment_id: int) -> Appointment:
    return await session.get(Appointment, appointment_id, populate_existing=True)


async def live_appointments(session, teacher_id: int) -> list[Appointment]:
    return list((await session.scalars(
        select(Appointment).where(Appointment.teacher_id == teacher_id,
                                  Appointment.status.in_(("requested", "proposed", "confirmed")))
        .order_by(Appointment.starts_at).execution_options(populate_existing=True)
    )).all())


async def outbox(session, *, after: int = 0) -> list[OutboxMessage]:
    """Outbox rows written after the row with id `after`, oldest first."""
    return list((await session.scalars(
        select(OutboxMessage).where(OutboxMessage.id > after).order_by(OutboxMessage.id)
    )).all())


async def last_outbox_id(session) -> int:
    rows = await outbox(session)
    return rows[-1].id if rows else 0


async def open_autumn(session, school_id: int, now: datetime, draft: PeriodDraft = AUTUMN) -> VisitPeriod:
    return await open_period(session, school_id, draft, now)
