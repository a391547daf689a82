"""Putting a screen in front of the person: edit the message a button sits on, or reply.

Telegram refuses an edit that changes nothing ("message is not modified"); that is what
a double tap on the same button produces, and it means the screen already shows what it
should. Every edit goes through `edit_screen`, which treats that answer as success.
"""
from __future__ import annotations

import logging

from telegram import LinkPreviewOptions, Update
from telegram.error import BadRequest

from bot.screens.fit import split_text
from bot.screens.keyboard import Screen

log = logging.getLogger(__name__)

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def is_not_modified(exc: BaseException) -> bool:
    return isinstance(exc, BadRequest) and "message is not modified" in exc.message.lower()


async def edit_screen(bot, chat_id: int, message_id: int, screen: Screen, **kwargs) -> None:
    """Edit a message to show this screen; an edit that changes nothing is fine."""
    try:
        await bot.edit_message_text(screen.text, chat_id=chat_id, message_id=message_id,
                                    reply_markup=screen.markup, **kwargs)
    except BadRequest as exc:
        if not is_not_modified(exc):
            raise
        log.debug("edit of message %s changed nothing (a double tap)", message_id)


async def show(update: Update, screen: Screen, **kwargs) -> None:
    """The answer to a button press: the message the button sits on becomes this screen."""
    query = update.callback_query
    await query.answer()
    message = query.message
    await edit_screen(query.get_bot(), message.chat.id, message.message_id, screen, **kwargs)


async def reply(update: Update, screen: Screen, **kwargs) -> None:
    """A new message in the person's chat."""
    await update.effective_message.reply_text(screen.text, reply_markup=screen.markup, **kwargs)


async def reply_long(update: Update, screen: Screen) -> None:
    """A reply that may be longer than one message (a whole visit note): several messages,
    the buttons under the last."""
    parts = split_text(screen.text)
    for number, part in enumerate(parts, 1):
        await update.effective_message.reply_text(part, reply_markup=screen.markup if number == len(parts) else None)


async def put(update: Update, screen: Screen, *, edit: bool) -> None:
    """Edit the pressed message when there is one and `edit` is asked; else reply."""
    if edit and update.callback_query is not None:
        await show(update, screen)
    else:
        await reply(update, screen)


async def refuse(update: Update, context) -> None:
    """A press by someone who may not act on this object: change nothing, reveal nothing."""
    log.warning("refused button from user %s", update.effective_user.id)
    await update.callback_query.answer(context.t._("Deze knop werkt niet meer. Kijk bij /help wat je kunt doen."),
                                       show_alert=True)
