"""What every web page is guarded by: security headers, a CSRF token on every form, a
limit on requests per link and per address, and a small form body.

- Headers: a Content-Security-Policy with no scripts at all, no referrer (the address
  holds the household's token), no caching, no framing.
- CSRF: the double-submit pattern. A GET sets a random `hv_csrf` cookie (HttpOnly,
  SameSite=Strict, Secure under https) and every form carries the same value; a POST
  whose field and cookie differ is refused. A form sent twice (a replay) is harmless for
  another reason: it carries the invitation's version, so the second one does not act.
- Limits: a sliding minute per token and per address, kept in this process (each
  worker counts its own; behind several workers the limit is per worker).
"""
from __future__ import annotations

import hmac
import secrets
import time
from collections import defaultdict, deque

import aiohttp_jinja2
from aiohttp import web

CSRF_COOKIE = "hv_csrf"
CSRF_FIELD = "csrf"
MAX_FORM_BYTES = 8 * 1024
POLICY = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; "
          "frame-ancestors 'none'")
HEADERS = {
    "Content-Security-Policy": POLICY,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


def secure_headers(response: web.StreamResponse) -> web.StreamResponse:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def render(request: web.Request, template: str, shown, *, public_url: str | None, status: int = 200) -> web.Response:
    """A page through its template, with the browser's CSRF token for its forms (and in its
    cookie) and the security headers."""
    csrf = csrf_token(request)
    response = aiohttp_jinja2.render_template(template, request, {"page": shown, "csrf": csrf}, status=status)
    remember_csrf(response, csrf, secure=is_https(request, public_url))
    return secure_headers(response)


def is_https(request: web.Request, public_url: str | None) -> bool:
    return request.secure or bool(public_url and public_url.startswith("https://"))


def csrf_token(request: web.Request) -> str:
    """The browser's CSRF token: the cookie's, or a new one (set by `remember_csrf`)."""
    current = request.cookies.get(CSRF_COOKIE, "")
    return current if 32 <= len(current) <= 64 else secrets.token_urlsafe(32)


def remember_csrf(response: web.StreamResponse, token: str, *, secure: bool) -> None:
    response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="Strict", secure=secure, path="/")


def csrf_ok(request: web.Request, form) -> bool:
    cookie = request.cookies.get(CSRF_COOKIE, "")
    given = form.get(CSRF_FIELD, "") if form is not None else ""
    return bool(cookie) and isinstance(given, str) and hmac.compare_digest(cookie.encode(), given.encode())


async def read_form(request: web.Request):
    """The posted form, or None when it is too big (the body is not read then)."""
    length = request.content_length
    if length is None or length > MAX_FORM_BYTES:
        return None
    try:
        return await request.post()
    except (ValueError, web.HTTPRequestEntityTooLarge):
        return None


class RequestLimit:
    """At most `per_minute` requests a minute per key (a link's token, an address)."""

    def __init__(self, per_minute: int, clock=time.monotonic) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._seen: dict[str, deque[float]] = defaultdict(deque)

    def allow(self, key: str) -> bool:
        now = self._clock()
        seen = self._seen[key]
        while seen and seen[0] <= now - 60:
            seen.popleft()
        if len(seen) >= self.per_minute:
            return False
        seen.append(now)
        if len(self._seen) > 10_000:  # forget the quiet keys now and then
            for key_ in [k for k, v in self._seen.items() if not v or v[-1] <= now - 60]:
                del self._seen[key_]
        return True
