"""A generated school of a few hundred households, linked through the invitation
service (as /start would), for the broadcast, restart and scale tests."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from bot.services.periods import PeriodDraft, open_period
from bot.services.personal_links import issue_token, redeem
from bot.services.roster import import_roster
from bot.services.schools import ensure_school
from db.models import Guardian
from tests.seed import only_school

CLASSES = ("Groep 1", "Groep 2", "Groep 3", "Groep 4", "Groep 5", "Groep 6")
LANGS = ("nl", "en", "tr", "ar", "pl", "uk", "fr", "de", "nl_BE")
FIRST_CHAT = 5_000_000


def roster_csv(households: int) -> bytes:
    lines = ["pupil_id,pupil_name,class,teacher,household_id,guardian_name,guardian_phone,guardian_language"]
    for n in range(households):
        cls = CLASSES[n % len(CLASSES)]
        lines.append(f"B{n:05d},Kind {n},{cls},Juf {cls},HH{n:05d},Ouder {n},+3160000{n:05d},{LANGS[n % len(LANGS)]}")
    return ("\n".join(lines) + "\n").encode()


async def build(sessionmaker, now, *, households: int, unlinked_every: int = 0,
                school_name: str = "De Regenboog") -> dict[str, int]:
    """Import, open a period and link guardians; returns {guardian name: chat id} of the linked."""
    async with sessionmaker() as session:
        school = await ensure_school(session, school_name, "Europe/Amsterdam", "nl", now)
        school_id = school.id
        await import_roster(session, school_id, roster_csv(households), default_language="nl", now=now)
        await open_period(session, school_id, PeriodDraft("Huisbezoeken", date(2026, 11, 16), date(2026, 11, 27)),
                          now)
        guardians = (await session.scalars(select(Guardian).order_by(Guardian.id))).all()
        chats = {}
        for n, guardian in enumerate(guardians):
            if unlinked_every and n % unlinked_every == 0:
                continue
            token = await issue_token(session, now=now, valid_for=timedelta(days=1),
                                      guardian_id=guardian.id)
            await session.commit()
            chat = FIRST_CHAT + n
            await redeem(session, token,
                         school_id=await only_school(session),
                         telegram_user_id=chat, chat_id=chat, telegram_language=None, now=now)
            chats[guardian.name] = chat
    return chats
