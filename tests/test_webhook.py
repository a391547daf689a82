"""Webhook mode and scale-out: two `homevisit run` processes behind webhooks on one
database. Telegram's secret-token header is checked, a re-delivered update is handled
once, /healthz reports the database, and a full invitation, booking, confirmation and
reminder flow, with updates spread over both processes (and some sent to both), sends
every message exactly once."""
from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
from sqlalchemy import select

from bot.services import availability
from bot.services.invitations import send_invitations
from bot.services.periods import PeriodDraft, open_period
from bot.services.personal_links import issue_token
from bot.services.roster import import_roster
from bot.services.schools import ensure_school
from bot.services.staff import add_staff
from db.models import Guardian
from db.session import make_engine, make_sessionmaker
from tests.databases import wipe
from tests.seed import EXAMPLE_ROSTER
from tests.web_setup import free_port, until_healthy

ROOT = Path(__file__).resolve().parent.parent
SECRET = "s3cret-token-for-the-test-webhook"
TZ_NAME = "Europe/Amsterdam"
TICK_SECONDS = 1
# The day-before reminder falls due this long after the workers start: after the booking is
# confirmed (the reminder is queued then, if it is still ahead), with room for a slow machine.
REMIND_AFTER_SECONDS = 15


class Worker:
    """One `homevisit run` process in webhook mode."""

    def __init__(self, double, database_url: str, reminder_at: str, **settings: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "WEBHOOK_"))}
        env.update(BOT_TOKEN=double.token, TELEGRAM_API_URL=double.url, DATABASE_URL=database_url,
                   SCHOOL_NAME="De Regenboog", WEBHOOK_URL=f"{self.url}/telegram", WEBHOOK_SECRET=SECRET,
                   WEBHOOK_LISTEN="127.0.0.1", WEBHOOK_PORT=str(self.port), QUIET_HOURS="00:00-00:00",
                   # The real clock runs here: the day-before reminder falls due a few seconds from now,
                   # and the outbox looks for it every second (a worker's tick is the test's wait).
                   REMINDER_DAY_BEFORE=reminder_at, OUTBOX_TICK_SECONDS=str(TICK_SECONDS), **settings)
        self.process = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=ROOT, env=env,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    async def ready(self, session: aiohttp.ClientSession) -> None:
        def trouble() -> str | None:
            return None if self.process.poll() is None else self.process.stderr.read().decode()[-3000:]

        await until_healthy(session, self.url, trouble, "worker", every=0.2)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()


class Telegram:
    """Plays Telegram's side: posts updates to the workers' webhooks."""

    def __init__(self, session: aiohttp.ClientSession, double) -> None:
        self.session = session
        self.double = double
        self.update_id = 50_000

    def message(self, user_id: int, text: str) -> dict:
        self.update_id += 1
        message = {"message_id": self.update_id, "date": int(time.time()), "text": text,
                   "chat": {"id": user_id, "type": "private"},
                   "from": {"id": user_id, "is_bot": False, "first_name": "U", "language_code": "nl"}}
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        return {"update_id": self.update_id, "message": message}

    def press(self, user_id: int, message: dict, label: str) -> dict:
        rows = message.get("reply_markup", {}).get("inline_keyboard", [])
        data = next(b["callback_data"] for row in rows for b in row if label in b["text"])
        self.update_id += 1
        return {"update_id": self.update_id, "callback_query": {
            "id": f"q{self.update_id}", "chat_instance": "c", "data": data, "message": message,
            "from": {"id": user_id, "is_bot": False, "first_name": "U", "language_code": "nl"}}}

    async def post(self, worker: Worker, update: dict, secret: str | None = SECRET) -> int:
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
        async with self.session.post(f"{worker.url}/telegram", json=update, headers=headers) as response:
            return response.status

    async def until(self, what: str, condition, timeout: float = 30.0):
        deadline = time.monotonic() + timeout
        while not (result := condition()):
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            await asyncio.sleep(0.05)
        return result


def texts(double, chat: int) -> list[str]:
    return [m["text"] for m in double.messages_to(chat)]


async def seed(database_url: str):
    engine = make_engine(database_url)
    await wipe(engine)
    sessionmaker = make_sessionmaker(engine)
    now = datetime.now(timezone.utc)
    local = now.astimezone(ZoneInfo(TZ_NAME))
    async with sessionmaker() as session:
        school = await ensure_school(session, "De Regenboog", TZ_NAME, "nl", now)
        await import_roster(session, school.id, EXAMPLE_ROSTER.read_bytes(), default_language="nl", now=now)
        teacher = await add_staff(session, school.id, name="Marieke de Vries", role="teacher", language=None, now=now)
        await session.commit()
        tomorrow = local.date() + timedelta(days=1)
        period = await open_period(session, school.id, PeriodDraft("Najaar", tomorrow, tomorrow + timedelta(days=10)),
                                   now)
        await availability.add_window(session, period, teacher.id, tomorrow, clock_time(15), clock_time(21),
                                      ZoneInfo(TZ_NAME), now)
        guardian = (await session.scalars(select(Guardian).where(Guardian.name == "Linda de Boer"))).one()
        tokens = {
            "teacher": await issue_token(session, now=now, valid_for=timedelta(days=1),
                                         staff_id=teacher.id),
            "parent": await issue_token(session, now=now, valid_for=timedelta(days=1),
                                        guardian_id=guardian.id),
        }
        await session.commit()
    return engine, sessionmaker, period, tokens


async def test_two_webhook_workers_share_the_work_and_send_everything_once(double, database_url):
    engine, sessionmaker, period, tokens = await seed(database_url)
    remind_at = datetime.now(ZoneInfo(TZ_NAME)) + timedelta(seconds=REMIND_AFTER_SECONDS)
    workers = [Worker(double, database_url, remind_at.strftime("%H:%M:%S")) for _ in range(2)]
    a, b = workers
    try:
        async with aiohttp.ClientSession() as http:
            for worker in workers:
                await worker.ready(http)
            assert double.webhook["url"].endswith("/telegram") and double.webhook["secret_token"] == SECRET
            tg = Telegram(http, double)
            teacher, parent = 801, 802

            # Only Telegram, with the secret, may post.
            probe = tg.message(999, "/help")
            assert await tg.post(a, probe, secret=None) == 403
            assert await tg.post(a, probe, secret="wrong-secret-wrong-secret") == 403
            assert texts(double, 999) == []
            async with http.get(f"{b.url}/healthz") as response:
                assert response.status == 200 and (await response.json()) == {"ok": True, "database": "ok"}

            # Joining: the same update delivered twice, to both workers: handled once.
            # A worker answers once it has handled the update (its reply is sent by then).
            join = tg.message(teacher, f"/start {tokens['teacher']}")
            assert await tg.post(a, join) == 200 and await tg.post(b, join) == 200
            assert len(texts(double, teacher)) == 1  # greeted, and the repeated /start was not handled again
            assert await tg.post(b, tg.message(parent, f"/start {tokens['parent']}")) == 200
            assert len(texts(double, parent)) == 1

            async with sessionmaker() as session:
                await send_invitations(session, period, datetime.now(timezone.utc))
            invitation = await tg.until("the invitation", lambda: next(
                (m for m in double.messages_to(parent) if m.get("reply_markup")
                 and "v2:invitation:" in str(m["reply_markup"])), None))

            # Booking: each press to the other worker than the last one.
            steps = [("📅", a), (None, b), ("16:15", a), ("🏠", b), ("✅", a)]
            message = invitation
            for label, worker in steps:
                if label is None:  # the day button
                    rows = message["reply_markup"]["inline_keyboard"]
                    label = rows[0][0]["text"]
                seen = len(double.events)
                await tg.post(worker, tg.press(parent, message, label))
                await tg.until(f"the answer to {label}", lambda: len(double.events) > seen)
                message = double.chats[parent].messages[message["message_id"]]
            request = await tg.until("the teacher's request", lambda: next(
                (m for m in double.messages_to(teacher) if "v2:confirm:" in str(m.get("reply_markup", ""))), None))
            confirm = tg.press(teacher, request, "✅")
            await tg.post(b, confirm)
            await tg.post(a, confirm)  # re-delivered to the other worker
            await tg.until("the confirmation with its calendar file", lambda: any(
                m.get("document") for m in double.messages_to(parent)))
            assert datetime.now(ZoneInfo(TZ_NAME)) < remind_at.replace(microsecond=0), \
                "confirmed after the reminder's time: no reminder was queued (raise REMIND_AFTER_SECONDS)"
            await tg.until("the day-before reminder", lambda: any(t.startswith("🔔") for t in texts(double, parent)),
                           timeout=REMIND_AFTER_SECONDS + 30)
            await asyncio.sleep(2.5 * TICK_SECONDS)  # further ticks of both workers' outbox: nothing more may come

        def sent(chat: int, prefix: str) -> int:
            return sum(1 for c in double.calls if c.method in ("sendMessage", "sendDocument")
                       and int(c.params["chat_id"]) == chat
                       and (c.params.get("text") or c.params.get("caption") or "").startswith(prefix))

        assert sent(parent, "✅ Het huisbezoek staat vast") == 1
        assert sent(parent, "🔔") == 1
        invitations_sent = [c for c in double.calls_of("sendMessage")
                            if int(c.params["chat_id"]) == parent
                            and "v2:invitation:" in str(c.params.get("reply_markup"))]
        assert len(invitations_sent) == 1
        assert sent(teacher, "📩") == 1
        sends = Counter((int(c.params["chat_id"]), c.params.get("text") or c.params.get("caption"))
                        for c in double.calls if c.method in ("sendMessage", "sendDocument"))
        assert [key for key, n in sends.items() if n > 1] == []
    finally:
        await asyncio.gather(*(asyncio.to_thread(worker.stop) for worker in workers))  # both at once
        await engine.dispose()
