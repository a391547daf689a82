"""The coordinator's dashboard, `/dashboard`: reached through a one-time login link asked
for in chat, then a session cookie (HttpOnly, SameSite=Lax, Secure under https) for a
working day. It shows the coverage per class and for the school, the call lists per
teacher, and offers the coverage CSV and the notes export (written to the audit log as
every export is). Note contents are never on it."""
from __future__ import annotations

import logging

from aiohttp import web

from bot.pages import guard
from bot.runtime import Board, Runtime
from bot.screens import web_dashboard as screens
from bot.services import accounts, dashboard_access, export, nudges, periods
from bot.services.coverage import as_csv, of_current_period
from db.models import Staff

log = logging.getLogger(__name__)

COOKIE = "hv_dash"
PATH = dashboard_access.PATH
BOARD = web.AppKey("dashboard_board", Board)
BY_ADDRESS = web.AppKey("dashboard_limit_address", guard.RequestLimit)


def _render(request: web.Request, runtime: Runtime, template: str, shown, status: int = 200) -> web.Response:
    return guard.render(request, template, shown, public_url=runtime.settings.public_url, status=status)


def _message(request: web.Request, runtime: Runtime, status: int, *, expired_link: bool = False) -> web.Response:
    t = runtime.translator(runtime.settings.default_language)
    return _render(request, runtime, "message.html", screens.login_needed(t, expired_link=expired_link),
                   status)


def _limited(request: web.Request) -> bool:
    return not request.app[BY_ADDRESS].allow(request.remote or "?")


async def _translator(session, runtime: Runtime, staff: Staff):
    language = staff.language or runtime.settings.default_language
    if staff.account_id is not None:
        language = await accounts.language_of(session, staff.account_id, language)
    return runtime.translator(language)


async def log_in(request: web.Request) -> web.StreamResponse:
    runtime = request.app[BOARD].first  # the login links of every school are in the one table
    if _limited(request):
        return web.Response(status=429, text="too many requests", headers={"Retry-After": "60", **guard.HEADERS})
    async with runtime.sessionmaker() as session:
        token = await dashboard_access.log_in(session, request.match_info["token"], runtime.clock.now())
    if token is None:
        log.warning("dashboard: a login link that does not work (used, expired or unknown)")
        return _message(request, runtime, 404, expired_link=True)
    response = web.HTTPSeeOther(PATH, headers=guard.HEADERS)
    response.set_cookie(COOKIE, token, httponly=True, samesite="Lax", path=PATH,
                        max_age=int(dashboard_access.SESSION_VALID.total_seconds()),
                        secure=guard.is_https(request, runtime.settings.public_url))
    raise response


def coordinator_route(handler):
    async def route(request: web.Request) -> web.StreamResponse:
        board = request.app[BOARD]
        runtime = board.first
        if _limited(request):
            return web.Response(status=429, text="too many requests", headers={"Retry-After": "60", **guard.HEADERS})
        async with runtime.sessionmaker() as session:
            staff = await dashboard_access.coordinator_of(session, request.cookies.get(COOKIE), runtime.clock.now())
            school = board.get(staff.school_id) if staff is not None else None
            if school is None:
                return _message(request, runtime, 401)
            return await handler(request, school, session, staff)

    return route


@coordinator_route
async def show(request: web.Request, runtime: Runtime, session, staff: Staff) -> web.Response:
    now = runtime.clock.now()
    report = await of_current_period(session, runtime.school_id, now, runtime.settings.hours_per_visit)
    calls = await nudges.call_list_sizes(session, runtime.school_id, now, runtime.ladder)
    t = await _translator(session, runtime, staff)
    shown = screens.dashboard(t, report, calls, school=runtime.settings.school_name,
                              downloads={"coverage": f"{PATH}/coverage.csv", "notes": f"{PATH}/notes.csv"},
                              log_out=f"{PATH}/logout")
    return _render(request, runtime, "dashboard.html", shown)


def _csv(body: bytes, name: str) -> web.Response:
    return guard.secure_headers(web.Response(body=body, content_type="text/csv", charset="utf-8",
                                             headers={"Content-Disposition": f'attachment; filename="{name}"'}))


@coordinator_route
async def coverage_csv(request: web.Request, runtime: Runtime, session, staff: Staff) -> web.Response:
    report = await of_current_period(session, runtime.school_id, runtime.clock.now(), runtime.settings.hours_per_visit)
    return _csv(("\ufeff" + as_csv(report)).encode("utf-8"), "bereik.csv")


@coordinator_route
async def notes_csv(request: web.Request, runtime: Runtime, session, staff: Staff) -> web.Response:
    period = await periods.latest_period(session, runtime.school_id)
    if period is None:
        return _csv("\ufeff".encode(), "notities.csv")
    body = await export.export_notes(session, runtime.school_id, period.name, runtime.questions, runtime.settings.tz,
                                     actor=f"staff:{staff.id}", now=runtime.clock.now())
    log.info("dashboard: notes exported by staff %s", staff.id)
    return _csv(body, "notities.csv")


async def log_out(request: web.Request) -> web.StreamResponse:
    runtime = request.app[BOARD].first
    form = await guard.read_form(request)
    if form is None or not guard.csrf_ok(request, form):
        return _message(request, runtime, 403)
    async with runtime.sessionmaker() as session:
        await dashboard_access.log_out(session, request.cookies.get(COOKIE), runtime.clock.now())
    response = web.HTTPSeeOther(PATH, headers=guard.HEADERS)
    response.del_cookie(COOKIE, path=PATH)
    raise response


def add_routes(web_app: web.Application, board: Board) -> None:
    web_app[BOARD] = board
    web_app[BY_ADDRESS] = guard.RequestLimit(120)
    web_app.router.add_get(PATH, show)
    web_app.router.add_get(PATH + "/login/{token:[A-Za-z0-9_-]{1,64}}", log_in)
    web_app.router.add_get(PATH + "/coverage.csv", coverage_csv)
    web_app.router.add_get(PATH + "/notes.csv", notes_csv)
    web_app.router.add_post(PATH + "/logout", log_out)
