"""/forget: a guardian's Telegram link, name and phone are removed; anonymous counts stay."""
from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Account, Guardian, Household, InviteToken, Staff


def forgotten_key(school_id: int, household_external_id: str, name: str) -> str:
    """What stays of a forgotten guardian: enough to keep a roster import from re-adding them."""
    return hashlib.sha256(f"{school_id}|{household_external_id}|{name}".encode()).hexdigest()


async def forget_guardian(session: AsyncSession, school_id: int, telegram_user_id: int, now: datetime) -> int:
    """Forget every guardian of this school linked to this Telegram account. Returns how many."""
    account = await session.scalar(select(Account).where(Account.school_id == school_id,
                                                         Account.telegram_user_id == telegram_user_id))
    if account is None:
        return 0
    guardians = (await session.scalars(select(Guardian).where(Guardian.account_id == account.id))).all()
    for guardian in guardians:
        household = await session.get(Household, guardian.household_id)
        guardian.forgotten_key = forgotten_key(guardian.school_id, household.external_id, guardian.name)
        guardian.name = f"#{guardian.id}"
        guardian.phone = None
        guardian.account_id = None
        # Off the active roster: no new personal link for them, no line in call lists or counts of
        # people without Telegram (the roster import keeps them out by the key above).
        guardian.active = False
        await session.execute(delete(InviteToken).where(InviteToken.guardian_id == guardian.id))
    await session.flush()
    is_staff = await session.scalar(select(Staff.id).where(Staff.account_id == account.id)) is not None
    if not is_staff:
        # The Telegram account itself (id, chat, language) goes too, with its queued messages.
        await session.delete(account)
    await session.commit()
    return len(guardians)
