"""What a person needs to hear when they join: who they are and which children."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Guardian, Pupil, SchoolClass, Staff, pupil_households


@dataclass(frozen=True)
class Child:
    name: str
    class_name: str


async def children_of_guardian(session: AsyncSession, guardian_id: int) -> list[Child]:
    rows = await session.execute(
        select(Pupil.name, SchoolClass.name)
        .join(pupil_households, pupil_households.c.pupil_id == Pupil.id)
        .join(Guardian, Guardian.household_id == pupil_households.c.household_id)
        .join(SchoolClass, SchoolClass.id == Pupil.class_id)
        .where(Guardian.id == guardian_id, Pupil.active.is_(True))
        .order_by(Pupil.name)
    )
    return [Child(name, class_name) for name, class_name in rows.all()]


async def classes_of_teacher(session: AsyncSession, staff_id: int) -> list[str]:
    rows = await session.scalars(
        select(SchoolClass.name).where(SchoolClass.teacher_id == staff_id).order_by(SchoolClass.name)
    )
    return list(rows.all())


async def staff_member(session: AsyncSession, staff_id: int) -> Staff | None:
    return await session.get(Staff, staff_id)
