"""Dialog state per account, in the database: survives restarts, shared by workers."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import DialogState


async def get(session: AsyncSession, account_id: int | None) -> DialogState | None:
    if account_id is None:
        return None
    return await session.get(DialogState, account_id, populate_existing=True)


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
