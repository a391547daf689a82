"""A household's web page, for families without Telegram: what it shows and what it may do.

The page acts for the household (`Channel.WEB`) through the same booking rules as the
bot: the same free times, the same teacher lock and unique slot index (so the web and
the bot can never take one slot twice), the same versions (a form sent twice, or from
before a change, does not act twice), and the same messages to the teacher.

A page exists while its link is live and the household has an invitation in an open
period; anything else is "not found", whatever the reason, so nothing is revealed.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.languages import normalise_language
from bot.services import booking, companions, siblings, web_links
from bot.services.booking import Outcome
from bot.services.errors import NotAllowed
from bot.services.invitations import (
    InvitationView,
    household_guardians,
    invitations_of_household,
)
from bot.services.slots import Slot
from db.locking import release
from db.models import Channel, Guardian


@dataclass(frozen=True)
class FamilyPage:
    school_id: int
    household_id: int
    language: str  # the household's language on the roster (its first guardian's)
    guardians: tuple[Guardian, ...]
    views: tuple[InvitationView, ...]

    @property
    def guardian_ids(self) -> tuple[int, ...]:
        return tuple(g.id for g in self.guardians)

    def view(self, invitation_id: int) -> InvitationView:
        for v in self.views:
            if v.invitation.id == invitation_id:
                return v
        raise NotAllowed

    def view_of_appointment(self, appointment_id: int) -> InvitationView:
        for v in self.views:
            if v.appointment is not None and v.appointment.id == appointment_id:
                return v
        raise NotAllowed


async def open_page(session: AsyncSession, token: str, now: datetime, default_language: str) -> FamilyPage | None:
    """The household's page for this token, or None (unknown, replaced, no open period)."""
    link = await web_links.find(session, token, now)
    if link is None:
        return None
    views = await invitations_of_household(session, link.household_id)
    if not views:
        return None
    guardians = tuple(await household_guardians(session, link.household_id))
    language = normalise_language(guardians[0].language) if guardians else None
    await session.commit()  # the visit noted (web_links.find)
    return FamilyPage(link.school_id, link.household_id, language or default_language, guardians, tuple(views))


async def free_times(session: AsyncSession, view: InvitationView, now: datetime) -> list[Slot]:
    """The teacher's free times for this invitation (the household's own visit counts as free);
    for a joint visit of siblings' teachers, their shared times (bot/services/siblings.py)."""
    return await siblings.free_slots_or_apart(session, view, now)


async def request(session: AsyncSession, page: FamilyPage, invitation_id: int, version: int, start: datetime,
                  venue: str, place: str | None, now: datetime) -> Outcome:
    page.view(invitation_id)
    return await booking.request_slot(session, invitation_id, page.guardian_ids, start, venue, place, now,
                                      expected_version=version, channel=Channel.WEB)


async def decline(session: AsyncSession, page: FamilyPage, invitation_id: int, version: int, reason: str | None,
                  now: datetime) -> Outcome:
    page.view(invitation_id)
    return await booking.decline(session, invitation_id, page.guardian_ids, reason, now, expected_version=version,
                                 channel=Channel.WEB)


async def no_fitting_time(session: AsyncSession, page: FamilyPage, invitation_id: int, version: int,
                          now: datetime) -> Outcome:
    page.view(invitation_id)
    return await booking.no_fitting_time(session, invitation_id, page.guardian_ids, now, expected_version=version,
                                         channel=Channel.WEB)


async def cancel(session: AsyncSession, page: FamilyPage, appointment_id: int, now: datetime) -> Outcome:
    page.view_of_appointment(appointment_id)
    return await booking.cancel_by_guardian(session, appointment_id, page.guardian_ids, now, channel=Channel.WEB)


async def answer_proposal(session: AsyncSession, page: FamilyPage, appointment_id: int, accept: bool,
                          now: datetime, plan) -> Outcome:
    page.view_of_appointment(appointment_id)
    return await booking.answer_proposal(session, appointment_id, page.guardian_ids, accept, now, plan,
                                         channel=Channel.WEB)


def ask_interpreter(page: FamilyPage, view: InvitationView, language: str) -> bool:
    """Ask on the page whether an interpreter would help, as the bot's booking flow does
    (`companions.ask_interpreter`): until the household answered, when the page's language or
    the household's roster language is not Dutch, and only with a guardian to answer for."""
    return bool(page.guardians) and companions.ask_interpreter(view.invitation, language, page.language)


async def answer_interpreter(session: AsyncSession, page: FamilyPage, invitation_id: int, version: int,
                             wanted: bool) -> Outcome:
    """The household's answer, once: `noted`, stored for every invitation of a siblings' joint
    visit (`companions.answer_interpreter`). A form from before a change (its version), or for an
    invitation already answered (a second tab, a second post), changes nothing: `changed`. An
    invitation of another household: NotAllowed."""
    invitation = page.view(invitation_id).invitation
    # Read afresh and held until the answer is stored: two posts at once answer once.
    await session.refresh(invitation, with_for_update=True)
    if invitation.version != version or invitation.interpreter_wanted is not None:
        await release(session)
        return Outcome("changed", invitation_id=invitation_id)
    await companions.answer_interpreter(session, invitation_id, page.guardian_ids, wanted)
    return Outcome("noted", invitation_id=invitation_id)
