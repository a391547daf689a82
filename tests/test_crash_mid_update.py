"""A worker killed in the middle of a parent's tap: the tap is handled at least once,
and what it did happens once.

The parent presses "Send" on their chosen time. The worker books it, and is killed
(SIGKILL) at the moment it answers the button, before it could answer Telegram's
webhook call. Telegram, having no answer, delivers the same update again, here to a
freshly started worker. The update id is recorded when its handling is complete, not
when it arrives, so the second worker handles the tap: the parent sees where things
stand, and there is still one request, told to the teacher once."""
from __future__ import annotations

import asyncio
import signal
from datetime import datetime, timezone

import aiohttp
from sqlalchemy import select

from bot.services.invitations import send_invitations
from db.models import Appointment, OutboxMessage
from tests.test_webhook import Telegram, Worker, seed
from tests.words import Words

NL = Words("nl")


async def test_a_tap_whose_worker_died_is_handled_when_telegram_delivers_it_again(double, database_url):
    engine, sessionmaker, period, tokens = await seed(database_url)
    # A dead worker's right to send is taken over after OUTBOX_LEASE_SECONDS.
    first = Worker(double, database_url, "17:00", OUTBOX_LEASE_SECONDS="2")
    second = None
    try:
        async with aiohttp.ClientSession() as http:
            await first.ready(http)
            tg = Telegram(http, double)
            teacher, parent = 811, 812
            assert await tg.post(first, tg.message(teacher, f"/start {tokens['teacher']}")) == 200
            assert await tg.post(first, tg.message(parent, f"/start {tokens['parent']}")) == 200
            async with sessionmaker() as session:
                await send_invitations(session, period, datetime.now(timezone.utc))
            message = await tg.until("the invitation", lambda: next(
                (m for m in double.messages_to(parent) if "v2:invitation:" in str(m.get("reply_markup", ""))), None))
            for label in ("📅", None, "16:15", "🏠"):
                label = label or message["reply_markup"]["inline_keyboard"][0][0]["text"]  # the day
                assert await tg.post(first, tg.press(parent, message, label)) == 200
                message = double.chats[parent].messages[message["message_id"]]
            summary = dict(message)
            assert summary["text"].startswith(NL("Klopt dit?\n\n📅 {when}\n📍 {where}\n👤 {teacher}").split("\n")[0])

            # "Send": the worker books the visit, then hangs answering the button ... and dies.
            double.holds["answerCallbackQuery"] = asyncio.Event()
            send = tg.press(parent, summary, "✅")
            posting = asyncio.create_task(tg.post(first, send))
            await tg.until("the worker answering the button", lambda: double.held_calls)
            first.process.send_signal(signal.SIGKILL)
            first.process.wait(timeout=10)
            try:
                await posting
                raise AssertionError("the killed worker answered Telegram")
            except aiohttp.ClientError:
                pass  # no answer: Telegram will deliver the update again
            double.holds.pop("answerCallbackQuery").set()
            async with sessionmaker() as session:
                requested = (await session.scalars(select(Appointment).where(Appointment.status == "requested"))).all()
            assert len(requested) == 1  # the booking itself was done before the worker died
            assert double.chats[parent].messages[summary["message_id"]]["text"] == summary["text"]  # unanswered

            # Telegram delivers the same update again, to a new worker.
            second = Worker(double, database_url, "17:00", OUTBOX_LEASE_SECONDS="2")
            await second.ready(http)
            assert await tg.post(second, send) == 200
            shown = double.chats[parent].messages[summary["message_id"]]["text"]
            assert shown.startswith(NL("Er is intussen iets veranderd. Zo staat het nu:"))
            assert str(send["callback_query"]["id"]) in double.callback_answers  # the tap was answered

            # Delivered once more (Telegram may): now it is recorded as handled, and skipped.
            edits = len(double.events)
            assert await tg.post(second, send) == 200
            assert len(double.events) == edits

            await tg.until("the teacher's request", lambda: any(
                "v2:confirm:" in str(m.get("reply_markup", "")) for m in double.messages_to(teacher)))
        async with sessionmaker() as session:
            requested = (await session.scalars(select(Appointment).where(Appointment.status == "requested"))).all()
            requests = (await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "request"))).all()
        assert len(requested) == 1 and len(requests) == 1
        assert sum(1 for m in double.messages_to(teacher) if "v2:confirm:" in str(m.get("reply_markup", ""))) == 1
    finally:
        first.stop()
        if second is not None:
            second.stop()
        await engine.dispose()
