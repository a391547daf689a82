"""Invitation tokens: unguessable, single-use, expiring, replaced by newer ones, stored hashed."""
from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from bot.services.personal_links import Redeemed, hash_token, issue_token, redeem
from bot.services.schools import ensure_school
from bot.services.staff import add_staff
from db.models import InviteToken, Staff
from tests.seed import only_school


async def _teacher(session, clock):
    school = await ensure_school(session, "De Regenboog", "Europe/Amsterdam", "nl", clock.now())
    staff = await add_staff(session, school.id, name="Marieke de Vries", role="teacher", language=None, now=clock.now())
    await session.commit()
    return school.id, staff.id


async def _issue(session, clock, staff_id, days=60):
    token = await issue_token(session, now=clock.now(), valid_for=timedelta(days=days),
                              staff_id=staff_id)
    await session.commit()
    return token


async def _redeem(session, clock, token, user_id):
    return await redeem(session, token,
                        school_id=await only_school(session),
                        telegram_user_id=user_id, chat_id=user_id, telegram_language="nl",
                        now=clock.now())


async def test_token_is_long_random_and_only_its_hash_is_stored(session, clock):
    _, staff_id = await _teacher(session, clock)
    tokens = {await _issue(session, clock, staff_id) for _ in range(20)}
    assert len(tokens) == 20
    for token in tokens:
        assert len(token) * 6 >= 128 and len(token) <= 64  # bits of entropy; Telegram's start limit
        assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
    dump = " ".join(str(v) for row in (await session.execute(text("SELECT * FROM invite_tokens"))).all() for v in row)
    assert not any(token in dump for token in tokens)
    stored = set((await session.scalars(select(InviteToken.token_hash))).all())
    assert {hash_token(t) for t in tokens} == stored


async def test_token_works_once(session, clock):
    _, staff_id = await _teacher(session, clock)
    token = await _issue(session, clock, staff_id)
    assert (await _redeem(session, clock, token, 1)).outcome is Redeemed.LINKED
    assert (await _redeem(session, clock, token, 1)).outcome is Redeemed.ALREADY_LINKED
    assert (await _redeem(session, clock, token, 2)).outcome is Redeemed.USED_ELSEWHERE
    staff = await session.get(Staff, staff_id)
    await session.refresh(staff)
    assert staff.account_id is not None


async def test_expired_and_replaced_tokens_link_nobody(session, clock):
    _, staff_id = await _teacher(session, clock)
    short = await _issue(session, clock, staff_id, days=1)
    clock.advance(timedelta(days=2))
    assert (await _redeem(session, clock, short, 1)).outcome is Redeemed.EXPIRED
    first = await _issue(session, clock, staff_id)
    second = await _issue(session, clock, staff_id)
    assert (await _redeem(session, clock, first, 1)).outcome is Redeemed.REPLACED
    staff = await session.get(Staff, staff_id)
    await session.refresh(staff)
    assert staff.account_id is None
    assert (await _redeem(session, clock, second, 1)).outcome is Redeemed.LINKED


async def test_two_accounts_opening_one_link_at_once_link_exactly_one(sessionmaker, clock):
    async with sessionmaker() as session:
        _, staff_id = await _teacher(session, clock)
        token = await _issue(session, clock, staff_id)

    async def attempt(user_id):
        async with sessionmaker() as s:
            return (await _redeem(s, clock, token, user_id)).outcome

    outcomes = await asyncio.gather(*(attempt(100 + i) for i in range(5)), return_exceptions=True)
    assert outcomes.count(Redeemed.LINKED) == 1, outcomes
    assert all(o in (Redeemed.LINKED, Redeemed.USED_ELSEWHERE) for o in outcomes), outcomes


async def test_garbage_is_unknown(session, clock):
    await _teacher(session, clock)
    for raw in ["", "short", "A" * 65, "with space in it here", "ÄÖÜ" * 10]:
        assert (await _redeem(session, clock, raw, 1)).outcome is Redeemed.UNKNOWN


async def _two_schools_with_a_teacher_each(session, clock):
    """Two schools of a board, each with a teacher of the same name."""
    a = await ensure_school(session, "De Regenboog", "Europe/Amsterdam", "nl", clock.now(), key="regenboog")
    b = await ensure_school(session, "De Zonnebloem", "Europe/Amsterdam", "nl", clock.now(), key="zonnebloem")
    staff = {}
    for school in (a, b):
        staff[school.id] = (await add_staff(session, school.id, name="Marieke de Vries", role="teacher",
                                            language=None, now=clock.now())).id
    await session.commit()
    return a.id, b.id, staff


async def _redeem_in(session, clock, token, school_id, user_id):
    return (await redeem(session, token, school_id=school_id, telegram_user_id=user_id, chat_id=user_id,
                         telegram_language="nl", now=clock.now())).outcome


async def test_a_token_is_the_school_of_the_person_it_is_for(session, clock):
    """issue_token takes the token's school from the person's row: each school's teacher gets a
    token of her own school, unknown in the other school and good in hers."""
    a, b, staff = await _two_schools_with_a_teacher_each(session, clock)
    for user_id, (school_id, other) in enumerate(((a, b), (b, a)), start=1):
        token = await issue_token(session, now=clock.now(), valid_for=timedelta(days=1), staff_id=staff[school_id])
        await session.commit()
        assert await session.scalar(select(InviteToken.school_id)
                                    .where(InviteToken.token_hash == hash_token(token))) == school_id
        assert await _redeem_in(session, clock, token, other, user_id) is Redeemed.UNKNOWN
        teacher = await session.get(Staff, staff[school_id], populate_existing=True)
        assert teacher.account_id is None
        assert await _redeem_in(session, clock, token, school_id, user_id) is Redeemed.LINKED


async def test_a_stored_token_naming_a_person_of_another_school_links_nobody(session, clock):
    """Redeeming checks the pair too: a row that says school A but names B's teacher (written
    by hand, or by an older version) is unknown in A and, being A's, unknown in B."""
    a, b, staff = await _two_schools_with_a_teacher_each(session, clock)
    raw = "A" * 32
    session.add(InviteToken(school_id=a, token_hash=hash_token(raw), staff_id=staff[b], created_at=clock.now(),
                            expires_at=clock.now() + timedelta(days=1)))
    await session.commit()
    assert await _redeem_in(session, clock, raw, a, 1) is Redeemed.UNKNOWN
    assert await _redeem_in(session, clock, raw, b, 1) is Redeemed.UNKNOWN
    assert (await session.get(Staff, staff[b], populate_existing=True)).account_id is None


async def test_a_token_for_nobody_is_refused(session, clock):
    with pytest.raises(ValueError):
        await issue_token(session, now=clock.now(), valid_for=timedelta(days=1), guardian_id=999_999)
