"""`homevisit run`: long polling, or webhook mode when WEBHOOK_URL is set. The aiohttp
server (webhook, /healthz, calendar feeds) runs in webhook mode, and in polling mode
when PUBLIC_URL is set. With a schools file (SCHOOLS_FILE) one process serves every
school of the board: one PTB Application per school's bot, one database pool, one web
server (each bot's webhook at its own path, with its own secret).

On SIGTERM or SIGINT the worker stops in order: it takes no new updates (the webhook
answers 503 with Retry-After, /healthz 503), finishes and answers the ones it has,
stops the application (jobs, outbox kicks), then the web server, and returns."""
from __future__ import annotations

import asyncio
import logging
import signal
from urllib.parse import urlparse

from aiohttp import web
from telegram import Update

from bot.app import build_application, build_runtime
from bot.config import Settings
from bot.context import HomevisitApplication
from bot.intake import UpdatesInHand
from bot.lease_share import LeaseShare
from bot.outbox import SENDERS
from bot.runtime import Runtime
from bot.schools_file import load_schools
from bot.web import GATE, WebhookGate, build_board_web_app
from db.session import make_engine

log = logging.getLogger(__name__)

# How long a stopping worker waits for the updates it has in hand (below the 30 s that
# Kubernetes and most supervisors allow before SIGKILL). What is not done by then is not
# answered, so Telegram delivers it again.
DRAIN_SECONDS = 25.0
WEB_SHUTDOWN_SECONDS = 5.0


def webhook_path(settings: Settings) -> str:
    """The path Telegram posts this school's updates to (a board's schools: WEBHOOK_URL's path
    and the school's key)."""
    return urlparse(settings.webhook_url or "").path or "/telegram"


async def serve(settings: Settings, stop: asyncio.Event | None = None) -> None:
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []

    def on_signal(sig: signal.Signals) -> None:
        if not stop.is_set():
            log.info("%s received: stopping", sig.name)
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, on_signal, sig)
            installed.append(sig)
        except (NotImplementedError, RuntimeError, ValueError):
            pass
    try:
        await _serve(settings, stop)
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)


async def _serve(settings: Settings, stop: asyncio.Event) -> None:
    schools = load_schools(settings)
    webhook = bool(settings.webhook_url)
    # One database pool for every school of the board; one Application (and bot) per school.
    engine = make_engine(settings.database_url)
    apps: list[HomevisitApplication] = []
    runtimes: list[Runtime] = []
    runner: web.AppRunner | None = None
    gate: WebhookGate | None = None
    try:
        # The outboxes' database work, for every school together; this worker's part of the bots.
        db_slots = asyncio.Semaphore(SENDERS)
        share = LeaseShare(len(schools), settings.outbox_lease_seconds)
        in_hand = UpdatesInHand()  # every school's updates: the outboxes let them go first
        for school in schools:
            runtime = await build_runtime(school, engine=engine)
            runtime.outbox_db_slots, runtime.lease_share, runtime.updates_in_hand = db_slots, share, in_hand
            app = build_application(school, runtime, webhook=webhook)
            runtimes.append(runtime)
            apps.append(app)
            await app.initialize()
            await app.post_init(app)
            await app.start()
        if webhook or settings.public_url:
            web_app = build_board_web_app([(app, rt, webhook_path(rt.settings)) for app, rt in zip(apps, runtimes)])
            gate = web_app[GATE]
            runner = web.AppRunner(web_app, access_log=None, shutdown_timeout=WEB_SHUTDOWN_SECONDS)
            await runner.setup()
            await web.TCPSite(runner, settings.webhook_listen, settings.webhook_port).start()
            log.info("web server on %s:%s", settings.webhook_listen, settings.webhook_port)
        for app, rt in zip(apps, runtimes):
            s = rt.settings
            if webhook:
                await app.bot.set_webhook(s.webhook_url, secret_token=s.webhook_secret,
                                          allowed_updates=Update.ALL_TYPES)
                log.info("%s: webhook mode: Telegram posts to %s", s.school_name, s.webhook_url)
            else:
                await app.updater.start_polling(allowed_updates=Update.ALL_TYPES)
                log.info("%s: long polling", s.school_name)
        await stop.wait()
    finally:
        # 1. No new updates: the webhook answers 503 (Telegram retries), /healthz 503.
        if gate is not None:
            gate.close()
        for app in apps:
            if app.updater is not None and app.updater.running:
                await app.updater.stop()
        # 2. The updates in hand are finished and answered.
        if gate is not None:
            left = await gate.drained(DRAIN_SECONDS)
            if left:
                log.warning("%d updates still in hand after %.0f s: not answered, Telegram delivers them again",
                            left, DRAIN_SECONDS)
            if gate.refused:
                log.info("%d updates refused while stopping (503): Telegram delivers them again", gate.refused)
        # 3. The applications (jobs, outbox kicks), 4. the web server, then the rest.
        try:
            for app in apps:
                if app.running:
                    await app.stop()
        finally:
            try:
                if runner is not None:
                    await runner.cleanup()
            finally:
                for app in apps:
                    await app.shutdown()
                    await app.post_shutdown(app)
                await engine.dispose()
        log.info("stopped")
