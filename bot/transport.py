"""python-telegram-bot's networking over aiohttp's client.

PTB talks to the Bot API through a `BaseRequest`; its default is httpx. aiohttp is
already part of our stack (the webhook server, the sandbox), and its client costs far
less CPU per request: measured with `python -m bench`, see BENCHMARKS.md. Every reply
of the bot is one or two Bot API calls, so this cost decides how many updates a second
one process can handle.

`AiohttpRequest` implements PTB's documented extension point (`ApplicationBuilder.request`
and `.get_updates_request`); PTB still builds the requests, parses the answers and
raises its own errors (RetryAfter, Forbidden, ...) from the status code and body.
"""
from __future__ import annotations

import asyncio

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData


class AiohttpRequest(BaseRequest):
    """One aiohttp session with a bounded connection pool."""

    __slots__ = ("_connect_timeout", "_media_write_timeout", "_pool_size", "_read_timeout", "_session",
                 "_write_timeout")

    def __init__(self, *, connection_pool_size: int = 16, read_timeout: float | None = 5.0,
                 write_timeout: float | None = 5.0, connect_timeout: float | None = 5.0,
                 media_write_timeout: float | None = 20.0) -> None:
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool_size, keepalive_timeout=30)
            self._session = aiohttp.ClientSession(
                connector=connector, headers={"User-Agent": self.USER_AGENT},
                # PTB parses the body itself; skip aiohttp's own cookie handling.
                cookie_jar=aiohttp.DummyCookieJar())

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout=BaseRequest.DEFAULT_NONE, write_timeout=BaseRequest.DEFAULT_NONE,
                         connect_timeout=BaseRequest.DEFAULT_NONE, pool_timeout=BaseRequest.DEFAULT_NONE,
                         ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data else None
        if isinstance(read_timeout, DefaultValue):
            read_timeout = self._read_timeout
        if isinstance(connect_timeout, DefaultValue):
            connect_timeout = self._connect_timeout
        if isinstance(write_timeout, DefaultValue):
            write_timeout = self._media_write_timeout if files else self._write_timeout
        # aiohttp has no separate write timeout: sending the body counts towards the
        # read timeout of the whole exchange, so allow both.
        total = None
        if read_timeout is not None and write_timeout is not None:
            total = read_timeout + write_timeout + (connect_timeout or 0)
        timeout = aiohttp.ClientTimeout(total=total, sock_connect=connect_timeout)
        body = _body(request_data, files)
        try:
            async with self._session.request(method, url, data=body, timeout=timeout) as response:
                return response.status, await response.read()
        except asyncio.TimeoutError as err:
            raise TimedOut from err
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.{err.__class__.__name__}: {err}") from err


def _body(request_data: RequestData | None, files) -> aiohttp.FormData | dict[str, str] | None:
    if request_data is None:
        return None
    fields = request_data.json_parameters
    if not files:
        return fields  # form-encoded, as PTB sends it with httpx
    form = aiohttp.FormData()
    for name, value in fields.items():
        form.add_field(name, value)
    for name, (filename, content, mimetype) in files.items():
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form
