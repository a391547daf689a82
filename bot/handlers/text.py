"""Typed text (and voice): the answer to the open step of a dialog, else a kind pointer
to the buttons. The dialog state is read once, and the flow it names takes the text."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Awaitable, Callable

from telegram import Update

from bot.context import HomevisitContext
from bot.dialogs import announce, booking, companion, note, period, record
from bot.handlers import fallback
from bot.handlers.guards import COORDINATOR, GUARDIAN, STAFF, Role
from bot.services import dialog_state
from db.models import DialogState

MAX_TEXT = 2000  # longer text is never an answer to a question of ours (a note answer aside)


@dataclass(frozen=True)
class TextStep:
    role: Role  # who may be in this flow
    steps: frozenset[str] | None  # the steps that wait for text (None: all of them)
    take: Callable[[Update, HomevisitContext, DialogState], Awaitable[None]]
    voice: bool = False  # a voice message is an answer too
    any_length: bool = False


FLOWS = {
    "place": TextStep(GUARDIAN, None, booking.on_place_typed),
    "period": TextStep(COORDINATOR, None, period.on_text),
    "announce": TextStep(COORDINATOR, frozenset({"line"}), announce.on_text),
    "note": TextStep(STAFF, None, note.on_answer, voice=True, any_length=True),  # a note answer may be long
    "record": TextStep(STAFF, frozenset({"place"}), record.on_place_typed),
    # An interpreter's name and phone: any length, so that a far too long one gets its own kind answer.
    "companion": TextStep(STAFF, frozenset({"name", "phone"}), companion.on_text, any_length=True),
}


async def on_text(update: Update, context: HomevisitContext) -> None:
    message = update.effective_message
    state = await dialog_state.get(context.session, context.who.account_id, context.runtime.clock.now())
    step = FLOWS.get(state.flow) if state is not None else None
    if (step is not None and step.role.may(context.who) and (step.steps is None or state.step in step.steps)
            and (message.voice is None or step.voice)
            and (step.any_length or len(message.text or "") <= MAX_TEXT)):
        await step.take(update, context, state)
        return
    await fallback.other_message(update, context)
