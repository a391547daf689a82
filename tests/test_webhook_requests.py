"""What Telegram (and the operator) sees of single webhook posts: a body that is not an
update is refused with a 400 (415 for a body that is not JSON) and one log line that
does not repeat it, and an update is answered only once it has been handled, so a
worker that dies meanwhile never told Telegram it had it.

The real `serve()` runs here in the test's event loop, in webhook mode, against the
Bot API double, and is reached over real HTTP."""
from __future__ import annotations

import asyncio
import json
import logging
import time

import aiohttp
import pytest

from bot.serve import serve
from db.session import make_engine
from tests.conftest import make_settings
from tests.databases import wipe
from tests.test_webhook import SECRET
from tests.web_setup import free_port, until_healthy

MARK = "PRIVATE-PUPIL-NOTE-7731"  # must never reach the log
HEADERS = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}


class Server:
    def __init__(self, url: str, http: aiohttp.ClientSession) -> None:
        self.url = url
        self.http = http
        self.update_id = 90_000

    def message(self, user_id: int, text: str) -> dict:
        self.update_id += 1
        message = {"message_id": self.update_id, "date": int(time.time()), "text": text,
                   "chat": {"id": user_id, "type": "private"},
                   "from": {"id": user_id, "is_bot": False, "first_name": "U", "language_code": "nl"}}
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        return {"update_id": self.update_id, "message": message}

    async def post(self, body: bytes, headers: dict | None = None) -> tuple[int, str]:
        async with self.http.post(f"{self.url}/telegram", data=body,
                                  headers=HEADERS if headers is None else headers) as response:
            return response.status, await response.text()


async def until(what: str, condition, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)
    return result


@pytest.fixture(scope="module")
async def server(double, database_url):
    engine = make_engine(database_url)
    await wipe(engine)
    await engine.dispose()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = make_settings(database_url, bot_token=double.token, telegram_api_url=double.url,
                             webhook_url=f"{url}/telegram", webhook_secret=SECRET, webhook_port=port)
    stop = asyncio.Event()
    task = asyncio.create_task(serve(settings, stop))
    async with aiohttp.ClientSession() as http:
        await until_healthy(http, url, lambda: task.exception() if task.done() else None, "the web server")
        yield Server(url, http)
        stop.set()
        await asyncio.wait_for(task, 15)


NESTED = b"[" * 100_000 + b"]" * 100_000
BAD_BODIES = {
    "null": b"null",
    "a list": b"[]",
    "a number": b"42",
    "a string": json.dumps(MARK).encode(),
    "no update id": json.dumps({"message": MARK}).encode(),
    "a text update id": json.dumps({"update_id": MARK}).encode(),
    "a fractional update id": json.dumps({"update_id": 1.5, "message": MARK}).encode(),
    "a boolean update id": json.dumps({"update_id": True, "message": MARK}).encode(),
    "a message that is a string": json.dumps({"update_id": 91_001, "message": MARK}).encode(),
    "a message without a chat": json.dumps({"update_id": 91_002, "message": {"message_id": 1, "text": MARK,
                                                                               "date": "yesterday"}}).encode(),
    "100,000 nested arrays": NESTED,
    "100,000 nested arrays in an update": b'{"update_id": 91003, "x": ' + NESTED + b', "m": "' + MARK.encode() + b'"}',
    "invalid UTF-8": b'{"update_id": 91004, "message": {"text": "' + MARK.encode() + b'\xff\xfe"}}',
    "not JSON": b'{"update_id": 91005, "message": ' + MARK.encode(),
    "an empty body": b"",
}


def refusal_lines(records: list[logging.LogRecord]) -> list[logging.LogRecord]:
    # The scheduler's own chatter about its ticks is not about the request.
    return [r for r in records if not r.name.startswith("apscheduler")]


def assert_one_clean_line(records: list[logging.LogRecord], what: str) -> None:
    lines = refusal_lines(records)
    assert len(lines) == 1, (what, [(r.name, r.getMessage()) for r in lines])
    record = lines[0]
    assert record.exc_info is None and record.exc_text is None, (what, "a traceback was logged")
    assert MARK not in record.getMessage(), (what, record.getMessage())


async def test_bodies_that_are_not_updates_are_refused_with_400_and_one_clean_log_line(server, double, caplog):
    caplog.set_level(logging.INFO)
    for what, body in BAD_BODIES.items():
        caplog.clear()
        status, text = await server.post(body)
        assert status == 400, (what, status, text[-300:])
        assert MARK not in text
        assert_one_clean_line(caplog.records, what)

    # Only JSON: a well-formed update sent as text or a form is refused, once logged.
    update = json.dumps(server.message(4001, f"/help {MARK}")).encode()
    for content_type in ("text/plain", "application/x-www-form-urlencoded", None):
        caplog.clear()
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        if content_type:
            headers["Content-Type"] = content_type
        status, _ = await server.post(update, headers)
        assert status == 415, (content_type, status)
        assert_one_clean_line(caplog.records, content_type)

    # The secret is checked first: without it even a bad body is a 403.
    for body in (b"null", NESTED):
        status, _ = await server.post(body, {"Content-Type": "application/json"})
        assert status == 403
    status, _ = await server.post(b"null", {"Content-Type": "text/plain"})
    assert status == 403

    # A body over the size limit is still refused as too large.
    caplog.clear()
    status, _ = await server.post(b'{"update_id": 91010, "x": "' + b"a" * (2 * 1024 * 1024) + b'"}')
    assert status == 413
    assert_one_clean_line(caplog.records, "too large")

    # Nothing of this was handled, and the bot still answers a real update.
    assert double.messages_to(4001) == []
    status, _ = await server.post(json.dumps(server.message(4002, "/help")).encode())
    assert status == 200
    assert double.messages_to(4002), "the bot did not answer after the bad posts"


async def test_an_update_is_answered_only_after_its_reply_was_sent(server, double):
    chat = 4101
    double.hold_sends = asyncio.Event()  # the bot's reply hangs in flight
    delivered_at_answer: list[int] = []

    async def post() -> int:
        status, _ = await server.post(json.dumps(server.message(chat, "/help")).encode())
        delivered_at_answer.append(len(double.messages_to(chat)))
        return status

    try:
        posting = asyncio.create_task(post())
        await until("the reply in flight", lambda: double.held >= 1)
        assert not posting.done(), "Telegram was told the update was handled while its reply was still in flight"
        double.hold_sends.set()
        double.hold_sends = None
        assert await asyncio.wait_for(posting, 15) == 200
    finally:
        if double.hold_sends is not None:
            double.hold_sends.set()
            double.hold_sends = None
    assert delivered_at_answer == [1], "the 200 came before the reply was delivered"
