"""How a board's workers divide the sending between them. Each worker serves every school
of the schools file, and one worker at a time sends for a bot (its lease, bot/outbox.py).
Left alone, the worker that starts first takes every bot's lease and does all the sending
while the other only answers updates. So each worker keeps a heartbeat row in the lease
table (`worker:<id>`), counts the live ones, and holds at most its part of the bots'
leases: ceil(bots / live workers). A worker holding more than its part (it was alone for a
while) gives one back between batches; a worker that dies stops beating, and the others'
part grows to take its bots over."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.inserts import insert_or_ignore
from db.models import OutboxLease

PREFIX = "worker:"
FORGOTTEN = timedelta(days=1)  # a dead worker's heartbeat row is deleted after this


class LeaseShare:
    def __init__(self, bots: int, lease_seconds: float) -> None:
        self.id = uuid.uuid4().hex
        self.bots = bots
        self.lease = timedelta(seconds=lease_seconds)
        self.held: set[str] = set()  # the bots' lease names this worker holds
        self.workers = 1
        self._next_beat: datetime | None = None

    def part(self) -> int:
        return -(-self.bots // self.workers)

    def may_take(self) -> bool:
        return len(self.held) < self.part()

    def over_part(self) -> bool:
        return len(self.held) > self.part()

    async def beat(self, session: AsyncSession, now: datetime) -> None:
        """Say this worker is alive and count the live ones, at most every third of a lease.
        The caller commits."""
        if self._next_beat is not None and now < self._next_beat:
            return
        name = PREFIX + self.id
        until = now + self.lease
        renewed = await session.execute(update(OutboxLease).where(OutboxLease.name == name)
                                        .values(expires_at=until).execution_options(synchronize_session=False))
        if renewed.rowcount == 0:
            await insert_or_ignore(session, OutboxLease.__table__, {"name": name, "holder": self.id,
                                                                    "expires_at": until}, on=("name",))
            await session.execute(delete(OutboxLease).where(OutboxLease.name.startswith(PREFIX),
                                                            OutboxLease.expires_at < now - FORGOTTEN))
        live = await session.scalar(select(func.count()).select_from(OutboxLease).where(
            OutboxLease.name.startswith(PREFIX), OutboxLease.expires_at > now))
        self.workers = max(1, live or 0)
        self._next_beat = now + self.lease / 3
