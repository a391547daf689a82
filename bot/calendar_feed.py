"""GET /calendar/<token>.ics: a teacher's private feed of confirmed visits."""
from __future__ import annotations

from datetime import timedelta

from aiohttp import web
from sqlalchemy import select

from bot.runtime import Runtime
from bot.services import calendar
from bot.services.accounts import identify
from bot.services.invitations import household_guardians, view
from bot.texts import venue_phrase
from db.models import Account, Appointment


async def feed(request: web.Request) -> web.Response:
    from bot.web import RUNTIME

    runtime: Runtime = request.app[RUNTIME]
    async with runtime.sessionmaker() as session:
        teacher = await calendar.teacher_by_feed_token(session, request.match_info["token"])
        if teacher is None:
            return web.Response(status=404, text="not found")
        language = runtime.settings.default_language
        if teacher.account_id is not None:
            account = await session.get(Account, teacher.account_id)
            language = (await identify(session, account)).language(language)
        t = runtime.translator(language)
        now = runtime.clock.now()
        appointments = (await session.scalars(
            select(Appointment).where(Appointment.teacher_id == teacher.id, Appointment.status == "confirmed",
                                      Appointment.ends_at >= now - timedelta(days=60))
            .order_by(Appointment.starts_at)
        )).all()
        events = []
        for a in appointments:
            v = await view(session, a.invitation_id)
            guardians = await household_guardians(session, v.invitation.household_id)
            events.append(calendar.Event(
                uid=calendar.uid_of(a.invitation_id), sequence=await calendar.sequence_of(session, a),
                starts_at=a.starts_at, ends_at=a.ends_at,
                summary=t._("Huisbezoek: {children}").format(children=", ".join(v.children)),
                location=venue_phrase(t, a.venue, a.place, for_teacher=True),
                description="\n".join(f"{g.name}: {g.phone or '–'}" for g in guardians)))
        body = calendar.ics(events, name=t._("Huisbezoeken van {name}").format(name=teacher.name), now=now)
    return web.Response(body=body, content_type="text/calendar", charset="utf-8",
                        headers={"Cache-Control": "private, max-age=300"})
