"""The planner tick's rules: what is due to be queued or cleaned up now. Safe for two
workers at once: every message it queues carries a dedupe key and is inserted with
`ON CONFLICT DO NOTHING` (or claimed with a conditional UPDATE), so a second planner
queues nothing twice and fails nothing."""
from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import notes
from bot.services.nudges import NudgeLadder, plan_nudges
from bot.services.outbox import enqueue_once
from db.models import Account, FollowUp, Guardian, ProcessedUpdate, Staff

# Telegram re-delivers an update for about a day at most; a week of ids is plenty.
KEEP_UPDATE_IDS = timedelta(days=7)
# Someone who wrote to the bot without ever linking (no guardian, no staff member) is
# forgotten after a day: nothing is kept of strangers.
KEEP_STRANGERS = timedelta(days=1)


async def plan(session: AsyncSession, school_id: int, now: datetime, *, tz: ZoneInfo, ladder: NudgeLadder,
               overview_at: time, note_retention_months: int) -> int:
    """Queue what is due (nudges, note prompts, the weekly follow-ups) and clean up.
    Returns how many messages were queued."""
    queued = await plan_nudges(session, school_id, now, ladder, today=now.astimezone(tz).date())
    queued += await notes.plan_note_prompts(session, school_id, now)
    queued += await plan_weekly_follow_ups(session, school_id, now, tz, overview_at)
    await notes.purge(session, school_id, now, note_retention_months)
    await session.execute(delete(ProcessedUpdate).where(ProcessedUpdate.school_id == school_id,
                                                        ProcessedUpdate.processed_at < now - KEEP_UPDATE_IDS))
    await purge_strangers(session, school_id, now)
    await session.commit()
    return queued


async def plan_weekly_follow_ups(session: AsyncSession, school_id: int, now: datetime, tz: ZoneInfo,
                                 overview_at: time) -> int:
    """On Monday mornings, teachers with open follow-ups get a short overview (once a week)."""
    local = now.astimezone(tz)
    if local.weekday() != 0 or local.time() < overview_at:
        return 0
    week = local.strftime("%G-%V")
    queued = 0
    for teacher_id, account_id in (await session.execute(
        select(Staff.id, Staff.account_id).where(Staff.school_id == school_id, Staff.account_id.is_not(None),
                                                 Staff.id.in_(select(FollowUp.teacher_id)
                                                              .where(FollowUp.done_at.is_(None))))
    )).all():
        queued += await enqueue_once(session, school_id=school_id, account_id=account_id, kind="follow_ups_weekly",
                                     payload={"teacher": teacher_id}, due_at=now, now=now,
                                     dedupe_key=f"fu:{teacher_id}:{week}")
    await session.commit()
    return queued


async def purge_strangers(session: AsyncSession, school_id: int, now: datetime) -> int:
    """Delete the accounts of people who wrote to this school's bot but never linked to a
    guardian or a staff member."""
    linked = (exists().where(Guardian.account_id == Account.id)) | (exists().where(Staff.account_id == Account.id))
    result = await session.execute(
        delete(Account)
        .where(Account.school_id == school_id, ~linked, Account.updated_at < now - KEEP_STRANGERS,
               Account.created_at < now - KEEP_STRANGERS)
        .execution_options(synchronize_session=False))
    return result.rowcount
