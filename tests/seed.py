"""Setting up a school for a test through the same services the CLI uses."""
from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from bot.runtime import Runtime
from bot.services.personal_links import issue_token
from bot.services.roster import import_roster
from bot.services.staff import add_staff
from db.models import Guardian, Staff

EXAMPLE_ROSTER = Path(__file__).resolve().parent.parent / "examples" / "roster.csv"


async def load_example_roster(rt: Runtime) -> None:
    async with rt.sessionmaker() as session:
        await import_roster(session, rt.school_id, EXAMPLE_ROSTER.read_bytes(),
                            default_language=rt.settings.default_language, now=rt.clock.now())


async def guardian_link(rt: Runtime, name: str, *, issued: datetime | None = None,
                        valid_for: timedelta = timedelta(days=60)) -> str:
    """A fresh personal link token for the guardian with this name."""
    async with rt.sessionmaker() as session:
        guardian = (await session.scalars(select(Guardian).where(Guardian.school_id == rt.school_id,
                                                                 Guardian.name == name))).one()
        token = await issue_token(session, now=issued or rt.clock.now(),
                                  valid_for=valid_for, guardian_id=guardian.id)
        await session.commit()
    return token


async def staff_link(rt: Runtime, name: str, role: str = "teacher", language: str | None = None) -> str:
    async with rt.sessionmaker() as session:
        staff = await session.scalar(select(Staff).where(Staff.school_id == rt.school_id, Staff.name == name))
        if staff is None:
            staff = await add_staff(session, rt.school_id, name=name, role=role, language=language, now=rt.clock.now())
        token = await issue_token(session, now=rt.clock.now(),
                                  valid_for=timedelta(days=60), staff_id=staff.id)
        await session.commit()
    return token


async def account_of_guardian(rt: Runtime, name: str) -> int | None:
    async with rt.sessionmaker() as session:
        return await session.scalar(select(Guardian.account_id).where(Guardian.school_id == rt.school_id,
                                                                      Guardian.name == name))


async def only_school(session) -> int:
    """The id of the one school in a test's database."""
    from sqlalchemy import select

    from db.models import School
    return await session.scalar(select(School.id))
