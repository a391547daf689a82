"""Buttons: each kind is a small typed declaration, and a press is parsed in one place.

    INVITATION = Button("invitation", Ref("invitation"), Revision(), OneOf("choice", "t", "e", "n"), legacy="inv")

declares a button whose callback data read `v2:invitation:12:3:t`. Its fields say what
each part is (an id, a version, a choice, a day, a time, a slot, a page) and which values
it may take; the longest data it can make is checked against Telegram's 64 bytes when
the module is imported. `INVITATION.make(label, 12, 3, "t")` builds the button, and a
handler takes it with `@on(INVITATION)` (see `bot/app.py` for the wiring).

Callback data come from the client and can be forged: `parse` refuses anything that does
not fit a declared kind (group -1, before any handler runs), and every valid press is
still re-checked against the database by the service that acts on it. `legacy` is the
kind's name in the v1 data of messages sent before the names were spelled out; those
buttons keep working.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any, Awaitable, Callable

from telegram import InlineKeyboardButton

VERSION = "v2"
LEGACY = "v1"
MAX_BYTES = 64  # Telegram's limit for callback_data
INT4_MAX = 2_147_483_647  # ids are PostgreSQL `integer` columns
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,19}$")
_DIGITS = re.compile(r"^(0|[1-9][0-9]{0,9})$")


class ButtonError(ValueError):
    """A button built with values its declaration does not allow (a bug, not a user's doing)."""


# -- fields ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Field:
    name: str
    width: int  # the longest text it can take, for the 64-byte budget

    def read(self, raw: str) -> Any | None:
        """The value, or None when `raw` does not fit."""
        raise NotImplementedError

    def write(self, value: Any) -> str:
        return str(value)


@dataclass(frozen=True)
class Number(Field):
    low: int = 0
    high: int = INT4_MAX

    def read(self, raw: str) -> int | None:
        if not _DIGITS.match(raw):
            return None
        value = int(raw)
        return value if self.low <= value <= self.high else None


def Ref(name: str) -> Number:  # noqa: N802 - reads like a type in a declaration
    """The id of one of our rows."""
    return Number(name, 10, 1, INT4_MAX)


def RefOrNone(name: str) -> Number:  # noqa: N802
    """An id, or 0 for none."""
    return Number(name, 10, 0, INT4_MAX)


def Revision() -> Number:  # noqa: N802
    """An invitation's version: a press on an older state cannot act."""
    return Number("version", 10, 0, INT4_MAX)


def Page() -> Number:  # noqa: N802
    return Number("page", 4, 0, 9_999)


def Index(name: str = "index") -> Number:  # noqa: N802
    return Number(name, 3, 0, 999)


def Minutes(name: str) -> Number:  # noqa: N802
    return Number(name, 3, 0, 600)


# A slot: minutes since 1970 (UTC), between 2020 and 2100.
SLOT_LOW, SLOT_HIGH = 26_297_280, 68_374_080


def Slot(name: str = "slot", *, or_none: bool = False) -> Number:  # noqa: N802
    """A slot's start as minutes since 1970 (see bot/services/slots.py); 0 for none when allowed."""
    return _SlotField(name, 8, SLOT_LOW, SLOT_HIGH, or_none)


@dataclass(frozen=True)
class _SlotField(Number):
    or_none: bool = False

    def read(self, raw: str) -> int | None:
        if self.or_none and raw == "0":
            return 0
        return super().read(raw)


@dataclass(frozen=True)
class Choice(Field):
    values: tuple[str, ...] = ()

    def read(self, raw: str) -> str | None:
        return raw if raw in self.values else None


def OneOf(name: str, *values: object) -> Choice:  # noqa: N802
    choices = tuple(str(v) for v in values)
    return Choice(name, max(len(c) for c in choices), choices)


@dataclass(frozen=True)
class Day(Field):
    """A date, as YYYYMMDD."""

    name: str = "day"
    width: int = 8

    def read(self, raw: str) -> date | None:
        if not re.fullmatch(r"20[0-9]{6}", raw):
            return None
        try:
            return datetime.strptime(raw, "%Y%m%d").date()
        except ValueError:
            return None

    def write(self, value: date) -> str:
        return value.strftime("%Y%m%d")


@dataclass(frozen=True)
class Clock(Field):
    """A time of day, as HHMM."""

    width: int = 4

    def read(self, raw: str) -> time | None:
        if not re.fullmatch(r"([01][0-9]|2[0-3])[0-5][0-9]", raw):
            return None
        return time(int(raw[:2]), int(raw[2:]))

    def write(self, value: time) -> str:
        return value.strftime("%H%M")


# -- kinds ------------------------------------------------------------------------------

class Press:
    """A parsed press: its kind and its values, by field name (`press.invitation`)."""

    def __init__(self, kind: Button, values: tuple) -> None:
        self.kind = kind
        self.values = values
        for f, value in zip(kind.fields, values):
            setattr(self, f.name, value)

    def __repr__(self) -> str:
        return f"Press({self.kind.action}, {self.values})"


_KINDS: dict[tuple[str, str], Button] = {}  # (version, name) -> kind


@dataclass(frozen=True)
class Button:
    action: str
    fields: tuple[Field, ...]
    legacy: str | None = None

    def __init__(self, action: str, *fields: Field, legacy: str | None = None) -> None:
        object.__setattr__(self, "action", action)
        object.__setattr__(self, "fields", fields)
        object.__setattr__(self, "legacy", legacy)
        if not _NAME.match(action):
            raise ButtonError(f"bad button name {action!r}")
        longest = len(VERSION) + 1 + len(action) + sum(1 + f.width for f in fields)
        if longest > MAX_BYTES:
            raise ButtonError(f"button {action!r} can make {longest} bytes of callback data, over {MAX_BYTES}")
        for key in ((VERSION, action), *(((LEGACY, legacy),) if legacy else ())):
            if key in _KINDS:
                raise ButtonError(f"two buttons named {key[1]!r}")
            _KINDS[key] = self

    def data(self, *values: object) -> str:
        if len(values) != len(self.fields):
            raise ButtonError(f"{self.action} takes {len(self.fields)} values, got {len(values)}")
        parts = [VERSION, self.action]
        for f, value in zip(self.fields, values):
            raw = f.write(value)
            if f.read(raw) is None:
                raise ButtonError(f"{self.action}: {value!r} does not fit {f.name}")
            parts.append(raw)
        return ":".join(parts)

    def make(self, label: str, *values: object) -> InlineKeyboardButton:
        return InlineKeyboardButton(label, callback_data=self.data(*values))

    @property
    def pattern(self) -> re.Pattern[str]:
        """For PTB's CallbackQueryHandler: this kind's data, in either version."""
        names = [f"{VERSION}:{re.escape(self.action)}"]
        if self.legacy:
            names.append(f"{LEGACY}:{re.escape(self.legacy)}")
        return re.compile(rf"^({'|'.join(names)})(:|$)")


def parse(data: str | None) -> Press | None:
    """The press these data make, when they fit a declared kind exactly; else None."""
    if not data or len(data.encode()) > MAX_BYTES:
        return None
    version, _, rest = data.partition(":")
    name, *raw = rest.split(":") if rest else ("",)
    kind = _KINDS.get((version, name))
    if kind is None or len(raw) != len(kind.fields):
        return None
    values = tuple(f.read(part) for f, part in zip(kind.fields, raw))
    if any(v is None for v in values):
        return None
    return Press(kind, values)


# -- who takes which button --------------------------------------------------------------

Handler = Callable[..., Awaitable[None]]


@dataclass
class _Taken:
    handlers: list[tuple[Button, Handler]] = field(default_factory=list)


_TAKEN = _Taken()


def on(*kinds: Button) -> Callable[[Handler], Handler]:
    """Mark a handler as the one that takes these buttons (wired in bot/app.py)."""

    def mark(handler: Handler) -> Handler:
        for kind in kinds:
            if any(k is kind for k, _ in _TAKEN.handlers):
                raise ButtonError(f"two handlers take {kind.action!r}")
            _TAKEN.handlers.append((kind, handler))
        return handler

    return mark


def taken() -> list[tuple[Button, Handler]]:
    """Every (button, handler) marked with `on`, in the order they were declared."""
    return list(_TAKEN.handlers)


def declared() -> list[Button]:
    return list(dict.fromkeys(_KINDS.values()))
