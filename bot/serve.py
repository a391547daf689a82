"""`homevisit run`: long polling, or webhook mode when WEBHOOK_URL is set. The aiohttp
server (webhook, /healthz, calendar feeds) runs in webhook mode, and in polling mode
when PUBLIC_URL is set.

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
from bot.web import GATE, WebhookGate, build_web_app

log = logging.getLogger(__name__)

# How long a stopping worker waits for the updates it has in hand (below the 30 s that
# Kubernetes and most supervisors allow before SIGKILL). What is not done by then is not
# answered, so Telegram delivers it again.
DRAIN_SECONDS = 25.0
WEB_SHUTDOWN_SECONDS = 5.0


def webhook_path(settings: Settings) -> str:
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
    runtime = await build_runtime(settings)
    app = build_application(settings, runtime, webhook=bool(settings.webhook_url))
    await app.initialize()
    runner: web.AppRunner | None = None
    gate: WebhookGate | None = None
    try:
        await app.post_init(app)
        await app.start()
        if settings.webhook_url or settings.public_url:
            web_app = build_web_app(app, runtime, webhook_path(settings))
            gate = web_app[GATE]
            runner = web.AppRunner(web_app, access_log=None, shutdown_timeout=WEB_SHUTDOWN_SECONDS)
            await runner.setup()
            await web.TCPSite(runner, settings.webhook_listen, settings.webhook_port).start()
            log.info("web server on %s:%s", settings.webhook_listen, settings.webhook_port)
        if settings.webhook_url:
            await app.bot.set_webhook(settings.webhook_url, secret_token=settings.webhook_secret,
                                      allowed_updates=Update.ALL_TYPES)
            log.info("webhook mode: Telegram posts to %s", settings.webhook_url)
        else:
            await app.updater.start_polling(allowed_updates=Update.ALL_TYPES)
            log.info("long polling")
        await stop.wait()
    finally:
        # 1. No new updates: the webhook answers 503 (Telegram retries), /healthz 503.
        if gate is not None:
            gate.close()
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
        # 3. The application (jobs, outbox kicks), 4. the web server, then the rest.
        try:
            if app.running:
                await app.stop()
        finally:
            try:
                if runner is not None:
                    await runner.cleanup()
            finally:
                await app.shutdown()
                await app.post_shutdown(app)
        log.info("stopped")
