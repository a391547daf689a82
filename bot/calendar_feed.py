"""GET /calendar/<token>.ics: a teacher's private feed of confirmed visits."""
from __future__ import annotations

from aiohttp import web

from bot.runtime import Board, Runtime
from bot.screens import companions as companion_screens
from bot.screens.phrases import venue_phrase
from bot.services import accounts, calendar, companions
from bot.services.invitations import household_guardians, view


def feed(board: Board):
    """The aiohttp handler of the feeds of the board's schools: each in its school's time
    zone and settings."""

    async def handle(request: web.Request) -> web.Response:
        return await _feed(board, request.match_info["token"])

    return handle


async def _feed(board: Board, token: str) -> web.Response:
    async with board.first.sessionmaker() as session:
        teacher = await calendar.teacher_by_feed_token(session, token)
        runtime: Runtime | None = board.get(teacher.school_id) if teacher is not None else None
        if runtime is None:
            return web.Response(status=404, text="not found")
        language = runtime.settings.default_language
        if teacher.account_id is not None:
            language = await accounts.language_of(session, teacher.account_id, language)
        t = runtime.translator(language)
        now = runtime.clock.now()
        events = []
        for item in await calendar.feed_items(session, teacher.id, now):
            a = item.appointment
            v = await view(session, a.invitation_id)
            guardians = await household_guardians(session, v.invitation.household_id)
            events.append(calendar.Event(
                uid=item.invitation.calendar_uid, sequence=item.sequence, starts_at=a.starts_at, ends_at=a.ends_at,
                summary=t._("Huisbezoek: {children}").format(children=", ".join(v.children)),
                location=venue_phrase(t, a.venue, a.place, for_teacher=True),
                description="\n".join([f"{g.name}: {g.phone or '–'}" for g in guardians]
                                       + companion_screens.feed_lines(t, await companions.company(session, a),
                                                                      teacher.id)),
                cancelled=item.withdrawn))
        body = calendar.ics(events, name=t._("Huisbezoeken van {name}").format(name=teacher.name), now=now)
    return web.Response(body=body, content_type="text/calendar", charset="utf-8",
                        headers={"Cache-Control": "private, max-age=300"})
