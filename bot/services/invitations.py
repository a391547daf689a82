"""Invitations: one per household and teacher in the open period; who may answer them."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.errors import NotAllowed
from bot.services.outbox import enqueue
from bot.services.period_scope import covers, invitation_covered
from db.models import (
    ACTIVE_APPOINTMENT_STATES,
    Appointment,
    Guardian,
    Household,
    Invitation,
    InvitationStatus,
    PeriodStatus,
    Pupil,
    SchoolClass,
    Staff,
    VisitPeriod,
    pupil_households,
)

DECLINE_REASONS = ("no_time", "at_school", "elsewhere", "unsaid")


@dataclass(frozen=True)
class InviteReport:
    households: int
    invitations_created: int
    messages: int
    guardians_not_linked: int


@dataclass(frozen=True)
class InvitationView:
    """An invitation as one guardian sees it."""

    invitation: Invitation
    period: VisitPeriod
    teacher: Staff
    guardian: Guardian | None  # None when the teacher looks
    children: tuple[str, ...]
    class_names: tuple[str, ...]
    appointment: Appointment | None
    # The other teachers' parts of a joint visit (bot/services/siblings.py); () on its own.
    partners: tuple = ()


async def _pairs(session: AsyncSession, school_id: int, period_id: int | None = None) -> dict[tuple[int, int], None]:
    """(household, teacher) for every active pupil with a class teacher, in a stable order;
    with `period_id`, only the pupils of the classes that period covers."""
    rows = await session.execute(
        select(pupil_households.c.household_id, SchoolClass.teacher_id)
        .join(Pupil, Pupil.id == pupil_households.c.pupil_id)
        .join(SchoolClass, SchoolClass.id == Pupil.class_id)
        .join(Household, Household.id == pupil_households.c.household_id)
        .where(Pupil.school_id == school_id, Pupil.active.is_(True), Household.active.is_(True),
               SchoolClass.teacher_id.is_not(None),
               *((covers(period_id, SchoolClass.id),) if period_id is not None else ()))
        .order_by(pupil_households.c.household_id, SchoolClass.name)
    )
    return dict.fromkeys((h, t) for h, t in rows.all())


async def send_invitations(session: AsyncSession, period: VisitPeriod, now: datetime, *,
                           sibling_visits: str = "together") -> InviteReport:
    """Create the missing invitations and queue one message per linked guardian for each.

    Running it again only reaches households that were not invited yet (new pupils).
    `sibling_visits` (SIBLING_VISITS): "together" links a household's new invitations into
    one joint visit, messaged once (bot/services/siblings.py); "each" keeps them apart.
    """
    from bot.services import siblings

    existing = set((await session.execute(
        select(Invitation.household_id, Invitation.teacher_id).where(Invitation.period_id == period.id)
    )).all())
    created: list[Invitation] = []
    for household_id, teacher_id in await _pairs(session, period.school_id, period.id):
        if (household_id, teacher_id) in existing:
            continue
        invitation = Invitation(school_id=period.school_id, period_id=period.id, household_id=household_id,
                                teacher_id=teacher_id, status=InvitationStatus.PENDING, created_at=now, version=1)
        session.add(invitation)
        created.append(invitation)
    await session.flush()
    followers = siblings.link(created, sibling_visits)

    guardians = await _guardians_by_household(session, {i.household_id for i in created})
    messages = 0
    not_linked: set[int] = set()  # guardians, once each (a family with three classes is one family)
    for invitation in created:
        if invitation.id in followers:
            continue  # the lead's message names this teacher too
        for guardian in guardians.get(invitation.household_id, []):
            if guardian.account_id is None:
                not_linked.add(guardian.id)
                continue
            enqueue(session, school_id=period.school_id, account_id=guardian.account_id, kind="invitation",
                    payload={"invitation": invitation.id, "guardian": guardian.id}, due_at=now, now=now)
            messages += 1
    await session.commit()
    return InviteReport(len({i.household_id for i in created}), len(created), messages, len(not_linked))


async def invite_linked_guardian(session: AsyncSession, guardian_id: int, now: datetime) -> int:
    """A guardian who links during an open period gets the invitations of their household."""
    guardian = await session.get(Guardian, guardian_id)
    if guardian is None or guardian.account_id is None:
        return 0
    invitations = (await session.scalars(
        select(Invitation)
        .join(VisitPeriod, VisitPeriod.id == Invitation.period_id)
        .where(Invitation.household_id == guardian.household_id, VisitPeriod.status == PeriodStatus.OPEN,
               invitation_covered(Invitation))
        .order_by(Invitation.id)
    )).all()
    invitations = [i for i in invitations if not follows(i)]
    for invitation in invitations:
        # The answer to their own action (opening the link): sent at once, even at night.
        enqueue(session, school_id=guardian.school_id, account_id=guardian.account_id, kind="invitation",
                payload={"invitation": invitation.id, "guardian": guardian.id}, due_at=now, now=now, quiet=False)
    await session.commit()
    return len(invitations)


async def _guardians_by_household(session: AsyncSession, household_ids: set[int]) -> dict[int, list[Guardian]]:
    if not household_ids:
        return {}
    rows = (await session.scalars(
        select(Guardian).where(Guardian.household_id.in_(household_ids), Guardian.active.is_(True))
        .order_by(Guardian.id)
    )).all()
    result: dict[int, list[Guardian]] = defaultdict(list)
    for guardian in rows:
        result[guardian.household_id].append(guardian)
    return result


async def household_guardians(session: AsyncSession, household_id: int) -> list[Guardian]:
    return (await _guardians_by_household(session, {household_id})).get(household_id, [])


async def view_for_guardian(session: AsyncSession, invitation_id: int, guardian_ids: tuple[int, ...]) -> InvitationView:
    """The invitation, if one of these guardians belongs to its household; else NotAllowed.

    NotAllowed reveals nothing: an unknown id and someone else's id look the same.
    """
    invitation = await session.get(Invitation, invitation_id, populate_existing=True)
    if invitation is None or not guardian_ids:
        raise NotAllowed
    guardian = await session.scalar(
        select(Guardian).where(Guardian.id.in_(guardian_ids), Guardian.household_id == invitation.household_id,
                               Guardian.active.is_(True))
    )
    if guardian is None:
        raise NotAllowed
    return await _view(session, invitation, guardian)


async def view(session: AsyncSession, invitation_id: int, guardian_id: int | None = None) -> InvitationView | None:
    """The invitation as the system sees it (for messages to the teacher or a named guardian)."""
    # The invitation with its period and teacher in one round trip (_view then finds them loaded).
    row = (await session.execute(
        select(Invitation, VisitPeriod, Staff)
        .outerjoin(VisitPeriod, VisitPeriod.id == Invitation.period_id)
        .outerjoin(Staff, Staff.id == Invitation.teacher_id)
        .where(Invitation.id == invitation_id)
        .execution_options(populate_existing=True)
    )).first()
    if row is None:
        return None
    guardian = await session.get(Guardian, guardian_id) if guardian_id else None
    return await _view(session, row.Invitation, guardian)


def follows(invitation: Invitation) -> bool:
    """A member of siblings' joint visit that is not its lead (bot/services/siblings.py): the
    family hears about the lead instead."""
    return invitation.joint_id is not None and invitation.joint_id != invitation.id


async def children_of(session: AsyncSession, household_id: int, teacher_id: int) -> list[tuple[str, str]]:
    """(child, class) of this household in this teacher's classes, by name."""
    return [(r[0], r[1]) for r in (await session.execute(
        select(Pupil.name, SchoolClass.name)
        .join(pupil_households, pupil_households.c.pupil_id == Pupil.id)
        .join(SchoolClass, SchoolClass.id == Pupil.class_id)
        .where(pupil_households.c.household_id == household_id, SchoolClass.teacher_id == teacher_id,
               Pupil.active.is_(True))
        .order_by(Pupil.name)
    )).all()]


async def _view(session: AsyncSession, invitation: Invitation, guardian: Guardian | None) -> InvitationView:
    period = await session.get(VisitPeriod, invitation.period_id)
    teacher = await session.get(Staff, invitation.teacher_id)
    rows = await children_of(session, invitation.household_id, invitation.teacher_id)
    appointment = await live_appointment(session, invitation.id)
    from bot.services.siblings import partners
    return InvitationView(invitation, period, teacher, guardian, tuple(r[0] for r in rows),
                          tuple(dict.fromkeys(r[1] for r in rows)), appointment, await partners(session, invitation))


async def live_appointment(session: AsyncSession, invitation_id: int) -> Appointment | None:
    return await session.scalar(
        select(Appointment).where(Appointment.invitation_id == invitation_id,
                                  Appointment.status.in_(ACTIVE_APPOINTMENT_STATES))
        .execution_options(populate_existing=True)
    )


async def invitations_of_guardians(session: AsyncSession, guardian_ids: tuple[int, ...]) -> list[InvitationView]:
    """Every invitation of the open period for these guardians' households (for /myvisit)."""
    if not guardian_ids:
        return []
    guardians = (await session.scalars(select(Guardian).where(Guardian.id.in_(guardian_ids)))).all()
    by_household = {g.household_id: g for g in guardians if g.active}
    invitations = (await session.scalars(
        select(Invitation).join(VisitPeriod, VisitPeriod.id == Invitation.period_id)
        .where(Invitation.household_id.in_(by_household), VisitPeriod.status == PeriodStatus.OPEN)
        .order_by(Invitation.id)
    )).all()
    return [await _view(session, i, by_household[i.household_id]) for i in invitations if not follows(i)]


async def invitations_of_household(session: AsyncSession, household_id: int) -> list[InvitationView]:
    """Every invitation of the open period for this household, as the household sees them
    (its web page: no one guardian is the reader)."""
    invitations = (await session.scalars(
        select(Invitation).join(VisitPeriod, VisitPeriod.id == Invitation.period_id)
        .where(Invitation.household_id == household_id, VisitPeriod.status == PeriodStatus.OPEN)
        .order_by(Invitation.id)
        .execution_options(populate_existing=True)
    )).all()
    return [await _view(session, i, None) for i in invitations if not follows(i)]
