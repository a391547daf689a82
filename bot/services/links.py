"""Batches of invitation links for everyone who has not linked their account yet."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.invites import issue_token
from db.models import Guardian, Household, Pupil, Staff, pupil_households


@dataclass(frozen=True)
class PendingLink:
    role: str  # guardian, teacher or coordinator
    name: str
    pupils: tuple[str, ...]
    household_id: str  # the roster's household id; empty for staff
    language: str
    token: str


async def issue_pending_links(
    session: AsyncSession, school_id: int, *, default_language: str, now: datetime, valid_for: timedelta
) -> list[PendingLink]:
    """A fresh link for every active guardian and staff member without a linked account.

    Older unused links of the same people stop working. Commits.
    """
    links: list[PendingLink] = []
    staff_rows = (
        await session.scalars(
            select(Staff)
            .where(Staff.school_id == school_id, Staff.active.is_(True), Staff.account_id.is_(None))
            .order_by(Staff.role, Staff.name)
        )
    ).all()
    for staff in staff_rows:
        token = await issue_token(session, school_id=school_id, now=now, valid_for=valid_for, staff_id=staff.id)
        links.append(PendingLink(staff.role, staff.name, (), "", staff.language or default_language, token))

    guardian_rows = (
        await session.execute(
            select(Guardian, Household.external_id)
            .join(Household, Household.id == Guardian.household_id)
            .where(Guardian.school_id == school_id, Guardian.active.is_(True), Guardian.account_id.is_(None))
            .order_by(Household.external_id, Guardian.name)
        )
    ).all()
    pupils_by_household = await _pupils_by_household(session, school_id)
    for guardian, household_external in guardian_rows:
        token = await issue_token(session, school_id=school_id, now=now, valid_for=valid_for, guardian_id=guardian.id)
        links.append(
            PendingLink("guardian", guardian.name, tuple(pupils_by_household.get(guardian.household_id, ())),
                        household_external, guardian.language, token)
        )
    await session.commit()
    return links


async def _pupils_by_household(session: AsyncSession, school_id: int) -> dict[int, list[str]]:
    rows = await session.execute(
        select(pupil_households.c.household_id, Pupil.name)
        .join(Pupil, Pupil.id == pupil_households.c.pupil_id)
        .where(Pupil.school_id == school_id, Pupil.active.is_(True))
        .order_by(Pupil.name)
    )
    result: dict[int, list[str]] = defaultdict(list)
    for household_id, name in rows.all():
        result[household_id].append(name)
    return result
