"""Web pages beside the bot, served by its aiohttp server: the household's page
(`bot/pages/family.py`) and the coordinator's dashboard (`bot/pages/dashboard.py`). Adapters like the
Telegram handlers: they render screens (`bot/screens/web_*.py`) through Jinja2
templates with autoescape, and call the same services."""
from __future__ import annotations

from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web

from bot.pages import dashboard, family
from bot.runtime import Board

HERE = Path(__file__).resolve().parent


def add_pages(web_app: web.Application, board: Board) -> None:
    aiohttp_jinja2.setup(web_app, loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True,
                         undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    web_app.router.add_static("/static/", HERE / "static", append_version=False)
    family.add_routes(web_app, board)
    dashboard.add_routes(web_app, board)
