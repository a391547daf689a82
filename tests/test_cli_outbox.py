"""`homevisit outbox`: the coordinator sees the messages that failed for good, for whom,
and queues them again."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from db.models import OutboxMessage
from tests.visit_setup import (
    JEROEN,
    link_guardian,
    link_teacher,
    load_roster,
    new_school,
)


@pytest.fixture
async def failed(engine, database_url, sessionmaker, clock):
    """Two messages that failed for good (a parent's and a teacher's), one whose reader
    blocked the bot, one still pending and one sent."""
    now = clock.now()
    async with sessionmaker() as session:
        school_id = await new_school(session, now)
        await load_roster(session, school_id, now)
        anouk = await link_guardian(session, "Anouk Jansen", now)
        jeroen = await link_teacher(session, JEROEN, now)
        emily = await link_guardian(session, "Emily Smith", now)

        def row(account_id, kind, status, error=None, attempts=5, created=now):
            message = OutboxMessage(school_id=school_id, account_id=account_id, kind=kind, payload={}, due_at=created,
                                    status=status, attempts=attempts, last_error=error, created_at=created)
            session.add(message)
            return message

        rows = {
            "parent": row(anouk, "invitation", "failed", "bad request: chat not found",
                          created=now - timedelta(days=1)),
            "teacher": row(jeroen, "teacher_overview", "failed", "timed out", attempts=8),
            "blocked": row(emily, "reminder", "failed", "blocked", attempts=1),
            "pending": row(anouk, "reminder", "pending", attempts=0),
            "sent": row(jeroen, "announcement", "sent", attempts=1),
        }
        await session.commit()
    return {name: message.id for name, message in rows.items()}


async def states(sessionmaker) -> dict[int, tuple[str, int, str | None]]:
    async with sessionmaker() as session:
        rows = (await session.scalars(select(OutboxMessage))).all()
        return {m.id: (m.status, m.attempts, m.last_error) for m in rows}


ROW = re.compile(r"^\s*(\d+)  ")  # a message's line starts with its id


def line_of(out: str, message_id: int) -> str:
    found = [line for line in out.splitlines() if (m := ROW.match(line)) and int(m[1]) == message_id]
    assert len(found) == 1, out
    return found[0]


async def test_failed_lists_each_message_with_kind_recipient_attempts_reason_and_date(failed, database_url, cli):
    ran = await cli(database_url, "outbox", "--failed")
    assert ran.code == 0, ran.err
    parent = line_of(ran.out, failed["parent"])
    for words in ("invitation", "guardian Anouk Jansen", "5", "bad request: chat not found", "2026-11-09 16:00"):
        assert words in parent
    teacher = line_of(ran.out, failed["teacher"])
    for words in ("teacher_overview", f"teacher {JEROEN}", "8", "timed out", "2026-11-10 16:00"):
        assert words in teacher
    listed = {int(m[1]) for line in ran.out.splitlines() if (m := ROW.match(line))}
    assert listed == {failed["parent"], failed["teacher"]}  # not blocked, pending or sent
    assert "2 messages failed for good" in ran.out

    summary = await cli(database_url, "outbox")
    assert summary.code == 0 and "2 messages failed for good" in summary.out and "--failed" in summary.out


async def test_retry_queues_the_named_messages_again(failed, database_url, sessionmaker, cli):
    ran = await cli(database_url, "outbox", "--retry", str(failed["teacher"]))
    assert ran.code == 0, ran.err
    assert "1 message queued again" in ran.out
    now = await states(sessionmaker)
    assert now[failed["teacher"]] == ("pending", 0, None)
    assert now[failed["parent"]] == ("failed", 5, "bad request: chat not found")
    assert line_of((await cli(database_url, "outbox", "--failed")).out, failed["parent"])


async def test_retry_of_a_message_that_did_not_fail_changes_nothing(failed, database_url, sessionmaker, cli):
    before = await states(sessionmaker)
    ran = await cli(database_url, "outbox", "--retry", str(failed["parent"]), str(failed["sent"]), "999999")
    assert ran.code == 1
    assert f"{failed['sent']}, 999999" in ran.err and "nothing was queued" in ran.err
    assert await states(sessionmaker) == before


async def test_retry_all_queues_every_failed_message_but_not_blocked_readers(failed, database_url, sessionmaker, cli):
    ran = await cli(database_url, "outbox", "--retry-all")
    assert ran.code == 0, ran.err
    assert "2 messages queued again" in ran.out
    now = await states(sessionmaker)
    assert now[failed["parent"]] == now[failed["teacher"]] == ("pending", 0, None)
    assert now[failed["blocked"]] == ("failed", 1, "blocked")
    assert now[failed["sent"]][0] == "sent"
    after = await cli(database_url, "outbox", "--failed")
    assert after.code == 0 and "no messages failed for good" in after.out


async def test_retry_and_retry_all_do_not_go_together(database_url, cli):
    ran = await cli(database_url, "outbox", "--retry", "1", "--retry-all")
    assert ran.code == 2 and "not allowed with" in ran.err
