"""`homevisit run`: long polling, or webhook mode when WEBHOOK_URL is set. The aiohttp
server (webhook, /healthz, calendar feeds) runs in webhook mode, and in polling mode
when PUBLIC_URL is set."""
from __future__ import annotations

import asyncio
import logging
import signal
from urllib.parse import urlparse

from aiohttp import web
from telegram import Update

from bot.app import build_application, build_runtime
from bot.config import Settings
from bot.web import build_web_app

log = logging.getLogger(__name__)


def webhook_path(settings: Settings) -> str:
    return urlparse(settings.webhook_url or "").path or "/telegram"


async def serve(settings: Settings, stop: asyncio.Event | None = None) -> None:
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):
            pass
    runtime = await build_runtime(settings)
    app = build_application(settings, runtime, webhook=bool(settings.webhook_url))
    await app.initialize()
    await app.post_init(app)
    runner = None
    try:
        if settings.webhook_url or settings.public_url:
            runner = web.AppRunner(build_web_app(app, runtime, webhook_path(settings)), access_log=None)
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
        await app.start()
        await stop.wait()
    finally:
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()
        await app.post_shutdown(app)
        if runner is not None:
            await runner.cleanup()
