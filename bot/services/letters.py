"""Printable invitation letters for families without Telegram: which households get one,
what each letter names (children, classes, teachers, language), and the fresh personal
links printed on it.

A household gets a letter when none of its active guardians has linked Telegram and it
has not answered yet (a teacher may have recorded a visit agreed by phone, or a "not this
year"), or every household, with `everyone`; limited to one class or one household when
asked.
The letter is in the language of the household's first guardian on the roster (the
school's default when there is none). Its link belongs to the household's first active
guardian without a linked account; printing issues a fresh one (`issue_token`), so that
guardian's older unused links stop working, as with `homevisit invite-links`.
With the server's public address (PUBLIC_URL) every letter of the batch also carries the
household's web page (`web_links`), for a family without Telegram: printing issues a fresh
web link for each household, in the same transaction, so its older web link stops working.
Without it there is no web page, and the letters carry the Telegram link only.

The PDF itself is made in `bot/documents/letters.py`, from the `LetterBatch` this module
returns: plain values, safe to hand to another thread.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.languages import normalise_language
from bot.services import web_links
from bot.services.errors import RuleError
from bot.services.period_scope import covers
from bot.services.periods import current_period
from bot.services.personal_links import issue_token
from db.models import Guardian, Household, Invitation, Pupil, SchoolClass, Staff, pupil_households


@dataclass(frozen=True)
class Child:
    name: str
    class_name: str
    teacher: str | None  # the class teacher's name; None when the class has none


@dataclass(frozen=True)
class Letter:
    household: str  # the roster's household id
    language: str
    children: tuple[Child, ...]
    guardian: str | None = None  # whose personal link is printed on it
    token: str | None = None  # that link's raw token; None when nobody in the household needs one
    linked: bool = False  # a guardian of the household already uses Telegram
    web_link: str | None = None  # the household's fresh web page ({PUBLIC_URL}/v/<token>); None without PUBLIC_URL

    @property
    def teachers(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.teacher for c in self.children if c.teacher))


@dataclass(frozen=True)
class LetterBatch:
    period_name: str
    first_day: date
    last_day: date
    links_valid_until: datetime  # when the fresh links stop working
    letters: tuple[Letter, ...]

    @property
    def fresh_links(self) -> int:
        return sum(1 for letter in self.letters if letter.token)

    @property
    def fresh_web_links(self) -> int:
        return sum(1 for letter in self.letters if letter.web_link)


@dataclass
class _Household:
    external_id: str
    children: list[tuple[tuple, Child]] = field(default_factory=list)  # (sort key, child)
    class_ids: set[int] = field(default_factory=set)
    guardians: list[tuple[int, str, str, int | None]] = field(default_factory=list)  # id, name, language, account
    answered: list[bool] = field(default_factory=list)  # per invitation of the open period: answered yet?

    @property
    def linked(self) -> bool:
        return any(account is not None for *_, account in self.guardians)

    @property
    def waiting(self) -> bool:
        """Not on Telegram, and not every one of its teachers has heard from it yet."""
        return not self.linked and not (self.answered and all(self.answered))


def natural(text: str) -> tuple:
    """'Groep 3' before 'Groep 10'."""
    return tuple(int(part) if part.isdigit() else part.casefold() for part in re.split(r"(\d+)", text))


async def find_class(session: AsyncSession, school_id: int, name: str) -> int:
    """The id of the class with this name (spaces and case as people type them)."""
    wanted = " ".join(name.split()).casefold()
    classes = (await session.execute(
        select(SchoolClass.id, SchoolClass.name).where(SchoolClass.school_id == school_id)
    )).all()
    for class_id, class_name in classes:
        if " ".join(class_name.split()).casefold() == wanted:
            return class_id
    known = ", ".join(sorted((class_name for _, class_name in classes), key=natural)) or "none yet"
    raise RuleError("unknown_class", f"no class named {name!r} (the classes: {known})")


async def _households(session: AsyncSession, school_id: int, period_id: int | None) -> dict[int, _Household]:
    """Every active household with an active pupil: its children, its active guardians, and
    whether it answered each of its invitations of the period."""
    households: dict[int, _Household] = {}
    rows = await session.execute(
        select(Household.id, Household.external_id, Pupil.name, SchoolClass.id, SchoolClass.name, Staff.name,
               Staff.active)
        .join(pupil_households, pupil_households.c.household_id == Household.id)
        .join(Pupil, Pupil.id == pupil_households.c.pupil_id)
        .join(SchoolClass, SchoolClass.id == Pupil.class_id)
        .outerjoin(Staff, Staff.id == SchoolClass.teacher_id)
        .where(Household.school_id == school_id, Household.active.is_(True), Pupil.active.is_(True),
               covers(period_id, SchoolClass.id))  # the classes the period covers (every other year)
    )
    for household_id, external_id, pupil, class_id, class_name, teacher, teacher_active in rows.all():
        entry = households.setdefault(household_id, _Household(external_id))
        child = Child(pupil, class_name, teacher if teacher and teacher_active else None)
        entry.children.append(((natural(class_name), natural(pupil)), child))
        entry.class_ids.add(class_id)
    guardians = await session.execute(
        select(Guardian.id, Guardian.household_id, Guardian.name, Guardian.language, Guardian.account_id)
        .where(Guardian.school_id == school_id, Guardian.active.is_(True))
        .order_by(Guardian.household_id, Guardian.id)
    )
    for guardian_id, household_id, name, language, account_id in guardians.all():
        if household_id in households:
            households[household_id].guardians.append((guardian_id, name, language, account_id))
    for household_id, reached_by in (await session.execute(
        select(Invitation.household_id, Invitation.reached_by).where(Invitation.period_id == period_id)
    )).all():
        if household_id in households:
            households[household_id].answered.append(reached_by is not None)
    return households


async def prepare_letters(
    session: AsyncSession, school_id: int, *, default_language: str, now: datetime, valid_for: timedelta,
    class_id: int | None = None, household: str | None = None, everyone: bool = False,
    public_url: str | None = None,
) -> LetterBatch:
    """The letters to print, with a fresh personal link on each that needs one and, given
    `public_url`, a fresh web link on every one. Commits.

    Raises RuleError: no_period (no visit period is open), unknown_class, unknown_household,
    not_in_class (the household asked for has no pupil in the class asked for), nothing_to_print
    (every household asked for has linked Telegram already).
    """
    period = await current_period(session, school_id)
    if period is None:
        raise RuleError("no_period", "no visit period is open; open one with `homevisit open-period`")
    if class_id is not None and await session.scalar(
        select(SchoolClass.id).where(SchoolClass.id == class_id, SchoolClass.school_id == school_id)
    ) is None:
        raise RuleError("unknown_class", f"no class with id {class_id}")
    households = await _households(session, school_id, period.id)
    if not households:
        raise RuleError("nothing_to_print", "no household has a pupil on the roster; import the roster first")
    chosen = households.items()
    if household is not None:
        chosen = [(key, entry) for key, entry in chosen if entry.external_id == household.strip()]
        if not chosen:
            raise RuleError("unknown_household", f"no household {household!r} with a pupil on the roster")
    if class_id is not None:
        chosen = [(key, entry) for key, entry in chosen if class_id in entry.class_ids]
        if household is not None and not chosen:
            raise RuleError("not_in_class", f"household {household!r} has no pupil in that class")
    if not everyone:
        chosen = [(key, entry) for key, entry in chosen if entry.waiting]
    if not chosen:
        raise RuleError("nothing_to_print", "every household asked for has linked Telegram or answered already "
                        "(add --all to print their letters anyway)")

    fallback = normalise_language(default_language) or "nl"
    letters = []
    for household_id, entry in chosen:
        entry.children.sort(key=lambda pair: pair[0])
        language = normalise_language(entry.guardians[0][2]) if entry.guardians else None
        letters.append((household_id, entry, language or fallback))
    letters.sort(key=lambda item: (item[1].children[0][0], natural(item[1].external_id)))

    web_tokens = (await web_links.issue(session, school_id, [household_id for household_id, *_ in letters], now)
                  if public_url else {})
    result = []
    for household_id, entry, language in letters:
        unlinked = [(guardian_id, name) for guardian_id, name, _, account in entry.guardians if account is None]
        guardian, token = None, None
        if unlinked:
            guardian_id, guardian = unlinked[0]
            token = await issue_token(session, now=now, valid_for=valid_for, guardian_id=guardian_id)
        web_token = web_tokens.get(household_id)
        result.append(Letter(entry.external_id, language, tuple(child for _, child in entry.children),
                             guardian, token, entry.linked,
                             web_links.web_url(public_url, web_token) if public_url and web_token else None))
    await session.commit()
    return LetterBatch(period.name, period.first_day, period.last_day, now + valid_for, tuple(result))


async def households_waiting(session: AsyncSession, school_id: int) -> tuple[int, dict[int, int]]:
    """How many households would get a letter (not on Telegram, not answered yet): in the
    school, and per class id."""
    per_class: dict[int, int] = defaultdict(int)
    total = 0
    period = await current_period(session, school_id)
    for entry in (await _households(session, school_id, period.id if period else None)).values():
        if not entry.waiting:
            continue
        total += 1
        for class_id in entry.class_ids:
            per_class[class_id] += 1
    return total, dict(per_class)
