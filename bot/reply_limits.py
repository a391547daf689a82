"""Replies within Telegram's per-chat limit, without holding anyone else up.

Replies answer a person's own action, so there is no overall pre-throttling (the
outbox paces everything else, see bot/ratelimit.py). Per chat, messages go out in a
burst of a few and then about one a second, as Telegram allows. When Telegram still
says 429 for a chat, only that chat waits, and the handler gives its slot back while it
waits (bot/intake.py). PTB's AIORateLimiter instead stops every request of the bot
for one chat's 429, which let one flooding person block the whole school.

A 429 for a chat that had no other message just now cannot be that chat's limit: the bot
as a whole is over Telegram's. Then the outbox is told (`on_bot_limit`, its shared pause),
so no worker sends broadcasts for the bot until Telegram's wait has passed.
"""
from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any, Awaitable, Callable, Coroutine

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.intake import yielding_sleep
from bot.ratelimit import Pacer

log = logging.getLogger(__name__)

# Methods that put a new message in a chat (edits and answers do not count against the limit).
SENDING = frozenset({"sendMessage", "sendDocument", "sendPhoto", "sendVoice", "sendAudio", "sendMediaGroup"})
MAX_RETRIES = 5


class ReplyRateLimiter(BaseRateLimiter[int]):
    def __init__(self, per_chat_seconds: float = 1.0, burst: int = 3, max_retries: int = MAX_RETRIES,
                 sleep=yielding_sleep) -> None:
        # The pacer's overall rate is out of the way: only its per-chat spacing is wanted.
        self._pacer = Pacer(1_000_000.0, per_chat=per_chat_seconds, burst=burst, sleep=sleep)
        self._max_retries = max_retries
        self._sleep = sleep
        # Set by the application once its outbox exists: pauses the bot's sending in every worker.
        self.on_bot_limit: Callable[[float], Awaitable[None]] | None = None

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        chat_id = _chat(data.get("chat_id"))
        retries = self._max_retries if rate_limit_args is None else rate_limit_args
        for attempt in range(retries + 1):
            if chat_id is not None and endpoint in SENDING:
                await self._pacer.acquire(chat_id)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                if attempt == retries:
                    raise
                wait = _seconds(exc.retry_after) + 0.1
                if chat_id is None or not self._pacer.chat_is_busy(chat_id):
                    await self._tell_bot_limit(wait)
                if chat_id is not None:
                    self._pacer.hold_chat(chat_id, wait)
                    log.info("chat %s is over Telegram's limit: its replies wait %.1f s", chat_id, wait)
                else:
                    log.info("Telegram asked to wait %.1f s (%s)", wait, endpoint)
                    await self._sleep(wait)
        raise AssertionError("unreachable")

    async def _tell_bot_limit(self, seconds: float) -> None:
        if self.on_bot_limit is None:
            return
        try:
            await self.on_bot_limit(seconds)
        except Exception:  # the database is gone: the reply still waits, the outbox finds out itself
            log.warning("could not share Telegram's pause with the outbox", exc_info=True)


def _chat(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _seconds(value: Any) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
