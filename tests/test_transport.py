"""The aiohttp transport under python-telegram-bot: what the bot sends arrives as sent,
and Telegram's answers become PTB's own errors, as they would with httpx."""
from __future__ import annotations

import asyncio
import socket

import pytest
from aiohttp import web
from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.sandbox.api import BotAPIDouble, Failure
from bot.transport import AiohttpRequest


@pytest.fixture
async def api():
    double = BotAPIDouble()
    await double.start()
    yield double
    await double.stop()


async def _bot(url: str, token: str, **request_options) -> Bot:
    bot = Bot(token, base_url=url + "/bot", request=AiohttpRequest(**request_options),
              get_updates_request=AiohttpRequest(connection_pool_size=1))
    await bot.initialize()
    return bot


async def test_text_keyboard_and_file_arrive_as_sent(api):
    from telegram import InlineKeyboardButton, InlineKeyboardMarkup

    bot = await _bot(api.url, api.token)
    try:
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("✅ Ja, graag", callback_data="v1:x:1")]])
        message = await bot.send_message(42, "Één bezoek — مرحبا & <b>", reply_markup=markup)
        assert message.text == "Één bezoek — مرحبا & <b>"
        call = api.calls_of("sendMessage")[-1]
        assert call.params["text"] == "Één bezoek — مرحبا & <b>"
        assert message.reply_markup.inline_keyboard[0][0].callback_data == "v1:x:1"

        ics = b"BEGIN:VCALENDAR\r\nSUMMARY:Huisbezoek \xc3\xa9\r\nEND:VCALENDAR\r\n"
        sent = await bot.send_document(42, document=ics, filename="huisbezoek.ics", caption="📅")
        assert api.documents[(42, sent.message_id)] == ics
        assert sent.document.file_name == "huisbezoek.ics"
    finally:
        await bot.shutdown()


async def test_telegram_errors_become_ptb_errors(api):
    bot = await _bot(api.url, api.token)
    try:
        api.failures.append(Failure(429, "Too Many Requests: retry after 7", retry_after=7, method="sendMessage"))
        with pytest.raises(RetryAfter) as too_many:
            await bot.send_message(42, "hallo")
        assert too_many.value.retry_after.total_seconds() == 7

        api.failures.append(Failure(403, "Forbidden: bot was blocked by the user", method="sendMessage"))
        with pytest.raises(Forbidden):
            await bot.send_message(42, "hallo")

        with pytest.raises(BadRequest):  # the double knows no such message
            await bot.edit_message_text("nieuw", chat_id=42, message_id=987_654)

        assert (await bot.send_message(42, "weer goed")).text == "weer goed"  # the connection is still usable
    finally:
        await bot.shutdown()


async def test_unreachable_server_is_a_network_error():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    request = AiohttpRequest()
    await request.initialize()
    try:
        with pytest.raises(NetworkError) as failed:
            await request.post(f"http://127.0.0.1:{port}/botX/getMe")
        assert not isinstance(failed.value, TimedOut)
    finally:
        await request.shutdown()


async def test_a_server_that_does_not_answer_times_out():
    never = asyncio.Event()

    async def hang(_request):
        await never.wait()
        return web.Response()

    app = web.Application()
    app.router.add_post("/{tail:.*}", hang)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    request = AiohttpRequest(read_timeout=0.05, write_timeout=0.05, connect_timeout=0.05)
    await request.initialize()
    try:
        with pytest.raises(TimedOut):
            await request.post(f"http://127.0.0.1:{port}/botX/getMe")
    finally:
        never.set()
        await request.shutdown()
        await runner.cleanup()


async def test_not_usable_before_initialize_or_after_shutdown(api):
    request = AiohttpRequest()
    with pytest.raises(NetworkError, match="not initialized"):  # PTB wraps it, as it does for httpx
        await request.post(api.url + f"/bot{api.token}/getMe")
    await request.initialize()
    assert (await request.post(api.url + f"/bot{api.token}/getMe"))["is_bot"] is True
    await request.shutdown()
    with pytest.raises(NetworkError, match="not initialized"):
        await request.post(api.url + f"/bot{api.token}/getMe")
