"""The household's web page, `/v/<token>`: an adapter like the Telegram handlers. Each
route parses the request, calls `bot/services/family_page.py`, and renders a screen of
`bot/screens/web_family.py` through a template. After a form: redirect (303) home with a
notice named in the address, so a reload never sends the form again (after the answer to the
interpreter question: back to the day's form, which then says it is noted).

Everything that does not work (a wrong, replaced or expired token, an invitation of
another household, a closed period) is one kind page with status 404."""
from __future__ import annotations

import dataclasses
import logging
import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import wraps
from urllib.parse import quote

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import Translator
from bot.languages import SUPPORTED_LANGUAGES
from bot.pages import guard
from bot.runtime import Board, Runtime
from bot.screens import messages
from bot.screens import web_family as screens
from bot.services import areas, calendar, family_page
from bot.services.errors import NotAllowed
from bot.services.family_page import FamilyPage
from bot.services.invitations import DECLINE_REASONS
from bot.services.slots import by_day, slot_start_from_key
from db.models import VENUES, AppointmentStatus

log = logging.getLogger(__name__)

LANG_COOKIE = "hv_lang"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
BOARD = web.AppKey("family_board", Board)
BY_TOKEN = web.AppKey("family_limit_token", guard.RequestLimit)
BY_ADDRESS = web.AppKey("family_limit_address", guard.RequestLimit)


class Urls:
    """The addresses of one household's pages (the token is the only secret in them)."""

    def __init__(self, token: str) -> None:
        self.base = f"/v/{quote(token)}"

    def home(self, notice: str | None = None) -> str:
        return f"{self.base}?done={notice}" if notice else self.base

    def days(self, invitation_id: int) -> str:
        return f"{self.base}/i/{invitation_id}/days"

    def day(self, invitation_id: int, day: date, notice: str | None = None) -> str:
        address = f"{self.base}/i/{invitation_id}/day/{day.isoformat()}"
        return f"{address}?done={notice}" if notice else address

    def book(self, invitation_id: int) -> str:
        return f"{self.base}/i/{invitation_id}/book"

    def interpreter(self, invitation_id: int) -> str:
        return f"{self.base}/i/{invitation_id}/interpreter"

    def no_fit(self, invitation_id: int) -> str:
        return f"{self.base}/i/{invitation_id}/no-fit"

    def decline(self, invitation_id: int) -> str:
        return f"{self.base}/i/{invitation_id}/decline"

    def cancel(self, appointment_id: int) -> str:
        return f"{self.base}/a/{appointment_id}/cancel"

    def proposal(self, appointment_id: int) -> str:
        return f"{self.base}/a/{appointment_id}/proposal"

    def ics(self, appointment_id: int) -> str:
        return f"{self.base}/a/{appointment_id}/visit.ics"

    def language(self, code: str) -> str:
        return f"{self.base}/lang/{code}"


@dataclass
class Visit:
    """One request to a household's page."""

    request: web.Request
    runtime: Runtime
    session: AsyncSession
    page: FamilyPage
    t: Translator
    urls: Urls
    now: datetime

    @property
    def school(self) -> str:
        return self.runtime.settings.school_name

    @property
    def phone(self) -> str | None:
        return self.runtime.settings.school_phone

    def render(self, template: str, shown: screens.Page, status: int = 200) -> web.Response:
        return guard.render(self.request, template, shown, public_url=self.runtime.settings.public_url,
                            status=status)

    def home(self, notice: str) -> web.Response:
        raise web.HTTPSeeOther(self.urls.home(notice), headers=guard.HEADERS)


def _language(request: web.Request, page: FamilyPage) -> str:
    chosen = request.cookies.get(LANG_COOKIE, "")
    return chosen if chosen in SUPPORTED_LANGUAGES else page.language


def _kind_page(request: web.Request, runtime: Runtime, screen, status: int, *args) -> web.Response:
    """A page for someone whose household we do not know: in the language they chose, else the school's."""
    chosen = request.cookies.get(LANG_COOKIE, "")
    t = runtime.translator(chosen if chosen in SUPPORTED_LANGUAGES else runtime.settings.default_language)
    token = request.match_info.get("token", "")
    shown = screen(t, Urls(token), runtime.settings.school_name, runtime.settings.school_phone, *args)
    shown = dataclasses.replace(shown, languages=())  # the picker would lead to this page again
    return guard.render(request, "message.html", shown, public_url=runtime.settings.public_url, status=status)


def not_found(request: web.Request, runtime: Runtime) -> web.Response:
    return _kind_page(request, runtime, screens.not_found, 404)


def family_route(handler):
    """Rate limits, the household's page for the token (or the 404 page), the translator."""

    @wraps(handler)
    async def route(request: web.Request) -> web.StreamResponse:
        board = request.app[BOARD]
        runtime = board.first  # until the link tells which school it is
        token = request.match_info["token"]
        if not (request.app[BY_ADDRESS].allow(request.remote or "?") and request.app[BY_TOKEN].allow(token)):
            log.warning("family page: too many requests from one address or for one link")
            response = _kind_page(request, runtime, screens.refused, 429, "too_many")
            response.headers["Retry-After"] = "60"
            return response
        async with runtime.sessionmaker() as session:
            now = runtime.clock.now()
            page = await family_page.open_page(session, token, now, runtime.settings.default_language)
            school = board.get(page.school_id) if page is not None else None
            if school is None:
                return not_found(request, runtime)
            runtime = school
            t = runtime.translator(_language(request, page))
            visit = Visit(request, runtime, session, page, t, Urls(token), now)
            try:
                return await handler(visit)
            except (NotAllowed, ValueError):
                return not_found(request, runtime)

    return route


def posted(handler):
    """A form: small enough, and carrying the browser's CSRF token."""

    @wraps(handler)
    async def route(visit: Visit) -> web.StreamResponse:
        form = await guard.read_form(visit.request)
        if form is None:
            log.warning("family page: form body too big or unreadable")
            return visit.render("message.html", screens.refused(visit.t, visit.urls, visit.school, visit.phone,
                                                                "too_big"), 413)
        if not guard.csrf_ok(visit.request, form):
            log.warning("family page: form without a valid CSRF token")
            return visit.render("message.html", screens.refused(visit.t, visit.urls, visit.school, visit.phone,
                                                                "csrf"), 403)
        return await handler(visit, form)

    return route


def _int(value, digits: int = 12) -> int:
    if not isinstance(value, str) or not value.isdigit() or len(value) > digits:
        raise ValueError("not a number")
    return int(value)


def _place(value) -> str | None:
    if not isinstance(value, str):
        return None
    cleaned = " ".join(_CONTROL.sub(" ", value).split())
    return cleaned[:screens.PLACE_MAX] or None


# -- the routes ----------------------------------------------------------------------------

@family_route
async def home(visit: Visit) -> web.Response:
    notice = visit.request.query.get("done")
    notice = notice if notice in screens.NOTICES else None
    return visit.render("home.html", screens.home(visit.t, visit.urls, visit.page, visit.school, visit.phone,
                                                  notice))


@family_route
async def choose_language(visit: Visit) -> web.Response:
    code = visit.request.match_info["code"]
    if code not in SUPPORTED_LANGUAGES:
        raise ValueError("not a language")
    response = web.HTTPSeeOther(visit.urls.home(), headers=guard.HEADERS)
    response.set_cookie(LANG_COOKIE, code, httponly=True, samesite="Lax", path="/v/", max_age=365 * 86400,
                        secure=guard.is_https(visit.request, visit.runtime.settings.public_url))
    raise response


async def _days_page(visit: Visit, invitation_id: int, notice: str | None = None,
                     status: int = 200) -> web.Response:
    view = visit.page.view(invitation_id)
    slots = await family_page.free_times(visit.session, view, visit.now)
    fit = await areas.evening_fit(visit.session, view.invitation, by_day(slots, visit.t.tz), visit.t.tz)
    return visit.render("days.html", screens.days(visit.t, visit.urls, view, slots, visit.school, visit.phone,
                                                  notice, fit=fit), status)


@family_route
async def days(visit: Visit) -> web.Response:
    return await _days_page(visit, _int(visit.request.match_info["inv"]))


async def _day_page(visit: Visit, invitation_id: int, on: date, *, notice: str | None = None,
                    chosen: dict | None = None, status: int = 200) -> web.Response:
    view = visit.page.view(invitation_id)
    slots = by_day(await family_page.free_times(visit.session, view, visit.now), visit.t.tz).get(on)
    if not slots:  # nothing free that day (any more): the days that are
        return await _days_page(visit, invitation_id, notice, status)
    ask = family_page.ask_interpreter(visit.page, view, visit.t.language)
    return visit.render("day.html", screens.day(visit.t, visit.urls, view, on, slots, visit.school, visit.phone,
                                                notice=notice, chosen=chosen, interpreter=ask), status)


@family_route
async def day(visit: Visit) -> web.Response:
    noted = visit.request.query.get("done") == "interpreter"
    return await _day_page(visit, _int(visit.request.match_info["inv"]),
                           date.fromisoformat(visit.request.match_info["day"]),
                           notice=screens.interpreter_noted(visit.t) if noted else None)


@family_route
@posted
async def interpreter(visit: Visit, form) -> web.Response:
    """The answer to "would an interpreter help?" on the day's form; then that form again."""
    invitation_id, answer = _int(visit.request.match_info["inv"]), form.get("answer")
    if answer not in ("y", "n"):
        raise ValueError("not an answer")
    on, version = date.fromisoformat(str(form.get("day", ""))), _int(form.get("version"))
    outcome = await family_page.answer_interpreter(visit.session, visit.page, invitation_id, version, answer == "y")
    if outcome.code != "noted":  # answered already, or the invitation changed since: where things stand
        return visit.home("changed")
    raise web.HTTPSeeOther(visit.urls.day(invitation_id, on, "interpreter"), headers=guard.HEADERS)


@family_route
@posted
async def book(visit: Visit, form) -> web.Response:
    invitation_id = _int(visit.request.match_info["inv"])
    version, on = _int(form.get("version")), date.fromisoformat(str(form.get("day", "")))
    venue = form.get("venue")
    chosen = {"slot": form.get("slot"), "venue": venue if venue in VENUES else None,
              "place": _place(form.get("place"))}
    if not form.get("slot") or chosen["venue"] is None:
        return await _day_page(visit, invitation_id, on, notice=screens.choose_a_time(visit.t), chosen=chosen,
                               status=400)
    start = slot_start_from_key(_int(form.get("slot")))
    place = chosen["place"] if venue != "home" else None
    outcome = await family_page.request(visit.session, visit.page, invitation_id, version, start, venue, place,
                                        visit.now)
    if outcome.code == "slot_taken":
        return await _day_page(visit, invitation_id, on, notice=screens.slot_taken(visit.t), status=409)
    return visit.home({"requested": "requested", "closed": "closed"}.get(outcome.code, "changed"))


@family_route
@posted
async def no_fit(visit: Visit, form) -> web.Response:
    outcome = await family_page.no_fitting_time(visit.session, visit.page, _int(visit.request.match_info["inv"]),
                                                _int(form.get("version")), visit.now)
    return visit.home("no_fit" if outcome.code == "no_fit" else "changed")


@family_route
async def decline_form(visit: Visit) -> web.Response:
    view = visit.page.view(_int(visit.request.match_info["inv"]))
    return visit.render("decline.html", screens.decline(visit.t, visit.urls, view, visit.school, visit.phone))


@family_route
@posted
async def decline(visit: Visit, form) -> web.Response:
    reason = form.get("reason") or None
    if reason is not None and reason not in DECLINE_REASONS:
        raise ValueError("not a reason")
    outcome = await family_page.decline(visit.session, visit.page, _int(visit.request.match_info["inv"]),
                                        _int(form.get("version")), reason, visit.now)
    if outcome.code == "declined":
        return visit.home("reason" if reason else "declined")
    return visit.home("changed")


@family_route
async def cancel_form(visit: Visit) -> web.Response:
    try:
        view = visit.page.view_of_appointment(_int(visit.request.match_info["appt"]))
    except NotAllowed:  # no longer planned (cancelled, moved): where things stand
        return visit.home("changed")
    return visit.render("cancel.html", screens.cancel(visit.t, visit.urls, view, visit.school, visit.phone))


@family_route
@posted
async def cancel(visit: Visit, form) -> web.Response:
    try:
        outcome = await family_page.cancel(visit.session, visit.page, _int(visit.request.match_info["appt"]),
                                           visit.now)
    except NotAllowed:  # cancelled already (a second tap): where things stand
        return visit.home("changed")
    return visit.home("cancelled" if outcome.code == "cancelled" else "changed")


@family_route
@posted
async def proposal(visit: Visit, form) -> web.Response:
    answer = form.get("answer")
    if answer not in ("y", "n"):
        raise ValueError("not an answer")
    try:
        outcome = await family_page.answer_proposal(visit.session, visit.page, _int(visit.request.match_info["appt"]),
                                                    answer == "y", visit.now, visit.runtime.reminder_plan)
    except NotAllowed:
        return visit.home("changed")
    return visit.home({"accepted": "accepted", "rejected": "rejected"}.get(outcome.code, "changed"))


@family_route
async def ics(visit: Visit) -> web.Response:
    try:
        view = visit.page.view_of_appointment(_int(visit.request.match_info["appt"]))
    except NotAllowed:
        return visit.home("changed")
    appointment = view.appointment
    if appointment.status != AppointmentStatus.CONFIRMED:
        return visit.home("changed")
    event = messages.family_event(visit.t, view, appointment, await calendar.sequence_of(visit.session, appointment),
                                  withdrawn=False)
    body = calendar.ics([event], name=event.summary, now=visit.now)
    response = web.Response(body=body, content_type="text/calendar", charset="utf-8",
                            headers={"Content-Disposition": 'attachment; filename="huisbezoek.ics"'})
    return guard.secure_headers(response)


def add_routes(web_app: web.Application, board: Board) -> None:
    web_app[BOARD] = board
    web_app[BY_TOKEN] = guard.RequestLimit(60)
    web_app[BY_ADDRESS] = guard.RequestLimit(300)
    token = "{token:[A-Za-z0-9_-]{1,64}}"
    base = f"/v/{token}"
    web_app.router.add_get(base, home)
    web_app.router.add_get(base + "/lang/{code:[A-Za-z_]{2,5}}", choose_language)
    web_app.router.add_get(base + r"/i/{inv:\d{1,12}}/days", days)
    web_app.router.add_get(base + r"/i/{inv:\d{1,12}}/day/{day:\d{4}-\d{2}-\d{2}}", day)
    web_app.router.add_post(base + r"/i/{inv:\d{1,12}}/book", book)
    web_app.router.add_post(base + r"/i/{inv:\d{1,12}}/no-fit", no_fit)
    web_app.router.add_post(base + r"/i/{inv:\d{1,12}}/interpreter", interpreter)
    web_app.router.add_get(base + r"/i/{inv:\d{1,12}}/decline", decline_form)
    web_app.router.add_post(base + r"/i/{inv:\d{1,12}}/decline", decline)
    web_app.router.add_get(base + r"/a/{appt:\d{1,12}}/cancel", cancel_form)
    web_app.router.add_post(base + r"/a/{appt:\d{1,12}}/cancel", cancel)
    web_app.router.add_post(base + r"/a/{appt:\d{1,12}}/proposal", proposal)
    web_app.router.add_get(base + r"/a/{appt:\d{1,12}}/visit.ics", ics)
    web_app.router.add_route("*", "/v/{tail:.*}", _any_other)


async def _any_other(request: web.Request) -> web.Response:
    return not_found(request, request.app[BOARD].first)