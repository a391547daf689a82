"""The per-update context: one database session, who is talking, and their translator.

`HomevisitApplication.process_update` opens an `UpdateScope` in a ContextVar for the
duration of one update and closes its session afterwards, whatever the handlers did.
Handlers reach it as `context.session`, `context.who` and `context.t`.
"""
from __future__ import annotations

import contextvars
import logging
from dataclasses import dataclass
from typing import Any, Callable

from sqlalchemy.ext.asyncio import AsyncSession
from telegram.ext import Application, CallbackContext, ExtBot

from bot import logs
from bot.buttons import Press
from bot.i18n import Translator
from bot.intake import FairUpdateProcessor
from bot.runtime import Runtime
from bot.services.accounts import Identity
from db.inserts import insert_or_ignore
from db.models import ProcessedUpdate

log = logging.getLogger(__name__)


@dataclass
class UpdateScope:
    runtime: Runtime
    session: AsyncSession | None = None
    who: Identity | None = None
    translator: Translator | None = None
    press: Press | None = None  # the button pressed, parsed and checked (group -1)

    def open_session(self) -> AsyncSession:
        if self.session is None:
            self.session = self.runtime.sessionmaker()
        return self.session

    async def completed(self, update_id: int) -> None:
        """The update's handling is done (with or without an error the error handler told
        about): a re-delivery of it is skipped from now on."""
        session = self.open_session()
        if session.in_transaction():
            await session.rollback()  # what a failed handler left undone is not this update's record
        await insert_or_ignore(session, ProcessedUpdate.__table__,
                               {"school_id": self.runtime.school_id, "update_id": update_id,
                                "processed_at": self.runtime.clock.now()}, on=("school_id", "update_id"))
        await session.commit()

    async def close(self) -> bool:
        """Close the session; True when the update wrote outbox messages."""
        wrote = False
        if self.session is not None:
            wrote = bool(self.session.info.pop("outbox_written", False))
            await self.session.close()
            self.session = None
        return wrote


_scope: contextvars.ContextVar[UpdateScope | None] = contextvars.ContextVar("homevisit_update_scope", default=None)


class HomevisitContext(CallbackContext[ExtBot, dict, dict, dict]):
    @property
    def runtime(self) -> Runtime:
        return self.application.bot_data["runtime"]

    @property
    def scope(self) -> UpdateScope:
        scope = _scope.get()
        if scope is None:
            raise RuntimeError("no update scope: handlers run inside HomevisitApplication.process_update")
        return scope

    @property
    def session(self) -> AsyncSession:
        return self.scope.open_session()

    @property
    def who(self) -> Identity:
        who = self.scope.who
        if who is None:
            raise RuntimeError("identity not loaded: the group -2 handler did not run")
        return who

    @property
    def press(self) -> Press:
        press = self.scope.press
        if press is None:
            raise RuntimeError("no button press: the group -1 handler did not run, or this is not a press")
        return press

    @property
    def t(self) -> Translator:
        translator = self.scope.translator
        if translator is None:
            rt = self.runtime
            translator = rt.translator(rt.settings.default_language)
        return translator


class HomevisitApplication(Application):
    """PTB's Application with one scope (DB session, identity, translator) per update."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # Called with each update id once its handling is finished; tests and
        # benchmarks use it to wait for the bot instead of sleeping.
        self.update_done_listeners: list[Callable[[int], None]] = []

    async def process_update(self, update: object) -> None:
        update_id = getattr(update, "update_id", None)
        processor = self.update_processor
        if isinstance(processor, FairUpdateProcessor) and processor.was_dropped(update):
            self._report_done(update_id)  # dropped on arrival (flooding): nothing to handle
            return
        runtime = self.bot_data.get("runtime")
        token = _scope.set(UpdateScope(runtime) if runtime is not None else None)
        id_token = logs.update_id.set(update_id)
        try:
            await super().process_update(update)
            scope = _scope.get()
            if scope is not None and update_id is not None:
                await scope.completed(update_id)
        finally:
            scope = _scope.get()
            _scope.reset(token)
            logs.update_id.reset(id_token)
            if scope is not None and await scope.close():
                dispatcher = self.bot_data.get("outbox")
                if dispatcher is not None:
                    self.create_task(dispatcher.dispatch_due(), name="outbox-kick")
            self._report_done(update_id)

    def _report_done(self, update_id: int | None) -> None:
        if update_id is None:
            return
        for listener in list(self.update_done_listeners):
            try:
                listener(update_id)
            except Exception:  # a listener must never break the bot
                log.exception("update-done listener failed")
