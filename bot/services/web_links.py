"""Households' personal web pages (`{PUBLIC_URL}/v/<token>`), for families without Telegram.

Each household has at most one live link. Issuing a new one (the coordinator renewing
it, `homevisit invite-links`, printing letters) replaces the old one, which stops working
at once. A token is 192 random bits; only its SHA-256 hash is stored, so a copy of the
database cannot be turned into working links. The page itself works only while the
household has an invitation in an open visit period (`bot/services/family_page.py`).
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.personal_links import hash_token, new_token
from db.models import Household, WebLink

_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{32}$")
# How often a page visit is written down (last_used_at): not a write on every request.
TOUCH_EVERY = timedelta(hours=1)


def web_url(public_url: str, token: str) -> str:
    return f"{public_url.rstrip('/')}/v/{token}"


def looks_like_token(raw: str) -> bool:
    return bool(_TOKEN_SHAPE.match(raw))


async def issue(session: AsyncSession, school_id: int, household_ids: list[int] | set[int],
                now: datetime) -> dict[int, str]:
    """A fresh link for each of these households; their older links stop working.

    Returns household id → raw token (never stored, cannot be shown again). The caller
    commits, so a batch is issued in one transaction."""
    ids = sorted(set(household_ids))
    if not ids:
        return {}
    await session.execute(
        update(WebLink)
        .where(WebLink.school_id == school_id, WebLink.household_id.in_(ids), WebLink.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False))
    tokens: dict[int, str] = {}
    for household_id in ids:
        token = new_token()
        session.add(WebLink(school_id=school_id, household_id=household_id, token_hash=hash_token(token),
                            created_at=now))
        tokens[household_id] = token
    await session.flush()
    return tokens


async def revoke(session: AsyncSession, school_id: int, household_id: int, now: datetime) -> int:
    """The household's link stops working (the caller commits). Returns how many were live."""
    result = await session.execute(
        update(WebLink)
        .where(WebLink.school_id == school_id, WebLink.household_id == household_id, WebLink.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False))
    return result.rowcount


async def find(session: AsyncSession, raw: str, now: datetime) -> WebLink | None:
    """The live link with this token; None for anything else (malformed, unknown, replaced).

    Notes the visit at most once an hour (committed by the caller's next commit)."""
    if not looks_like_token(raw):
        return None
    link = await session.scalar(select(WebLink).where(WebLink.token_hash == hash_token(raw)))
    if link is None or link.revoked_at is not None:
        return None
    if link.last_used_at is None or now - link.last_used_at >= TOUCH_EVERY:
        link.last_used_at = now
    return link


async def issue_for_roster_ids(session: AsyncSession, school_id: int, external_ids: set[str],
                               now: datetime) -> dict[str, str]:
    """`issue` for households named by their roster ids; returns roster id → raw token."""
    if not external_ids:
        return {}
    rows = (await session.execute(
        select(Household.id, Household.external_id)
        .where(Household.school_id == school_id, Household.external_id.in_(sorted(external_ids)))
    )).all()
    tokens = await issue(session, school_id, {row.id for row in rows}, now)
    return {row.external_id: tokens[row.id] for row in rows}
