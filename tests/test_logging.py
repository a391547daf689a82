"""Log lines say which worker wrote them and for which update, whoever logs: our code,
python-telegram-bot, aiohttp or SQLAlchemy."""
from __future__ import annotations

import asyncio
import logging
import re

import pytest

from bot import logs

LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d (?P<level>[A-Z]+) (?P<name>\S+) "
                  r"\[worker=(?P<worker>\S+) update=(?P<update>\S+)\]: (?P<message>.*)$")


@pytest.fixture
def configured(capsys):
    """`logs.configure` as `homevisit` calls it; the root logger put back afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    named = {name: logging.getLogger(name).level for name in (*logs.OURS, *logs.QUIETER)}

    def configure(level: str = "INFO", worker: str = "host:123"):
        logs.configure(level, worker)
        capsys.readouterr()

    def lines() -> list[dict[str, str]]:
        found = []
        for line in capsys.readouterr().err.splitlines():
            match = LINE.match(line)
            assert match, f"not in the log format: {line!r}"
            found.append(match.groupdict())
        return found

    yield configure, lines
    root.handlers[:], root.level = handlers, level
    for name, named_level in named.items():
        logging.getLogger(name).setLevel(named_level)


def test_every_line_carries_worker_and_update(configured):
    configure, lines = configured
    configure(worker="host:123")
    logging.getLogger("plain.logger").info("before any update")
    token = logs.update_id.set(1042)
    try:
        for name in ("bot.outbox", "telegram.ext.Application", "aiohttp.server", "sqlalchemy.engine.Engine"):
            logging.getLogger(name).warning("while handling")
    finally:
        logs.update_id.reset(token)
    logging.getLogger("plain.logger").info("after")

    found = lines()
    assert [(f["name"], f["worker"], f["update"]) for f in found] == [
        ("plain.logger", "host:123", "-"),
        ("bot.outbox", "host:123", "1042"),
        ("telegram.ext.Application", "host:123", "1042"),
        ("aiohttp.server", "host:123", "1042"),
        ("sqlalchemy.engine.Engine", "host:123", "1042"),
        ("plain.logger", "host:123", "-"),
    ]
    assert found[0]["level"] == "INFO" and found[0]["message"] == "before any update"


async def test_updates_handled_at_once_each_keep_their_own_id(configured):
    configure, lines = configured
    configure()
    log = logging.getLogger("bot.handlers")
    turns = [asyncio.Event() for _ in range(3)]

    async def handle(update: int, wait: asyncio.Event, then: asyncio.Event | None) -> None:
        logs.update_id.set(update)
        await wait.wait()
        log.info("handled %s", update)
        if then is not None:
            then.set()

    tasks = [asyncio.create_task(handle(7, turns[0], turns[1])),
             asyncio.create_task(handle(8, turns[1], turns[2])),
             asyncio.create_task(handle(9, turns[2], None))]
    turns[0].set()
    await asyncio.gather(*tasks)
    log.info("between updates")
    assert [(f["message"], f["update"]) for f in lines()] == [
        ("handled 7", "7"), ("handled 8", "8"), ("handled 9", "9"), ("between updates", "-")]


def test_level_filters_and_configure_twice_gives_one_line_each(configured):
    configure, lines = configured
    configure("INFO")
    configure("WARNING")
    logging.getLogger("bot.x").info("not shown")
    logging.getLogger("bot.x").warning("shown once")
    assert [f["message"] for f in lines()] == ["shown once"]


def test_debug_is_for_our_code_not_for_the_libraries_that_log_message_contents(configured):
    """python-telegram-bot logs every update and request (texts, names) at DEBUG."""
    configure, lines = configured
    configure("DEBUG")
    logging.getLogger("bot.outbox").debug("ours")
    logging.getLogger("db.session").debug("ours too")
    logging.getLogger("telegram.ext.Updater").debug("an update with a parent's message")
    logging.getLogger("telegram.Bot").debug("sendMessage with text")
    logging.getLogger("aiosqlite").debug("executing INSERT INTO notes ... ('the note',)")
    logging.getLogger("httpx").info("HTTP Request: POST https://api.telegram.org/bot123:abc/getUpdates")
    logging.getLogger("telegram.ext.Application").info("Application started")
    assert [f["message"] for f in lines()] == ["ours", "ours too", "Application started"]


async def test_a_database_error_in_the_log_names_no_personal_data(session, clock):
    """An error from the database (here a unique violation) names the statement, not the
    names and phone numbers that were in it: such errors end up in the log."""
    from sqlalchemy.exc import IntegrityError

    from bot.services.schools import ensure_school
    from db.models import Staff

    school = await ensure_school(session, "De Regenboog", "Europe/Amsterdam", "nl", clock.now())
    for _ in range(2):
        session.add(Staff(school_id=school.id, name="Wilma Hoekstra-Privé", role="teacher", created_at=clock.now()))
        try:
            await session.commit()
        except IntegrityError as exc:
            error = str(exc)
    assert "INSERT INTO staff" in error
    assert "Hoekstra-Privé" not in error
