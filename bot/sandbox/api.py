"""A Bot API double: a small aiohttp server on 127.0.0.1 that speaks the Telegram Bot
API methods homevisit uses, records every call, and lets a test play users.

The bot under test is the real python-telegram-bot `Application` with `base_url`
pointing here; tests see it only through this HTTP surface.
"""
from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

JSON_FIELDS = {"reply_markup", "allowed_updates", "commands", "scope", "entities", "link_preview_options",
               "reply_parameters"}

# What Telegram refuses, and the descriptions it answers with.
MAX_TEXT = 4096  # UTF-16 code units, after entities are parsed
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64  # bytes
MAX_BUTTONS = 100
NOT_MODIFIED = ("Bad Request: message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message")


def utf16_length(text: str) -> int:
    """Telegram counts text in UTF-16 code units: an emoji outside the BMP counts twice."""
    return len(text.encode("utf-16-le")) // 2


def check_markup(markup: Any) -> None:
    """Refuse an inline keyboard as Telegram does: too many buttons, or callback data too long."""
    if not markup:
        return
    if not isinstance(markup, dict):
        raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    rows = markup.get("inline_keyboard", [])
    buttons = [b for row in rows for b in row]
    if len(buttons) > MAX_BUTTONS:
        raise ApiError(400, "Bad Request: reply markup is too long")
    for b in buttons:
        if "callback_data" not in b and "url" not in b:
            raise ApiError(400, "Bad Request: text buttons are unallowed in the inline keyboard")
        data = b.get("callback_data")
        if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA:
            raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")


def check_text(text: str, limit: int = MAX_TEXT, what: str = "message") -> None:
    if not text.strip():
        raise ApiError(400, f"Bad Request: {what} text is empty")
    if utf16_length(text) > limit:
        raise ApiError(400, "Bad Request: message is too long" if what == "message"
                       else "Bad Request: message caption is too long")


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float


@dataclass
class Failure:
    """An error the double answers instead of succeeding (for retry tests)."""

    status: int
    description: str
    retry_after: int | None = None
    method: str | None = None
    chat_id: int | None = None
    times: int = 1


@dataclass
class ChatLog:
    """What one private chat looks like on the user's phone."""

    messages: dict[int, dict] = field(default_factory=dict)  # message_id -> message, as edited
    order: list[int] = field(default_factory=list)  # as they stand in the chat
    touched: list[int] = field(default_factory=list)  # by last send or edit, oldest first

    def touch(self, message_id: int) -> None:
        if message_id in self.touched:
            self.touched.remove(message_id)
        self.touched.append(message_id)


class BotAPIDouble:
    def __init__(self, token: str = "123456:TEST-token", username: str = "homevisit_test_bot") -> None:
        self.token = token
        self.username = username
        self.bot_id = int(token.split(":")[0])
        self.calls: list[Call] = []
        self.chats: dict[int, ChatLog] = {}
        self.callback_answers: dict[str, dict] = {}
        self.commands: dict[tuple[str | None, str], list[dict]] = {}
        self.failures: list[Failure] = []
        self.webhook: dict | None = None
        self.documents: dict[tuple[int, int], bytes] = {}  # (chat, message id) -> file content
        self._updates: list[dict] = []
        self._update_ids = itertools.count(1000)
        # (chat id, message id, "sent" or "edited"), in the order it happened.
        self.events: list[tuple[int, int, str]] = []
        self._message_ids = itertools.count(1)
        self._new_update = asyncio.Event()
        self._polls_released = False
        self._runner: web.AppRunner | None = None
        self.url = ""
        # Telegram's flood limits, enforced when `enforce_limits` is on: at most 30
        # messages in any second per bot, and a short burst (4 in a second) per chat.
        self.enforce_limits = False
        self.monotonic = time.monotonic  # the clock of the limits and of the calls' times (a test may move it)
        self.global_per_second = 30
        self.chat_per_second = 4
        self.too_many: list[Call] = []  # the calls answered with 429 for going over the limits
        self.failed: list[Call] = []  # the calls answered with one of `failures`
        self._sent_at: list[float] = []
        self._chat_sent_at: dict[int, list[float]] = {}
        # While set, sendMessage waits (the message is not delivered until it is released).
        self.hold_sends: asyncio.Event | None = None
        self.held = 0
        self.dropped = 0
        self.drop_held = False  # on release, held messages are lost instead of delivered
        self.not_modified = 0  # edits refused because they changed nothing (a double tap)
        self.blocked: set[int] = set()  # chats whose person blocked the bot: sending there is refused
        # Calls of these methods wait until their event is set (a moment to kill the bot at).
        self.holds: dict[str, asyncio.Event] = {}
        self.held_calls: list[Call] = []

    # -- server ----------------------------------------------------------------
    async def start(self, beside: list[BotAPIDouble] = ()) -> str:
        """Serve this bot, and the bots `beside` it, at one address (as Telegram serves every
        bot of a board's deployment at one address); each bot answers for its own token."""
        app = web.Application(client_max_size=8 * 1024 * 1024)
        by_token = {double.token: double for double in (self, *beside)}

        async def route(request: web.Request) -> web.Response:
            return await by_token.get(request.match_info["token"], self)._handle(request)

        app.router.add_route("*", "/bot{token}/{method}", route)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        for double in beside:
            double.url = self.url
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def open_connections(self) -> int:
        """Connections the bot has open to the double (a dead bot's close once read out)."""
        return len(self._runner.server.connections) if self._runner is not None else 0

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.match_info["method"]
        params = await _read_params(request)
        call = Call(method, params, self.monotonic())
        self.calls.append(call)
        if method in self.holds:
            self.held_calls.append(call)
            await self.holds[method].wait()
        if method in ("sendMessage", "sendDocument") and self.hold_sends is not None:
            self.held += 1
            await self.hold_sends.wait()
            self.held -= 1
            if self.drop_held:
                self.dropped += 1  # the sender died meanwhile: this message was never delivered
                return web.Response(status=499)
        failure = self._take_failure(method, params)
        if failure is not None:
            self.failed.append(call)
            return _error(failure.status, failure.description, failure.retry_after)
        handler = getattr(self, "_m_" + method, None)
        if handler is None:
            return _error(404, f"Not Found: method {method} is not in the double")
        try:
            result = await handler(params)
        except ApiError as exc:
            return _error(exc.status, exc.description, exc.retry_after)
        return web.json_response({"ok": True, "result": result})

    def _take_failure(self, method: str, params: dict) -> Failure | None:
        for failure in self.failures:
            if failure.method not in (None, method):
                continue
            if failure.chat_id is not None and _int(params.get("chat_id")) != failure.chat_id:
                continue
            failure.times -= 1
            if failure.times <= 0:
                self.failures.remove(failure)
            return failure
        return None

    # -- Bot API methods -------------------------------------------------------
    def _bot_user(self) -> dict:
        return {"id": self.bot_id, "is_bot": True, "first_name": "Huisbezoek", "username": self.username,
                "can_join_groups": False, "can_read_all_group_messages": False, "supports_inline_queries": False}

    async def _m_getMe(self, params: dict) -> dict:
        return self._bot_user()

    async def _m_deleteWebhook(self, params: dict) -> bool:
        self.webhook = None
        return True

    async def _m_setWebhook(self, params: dict) -> bool:
        self.webhook = {"url": params.get("url"), "secret_token": params.get("secret_token")}
        return True

    async def _m_setMyCommands(self, params: dict) -> bool:
        scope = params.get("scope") or {"type": "default"}
        key = (params.get("language_code") or None, json.dumps(scope, sort_keys=True))
        self.commands[key] = params.get("commands", [])
        return True

    async def _m_deleteMyCommands(self, params: dict) -> bool:
        scope = params.get("scope") or {"type": "default"}
        self.commands.pop((params.get("language_code") or None, json.dumps(scope, sort_keys=True)), None)
        return True

    async def _m_getUpdates(self, params: dict) -> list[dict]:
        offset = _int(params.get("offset")) or 0
        limit = _int(params.get("limit")) or 100
        timeout = float(params.get("timeout") or 0)
        if offset:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        deadline = time.monotonic() + timeout
        while not self._updates and not self._polls_released:
            self._new_update.clear()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return []
            try:
                await asyncio.wait_for(self._new_update.wait(), remaining)
            except asyncio.TimeoutError:
                return []
        return self._updates[:limit]

    def _flood_check(self, chat_id: int) -> None:
        if not self.enforce_limits:
            return
        now = self.monotonic()
        recent = [t for t in self._sent_at if t > now - 1.0]
        chat_recent = [t for t in self._chat_sent_at.get(chat_id, []) if t > now - 1.0]
        self._sent_at = recent
        self._chat_sent_at[chat_id] = chat_recent
        if len(recent) >= self.global_per_second or len(chat_recent) >= self.chat_per_second:
            self.too_many.append(self.calls[-1])
            raise ApiError(429, "Too Many Requests: retry after 1", retry_after=1)
        recent.append(now)
        chat_recent.append(now)

    async def _m_sendMessage(self, params: dict) -> dict:
        chat_id = _int(params.get("chat_id"))
        if chat_id in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        self._flood_check(chat_id)
        text = params.get("text") or ""
        if not params.get("_caption"):
            check_text(text)
        check_markup(params.get("reply_markup"))
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "from": self._bot_user(),
            "text": text,
        }
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        if params.get("link_preview_options"):
            message["link_preview_options"] = params["link_preview_options"]
        log = self.chats.setdefault(chat_id, ChatLog())
        log.messages[message["message_id"]] = message
        log.order.append(message["message_id"])
        log.touch(message["message_id"])
        self.events.append((chat_id, message["message_id"], "sent"))
        return message

    async def _m_sendDocument(self, params: dict) -> dict:
        document = params.get("document")
        if not hasattr(document, "file"):
            raise ApiError(400, "Bad Request: there is no document in the request")
        caption = params.get("caption") or ""
        if caption:
            check_text(caption, MAX_CAPTION, "caption")
        message = await self._m_sendMessage({**params, "text": caption or "📎", "_caption": True})
        message["caption"] = params.get("caption") or ""
        message["document"] = {"file_name": document.filename, "file_id": f"doc-{message['message_id']}",
                               "file_unique_id": f"u{message['message_id']}", "mime_type": "text/calendar"}
        self.documents[(message["chat"]["id"], message["message_id"])] = document.file.read()
        return message

    async def _m_editMessageText(self, params: dict) -> dict:
        text = params.get("text") or ""
        check_text(text)
        check_markup(params.get("reply_markup"))
        message = self._find(params, text=text, markup=params.get("reply_markup") or None)
        message["text"] = text
        self._set_markup(message, params.get("reply_markup"))
        if params.get("link_preview_options"):
            message["link_preview_options"] = params["link_preview_options"]
        else:
            message.pop("link_preview_options", None)
        message["edit_date"] = int(time.time())
        return message

    async def _m_editMessageReplyMarkup(self, params: dict) -> dict:
        check_markup(params.get("reply_markup"))
        message = self._find(params, markup=params.get("reply_markup") or None)
        self._set_markup(message, params.get("reply_markup"))
        return message

    @staticmethod
    def _set_markup(message: dict, markup: dict | None) -> None:
        if markup:
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)

    async def _m_answerCallbackQuery(self, params: dict) -> bool:
        self.callback_answers[str(params.get("callback_query_id"))] = params
        return True

    _UNCHANGED = object()

    def _find(self, params: dict, *, text: Any = _UNCHANGED, markup: Any = _UNCHANGED) -> dict:
        """The message an edit is for; refused as Telegram does when the edit changes nothing."""
        chat_id = _int(params.get("chat_id"))
        message_id = _int(params.get("message_id"))
        log = self.chats.get(chat_id, ChatLog())
        message = log.messages.get(message_id)
        if message is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        same_text = text is self._UNCHANGED or text == message.get("text")
        if same_text and markup == message.get("reply_markup"):
            self.not_modified += 1
            raise ApiError(400, NOT_MODIFIED)
        log.touch(message_id)
        self.events.append((chat_id, message_id, "edited"))
        return message

    # -- what a test does ------------------------------------------------------
    def push_update(self, payload: dict, update_id: int | None = None) -> int:
        """Queue an update for getUpdates; pass an id again to re-deliver it, as Telegram may."""
        update_id = update_id if update_id is not None else next(self._update_ids)
        self._updates.append({"update_id": update_id, **payload})
        self._new_update.set()
        return update_id

    def release_polls(self, released: bool = True) -> None:
        """Answer long polls at once (a stopping bot need not wait out its timeout)."""
        self._polls_released = released
        self._new_update.set()

    def messages_to(self, chat_id: int) -> list[dict]:
        log = self.chats.get(chat_id)
        return [log.messages[i] for i in log.order] if log else []

    def recently_changed(self, chat_id: int) -> list[dict]:
        """The chat's messages by their last send or edit, newest last."""
        log = self.chats.get(chat_id)
        return [log.messages[i] for i in log.touched] if log else []

    def calls_of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]


class ApiError(Exception):
    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after


def _error(status: int, description: str, retry_after: int | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return web.json_response(body, status=status)


async def _read_params(request: web.Request) -> dict[str, Any]:
    if request.content_type == "application/json":
        return await request.json() if request.can_read_body else {}
    form = await request.post() if request.can_read_body else {}
    params: dict[str, Any] = dict(request.query)
    for key, value in form.items():
        if isinstance(value, str) and key in JSON_FIELDS:
            try:
                value = json.loads(value)
            except ValueError:
                pass
        params[key] = value
    return params


def _int(value: Any) -> int | None:
    if value is None or value == "":
        return None
    return int(value)
