"""Who may do what, said once: a role for commands and buttons, and the objects a press
names (an invitation of the presser's household, an appointment of the presser's class).

    @on(CONFIRM)
    @teacher_of_appointment
    async def on_confirm(update, context, appointment): ...

A command for someone else's role gets that role's one refusal text; a button they may
not press gets "this button no longer works", which reveals nothing about the object.
"""
from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from typing import Awaitable, Callable

from telegram import Update

from bot.context import HomevisitContext
from bot.i18n import N_
from bot.replies import refuse, show
from bot.screens.invitation import changed_screen
from bot.services import booking
from bot.services.accounts import Identity
from bot.services.errors import NotAllowed
from bot.services.invitations import view_for_guardian
from db.models import PeriodStatus

log = logging.getLogger(__name__)

Handler = Callable[..., Awaitable[None]]


@dataclass(frozen=True)
class Role:
    name: str
    may: Callable[[Identity], bool]
    refusal: str  # what a command for this role tells someone else (a catalog text)


STAFF = Role("staff", lambda who: who.staff is not None,
             N_("Dit is voor leerkrachten. Kijk bij /help wat je kunt doen."))
TEACHER = Role("teacher", lambda who: who.is_teacher, STAFF.refusal)
COORDINATOR = Role("coordinator", lambda who: who.is_coordinator,
                   N_("Dit is voor de coördinator. Kijk bij /help wat je kunt doen."))
GUARDIAN = Role("guardian", lambda who: who.is_guardian, N_("Dit is voor ouders. Kijk bij /help wat je kunt doen."))


async def turn_away(update: Update, context: HomevisitContext, role: Role) -> None:
    """Someone who is not `role` asked for something of `role`'s."""
    if update.callback_query is not None:
        await refuse(update, context)
    else:
        await update.effective_message.reply_text(context.t._(role.refusal))


def requires(role: Role) -> Callable[[Handler], Handler]:
    """Only people of this role get past; the others are turned away kindly."""

    def guard(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def guarded(update: Update, context: HomevisitContext, *args) -> None:
            if not role.may(context.who):
                await turn_away(update, context, role)
                return
            await handler(update, context, *args)

        return guarded

    return guard


# -- the objects a press names --------------------------------------------------------------

def guardian_of_invitation(handler: Handler) -> Handler:
    """The press names an invitation of the presser's household (`press.invitation`);
    the handler gets its view. A press on an older state of it (`press.version`), or
    after the period closed, shows where things stand now instead."""

    @functools.wraps(handler)
    async def guarded(update: Update, context: HomevisitContext) -> None:
        press = context.press
        try:
            view = await view_for_guardian(context.session, press.invitation, context.who.guardian_ids)
        except NotAllowed:
            await refuse(update, context)
            return
        if view.invitation.version != press.version or view.period.status != PeriodStatus.OPEN:
            await show(update, changed_screen(context.t, view))
            return
        await handler(update, context, view)

    return guarded


def guardian_of_visit(handler: Handler) -> Handler:
    """The press names the live appointment of an invitation of the presser's household
    (`press.appointment`, `press.version`); the handler gets the invitation's view."""

    @functools.wraps(handler)
    async def guarded(update: Update, context: HomevisitContext) -> None:
        press = context.press
        invitation_id = await booking.invitation_of_appointment(context.session, press.appointment)
        try:
            if invitation_id is None:
                raise NotAllowed
            view = await view_for_guardian(context.session, invitation_id, context.who.guardian_ids)
        except NotAllowed:
            await refuse(update, context)
            return
        if (view.invitation.version != press.version or view.period.status != PeriodStatus.OPEN
                or view.appointment is None or view.appointment.id != press.appointment):
            await show(update, changed_screen(context.t, view))
            return
        await handler(update, context, view)

    return guarded


def teacher_of_appointment(handler: Handler) -> Handler:
    """The press names an appointment of the presser's own (`press.appointment`); the
    handler gets it, read afresh."""

    @functools.wraps(handler)
    async def guarded(update: Update, context: HomevisitContext) -> None:
        staff = context.who.staff
        appointment = None
        if staff is not None:
            appointment = await booking.teachers_appointment(context.session, context.press.appointment, staff.id)
        if appointment is None:
            await refuse(update, context)
            return
        await handler(update, context, appointment)

    return guarded
