"""The outbox when things go wrong inside it: a message that cannot be rendered, or
whose workers keep dying, is not tried for ever but parked as failed with the reason;
the coordinator sees the count in /coverage and can send them again; no database
connection is held while a message waits for Telegram; a long text arrives whole, in
several messages; and two planners at once queue nothing twice and fail nothing."""
from __future__ import annotations

import asyncio
import sqlite3
from datetime import timedelta

import pytest
from sqlalchemy import event, select, text, update
from sqlalchemy.engine import make_url

from bot.app import plan
from bot.clock import MovableClock
from bot.notices import RENDERERS, Rendered
from bot.outbox import MAX_ATTEMPTS
from bot.services.booking import confirm, request_slot
from bot.services.notes import save
from bot.services.outbox import enqueue
from db.models import Guardian, OutboxMessage
from db.session import is_sqlite, make_engine
from tests.messaging_setup import MON, NL, START, account_of, at, school
from tests.seed import staff_link
from tests.visit_setup import invitation as invitation_of

MARIEKE = "Marieke de Vries"


@pytest.fixture(scope="module")
def module_clock(database_url) -> MovableClock:
    return MovableClock(START)


@pytest.fixture(scope="module")
async def people(bot):
    people = await school(bot, [MARIEKE], ["Petra Mulder"], [(MARIEKE, MON, "15:00", "20:00")])
    wilma = bot.user("Wilma")
    await wilma.send(f"/start {await staff_link(bot.runtime, 'Wilma Hoekstra', role='coordinator', language='nl')}")
    people["wilma"] = wilma
    return people


async def queue(bot, user, kind: str, payload: dict) -> int:
    rt = bot.runtime
    account = await account_of(bot, user)
    async with rt.sessionmaker() as session:
        row = enqueue(session, school_id=rt.school_id, account_id=account.id, kind=kind, payload=payload,
                      due_at=rt.clock.now(), now=rt.clock.now(), quiet=False)
        await session.commit()
        return row.id


async def row(bot, message_id: int) -> OutboxMessage:
    async with bot.runtime.sessionmaker() as session:
        return await session.get(OutboxMessage, message_id)


BROKEN: list[int] = []


async def test_a_message_that_cannot_be_rendered_is_retried_then_parked_as_failed(bot, people):
    broken = await queue(bot, people["petra"], "invitation", {})  # no invitation in it: the renderer fails
    BROKEN.append(broken)
    await bot.drain()
    first = await row(bot, broken)
    assert (first.status, first.attempts, first.last_error) == ("pending", 1, "error: KeyError")
    assert first.due_at > bot.clock.now()  # backoff, not at once again
    for _ in range(MAX_ATTEMPTS):
        bot.clock.advance(timedelta(minutes=10))
        await bot.drain()
    last = await row(bot, broken)
    assert (last.status, last.attempts, last.last_error) == ("failed", MAX_ATTEMPTS, "error: KeyError")


async def test_a_message_whose_workers_keep_dying_is_given_up(bot, people):
    stuck = await queue(bot, people["petra"], "invitation", {})
    BROKEN.append(stuck)
    async with bot.runtime.sessionmaker() as session:  # as a worker that died while sending it, eight times
        await session.execute(update(OutboxMessage).where(OutboxMessage.id == stuck).values(
            status="sending", attempts=MAX_ATTEMPTS, claimed_until=bot.clock.now() - timedelta(seconds=1)))
        await session.commit()
    await bot.drain()
    given_up = await row(bot, stuck)
    assert (given_up.status, given_up.last_error) == ("failed", f"gave up after {MAX_ATTEMPTS} attempts")


async def test_the_coordinator_sees_what_failed_and_sends_it_again(bot, people):
    wilma = people["wilma"]
    [summary] = await wilma.send("/coverage")
    warning = NL.n("{count} bericht kon niet worden afgeleverd, ook niet na een paar pogingen.",
                   "{count} berichten konden niet worden afgeleverd, ook niet na een paar pogingen.", 2)
    assert warning in summary["text"]
    # Send them again: they go out afresh at once (and here fail once more, being broken).
    answer = await wilma.click(NL("Niet afgeleverde berichten opnieuw proberen"), message=summary)
    assert answer["text"] == NL.n("{count} bericht gaat opnieuw de deur uit.",
                                  "{count} berichten gaan opnieuw de deur uit.", 2)
    async with bot.runtime.sessionmaker() as session:
        rows = (await session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(BROKEN)))).all()
    assert [(r.status, r.attempts, r.last_error) for r in rows] == [("pending", 1, "error: KeyError")] * 2


async def test_no_database_connection_is_held_while_a_message_waits_for_telegram(bot, people):
    petra = people["petra"]
    sent_before = len(petra.messages())
    long_news = await queue(bot, petra, "test_long", {})
    scheduler = bot.app.job_queue.scheduler
    scheduler.pause()  # no planner or outbox tick meanwhile: every connection counted is the dispatcher's
    bot.double.hold_sends = asyncio.Event()
    RENDERERS["test_long"] = _long_text
    try:
        sending = asyncio.create_task(bot.drain())
        while bot.double.held == 0:
            assert not sending.done(), sending.result()
            await asyncio.sleep(0.01)
        assert bot.runtime.engine.pool.checkedout() == 0  # the message waits for Telegram, no transaction open
        bot.double.hold_sends.set()
        await sending
    finally:
        bot.double.hold_sends = None
        RENDERERS.pop("test_long")
        scheduler.resume()
    # The long text arrived whole, in pieces Telegram accepts, the buttons on the last one.
    parts = petra.messages()[sent_before:]
    assert len(parts) == 2 and "\n".join(p["text"] for p in parts) == (await _long_text(None, None, None, {})).text
    assert "reply_markup" not in parts[0] and parts[1]["reply_markup"]
    assert (await row(bot, long_news)).status == "sent"


async def _long_text(session, rt, t, payload) -> Rendered:
    from bot.screens.keyboard import button, markup
    from bot.screens.language import LANGUAGES

    lines = [f"Regel {n:04d}: " + "een heel lange zin over het huisbezoek " * 2 for n in range(80)]
    return Rendered("\n".join(lines), markup([button("🌐 Taal", LANGUAGES)]))


async def test_two_planners_at_once_queue_once_and_neither_fails(bot, database_url, people):
    """Another worker's planner queues the same Monday overview between this planner's
    look and its insert. Before, the insert then failed with a unique violation and the
    tick with it; now the insert does nothing."""
    rt = bot.runtime
    rt.clock.set(START + timedelta(days=6, hours=-7))  # Monday 16 November, 09:00 in Amsterdam
    async with rt.sessionmaker() as session:  # a visit with an open follow-up, for the Monday overview
        inv = await invitation_of(session, "H006", MARIEKE)
        guardian_id = await session.scalar(select(Guardian.id).where(Guardian.household_id == inv.household_id))
        asked = await request_slot(session, inv.id, (guardian_id,), at(MON, "16:15"), "home", None, rt.clock.now())
        await confirm(session, asked.appointment_id, inv.teacher_id, rt.clock.now())
        await save(session, asked.appointment_id, inv.teacher_id, "done", {}, [("books", None)], rt.clock.now())
    key = f"fu:{inv.teacher_id}:2026-47"
    account_id = (await account_of(bot, people["marieke"])).id
    other_row = {"school": rt.school_id, "account": account_id, "key": key, "payload": f'{{"teacher": {inv.teacher_id}}}',
                 "now": rt.clock.now().replace(tzinfo=None)}
    insert = ("INSERT INTO outbox (school_id, account_id, kind, payload, due_at, status, attempts, created_at, quiet, "
              "dedupe_key) VALUES (:school, :account, 'follow_ups_weekly', :payload, :now, 'pending', 0, :now, true, :key)")
    if is_sqlite(database_url):
        # The other worker commits its row at the moment this planner is about to insert.
        def other_worker(conn, cursor, statement, parameters, context, executemany):
            if statement.startswith("INSERT INTO outbox") and key in tuple(parameters or ()):
                with sqlite3.connect(make_url(database_url).database) as raw:
                    raw.execute(insert.replace(":", "$", ).replace("$", ":"), other_row)

        event.listen(rt.engine.sync_engine, "before_cursor_execute", other_worker)
        try:
            await plan(rt)  # did not fail
        finally:
            event.remove(rt.engine.sync_engine, "before_cursor_execute", other_worker)
    else:
        other = make_engine(database_url)
        try:
            async with other.connect() as conn:  # the other worker's row is in, not committed yet
                await conn.execute(text(insert), other_row)
                planning = asyncio.create_task(plan(rt))
                # pg_stat_activity is read once per transaction unless its snapshot is cleared.
                while not await conn.scalar(text(
                        "SELECT count(*) FROM pg_stat_activity, (SELECT pg_stat_clear_snapshot()) AS fresh "
                        "WHERE datname = current_database() AND wait_event_type = 'Lock'")):
                    assert not planning.done(), planning.result()
                    await asyncio.sleep(0.01)
                await conn.commit()  # this planner's insert, waiting on it, meets a committed row
            await planning  # did not fail
        finally:
            await other.dispose()
    async with rt.sessionmaker() as session:
        weekly = (await session.scalars(select(OutboxMessage).where(OutboxMessage.dedupe_key == key))).all()
    assert len(weekly) == 1
