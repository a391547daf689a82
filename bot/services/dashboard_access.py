"""Who may open the coordinator's dashboard: a one-time login link asked for in chat
(`/dashboard`, valid for ten minutes), then the browser's session (a cookie, valid for a
working day). Only the tokens' SHA-256 hashes are stored. A session ends early when its
coordinator leaves the staff or loses the role."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.personal_links import hash_token, new_token
from db.models import ROLE_COORDINATOR, Staff, StaffWebSession

LOGIN_VALID = timedelta(minutes=10)
SESSION_VALID = timedelta(hours=10)
LOGIN, SESSION = "login", "session"
PATH = "/dashboard"


def login_url(public_url: str, token: str) -> str:
    return f"{public_url.rstrip('/')}{PATH}/login/{token}"


async def issue_login(session: AsyncSession, school_id: int, staff_id: int, now: datetime) -> str:
    """A fresh one-time login link's token for this coordinator (commits)."""
    token = new_token()
    session.add(StaffWebSession(school_id=school_id, staff_id=staff_id, kind=LOGIN, token_hash=hash_token(token),
                                created_at=now, expires_at=now + LOGIN_VALID))
    await session.commit()
    return token


async def _coordinator(session: AsyncSession, staff_id: int) -> Staff | None:
    staff = await session.get(Staff, staff_id)
    return staff if staff is not None and staff.active and staff.role == ROLE_COORDINATOR else None


async def log_in(session: AsyncSession, raw: str, now: datetime) -> str | None:
    """Use a login link: the session's token, or None (unknown, used, expired). Commits."""
    if not (16 <= len(raw) <= 64):
        return None
    used = await session.execute(
        update(StaffWebSession)
        .where(StaffWebSession.token_hash == hash_token(raw), StaffWebSession.kind == LOGIN,
               StaffWebSession.used_at.is_(None), StaffWebSession.expires_at > now)
        .values(used_at=now)
        .returning(StaffWebSession.staff_id, StaffWebSession.school_id)
        .execution_options(synchronize_session=False))
    row = used.first()
    if row is None or await _coordinator(session, row.staff_id) is None:
        await session.commit()
        return None
    token = new_token()
    session.add(StaffWebSession(school_id=row.school_id, staff_id=row.staff_id, kind=SESSION,
                                token_hash=hash_token(token), created_at=now, expires_at=now + SESSION_VALID))
    await session.commit()
    return token


async def coordinator_of(session: AsyncSession, raw: str | None, now: datetime) -> Staff | None:
    """The coordinator whose browser session this is, or None."""
    if not raw or not (16 <= len(raw) <= 64):
        return None
    row = await session.scalar(
        select(StaffWebSession)
        .where(StaffWebSession.token_hash == hash_token(raw), StaffWebSession.kind == SESSION,
               StaffWebSession.expires_at > now, StaffWebSession.used_at.is_(None)))
    return await _coordinator(session, row.staff_id) if row is not None else None


async def log_out(session: AsyncSession, raw: str | None, now: datetime) -> None:
    if raw:
        await session.execute(
            update(StaffWebSession).where(StaffWebSession.token_hash == hash_token(raw),
                                          StaffWebSession.kind == SESSION)
            .values(used_at=now).execution_options(synchronize_session=False))
        await session.commit()
