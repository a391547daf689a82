"""What the bot needs at run time, built once and shared by every update."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.config import Settings
from bot.i18n import Catalogs, Translator


@dataclass
class Runtime:
    settings: Settings
    clock: Clock
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    catalogs: Catalogs
    school_id: int

    def translator(self, language: str) -> Translator:
        return self.catalogs.translator(language, self.settings.tz)
