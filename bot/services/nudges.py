"""Households that do not answer: a gentle nudge, a second one, then the teacher's
call-list, because a phone call reaches parents that messages do not. A decline is
never nudged. Silence counts from the household's last sign of life: a family whose
visit was cancelled, or who just linked Telegram, is not chased at once."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.arrangements import unanswered_calls
from bot.services.outbox import enqueue
from bot.services.period_scope import covers, invitation_covered
from db.models import (
    Account,
    Appointment,
    Guardian,
    Invitation,
    InvitationStatus,
    InviteToken,
    PeriodStatus,
    Pupil,
    SchoolClass,
    Staff,
    VisitPeriod,
    pupil_households,
)


@dataclass(frozen=True)
class NudgeLadder:
    first_after_days: int = 3
    second_after_days: int = 4
    call_after_days: int = 3


async def plan_nudges(session: AsyncSession, school_id: int, now: datetime, ladder: NudgeLadder = NudgeLadder(),
                      today: date | None = None) -> int:
    """Queue the nudges that are due. Safe to run by two workers at once: each step is
    claimed with a conditional UPDATE, so only one of them queues it. A household nobody
    can be messaged in stays on the first step (it is on the call-list meanwhile).

    Once the period's last day has passed (`today` is the school's local date), nobody is
    asked to pick a time any more, even while the coordinator has not closed it yet."""
    queued = 0
    today = today or now.date()
    steps = [(0, lambda i, since: since <= now - timedelta(days=ladder.first_after_days)),
             (1, lambda i, since: i.last_nudged_at is not None
              and max(i.last_nudged_at, since) <= now - timedelta(days=ladder.second_after_days))]
    candidates = await _with_silence(session, Invitation.school_id == school_id,
                                     Invitation.status == InvitationStatus.PENDING,
                                     Invitation.nudges_sent < 2, VisitPeriod.last_day >= today)
    reachable = await _reachable_households(session, {i.household_id for i, _ in candidates})
    for invitation, since in candidates:
        if invitation.household_id not in reachable:
            continue
        for sent, due in steps:
            if invitation.nudges_sent != sent or not due(invitation, since):
                continue
            claimed = await session.execute(
                update(Invitation)
                .where(Invitation.id == invitation.id, Invitation.nudges_sent == sent,
                       Invitation.status == InvitationStatus.PENDING)
                .values(nudges_sent=sent + 1, last_nudged_at=now)
                .execution_options(synchronize_session=False)
            )
            if claimed.rowcount != 1:
                continue
            for guardian in await _reachable_guardians(session, invitation.household_id):
                enqueue(session, school_id=school_id, account_id=guardian.account_id, kind="nudge",
                        payload={"invitation": invitation.id, "guardian": guardian.id, "step": sent + 1},
                        due_at=now, now=now, dedupe_key=f"nudge{sent + 1}:{invitation.id}:{guardian.id}")
                queued += 1
            await session.commit()
    await session.commit()
    return queued


async def _with_silence(session: AsyncSession, *where) -> list[tuple[Invitation, datetime]]:
    """Invitations of the open period (of the classes it covers), each with the moment its
    household's silence began: the invitation, their last answer, the last change of their
    visit (a cancellation or a teacher's change asks them to choose again) or a guardian's
    linking Telegram, whichever came last."""
    changed = (select(Appointment.invitation_id, func.max(Appointment.updated_at).label("at"))
               .group_by(Appointment.invitation_id).subquery())
    linked = (select(Guardian.household_id, func.max(InviteToken.used_at).label("at"))
              .join(InviteToken, InviteToken.guardian_id == Guardian.id)
              .group_by(Guardian.household_id).subquery())
    rows = (await session.execute(
        select(Invitation, changed.c.at, linked.c.at).join(VisitPeriod, VisitPeriod.id == Invitation.period_id)
        .outerjoin(changed, changed.c.invitation_id == Invitation.id)
        .outerjoin(linked, linked.c.household_id == Invitation.household_id)
        .where(VisitPeriod.status == PeriodStatus.OPEN, invitation_covered(Invitation), *where)
        .order_by(Invitation.id)
    )).all()
    return [(invitation, max(t for t in (invitation.created_at, invitation.answered_at, changed_at, linked_at)
                             if t is not None))
            for invitation, changed_at, linked_at in rows]


async def _reachable_households(session: AsyncSession, household_ids: set[int]) -> set[int]:
    if not household_ids:
        return set()
    return set((await session.scalars(
        select(Guardian.household_id).join(Account, Account.id == Guardian.account_id)
        .where(Guardian.household_id.in_(household_ids), Guardian.active.is_(True), Account.blocked_at.is_(None))
    )).all())


async def _reachable_guardians(session: AsyncSession, household_id: int) -> list[Guardian]:
    return list((await session.scalars(
        select(Guardian).join(Account, Account.id == Guardian.account_id)
        .where(Guardian.household_id == household_id, Guardian.active.is_(True), Account.blocked_at.is_(None))
        .order_by(Guardian.id)
    )).all())


@dataclass(frozen=True)
class CallGuardian:
    name: str
    phone: str | None
    on_telegram: bool  # linked and not blocked


@dataclass(frozen=True)
class CallEntry:
    invitation_id: int
    reason: str  # no_answer, not_linked, unreachable, no_fit
    children: tuple[str, ...]
    class_names: tuple[str, ...]
    guardians: tuple[CallGuardian, ...]
    calls: tuple[datetime, ...] = ()  # the teacher's calls nobody answered


async def call_list(session: AsyncSession, teacher_id: int, now: datetime,
                    ladder: NudgeLadder = NudgeLadder()) -> list[CallEntry]:
    """The households this teacher should phone: silent after two nudges, never on
    Telegram, unreachable there (blocked), or no offered time fits."""
    rows = await _with_silence(session, Invitation.teacher_id == teacher_id,
                               Invitation.status.in_((InvitationStatus.PENDING, InvitationStatus.NO_FIT)))
    invitations = [invitation for invitation, _ in rows]
    since = {invitation.id: silent for invitation, silent in rows}
    if not invitations:
        return []
    household_ids = {i.household_id for i in invitations}
    guardians: dict[int, list[CallGuardian]] = defaultdict(list)
    rows = await session.execute(
        select(Guardian, Account.blocked_at).outerjoin(Account, Account.id == Guardian.account_id)
        .where(Guardian.household_id.in_(household_ids), Guardian.active.is_(True)).order_by(Guardian.id)
    )
    for guardian, blocked_at in rows.all():
        guardians[guardian.household_id].append(
            CallGuardian(guardian.name, guardian.phone, guardian.account_id is not None and blocked_at is None))
    children: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for household_id, pupil, class_name in (await session.execute(
        select(pupil_households.c.household_id, Pupil.name, SchoolClass.name)
        .join(Pupil, Pupil.id == pupil_households.c.pupil_id)
        .join(SchoolClass, SchoolClass.id == Pupil.class_id)
        .where(pupil_households.c.household_id.in_(household_ids), SchoolClass.teacher_id == teacher_id,
               Pupil.active.is_(True), covers(invitations[0].period_id, SchoolClass.id))
        .order_by(Pupil.name)
    )).all():
        children[household_id].append((pupil, class_name))

    entries = []
    calls = await unanswered_calls(session, [i.id for i in invitations])
    silent_since = now - timedelta(days=ladder.call_after_days)
    for invitation in invitations:
        people = guardians.get(invitation.household_id, [])
        reason = None
        if invitation.status == InvitationStatus.NO_FIT:
            reason = "no_fit"
        elif not any(g.on_telegram for g in people):
            linked_ever = await _any_linked(session, invitation.household_id)
            reason = "unreachable" if linked_ever else "not_linked"
        elif (invitation.nudges_sent >= 2
              and max(invitation.last_nudged_at, since[invitation.id]) <= silent_since):
            reason = "no_answer"
        if reason:
            kids = children.get(invitation.household_id, [])
            entries.append(CallEntry(invitation.id, reason, tuple(k for k, _ in kids),
                                     tuple(dict.fromkeys(c for _, c in kids)), tuple(people),
                                     tuple(calls.get(invitation.id, ()))))
    return entries


async def _any_linked(session: AsyncSession, household_id: int) -> bool:
    return await session.scalar(
        select(Guardian.id).where(Guardian.household_id == household_id, Guardian.account_id.is_not(None)).limit(1)
    ) is not None


async def call_list_sizes(session: AsyncSession, school_id: int, now: datetime,
                          ladder: NudgeLadder = NudgeLadder()) -> list[tuple[str, int]]:
    """How many households are on each teacher's call list (teachers with a class)."""
    teachers = (await session.execute(
        select(Staff.id, Staff.name).join(SchoolClass, SchoolClass.teacher_id == Staff.id)
        .where(Staff.school_id == school_id, Staff.active.is_(True)).distinct().order_by(Staff.name)
    )).all()
    return [(name, len(await call_list(session, teacher_id, now, ladder))) for teacher_id, name in teachers]
