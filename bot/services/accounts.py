"""Who is talking to the bot, and in which language we answer them."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, bindparam, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.languages import SUPPORTED_LANGUAGES, normalise_language
from db.models import (
    ROLE_COORDINATOR,
    ROLE_TEACHER,
    Account,
    Guardian,
    ProcessedUpdate,
    Staff,
)


@dataclass(frozen=True)
class Person:
    """A guardian or staff member as the handlers need to see them."""

    kind: str  # "guardian" or "staff"
    id: int
    name: str
    language: str | None
    role: str | None = None  # staff only


@dataclass(frozen=True)
class Identity:
    telegram_user_id: int
    account_id: int | None
    chosen_language: str | None
    telegram_language: str | None
    guardians: tuple[Person, ...] = ()
    staff: Person | None = None

    @property
    def is_known(self) -> bool:
        return bool(self.guardians) or self.staff is not None

    @property
    def is_guardian(self) -> bool:
        return bool(self.guardians)

    @property
    def guardian_ids(self) -> tuple[int, ...]:
        return tuple(g.id for g in self.guardians)

    @property
    def is_teacher(self) -> bool:
        return self.staff is not None and self.staff.role == ROLE_TEACHER

    @property
    def is_coordinator(self) -> bool:
        return self.staff is not None and self.staff.role == ROLE_COORDINATOR

    @property
    def name(self) -> str | None:
        if self.staff is not None:
            return self.staff.name
        return self.guardians[0].name if self.guardians else None

    def language(self, default: str) -> str:
        """The reader's language: their own choice, then the roster, then Telegram's, then the school's."""
        if self.chosen_language in SUPPORTED_LANGUAGES:
            return self.chosen_language
        for person in (self.staff, *self.guardians):
            if person is not None and person.language in SUPPORTED_LANGUAGES:
                return person.language
        from_app = normalise_language(self.telegram_language)
        return from_app or default


async def touch_account(
    session: AsyncSession, school_id: int, telegram_user_id: int, chat_id: int, telegram_language: str | None,
    now: datetime, *, commit: bool = True,
) -> Account:
    """The account of this Telegram user with this school's bot, created on first contact.
    Writes only on change."""
    account = await session.scalar(select(Account).where(Account.school_id == school_id,
                                                         Account.telegram_user_id == telegram_user_id))
    if account is None:
        account = Account(
            school_id=school_id,
            telegram_user_id=telegram_user_id,
            chat_id=chat_id,
            telegram_language=telegram_language,
            created_at=now,
            updated_at=now,
        )
        session.add(account)
        await (session.commit() if commit else session.flush())
    elif account.chat_id != chat_id or account.telegram_language != telegram_language or account.blocked_at:
        account.chat_id = chat_id
        account.telegram_language = telegram_language
        account.blocked_at = None  # they write to us again: they can be reached again
        account.updated_at = now
        if commit:
            await session.commit()
    return account


async def set_blocked(session: AsyncSession, school_id: int, telegram_user_id: int, blocked: bool,
                      now: datetime) -> bool:
    """The person blocked (or unblocked) this school's bot, as Telegram tells with `my_chat_member`:
    they are unreachable from now on (their family goes on the call list), or reachable again."""
    result = await session.execute(
        update(Account).where(Account.school_id == school_id, Account.telegram_user_id == telegram_user_id)
        .values(blocked_at=now if blocked else None, updated_at=now).execution_options(synchronize_session=False))
    await session.commit()
    return result.rowcount == 1


# Has this update been handled to the end before (Telegram delivers again what it thinks
# we missed)? Asked in the same round trip as the identity.
_HANDLED = exists().where(ProcessedUpdate.school_id == bindparam("school_id"),
                          ProcessedUpdate.update_id == bindparam("update_id"))



# The columns of an account's identity, for queries that read it along with something else.
IDENTITY_COLUMNS = (
    Account.id.label("account_id"), Account.language.label("chosen"),
    Guardian.id.label("guardian_id"), Guardian.name.label("guardian_name"),
    Guardian.language.label("guardian_language"),
    Staff.id.label("staff_id"), Staff.name.label("staff_name"), Staff.language.label("staff_language"),
    Staff.role.label("staff_role"),
)


def with_people(query):
    """`query` joined to the account's active guardian rows and staff row (IDENTITY_COLUMNS)."""
    return (query.outerjoin(Guardian, and_(Guardian.account_id == Account.id, Guardian.active.is_(True)))
            .outerjoin(Staff, and_(Staff.account_id == Account.id, Staff.active.is_(True))).order_by(Guardian.id))


# Every update starts with this query: built once, with bound parameters, and read as
# plain rows (no ORM objects), because it runs for every button press and message.
_IDENTITY = with_people(
    select(_HANDLED.label("handled"), Account.chat_id, Account.telegram_language, Account.blocked_at,
           *IDENTITY_COLUMNS)
    .where(Account.school_id == bindparam("school_id"), Account.telegram_user_id == bindparam("telegram_user_id"))
)


_BY_ACCOUNT = with_people(select(Account.telegram_user_id, Account.telegram_language, *IDENTITY_COLUMNS)
                          .where(Account.id == bindparam("account_id")))


async def language_of(session: AsyncSession, account_id: int, default: str) -> str:
    """The language this account's person reads (for messages not answering an update), in
    one query."""
    rows = (await session.execute(_BY_ACCOUNT, {"account_id": account_id})).all()
    if not rows:
        return default
    return identity_of_rows(rows, rows[0].telegram_user_id, rows[0].telegram_language).language(default)


async def load_identity(
    session: AsyncSession, school_id: int, telegram_user_id: int, chat_id: int, telegram_language: str | None,
    now: datetime, update_id: int = -1,
) -> tuple[Identity, bool]:
    """Who is writing to this school's bot, and whether update `update_id` was handled
    before, in one query (account, guardian rows, staff row); the account is created on
    first contact and kept current. Every update starts here."""
    keys = {"school_id": school_id, "telegram_user_id": telegram_user_id, "update_id": update_id}
    rows = (await session.execute(_IDENTITY, keys)).all()
    if not rows:
        if await session.scalar(select(_HANDLED), {"school_id": school_id, "update_id": update_id}):
            return anonymous(telegram_user_id, telegram_language), True
        account = await touch_account(session, school_id, telegram_user_id, chat_id, telegram_language, now)
        return Identity(telegram_user_id, account.id, account.language, account.telegram_language), False
    first = rows[0]
    if first.handled:
        return Identity(telegram_user_id, first.account_id, first.chosen, telegram_language), True
    if first.chat_id != chat_id or first.telegram_language != telegram_language or first.blocked_at:
        await touch_account(session, school_id, telegram_user_id, chat_id, telegram_language, now)
    return identity_of_rows(rows, telegram_user_id, telegram_language), False


def identity_of_rows(rows, telegram_user_id: int, telegram_language: str | None) -> Identity:
    """The identity in rows of IDENTITY_COLUMNS (one row per guardian row of the account)."""
    first = rows[0]
    guardians = {row.guardian_id: Person("guardian", row.guardian_id, row.guardian_name, row.guardian_language)
                 for row in rows if row.guardian_id is not None}
    staff = None
    if first.staff_id is not None:
        staff = Person("staff", first.staff_id, first.staff_name, first.staff_language, first.staff_role)
    return Identity(
        telegram_user_id=telegram_user_id,
        account_id=first.account_id,
        chosen_language=first.chosen,
        telegram_language=telegram_language,
        guardians=tuple(guardians.values()),
        staff=staff,
    )


def anonymous(telegram_user_id: int, telegram_language: str | None) -> Identity:
    return Identity(telegram_user_id, None, None, telegram_language)


_CHOOSE_LANGUAGE = (
    update(Account.__table__).where(Account.__table__.c.school_id == bindparam("school"),
                                    Account.__table__.c.telegram_user_id == bindparam("user"))
    .values(language=bindparam("choice"), updated_at=bindparam("at"))
)


async def choose_language(session: AsyncSession, school_id: int, telegram_user_id: int, language: str,
                          now: datetime) -> bool:
    """Remember the language someone picked. False when the code is not one we speak."""
    if language not in SUPPORTED_LANGUAGES:
        return False
    changed = await session.execute(_CHOOSE_LANGUAGE, {"school": school_id, "user": telegram_user_id,
                                                       "choice": language, "at": now})
    await session.commit()
    return changed.rowcount == 1
