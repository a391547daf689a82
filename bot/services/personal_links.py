"""Personal links (`t.me/<bot>?start=<token>`): issue, replace and redeem the single-use
tokens that link a guardian or a staff member to their Telegram account, one at a time
or in a batch for everyone not linked yet.

A token is 192 random bits in the URL-safe alphabet Telegram allows in a start
parameter. Only its SHA-256 hash is stored, so a copy of the database cannot be
turned into working links.
"""
from __future__ import annotations

import enum
import hashlib
import re
import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.accounts import touch_account
from db.models import Guardian, Household, InviteToken, Pupil, Staff, pupil_households

TOKEN_BYTES = 24  # 192 bits -> 32 characters
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("ascii")).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def deep_link(bot_username: str, token: str) -> str:
    return f"https://t.me/{bot_username.lstrip('@')}?start={token}"


async def issue_token(
    session: AsyncSession,
    *,
    now: datetime,
    valid_for: timedelta,
    guardian_id: int | None = None,
    staff_id: int | None = None,
) -> str:
    """Create a fresh token for one person and retire their older unused ones.

    The token is the school's of the person it is for, read from their row: a token never
    names a person of another school. Returns the raw token; it is never stored and cannot
    be shown again. The caller commits (so a whole batch of links is issued in one transaction).
    """
    if (guardian_id is None) == (staff_id is None):
        raise ValueError("a token belongs to exactly one guardian or staff member")
    person = (await session.get(Guardian, guardian_id) if guardian_id is not None
              else await session.get(Staff, staff_id))
    if person is None:
        raise ValueError(f"no {'guardian' if guardian_id is not None else 'staff member'} with id "
                         f"{guardian_id if guardian_id is not None else staff_id}")
    owner = InviteToken.guardian_id == guardian_id if guardian_id is not None else InviteToken.staff_id == staff_id
    await session.execute(
        update(InviteToken)
        .where(owner, InviteToken.used_at.is_(None), InviteToken.replaced_at.is_(None))
        .values(replaced_at=now)
    )
    raw = new_token()
    session.add(
        InviteToken(
            school_id=person.school_id,
            token_hash=hash_token(raw),
            guardian_id=guardian_id,
            staff_id=staff_id,
            created_at=now,
            expires_at=now + valid_for,
        )
    )
    return raw


class Redeemed(enum.Enum):
    LINKED = "linked"  # the account now belongs to this person
    ALREADY_LINKED = "already_linked"  # the same account opened its own link again
    USED_ELSEWHERE = "used_elsewhere"  # the link was used from another Telegram account
    REPLACED = "replaced"  # a newer link was issued for this person
    EXPIRED = "expired"
    UNKNOWN = "unknown"  # no such token (mistyped, forged, or from another deployment)


@dataclass(frozen=True)
class Redemption:
    outcome: Redeemed
    guardian_id: int | None = None
    staff_id: int | None = None


async def redeem(
    session: AsyncSession, raw_token: str, *, school_id: int, telegram_user_id: int, chat_id: int,
    telegram_language: str | None, now: datetime
) -> Redemption:
    """Link the Telegram account to the token's owner, if the token is good and is one of
    this school's (a link of another school of the board opened in this school's bot is
    unknown here).

    Anything but LINKED changes nothing. The token is claimed with a conditional
    UPDATE, so two accounts opening the same link at once cannot both win.
    """
    if not _TOKEN_SHAPE.match(raw_token or ""):
        return Redemption(Redeemed.UNKNOWN)
    token = await session.scalar(select(InviteToken).where(InviteToken.token_hash == hash_token(raw_token),
                                                           InviteToken.school_id == school_id))
    if token is None:
        return Redemption(Redeemed.UNKNOWN)
    who = dict(guardian_id=token.guardian_id, staff_id=token.staff_id)
    if token.used_at is not None:
        if token.used_by_telegram_id == telegram_user_id:
            return Redemption(Redeemed.ALREADY_LINKED, **who)
        return Redemption(Redeemed.USED_ELSEWHERE)
    if token.replaced_at is not None:
        return Redemption(Redeemed.REPLACED)
    if token.expires_at <= now:
        return Redemption(Redeemed.EXPIRED)

    person: Guardian | Staff | None
    if token.guardian_id is not None:
        person = await session.get(Guardian, token.guardian_id)
    else:
        person = await session.get(Staff, token.staff_id)
    if person is None or not person.active or person.school_id != school_id:
        # A token names a person of its own school; one that does not links nobody here.
        return Redemption(Redeemed.UNKNOWN)

    claimed = await session.execute(
        update(InviteToken)
        .where(InviteToken.id == token.id, InviteToken.used_at.is_(None))
        .values(used_at=now, used_by_telegram_id=telegram_user_id)
    )
    if claimed.rowcount != 1:
        await session.rollback()
        return Redemption(Redeemed.USED_ELSEWHERE)
    account = await touch_account(session, school_id, telegram_user_id, chat_id, telegram_language, now, commit=False)
    if isinstance(person, Staff):
        # One account per staff member: a fresh link moves the link to the new account.
        other = await session.scalar(select(Staff).where(Staff.account_id == account.id, Staff.id != person.id))
        if other is not None:
            other.account_id = None
    person.account_id = account.id
    await session.commit()
    return Redemption(Redeemed.LINKED, **who)


# -- a batch: everyone not linked yet -----------------------------------------------------

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
        token = await issue_token(session, now=now, valid_for=valid_for, staff_id=staff.id)
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
        token = await issue_token(session, now=now, valid_for=valid_for, guardian_id=guardian.id)
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
