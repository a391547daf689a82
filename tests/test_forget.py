"""/forget over the Bot API double: a parent asks to be forgotten and confirms; their
name, phone and Telegram link are gone, queued messages never arrive, the bot treats
them as a stranger, the school's anonymous counts stay, and re-importing the roster does
not bring them back. Saying no changes nothing."""
from __future__ import annotations

import asyncio
import os
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.services.booking import decline
from bot.services.coverage import coverage
from bot.services.invitations import send_invitations
from bot.services.outbox import enqueue
from bot.services.periods import current_period, open_period
from bot.services.personal_links import issue_pending_links
from bot.services.roster import import_roster
from db.models import (
    Account,
    Guardian,
    Household,
    Invitation,
    InviteToken,
    OutboxMessage,
)
from tests.seed import EXAMPLE_ROSTER, guardian_link, load_example_roster
from tests.visit_setup import AUTUMN
from tests.words import Words

ROOT = Path(__file__).resolve().parent.parent
W = Words("nl")
ASK = W("Wil je dat we je vergeten? Dan halen we je Telegram-koppeling, je naam en je telefoonnummer weg, en "
        "krijg je geen berichten meer van deze bot. Een afspraak die nog staat, vervalt niet vanzelf: zeg die "
        "eerst af als dat nodig is.")
DONE = W("Gedaan. We hebben je gegevens weggehaald. Je krijgt geen berichten meer. Dag, en het allerbeste!")
STRANGER = W("Deze bot is voor ouders en leerkrachten van {school}. Om mee te doen heb je een persoonlijke link van "
             "de school nodig. Open die link, dan weet ik wie je bent.", school="De Regenboog")
GUARDIAN = W("Je krijgt van mij een uitnodiging voor het huisbezoek. Je kiest een moment of een andere plek door op "
             "de knoppen te tikken. Typen hoeft niet. Je kunt ook later nog veranderen, afzeggen of nee zeggen.")


@pytest.fixture(scope="module")
async def school(bot):
    rt = bot.runtime
    await load_example_roster(rt)
    async with rt.sessionmaker() as session:
        period = await open_period(session, rt.school_id, AUTUMN, rt.clock.now())
        await send_invitations(session, period, rt.clock.now())
    people = {}
    for key, name in (("linda", "Linda de Boer"), ("petra", "Petra Mulder")):
        people[key] = bot.user(name.split()[0])
        await people[key].send(f"/start {await guardian_link(rt, name)}")
    return people


async def guardian_row(bot, name_or_id) -> Guardian | None:
    async with bot.runtime.sessionmaker() as session:
        column = Guardian.id if isinstance(name_or_id, int) else Guardian.name
        return await session.scalar(select(Guardian).where(column == name_or_id))


async def report(bot):
    rt = bot.runtime
    async with rt.sessionmaker() as session:
        return await coverage(session, rt.school_id, await current_period(session, rt.school_id), rt.clock.now())


def counts(row) -> dict:
    return {k: getattr(row, k) for k in ("pupils", "households", "linked", "invited", "booked", "visited",
                                         "declined", "unreachable", "pupils_visited")}


async def test_a_parent_is_forgotten(bot, school):
    rt = bot.runtime
    linda = school["linda"]  # Daan's mother (H006); his father lives in H007
    before = await guardian_row(bot, "Linda de Boer")
    assert before.account_id is not None and before.phone == "+31612345608"
    async with rt.sessionmaker() as session:
        # She said no for this year, and a message for her waits for tomorrow.
        invitation = await session.scalar(select(Invitation).join(Household, Household.id == Invitation.household_id)
                                          .where(Household.external_id == "H006"))
        await decline(session, invitation.id, (before.id,), "no_time", rt.clock.now())
        enqueue(session, school_id=rt.school_id, account_id=before.account_id, kind="invitation",
                payload={"invitation": invitation.id, "guardian": before.id},
                due_at=rt.clock.now() + timedelta(days=1), now=rt.clock.now())
        await session.commit()
        guardians_before = await session.scalar(select(func.count()).select_from(Guardian))
    coverage_before = await report(bot)

    [question] = await linda.send("/forget")
    assert question["text"] == ASK
    await linda.click(W("Ja, vergeet mij"), message=question)
    assert linda.last_text() == DONE

    after = await guardian_row(bot, before.id)
    assert after.name == f"#{before.id}" and after.phone is None and after.account_id is None
    assert await guardian_row(bot, "Linda de Boer") is None
    async with rt.sessionmaker() as session:
        assert await session.get(Account, before.account_id) is None
        assert await session.scalar(select(Account).where(Account.telegram_user_id == linda.id)) is None
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)
                                    .where(OutboxMessage.account_id == before.account_id)) == 0
        assert await session.scalar(select(func.count()).select_from(InviteToken)
                                    .where(InviteToken.guardian_id == before.id)) == 0

    # Tomorrow comes and goes: nothing reaches her.
    seen = len(bot.double.calls_of("sendMessage"))
    bot.clock.advance(timedelta(days=2))
    await bot.drain()
    assert not [c for c in bot.double.calls_of("sendMessage")[seen:] if str(c.params.get("chat_id")) == str(linda.id)]

    # The school still counts the household and its answer, without knowing who gave it.
    coverage_after = await report(bot)
    # She answered before she left, so the household counts as reached (in the bot), not unreachable.
    assert counts(coverage_after.school) == {**counts(coverage_before.school),
                                             "linked": coverage_before.school.linked - 1}
    assert coverage_after.school.reached == coverage_before.school.reached == {"bot": 1}
    g3_before, g3_after = coverage_before.classes[0], coverage_after.classes[0]
    assert g3_after.name == "Groep 3" and (g3_after.households, g3_after.declined) == (14, 1)
    assert g3_after.decline_reasons == g3_before.decline_reasons == {"no_time": 1}

    # To the bot she is a stranger now.
    [help_text] = await linda.send("/help")
    assert STRANGER in help_text["text"] and GUARDIAN not in help_text["text"]
    [again] = await linda.send("/forget")
    assert again["text"] == W("Dit is voor ouders. Kijk bij /help wat je kunt doen.")
    assert "Linda" not in help_text["text"]

    # Nobody gets a new personal link for her.
    async with rt.sessionmaker() as session:
        links = await issue_pending_links(session, rt.school_id, default_language="nl", now=rt.clock.now(),
                                          valid_for=timedelta(days=30))
        assert links and not [link for link in links if link.household_id == "H006"]
        assert not [link for link in links if link.name.startswith("#")]

    # The roster still lists her; importing it again does not bring her back, and has nothing to report.
    async with rt.sessionmaker() as session:
        summary = await import_roster(session, rt.school_id, EXAMPLE_ROSTER.read_bytes(), default_language="nl",
                                      now=rt.clock.now())
        assert not summary.changed(), summary.lines()
        assert await session.scalar(select(func.count()).select_from(Guardian)) == guardians_before
        assert await session.scalar(select(Guardian).where(Guardian.name == "Linda de Boer")) is None
        assert await session.scalar(select(Guardian).where(Guardian.phone == "+31612345608")) is None
    code, out, err = await homevisit(rt.settings.database_url, "import-roster", str(EXAMPLE_ROSTER))
    assert code == 0, err
    assert "error" not in (out + err).lower() and "nothing to change" in out
    assert await guardian_row(bot, "Linda de Boer") is None
    # Daan's father in the other household is untouched.
    assert (await guardian_row(bot, "Pieter de Boer")).phone == "+31612345609"


async def test_no_changes_nothing(bot, school):
    petra = school["petra"]
    before = await guardian_row(bot, "Petra Mulder")
    [question] = await petra.send("/forget")
    await petra.click(W("Nee, laat maar"), message=question)
    assert petra.last_text() == W("Goed, er verandert niets.")
    after = await guardian_row(bot, "Petra Mulder")
    assert (after.id, after.name, after.phone, after.account_id, after.forgotten_key) == (
        before.id, "Petra Mulder", "+31612345612", before.account_id, None)
    [help_text] = await petra.send("/help")
    assert GUARDIAN in help_text["text"]


async def test_a_teacher_or_stranger_cannot_forget_a_parent(bot, school):
    stranger = bot.user("Stranger")
    [answer] = await stranger.send("/forget")
    assert answer["text"] == W("Dit is voor ouders. Kijk bij /help wat je kunt doen.")
    press = await stranger.press("v2:forget_yes", message=answer)
    assert press["text"] == W("Deze knop werkt niet meer. Kijk bij /help wat je kunt doen.")
    assert (await guardian_row(bot, "Petra Mulder")).account_id is not None


async def homevisit(database_url: str, *args: str) -> tuple[int, str, str]:
    environment = {k: v for k, v in os.environ.items() if k not in ("BOT_TOKEN", "BOT_USERNAME", "DATABASE_URL")}
    environment.update(DATABASE_URL=database_url, SCHOOL_NAME="De Regenboog")
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", *args, cwd=ROOT, env=environment,
                                                   stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), 120)
    return process.returncode, out.decode(), err.decode()
