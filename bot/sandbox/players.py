"""The bot under test and the people who talk to it, in the words of their stories:

    parent = world.user("Fatima", language_code="ar")
    await parent.send(f"/start {token}")
    await parent.click("English")
    assert "Hello" in parent.last_text()
"""
from __future__ import annotations

import asyncio
import itertools
import time

from bot.app import build_application, build_runtime
from bot.clock import Clock
from bot.config import Settings
from bot.context import HomevisitApplication
from bot.runtime import Runtime
from bot.sandbox.api import BotAPIDouble

WAIT_SECONDS = 15


class BotUnderTest:
    """The real Application polling the double; restartable on the same database."""

    def __init__(self, double: BotAPIDouble, settings: Settings, clock: Clock) -> None:
        self.double = double
        self.settings = settings.model_copy(update=dict(bot_token=double.token, telegram_api_url=double.url))
        self.clock = clock
        self.app: HomevisitApplication | None = None
        self.runtime: Runtime | None = None
        self._done: dict[int, asyncio.Future] = {}
        self._finished: set[int] = set()
        self._user_ids = itertools.count(7_000_001)

    async def start(self) -> None:
        self.double.release_polls(False)
        self.runtime = await build_runtime(self.settings, self.clock)
        self.app = build_application(self.settings, self.runtime)
        self.app.update_done_listeners.append(self._on_done)
        await self.app.initialize()
        # run_polling() would call these hooks; we start the pieces by hand.
        await self.app.post_init(self.app)
        await self.app.updater.start_polling(poll_interval=0, timeout=5, drop_pending_updates=False)
        await self.app.start()

    async def stop(self) -> None:
        if self.app is None:
            return
        self.double.release_polls()
        await self.app.updater.stop()
        await self.app.stop()
        await self.app.shutdown()
        await self.app.post_shutdown(self.app)
        self.app = None

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    def _on_done(self, update_id: int) -> None:
        self._finished.add(update_id)
        future = self._done.pop(update_id, None)
        if future is not None and not future.done():
            future.set_result(None)

    async def deliver(self, payload: dict, update_id: int | None = None) -> int:
        """Push an update and wait until the bot has completely handled it. Pass an
        `update_id` that was delivered before to re-deliver it, as Telegram may."""
        self._finished.discard(update_id)
        update_id = self.double.push_update(payload, update_id)
        if update_id in self._finished:
            return update_id
        future = asyncio.get_running_loop().create_future()
        self._done[update_id] = future
        try:
            await asyncio.wait_for(future, WAIT_SECONDS)
        except asyncio.TimeoutError:
            raise AssertionError(f"the bot did not finish update {update_id} within {WAIT_SECONDS}s") from None
        await self.drain()
        return update_id

    async def wait_done(self, update_ids: list[int]) -> None:
        """Wait until the bot has finished (or dropped) each of these pushed updates."""
        loop = asyncio.get_running_loop()
        waiting = []
        for update_id in update_ids:
            if update_id not in self._finished:
                future = self._done.setdefault(update_id, loop.create_future())
                waiting.append(future)
        try:
            await asyncio.wait_for(asyncio.gather(*waiting), WAIT_SECONDS * 4)
        except asyncio.TimeoutError:
            raise AssertionError(f"the bot did not finish {len(waiting)} updates in time") from None

    async def drain(self) -> int:
        """Send every outbox message that is due now (what the scheduler's tick does)."""
        return await self.app.bot_data["outbox"].dispatch_due()

    def user(self, first_name: str, language_code: str | None = "nl", user_id: int | None = None) -> TgUser:
        return TgUser(self, user_id or next(self._user_ids), first_name, language_code)


class TgUser:
    def __init__(self, bot: BotUnderTest, user_id: int, first_name: str, language_code: str | None) -> None:
        self.bot = bot
        self.id = user_id
        self.first_name = first_name
        self.language_code = language_code
        self.last_answer: dict | None = None

    @property
    def _from(self) -> dict:
        user = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    # -- acting ----------------------------------------------------------------
    def message_update(self, text: str) -> dict:
        """The update Telegram would send when this person types `text`."""
        message = {
            "message_id": int(time.time() * 1000) % 2_000_000_000,
            "date": int(time.time()),
            "chat": {"id": self.id, "type": "private", "first_name": self.first_name},
            "from": self._from,
            "text": text,
        }
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return {"message": message}

    async def send(self, text: str) -> list[dict]:
        """Type and send a message; returns the bot's new messages to this chat."""
        before = len(self.messages())
        await self.bot.deliver(self.message_update(text))
        return self.messages()[before:]

    async def send_voice(self, seconds: int = 12) -> list[dict]:
        """Record and send a voice message."""
        before = len(self.messages())
        file_id = f"voice-{self.id}-{time.monotonic_ns()}"
        await self.bot.deliver({"message": {
            "message_id": int(time.time() * 1000) % 2_000_000_000, "date": int(time.time()),
            "chat": {"id": self.id, "type": "private", "first_name": self.first_name}, "from": self._from,
            "voice": {"file_id": file_id, "file_unique_id": file_id[-16:], "duration": seconds,
                      "mime_type": "audio/ogg"},
        }})
        return self.messages()[before:]

    async def block(self, blocked: bool = True) -> None:
        """Block (or unblock) the bot in Telegram: Telegram refuses messages to this chat
        from now on, and tells the bot with a `my_chat_member` update."""
        double = self.bot.double
        (double.blocked.add if blocked else double.blocked.discard)(self.id)
        bot_user = {"id": double.bot_id, "is_bot": True, "first_name": "Huisbezoek", "username": double.username}

        def member(status: str) -> dict:
            return {"user": bot_user, "status": status, **({"until_date": 0} if status == "kicked" else {})}

        old, new = ("member", "kicked") if blocked else ("kicked", "member")
        await self.bot.deliver({"my_chat_member": {
            "chat": {"id": self.id, "type": "private", "first_name": self.first_name}, "from": self._from,
            "date": int(time.time()), "old_chat_member": member(old), "new_chat_member": member(new)}})

    async def click(self, label: str, *, message: dict | None = None) -> dict | None:
        """Tap the button whose label contains `label` on the newest message showing one."""
        message, data = self.find_button(label, message)
        return await self.press(data, message)

    async def press(self, data: str, message: dict | None = None) -> dict | None:
        """Send a callback query with these data, as a (possibly forged) button press."""
        message = message or self.latest()
        query_id = f"cq{self.id}-{time.monotonic_ns()}"
        await self.bot.deliver({
            "callback_query": {
                "id": query_id, "from": self._from, "message": message,
                "chat_instance": f"ci{self.id}", "data": data,
            }
        })
        self.last_answer = self.bot.double.callback_answers.get(query_id)
        return self.last_answer

    # -- looking -----------------------------------------------------------------
    def messages(self) -> list[dict]:
        return self.bot.double.messages_to(self.id)

    def latest(self) -> dict:
        """The message that changed last on the phone (sent or edited)."""
        changed = self.bot.double.recently_changed(self.id)
        if not changed:
            raise AssertionError(f"{self.first_name} has received no message")
        return changed[-1]

    def last_text(self) -> str:
        return self.latest()["text"]

    def buttons(self, message: dict | None = None) -> list[tuple[str, str]]:
        message = message or self.latest()
        rows = message.get("reply_markup", {}).get("inline_keyboard", [])
        return [(b["text"], b.get("callback_data", "")) for row in rows for b in row]

    def find_button(self, label: str, message: dict | None = None) -> tuple[dict, str]:
        candidates = [message] if message else [
            m for m in reversed(self.bot.double.recently_changed(self.id)) if m.get("reply_markup")]
        for candidate in candidates:
            for text, data in self.buttons(candidate):
                if label in text:
                    return candidate, data
        shown = [t for c in candidates[:1] for t, _ in self.buttons(c)]
        raise AssertionError(f"{self.first_name} sees no button with {label!r}; newest buttons: {shown}")
