"""A flow's draft: the dialog state a button of that flow works on.

    @on(NOTE_DONE)
    @with_draft("note", same=lambda draft, press: draft["appointment"] == press.appointment)
    async def on_done(update, context, draft): ...

The handler gets a copy of the draft (after what an outer guard passed on). When there is
none (it went stale, or was finished in another chat message), or it is a draft for another
object than the press names, the press is refused, or `missing(t, press)` is shown instead.
"""
from __future__ import annotations

import functools
from typing import Awaitable, Callable

from telegram import Update

from bot.buttons import Press
from bot.context import HomevisitContext
from bot.i18n import Translator
from bot.replies import refuse, show
from bot.screens.keyboard import Screen
from bot.services import dialog_state

Handler = Callable[..., Awaitable[None]]


def with_draft(flow: str, *, same: Callable[[dict, object], bool] | None = None,
               missing: Callable[[Translator, Press], Screen] | None = None) -> Callable[[Handler], Handler]:
    def guard(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def guarded(update: Update, context: HomevisitContext, *args) -> None:
            state = await dialog_state.get(context.session, context.who.account_id, context.runtime.clock.now())
            draft = dict(state.data) if state is not None and state.flow == flow else None
            if draft is not None and same is not None and not same(draft, context.press):
                draft = None
            if draft is None:
                await (show(update, missing(context.t, context.press)) if missing is not None
                       else refuse(update, context))
                return
            await handler(update, context, *args, draft)

        return guarded

    return guard
