"""The schools this deployment serves: found by their key in a board's schools file (or
by name when the environment alone describes the one school), created on first use."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import School


class SchoolConflict(Exception):
    """The schools file and the database disagree about a school; the message says how."""


async def ensure_school(session: AsyncSession, name: str, timezone: str, default_language: str, now: datetime,
                        key: str | None = None) -> School:
    """Find the school (by key, else by name), creating it on first use; keep its name and
    settings current. A school set up from the environment before its board had a schools
    file is taken over by the file's school of the same name."""
    school = None
    if key is not None:
        school = await session.scalar(select(School).where(School.key == key))
    if school is None:
        school = await session.scalar(select(School).where(School.name == name))
        if school is not None and key is not None and school.key not in (None, key):
            raise SchoolConflict(f"school {key!r}: the name {name!r} is school {school.key!r}'s in the database")
    if school is None:
        school = School(key=key, name=name, timezone=timezone, default_language=default_language, created_at=now)
        session.add(school)
    else:
        if key is not None:
            school.key = key
        school.name = name
        school.timezone = timezone
        school.default_language = default_language
    await session.commit()
    return school
