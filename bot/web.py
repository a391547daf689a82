"""The aiohttp server: Telegram's webhook (secret-token checked), a health endpoint,
the teachers' private calendar feeds, and the households' web pages (`bot/pages`).

One server serves every school of the process (a board): each bot has its own webhook
path and secret; a web link, feed or dashboard cookie is served by its school's runtime.

An update posted to the webhook is handled before it is answered: a 200 tells Telegram
the update is done, so a worker that dies while handling it has not answered, and
Telegram delivers it again (possibly to another worker). While the worker stops
(`WebhookGate.close`), new updates get a 503 with Retry-After and /healthz says 503."""
from __future__ import annotations

import asyncio
import hmac
import inspect
import json
import logging

from aiohttp import web
from sqlalchemy import text
from telegram import Bot, Update

from bot import calendar_feed
from bot.context import HomevisitApplication
from bot.pages import add_pages
from bot.runtime import Board, Runtime

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_UPDATE_BYTES = 1024 * 1024
RETRY_AFTER_SECONDS = 5  # while stopping: when Telegram should try again (another worker, or this one restarted)


class WebhookGate:
    """Whether the webhook takes updates, and how many it has in hand."""

    def __init__(self) -> None:
        self.stopping = False
        self.refused = 0  # updates answered with 503 while stopping
        self._in_hand = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def in_hand(self) -> int:
        return self._in_hand

    def close(self) -> None:
        """Take no new updates from now on; the ones in hand are finished."""
        self.stopping = True

    def take(self) -> bool:
        if self.stopping:
            self.refused += 1
            return False
        self._in_hand += 1
        self._idle.clear()
        return True

    def done(self) -> None:
        self._in_hand -= 1
        if self._in_hand == 0:
            self._idle.set()

    async def drained(self, timeout: float) -> int:
        """Wait until every update in hand is answered; returns how many were not in time."""
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except asyncio.TimeoutError:
            pass
        return self._in_hand


BOARD = web.AppKey("board", Board)
GATE = web.AppKey("webhook_gate", WebhookGate)
# A bot the server takes updates for: its application, its school's runtime, its webhook path.
ServedBot = tuple[HomevisitApplication, Runtime, str]


def build_web_app(app: HomevisitApplication, runtime: Runtime, path: str = WEBHOOK_PATH) -> web.Application:
    """The server of a deployment with one school."""
    return build_board_web_app([(app, runtime, path)])


def build_board_web_app(bots: list[ServedBot]) -> web.Application:
    """The server of every school of this process (one gate for all their webhooks)."""
    web_app = web.Application(client_max_size=MAX_UPDATE_BYTES)
    board = Board([runtime for _, runtime, _ in bots])
    web_app[BOARD] = board
    web_app[GATE] = WebhookGate()
    for app, runtime, path in bots:
        if runtime.settings.webhook_url:
            web_app.router.add_post(path, webhook(app, runtime))
    web_app.router.add_get("/healthz", healthz)
    web_app.router.add_get("/calendar/{token}.ics", calendar_feed.feed(board))
    add_pages(web_app, board)
    return web_app


class NotAnUpdate(Exception):
    """The body is not a Telegram update; the message never quotes the body."""


def parse_update(body: bytes, bot: Bot) -> Update:
    try:
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise NotAnUpdate("not UTF-8") from None
    except RecursionError:
        raise NotAnUpdate("JSON nested too deeply") from None
    except ValueError:
        raise NotAnUpdate("not JSON" if body.strip() else "empty body") from None
    if not isinstance(data, dict):
        raise NotAnUpdate(f"JSON {type(data).__name__ if data is not None else 'null'} instead of an object")
    update_id = data.get("update_id")
    if type(update_id) is not int:  # a bool is not an update id
        raise NotAnUpdate("no integer update_id")
    try:
        update = Update.de_json(data, bot)
    except Exception as exc:  # whatever PTB trips over in a malformed update
        raise NotAnUpdate(f"update {update_id} is malformed ({type(exc).__name__})") from None
    if update is None:
        raise NotAnUpdate(f"update {update_id} is malformed")
    return update


def webhook(app: HomevisitApplication, runtime: Runtime):
    """The webhook of one bot (one school)."""

    async def handle(request: web.Request) -> web.Response:
        return await telegram_update(request, app, runtime)

    return handle


async def telegram_update(request: web.Request, app: HomevisitApplication, runtime: Runtime) -> web.Response:
    """Take an update from Telegram: check the secret, handle the update, then answer."""
    expected = runtime.settings.webhook_secret or ""
    given = request.headers.get(SECRET_HEADER, "")
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        log.warning("webhook call refused: wrong or missing secret token from %s", request.remote)
        return web.Response(status=403, text="forbidden")
    gate = request.app[GATE]
    if not gate.take():
        log.debug("webhook call refused: stopping")
        return web.Response(status=503, text="stopping", headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
    try:
        if request.content_type != "application/json":
            log.warning("webhook call refused: content type is not application/json, from %s", request.remote)
            return web.Response(status=415, text="only application/json")
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            log.warning("webhook call refused: body over %d bytes, from %s", MAX_UPDATE_BYTES, request.remote)
            raise
        try:
            update = parse_update(body, app.bot)
        except NotAnUpdate as exc:
            log.warning("webhook call refused: not an update (%s, %d bytes), from %s", exc, len(body),
                        request.remote)
            return web.Response(status=400, text="not an update")
        handling = app.process_update(update)
        try:
            # Through the update processor: its limit on updates at once holds here too.
            # Handler errors went to the error handler already; what arrives here is worse.
            await app.update_processor.process_update(update, handling)
        except Exception:
            log.exception("update %s could not be handled; Telegram will deliver it again", update.update_id)
            return web.Response(status=500, text="not handled")
        finally:
            if inspect.getcoroutinestate(handling) == inspect.CORO_CREATED:
                handling.close()  # the processor refused before starting it: no never-awaited warning
        return web.Response(text="ok")
    finally:
        gate.done()


async def healthz(request: web.Request) -> web.Response:
    if request.app[GATE].stopping:
        return web.json_response({"ok": False, "stopping": True}, status=503)
    runtime = request.app[BOARD].first  # the schools share one database
    try:
        async with runtime.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:  # any failure means: not healthy
        log.error("health check: database unreachable: %s", type(exc).__name__)
        return web.json_response({"ok": False, "database": "unreachable"}, status=503)
    return web.json_response({"ok": True, "database": "ok"})
