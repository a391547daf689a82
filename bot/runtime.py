"""What the bot needs at run time, built once and shared by every update: a school's
`Runtime`, and the `Board` of every school one process serves."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot import questionnaire
from bot.clock import Clock
from bot.config import Settings
from bot.i18n import Catalogs, Translator
from bot.intake import UpdatesInHand
from bot.lease_share import LeaseShare
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
    owns_engine: bool = True  # False when the schools of a board share one engine (and its pool)
    # The outbox's messages in flight at once, shared by every school of the process (bot/outbox.py):
    # twenty schools' outboxes must not take the whole pool and the event loop from the updates.
    outbox_db_slots: asyncio.Semaphore | None = None
    lease_share: LeaseShare | None = None  # a board's worker: its part of the bots' leases
    updates_in_hand: UpdatesInHand | None = None  # the process's updates being handled: they go first

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


class Board:
    """The schools one process serves, each with its runtime (all sharing one engine). A
    request that names a row (a web link, a calendar feed, a dashboard cookie) is served
    by the runtime of that row's school, so in that school's time zone, name and settings."""

    def __init__(self, runtimes: list[Runtime]) -> None:
        if not runtimes:
            raise ValueError("a board has at least one school")
        self.runtimes = list(runtimes)
        self._by_school = {rt.school_id: rt for rt in runtimes}

    @property
    def first(self) -> Runtime:
        """For what comes before any school is known (a link nobody has): the first school's."""
        return self.runtimes[0]

    def get(self, school_id: int) -> Runtime | None:
        return self._by_school.get(school_id)
