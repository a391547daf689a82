"""Dialog state per account, in the database: survives restarts, shared by workers.

A step left open goes stale: text typed long after a question is not taken as its
answer (a parent who stopped at "Which café?" and writes a week later is not booked
into a café of that name). A note draft keeps longer, for the teacher who writes up
the evening's visits the next day.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import DialogState

MAX_AGE = {"note": timedelta(hours=36)}
DEFAULT_MAX_AGE = timedelta(hours=12)


async def get(session: AsyncSession, account_id: int | None, now: datetime) -> DialogState | None:
    """The person's open step, unless it was left too long ago (then it is dropped)."""
    if account_id is None:
        return None
    state = await session.get(DialogState, account_id, populate_existing=True)
    if state is not None and now - state.updated_at > MAX_AGE.get(state.flow, DEFAULT_MAX_AGE):
        await clear(session, account_id)
        return None
    return state


async def put(session: AsyncSession, account_id: int, flow: str, step: str, data: dict, now: datetime) -> None:
    state = await session.get(DialogState, account_id)
    if state is None:
        session.add(DialogState(account_id=account_id, flow=flow, step=step, data=data, updated_at=now))
    else:
        state.flow, state.step, state.data, state.updated_at = flow, step, dict(data), now
    await session.commit()


async def clear(session: AsyncSession, account_id: int | None) -> None:
    if account_id is None:
        return
    await session.execute(delete(DialogState).where(DialogState.account_id == account_id))
    await session.commit()
