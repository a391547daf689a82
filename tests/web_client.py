"""A small browser for the web pages' HTTP tests: it keeps cookies, follows redirects,
and reads a page the way a person sees it (its text, its links and buttons, its forms)."""
from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

import aiohttp
from yarl import URL


@dataclass
class Form:
    action: str
    fields: dict[str, str] = field(default_factory=dict)  # hidden fields and text inputs
    radios: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # name -> [(value, label)]
    button: str = ""

    def choice(self, name: str, label: str) -> str:
        for value, shown in self.radios.get(name, []):
            if label in shown:
                return value
        raise AssertionError(f"no {name} labelled {label!r}: {self.radios.get(name)}")


@dataclass
class Page:
    status: int
    url: str
    html: str
    headers: dict[str, str]
    text: str = ""
    links: list[tuple[str, str]] = field(default_factory=list)  # (label, href)
    forms: list[Form] = field(default_factory=list)
    attributes: dict[str, dict[str, str]] = field(default_factory=dict)  # first <html>, <h1>...

    def link(self, label: str) -> str:
        for shown, href in self.links:
            if label in shown:
                return href
        raise AssertionError(f"no link {label!r} on {self.url}: {[s for s, _ in self.links]}")

    def form(self, button: str) -> Form:
        for form in self.forms:
            if button in form.button:
                return form
        raise AssertionError(f"no form with button {button!r} on {self.url}: {[f.button for f in self.forms]}")

    @property
    def labels(self) -> list[str]:
        return [shown for shown, _ in self.links] + [f.button for f in self.forms]


class _Reader(HTMLParser):
    def __init__(self, page: Page) -> None:
        super().__init__(convert_charrefs=True)
        self.page = page
        self._text: list[str] = []
        self._link: tuple[str, list[str]] | None = None
        self._form: Form | None = None
        self._label: list[str] | None = None
        self._radio: tuple[str, str] | None = None
        self._button: list[str] | None = None
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        self.page.attributes.setdefault(tag, a)
        if tag in ("style", "script", "title"):
            self._skip += 1
        elif tag == "a":
            self._link = (a.get("href", ""), [])
        elif tag == "form":
            self._form = Form(a.get("action", ""))
        elif tag == "input" and self._form is not None:
            kind = a.get("type", "text")
            if kind == "radio":
                self._radio = (a.get("name", ""), a.get("value", ""))
                self._form.radios.setdefault(a.get("name", ""), [])
            elif kind in ("hidden", "text"):
                self._form.fields[a.get("name", "")] = a.get("value", "")
        elif tag == "label":
            self._label = []
        elif tag == "button":
            self._button = []
        elif tag in ("p", "li", "h1", "h2", "legend", "br", "section", "footer"):
            self._text.append("\n")

    def handle_endtag(self, tag):
        if tag in ("style", "script", "title"):
            self._skip -= 1
        elif tag == "a" and self._link is not None:
            self.page.links.append(("".join(self._link[1]).strip(), self._link[0]))
            self._link = None
        elif tag == "label" and self._label is not None:
            if self._radio is not None and self._form is not None:
                name, value = self._radio
                self._form.radios[name].append((value, "".join(self._label).strip()))
            self._label, self._radio = None, None
        elif tag == "button" and self._button is not None and self._form is not None:
            self._form.button = "".join(self._button).strip()
            self._button = None
        elif tag == "form" and self._form is not None:
            self.page.forms.append(self._form)
            self._form = None

    def handle_data(self, data):
        if self._skip:
            return
        self._text.append(data)
        for part in (self._link[1] if self._link else None, self._label, self._button):
            if part is not None:
                part.append(data)

    def close(self):
        super().close()
        lines = (" ".join(line.split()) for line in "".join(self._text).split("\n"))
        self.page.text = "\n".join(line for line in lines if line)


def read(status: int, url: str, html: str, headers) -> Page:
    page = Page(status, url, html, dict(headers))
    if "html" in page.headers.get("Content-Type", ""):
        reader = _Reader(page)
        reader.feed(html)
        reader.close()
    return page


class Browser:
    """One person's browser: its own cookies."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.last: Page | None = None

    async def close(self) -> None:
        await self.http.close()

    def _url(self, path: str) -> str:
        return path if path.startswith("http") else self.base + path

    async def get(self, path: str) -> Page:
        async with self.http.get(self._url(path)) as response:
            self.last = read(response.status, str(response.url), await response.text(), response.headers)
        return self.last

    async def post(self, path: str, data: dict | bytes, **kwargs) -> Page:
        async with self.http.post(self._url(path), data=data, **kwargs) as response:
            self.last = read(response.status, str(response.url), await response.text(), response.headers)
        return self.last

    async def submit(self, form: Form, **values) -> Page:
        return await self.post(form.action, {**form.fields, **values})

    async def click(self, label: str) -> Page:
        """A link or a button (a form with only hidden fields) with this label, on the last page."""
        page = self.last
        for shown, href in page.links:
            if label in shown:
                return await self.get(str(URL(page.url).join(URL(href))))
        return await self.submit(page.form(label))
