"""The aiohttp server: Telegram's webhook (secret-token checked), a health endpoint,
and the teachers' private calendar feeds."""
from __future__ import annotations

import hmac
import json
import logging

from aiohttp import web
from sqlalchemy import text
from telegram import Update

from bot.context import HomevisitApplication
from bot.runtime import Runtime

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
BOT_APP = web.AppKey("bot_app", HomevisitApplication)
RUNTIME = web.AppKey("runtime", Runtime)
MAX_UPDATE_BYTES = 1024 * 1024


def build_web_app(app: HomevisitApplication, runtime: Runtime, path: str = WEBHOOK_PATH) -> web.Application:
    web_app = web.Application(client_max_size=MAX_UPDATE_BYTES)
    web_app[BOT_APP] = app
    web_app[RUNTIME] = runtime
    if runtime.settings.webhook_url:
        web_app.router.add_post(path, telegram_update)
    web_app.router.add_get("/healthz", healthz)
    from bot.calendar_feed import feed

    web_app.router.add_get("/calendar/{token}.ics", feed)
    return web_app


async def telegram_update(request: web.Request) -> web.Response:
    """Take an update from Telegram: check the secret, queue it, answer at once."""
    runtime: Runtime = request.app[RUNTIME]
    expected = runtime.settings.webhook_secret or ""
    given = request.headers.get(SECRET_HEADER, "")
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        log.warning("webhook call refused: wrong or missing secret token from %s", request.remote)
        return web.Response(status=403, text="forbidden")
    try:
        data = await request.json(loads=json.loads)
        update = Update.de_json(data, request.app[BOT_APP].bot)
    except (ValueError, KeyError, TypeError):
        log.warning("webhook call refused: not an update")
        return web.Response(status=400, text="not an update")
    await request.app[BOT_APP].update_queue.put(update)
    return web.Response(text="ok")


async def healthz(request: web.Request) -> web.Response:
    runtime: Runtime = request.app[RUNTIME]
    try:
        async with runtime.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:  # any failure means: not healthy
        log.error("health check: database unreachable: %s", type(exc).__name__)
        return web.json_response({"ok": False, "database": "unreachable"}, status=503)
    return web.json_response({"ok": True, "database": "ok"})
