"""The coordinator's announcement: who receives it, queueing it, and the report."""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.accounts import language_of
from bot.services.errors import RuleError
from bot.services.outbox import BLOCKED, enqueue
from bot.services.period_scope import covers
from bot.services.periods import current_period
from db.models import (
    Account,
    Broadcast,
    BroadcastStatus,
    Guardian,
    Household,
    OutboxMessage,
    OutboxStatus,
    Pupil,
    SchoolClass,
    Staff,
    pupil_households,
)

AUDIENCES = ("guardians", "class", "staff")
STAFF_BUCKET = "staff"
TOTAL = "*"  # key of the people count among the per-class counts
MAX_EXTRA = 600


@dataclass
class Audience:
    # account id -> (language as far as the roster knows it, the classes it hears for)
    accounts: dict[int, tuple[str | None, tuple[str, ...]]] = field(default_factory=dict)
    not_linked: Counter = field(default_factory=Counter)  # class -> people without Telegram
    not_linked_people: int = 0  # each counted once, whatever their number of classes

    @property
    def size(self) -> int:
        return len(self.accounts)


async def audience(session: AsyncSession, school_id: int, kind: str, class_id: int | None = None) -> Audience:
    if kind not in AUDIENCES or (kind == "class") != (class_id is not None):
        raise RuleError("audience", f"unknown audience {kind!r}")
    if class_id is not None and await session.scalar(
        select(SchoolClass.id).where(SchoolClass.id == class_id, SchoolClass.school_id == school_id)
    ) is None:
        raise RuleError("audience", f"no class with id {class_id}")  # not this school's (or gone)
    result = Audience()
    if kind == "staff":
        for staff in (await session.scalars(
            select(Staff).where(Staff.school_id == school_id, Staff.active.is_(True)).order_by(Staff.name)
        )).all():
            if staff.account_id is None:
                result.not_linked[STAFF_BUCKET] += 1
                result.not_linked_people += 1
            else:
                result.accounts[staff.account_id] = (staff.language, (STAFF_BUCKET,))
        return result

    query = (
        select(Guardian.id, Guardian.account_id, Guardian.language, SchoolClass.name)
        .join(Household, Household.id == Guardian.household_id)
        .join(pupil_households, pupil_households.c.household_id == Household.id)
        .join(Pupil, Pupil.id == pupil_households.c.pupil_id)
        .join(SchoolClass, SchoolClass.id == Pupil.class_id)
        .where(Guardian.school_id == school_id, Guardian.active.is_(True), Household.active.is_(True),
               Pupil.active.is_(True))
        .order_by(Guardian.id, SchoolClass.name)
    )
    if class_id is not None:
        query = query.where(SchoolClass.id == class_id)
    else:  # "all parents": those of the classes the open period visits (every other year: not the others)
        period = await current_period(session, school_id)
        if period is not None:
            query = query.where(covers(period.id, SchoolClass.id))
    classes: dict[int, dict[str, None]] = defaultdict(dict)
    people: dict[int, tuple[int | None, str]] = {}
    for guardian_id, account_id, language, class_name in (await session.execute(query)).all():
        classes[guardian_id][class_name] = None
        people[guardian_id] = (account_id, language)
    for guardian_id, (account_id, language) in people.items():
        names = tuple(classes[guardian_id])
        if account_id is None:
            result.not_linked_people += 1
            for name in names:
                result.not_linked[name] += 1
            continue
        # One message per Telegram account, even for a parent in two households.
        known = result.accounts.get(account_id)
        merged = tuple(dict.fromkeys((*(known[1] if known else ()), *names)))
        result.accounts[account_id] = (language, merged)
    return result


async def create(
    session: AsyncSession, school_id: int, kind: str, class_id: int | None, extra: dict[str, str], *,
    created_by: int | None, progress_account_id: int | None, now: datetime,
) -> Broadcast:
    """Queue one announcement per recipient, all in one transaction."""
    extra = {lang: " ".join(text.split())[:MAX_EXTRA] for lang, text in extra.items() if text and text.strip()}
    who = await audience(session, school_id, kind, class_id)
    broadcast = Broadcast(school_id=school_id, audience=kind, class_id=class_id, extra=extra,
                          status=BroadcastStatus.SENDING,
                          created_by=created_by, progress_account_id=progress_account_id,
                          not_linked={**who.not_linked, TOTAL: who.not_linked_people}, created_at=now)
    session.add(broadcast)
    await session.flush()
    for account_id, (_, classes) in who.accounts.items():
        enqueue(session, school_id=school_id, account_id=account_id, kind="announcement",
                payload={"broadcast": broadcast.id, "classes": list(classes)}, due_at=now, now=now,
                dedupe_key=f"bc:{broadcast.id}:{account_id}", broadcast_id=broadcast.id)
    if not who.accounts:
        broadcast.status = BroadcastStatus.DONE
        broadcast.finished_at = now
    await session.commit()
    return broadcast


@dataclass
class Counts:
    sent: int = 0
    failed: int = 0
    blocked: int = 0
    waiting: int = 0
    not_linked: int = 0


@dataclass
class Report:
    broadcast_id: int
    total: Counts
    per_class: dict[str, Counts]

    @property
    def done(self) -> bool:
        return self.total.waiting == 0


async def report(session: AsyncSession, broadcast_id: int) -> Report:
    broadcast = await session.get(Broadcast, broadcast_id, populate_existing=True)
    total = Counts()
    per_class: dict[str, Counts] = defaultdict(Counts)
    rows = await session.execute(
        select(OutboxMessage.status, OutboxMessage.last_error, OutboxMessage.payload)
        .where(OutboxMessage.broadcast_id == broadcast_id)
    )
    for status, error, payload in rows.all():
        bucket = ("sent" if status in (OutboxStatus.SENT, OutboxStatus.SKIPPED) else "blocked" if error == BLOCKED
                  else "failed" if status == OutboxStatus.FAILED else "waiting")
        setattr(total, bucket, getattr(total, bucket) + 1)
        for name in payload.get("classes", ()):
            counts = per_class[name]
            setattr(counts, bucket, getattr(counts, bucket) + 1)
    for name, count in (broadcast.not_linked or {}).items():
        if name == TOTAL:
            total.not_linked = count
        else:
            per_class[name].not_linked += count
    return Report(broadcast_id, total, dict(sorted(per_class.items())))


async def finish_if_done(session: AsyncSession, broadcast_id: int, now: datetime) -> Report | None:
    """The report, once, when the last message is out (two workers may both ask)."""
    result = await report(session, broadcast_id)
    if not result.done:
        return None
    claimed = await session.execute(
        update(Broadcast).where(Broadcast.id == broadcast_id, Broadcast.status == BroadcastStatus.SENDING)
        .values(status=BroadcastStatus.DONE, finished_at=now).execution_options(synchronize_session=False)
    )
    await session.commit()
    return result if claimed.rowcount == 1 else None


async def broadcasts_of(session: AsyncSession, outbox_ids: list[int]) -> list[int]:
    rows = await session.scalars(
        select(OutboxMessage.broadcast_id).where(OutboxMessage.id.in_(outbox_ids),
                                                 OutboxMessage.broadcast_id.is_not(None)).distinct()
    )
    return sorted(rows.all())


async def classes(session: AsyncSession, school_id: int) -> list[SchoolClass]:
    return list((await session.scalars(
        select(SchoolClass).where(SchoolClass.school_id == school_id).order_by(SchoolClass.name))).all())


async def languages_of(session: AsyncSession, accounts: dict[int, tuple[str | None, tuple[str, ...]]],
                       default: str) -> list[str]:
    """The languages the audience reads in (their own choice first, then the roster's)."""
    if not accounts:
        return []
    chosen = dict((await session.execute(
        select(Account.id, Account.language).where(Account.id.in_(list(accounts)))
    )).all())
    langs = Counter((chosen.get(a) or lang or default) for a, (lang, _) in accounts.items())
    return [lang for lang, _ in langs.most_common()]


async def get(session: AsyncSession, broadcast_id: int) -> Broadcast | None:
    return await session.get(Broadcast, broadcast_id)


async def set_progress_message(session: AsyncSession, broadcast_id: int, message_id: int) -> None:
    """Where the coordinator watches the announcement go out (a chat message to edit)."""
    await session.execute(update(Broadcast).where(Broadcast.id == broadcast_id)
                          .values(progress_message_id=message_id).execution_options(synchronize_session=False))
    await session.commit()


@dataclass(frozen=True)
class ProgressMessage:
    chat_id: int
    message_id: int | None
    language: str


async def progress_message(session: AsyncSession, broadcast_id: int, default_language: str) -> ProgressMessage | None:
    """The coordinator's progress message of this announcement, and the language they read."""
    broadcast = await session.get(Broadcast, broadcast_id)
    if broadcast is None or broadcast.progress_account_id is None:
        return None
    account = await session.get(Account, broadcast.progress_account_id)
    if account is None:
        return None
    language = await language_of(session, account.id, default_language)
    return ProgressMessage(account.chat_id, broadcast.progress_message_id, language)
