"""Teachers and coordinators added by hand (the roster brings teachers too)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.languages import normalise_language
from db.models import STAFF_ROLES, Staff


class StaffError(ValueError):
    pass


async def add_staff(
    session: AsyncSession, school_id: int, *, name: str, role: str, language: str | None, now: datetime
) -> Staff:
    """Create a teacher or coordinator, or return the existing one of that name and role."""
    name = " ".join(name.split())
    if not name:
        raise StaffError("the name is empty")
    if role not in STAFF_ROLES:
        raise StaffError(f"role must be one of {', '.join(STAFF_ROLES)}")
    lang = None
    if language:
        lang = normalise_language(language)
        if lang is None:
            raise StaffError(f"unknown language {language!r}")
    staff = await session.scalar(select(Staff).where(Staff.school_id == school_id, Staff.name == name))
    if staff is not None:
        if staff.role != role:
            raise StaffError(f"{name} is already on the staff as {staff.role}")
        if lang:
            staff.language = lang
        staff.active = True
        return staff
    staff = Staff(school_id=school_id, name=name, role=role, language=lang, active=True, created_at=now)
    session.add(staff)
    await session.flush()
    return staff
