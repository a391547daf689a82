"""The school this deployment serves."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import School


async def ensure_school(session: AsyncSession, name: str, timezone: str, default_language: str, now: datetime) -> School:
    """Find the school by name, creating it on first use; keep its settings current."""
    school = await session.scalar(select(School).where(School.name == name))
    if school is None:
        school = School(name=name, timezone=timezone, default_language=default_language, created_at=now)
        session.add(school)
    else:
        school.timezone = timezone
        school.default_language = default_language
    await session.commit()
    return school
