"""Calendar files (RFC 5545): the teacher's private feed of confirmed visits and the
parent's "add to calendar" file. A visit keeps its UID when it moves (one per
invitation, random, so unique across schools and deployments) and raises its SEQUENCE;
times are written in UTC, so they are right on both sides of the summer-time change.

A visit that was confirmed and then no longer holds (cancelled, moved, declined) is
withdrawn: the family gets a cancelling file (METHOD:CANCEL, STATUS:CANCELLED, same
UID, higher SEQUENCE), and the teacher's feed keeps it as cancelled for a while, so
calendars that imported it drop it. Sequences: the n-th appointment of an invitation
(from 0) is 2n when confirmed and 2n + 1 when withdrawn, so each step is higher."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Appointment, AppointmentStatus, Invitation, Staff


@dataclass(frozen=True)
class Event:
    uid: str
    sequence: int
    starts_at: datetime
    ends_at: datetime
    summary: str
    location: str
    description: str = ""
    cancelled: bool = False


def _stamp(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def _escape(value: str) -> str:
    return (value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n"))


def _fold(line: str) -> list[str]:
    """Lines of at most 75 octets, continued with a leading space."""
    out, current = [], ""
    for char in line:
        if len((current + char).encode()) > 75:
            out.append(current)
            current = " " + char
        else:
            current += char
    out.append(current)
    return out


def ics(events: list[Event], *, name: str, now: datetime, method: str = "PUBLISH") -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//homevisit//visits//NL", "CALSCALE:GREGORIAN",
             f"METHOD:{method}", f"X-WR-CALNAME:{_escape(name)}"]
    for e in events:
        lines += ["BEGIN:VEVENT", f"UID:{e.uid}", f"SEQUENCE:{e.sequence}", f"DTSTAMP:{_stamp(now)}",
                  f"DTSTART:{_stamp(e.starts_at)}", f"DTEND:{_stamp(e.ends_at)}",
                  f"SUMMARY:{_escape(e.summary)}", f"LOCATION:{_escape(e.location)}",
                  f"STATUS:{'CANCELLED' if e.cancelled else 'CONFIRMED'}"]
        if e.description:
            lines.append(f"DESCRIPTION:{_escape(e.description)}")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return ("\r\n".join(folded for line in lines for folded in _fold(line)) + "\r\n").encode()


async def sequence_of(session: AsyncSession, appointment: Appointment, *, withdrawn: bool = False) -> int:
    """The SEQUENCE of this appointment's event: earlier appointments of the invitation count up."""
    earlier = await session.scalar(
        select(func.count()).select_from(Appointment)
        .where(Appointment.invitation_id == appointment.invitation_id, Appointment.id < appointment.id)
    ) or 0
    return 2 * earlier + (1 if withdrawn else 0)


# The teacher's feed keeps a withdrawn visit this long, so subscribed calendars drop it.
KEEP_WITHDRAWN = timedelta(days=30)
FEED_PAST = timedelta(days=60)


@dataclass(frozen=True)
class FeedItem:
    appointment: Appointment
    invitation: Invitation
    withdrawn: bool
    sequence: int


async def feed_items(session: AsyncSession, teacher_id: int, now: datetime) -> list[FeedItem]:
    """One event per invitation of this teacher: its confirmed visit, or else its last
    confirmed one that was withdrawn lately; in time order. With the visits they go to as the
    colleague (bot/services/companions.py): taken off one, it is no longer in their feed."""
    appointments = (await session.scalars(
        select(Appointment).where(or_(Appointment.teacher_id == teacher_id, Appointment.colleague_id == teacher_id),
                                  Appointment.confirmed_at.is_not(None),
                                  Appointment.ends_at >= now - FEED_PAST)
        .order_by(Appointment.id)
    )).all()
    latest: dict[int, Appointment] = {}
    for a in appointments:
        current = latest.get(a.invitation_id)
        if current is None or current.status != AppointmentStatus.CONFIRMED:
            latest[a.invitation_id] = a
    items = []
    for a in latest.values():
        withdrawn = a.status != AppointmentStatus.CONFIRMED
        if withdrawn and a.updated_at < now - KEEP_WITHDRAWN:
            continue
        invitation = await session.get(Invitation, a.invitation_id)
        items.append(FeedItem(a, invitation, withdrawn, await sequence_of(session, a, withdrawn=withdrawn)))
    return sorted(items, key=lambda i: i.appointment.starts_at)


async def feed_token(session: AsyncSession, staff_id: int, *, renew: bool = False) -> str:
    staff = await session.get(Staff, staff_id)
    if staff.calendar_token is None or renew:
        staff.calendar_token = secrets.token_urlsafe(24)
        await session.commit()
    return staff.calendar_token


async def teacher_by_feed_token(session: AsyncSession, token: str) -> Staff | None:
    if not token or len(token) > 64:
        return None
    return await session.scalar(select(Staff).where(Staff.calendar_token == token, Staff.active.is_(True)))
