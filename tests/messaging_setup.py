"""Shared setup for the messaging tests (reminders, nudges, quiet hours, outbox errors):
a school with the example roster, the autumn period open (Mon 16 – Fri 27 Nov 2026),
people linked through their personal links in chat, and the invitations sent.

The clock stands on Tuesday 10 November 2026, 16:00 in Amsterdam, when a module starts;
tests move it with `moment()` and then let the dispatcher send what is due.
"""
from __future__ import annotations

from datetime import date, datetime, time, timezone

from sqlalchemy import select

from bot.services.availability import add_window
from bot.services.invitations import send_invitations
from bot.services.periods import PeriodDraft, current_period, open_period
from db.models import Account, Guardian, Invitation, OutboxMessage, Staff
from tests.seed import guardian_link, load_example_roster, staff_link
from tests.words import SCHOOL_TZ, Words

UTC = timezone.utc
START = datetime(2026, 11, 10, 15, 0, tzinfo=UTC)  # Tuesday 10 November, 16:00 in Amsterdam
SUN15, MON, TUE, WED = (date(2026, 11, d) for d in (15, 16, 17, 18))
AUTUMN = PeriodDraft("Huisbezoeken najaar", date(2026, 11, 16), date(2026, 11, 27))
NL = Words("nl")


def at(day: date, hhmm: str) -> datetime:
    """A wall-clock time in Amsterdam."""
    hours, minutes = map(int, hhmm.split(":"))
    return datetime.combine(day, time(hours, minutes), tzinfo=SCHOOL_TZ)


async def moment(bot, when: datetime) -> int:
    """Let the clock reach `when` and send what is due then."""
    bot.clock.set(when)
    return await bot.drain()


async def open_autumn(bot) -> None:
    rt = bot.runtime
    async with rt.sessionmaker() as session:
        await open_period(session, rt.school_id, AUTUMN, rt.clock.now())


async def link_teacher(bot, name: str):
    user = bot.user(name.split()[0])
    await user.send(f"/start {await staff_link(bot.runtime, name, language='nl')}")
    return user


async def link_parent(bot, name: str):
    user = bot.user(name.split()[0])
    await user.send(f"/start {await guardian_link(bot.runtime, name)}")
    return user


async def window(bot, teacher_name: str, day: date, start: str, end: str) -> None:
    rt = bot.runtime
    async with rt.sessionmaker() as session:
        period = await current_period(session, rt.school_id)
        teacher_id = await session.scalar(select(Staff.id).where(Staff.name == teacher_name))
        await add_window(session, period, teacher_id, day, time.fromisoformat(start), time.fromisoformat(end),
                         rt.settings.tz, rt.clock.now())


async def invite_all(bot) -> None:
    rt = bot.runtime
    async with rt.sessionmaker() as session:
        await send_invitations(session, await current_period(session, rt.school_id), rt.clock.now(),
                               sibling_visits=rt.settings.sibling_visits)  # as /invite does
    await bot.drain()


async def school(bot, teachers: list[str], parents: list[str],
                 windows: list[tuple[str, date, str, str]] = ()) -> dict[str, object]:
    """The roster, the open period, these people linked, the windows, and the invitations sent.
    Returns the users by first name."""
    bot.clock.set(START)
    await load_example_roster(bot.runtime)
    await open_autumn(bot)
    people = {}
    for name in teachers:
        people[name.split()[0].lower()] = await link_teacher(bot, name)
    for teacher_name, day, start, end in windows:
        await window(bot, teacher_name, day, start, end)
    for name in parents:
        people[name.split()[0].lower()] = await link_parent(bot, name)
    await invite_all(bot)
    return people


def invitation_from(user, teacher_name: str) -> dict:
    for message in user.messages():
        first_button = next(iter(user.buttons(message)), ("", ""))
        if teacher_name in message["text"] and first_button[1].startswith("v2:invitation:"):
            return message
    raise AssertionError(f"{user.first_name} has no invitation from {teacher_name}")


async def book(parent, teacher_name: str, day: date, hhmm: str, venue: str = "Bij ons thuis") -> None:
    """The parent picks a time and a place on the invitation and sends it (in Dutch)."""
    await parent.click(NL("Kies een moment"), message=invitation_from(parent, teacher_name))
    await parent.click(NL.short_day(day))
    await parent.click(NL.time(at(day, hhmm)))
    await parent.click(NL(venue))
    await parent.click(NL("Verstuur"))


def texts(user) -> list[str]:
    return [m["text"] for m in user.messages()]


def count_starting(user, prefix: str) -> int:
    return sum(1 for text in texts(user) if text.startswith(prefix))


async def invitation_of(bot, guardian_name: str, teacher_name: str) -> Invitation:
    rt = bot.runtime
    async with rt.sessionmaker() as session:
        household = await session.scalar(select(Guardian.household_id).where(Guardian.name == guardian_name))
        return (await session.scalars(
            select(Invitation).join(Staff, Staff.id == Invitation.teacher_id)
            .where(Invitation.household_id == household, Staff.name == teacher_name)
        )).one()


async def account_of(bot, user) -> Account:
    async with bot.runtime.sessionmaker() as session:
        return (await session.scalars(select(Account).where(Account.telegram_user_id == user.id))).one()


async def outbox_rows(bot, **where) -> list[OutboxMessage]:
    async with bot.runtime.sessionmaker() as session:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        for column, value in where.items():
            query = query.where(getattr(OutboxMessage, column) == value)
        return list((await session.scalars(query)).all())
