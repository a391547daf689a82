"""SIGTERM to a `homevisit run` worker (a deploy, a scale-down). In webhook mode it stops
taking updates (503 with Retry-After, so Telegram tries again, maybe at another worker,
and /healthz 503, so the load balancer takes it out), finishes and answers the updates it
already has, and exits with code 0. In polling mode it finishes the update in hand and
exits with code 0 too. The worker is a real process against the Bot API double, on each
database."""
from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time

import aiohttp

from db.session import make_engine
from tests.databases import wipe
from tests.test_webhook import ROOT, SECRET, Telegram
from tests.web_setup import free_port

EXIT_SECONDS = 10


class Worker:
    """`homevisit run`, in webhook mode, or polling with its web server (PUBLIC_URL)."""

    def __init__(self, double, database_url: str, log_path, *, webhook: bool) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "WEBHOOK_", "PUBLIC_"))}
        env.update(BOT_TOKEN=double.token, TELEGRAM_API_URL=double.url, DATABASE_URL=database_url,
                   SCHOOL_NAME="De Regenboog", WEBHOOK_LISTEN="127.0.0.1", WEBHOOK_PORT=str(self.port),
                   QUIET_HOURS="00:00-00:00")
        if webhook:
            env.update(WEBHOOK_URL=f"{self.url}/telegram", WEBHOOK_SECRET=SECRET)
        else:
            env.update(PUBLIC_URL=self.url)
        self.log_path = log_path
        self.log = open(log_path, "wb")
        self.process = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=ROOT, env=env,
                                        stdout=subprocess.DEVNULL, stderr=self.log)

    def output(self) -> str:
        self.log.flush()
        return self.log_path.read_text(errors="replace")[-4000:]

    async def health(self, http: aiohttp.ClientSession) -> int | None:
        try:
            async with http.get(f"{self.url}/healthz") as response:
                return response.status
        except aiohttp.ClientError:
            return None

    async def ready(self, http: aiohttp.ClientSession) -> None:
        deadline = time.monotonic() + 30
        while await self.health(http) != 200:
            assert self.process.poll() is None, self.output()
            assert time.monotonic() < deadline, "worker did not come up"
            await asyncio.sleep(0.05)

    async def out_of_service(self, http: aiohttp.ClientSession) -> None:
        """/healthz turns 503 (while the worker still answers it)."""
        deadline = time.monotonic() + EXIT_SECONDS
        while (status := await self.health(http)) != 503:
            assert status == 200, f"/healthz answered {status} instead of 503 while stopping"
            assert time.monotonic() < deadline, "/healthz still says healthy after SIGTERM"
            await asyncio.sleep(0.05)

    async def exited(self, timeout: float = EXIT_SECONDS) -> int | None:
        deadline = time.monotonic() + timeout
        while self.process.poll() is None and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        return self.process.poll()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.log.close()


async def fresh(database_url: str) -> None:
    engine = make_engine(database_url)
    await wipe(engine)
    await engine.dispose()


def release(double) -> None:
    if double.hold_sends is not None:
        double.hold_sends.set()
        double.hold_sends = None


async def test_sigterm_in_webhook_mode_finishes_what_it_took_refuses_the_rest_and_exits(
        double, database_url, tmp_path):
    await fresh(database_url)
    worker = Worker(double, database_url, tmp_path / "worker.log", webhook=True)
    try:
        async with aiohttp.ClientSession() as http:
            await worker.ready(http)
            tg = Telegram(http, double)
            first, second = 5101, 5102

            double.hold_sends = asyncio.Event()  # the reply to the first update hangs in flight
            in_flight = asyncio.create_task(tg.post(worker, tg.message(first, "/help")))
            await tg.until("the reply in flight", lambda: double.held >= 1, timeout=15)

            worker.process.send_signal(signal.SIGTERM)
            await worker.out_of_service(http)

            # A new update meanwhile: not taken, Telegram is asked to come back.
            late = tg.message(second, "/help")
            async with http.post(f"{worker.url}/telegram", json=late,
                                 headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}) as response:
                assert response.status == 503
                assert int(response.headers["Retry-After"]) > 0
            assert not in_flight.done(), "the update in flight was answered before it was handled"

            release(double)
            assert await asyncio.wait_for(in_flight, EXIT_SECONDS) == 200
        assert len(double.messages_to(first)) == 1  # its reply was delivered
        assert double.messages_to(second) == []  # left for Telegram to deliver again
        assert await worker.exited() == 0, worker.output()
    finally:
        release(double)
        worker.kill()


async def test_sigterm_in_polling_mode_finishes_the_update_in_hand_and_exits(double, database_url, tmp_path):
    await fresh(database_url)
    double.release_polls(False)
    worker = Worker(double, database_url, tmp_path / "worker.log", webhook=False)
    try:
        async with aiohttp.ClientSession() as http:
            await worker.ready(http)
            chat = 5201
            double.hold_sends = asyncio.Event()
            message = {"message_id": 1, "date": int(time.time()), "text": "/help",
                       "chat": {"id": chat, "type": "private"},
                       "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
                       "from": {"id": chat, "is_bot": False, "first_name": "U", "language_code": "nl"}}
            double.push_update({"message": message})
            await Telegram(http, double).until("the reply in flight", lambda: double.held >= 1, timeout=15)

            worker.process.send_signal(signal.SIGTERM)
            await worker.out_of_service(http)
            release(double)
            assert await worker.exited() == 0, worker.output()
        assert len(double.messages_to(chat)) == 1  # the update in hand was finished
    finally:
        release(double)
        double.release_polls()  # the killed poller's last long poll need not run out
        worker.kill()
