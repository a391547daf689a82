"""What the bot needs at run time, built once and shared by every update."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot import questionnaire
from bot.clock import Clock
from bot.config import Settings
from bot.i18n import Catalogs, Translator
from bot.questionnaire import Question
from bot.services.nudges import NudgeLadder
from bot.services.reminders import ReminderPlan


@dataclass
class Runtime:
    settings: Settings
    clock: Clock
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    catalogs: Catalogs
    school_id: int
    _questions: tuple[Question, ...] | None = None

    def translator(self, language: str) -> Translator:
        return self.catalogs.translator(language, self.settings.tz)

    @property
    def reminder_plan(self) -> ReminderPlan:
        s = self.settings
        return ReminderPlan(s.tz, s.reminder_day_before, s.reminder_hours_before, s.teacher_overview_at,
                            s.quiet_start, s.quiet_end)

    @property
    def questions(self) -> tuple[Question, ...]:
        if self._questions is None:
            self._questions = questionnaire.load(self.settings.questionnaire_file)
        return self._questions

    @property
    def ladder(self) -> NudgeLadder:
        s = self.settings
        return NudgeLadder(s.nudge_after_days, s.nudge_again_days, s.call_after_days)
