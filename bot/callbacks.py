"""Compact, versioned callback data for buttons: `v1:<action>:<arg>:<arg>`.

Parsed and validated in one place: every action has a declared shape (`SHAPES`: its
fields, their types and ranges), and a press whose data do not fit it (truncated,
forged, a number where a word belongs, an id too large for the database) is refused
before any handler runs. Every valid press is still re-checked against the database by
the service that acts on it, because callback data come from the client.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Callable

VERSION = "v1"
MAX_BYTES = 64  # Telegram's limit for callback_data
_ACTION = re.compile(r"^[a-z][a-z0-9_]{0,15}$")
_ARG = re.compile(r"^[A-Za-z0-9_.\-]{1,32}$")


class CallbackDataError(ValueError):
    pass


@dataclass(frozen=True)
class Callback:
    action: str
    args: tuple[str, ...]

    def int_arg(self, index: int) -> int:
        try:
            return int(self.args[index])
        except (IndexError, ValueError):
            raise CallbackDataError(f"argument {index} of {self.action} is not a number") from None


def encode(action: str, *args: object) -> str:
    if not _ACTION.match(action):
        raise CallbackDataError(f"bad action {action!r}")
    parts = [VERSION, action]
    for arg in args:
        text = str(arg)
        if not _ARG.match(text):
            raise CallbackDataError(f"bad argument {text!r}")
        parts.append(text)
    data = ":".join(parts)
    if len(data.encode()) > MAX_BYTES:
        raise CallbackDataError(f"callback data too long: {data!r}")
    if validate(data) is None:  # a button we would refuse when it is pressed
        raise CallbackDataError(f"callback data do not fit the shape of {action!r}: {data!r}")
    return data


def parse(data: str | None) -> Callback | None:
    """The callback, or None when the data is not ours (old version, forged, garbage)."""
    if not data or len(data.encode()) > MAX_BYTES:
        return None
    parts = data.split(":")
    if len(parts) < 2 or parts[0] != VERSION or not _ACTION.match(parts[1]):
        return None
    if not all(_ARG.match(p) for p in parts[2:]):
        return None
    return Callback(parts[1], tuple(parts[2:]))


def pattern(action: str) -> re.Pattern[str]:
    """A CallbackQueryHandler pattern matching one action."""
    return re.compile(rf"^{VERSION}:{re.escape(action)}(:|$)")


# -- the shape of each action's arguments ---------------------------------------------

INT4_MAX = 2_147_483_647  # ids are PostgreSQL `integer` columns
_DIGITS = re.compile(r"^(0|[1-9][0-9]{0,9})$")

Check = Callable[[str], bool]


def _number(low: int, high: int) -> Check:
    return lambda raw: bool(_DIGITS.match(raw)) and low <= int(raw) <= high


def one_of(*values: object) -> Check:
    allowed = frozenset(str(v) for v in values)
    return lambda raw: raw in allowed


def _day(raw: str) -> bool:
    if not re.fullmatch(r"20[0-9]{6}", raw):
        return False
    try:
        datetime.strptime(raw, "%Y%m%d")
    except ValueError:
        return False
    return True


def _clock(raw: str) -> bool:
    return bool(re.fullmatch(r"([01][0-9]|2[0-3])[0-5][0-9]", raw))


ID = _number(1, INT4_MAX)  # a row of ours
ID_OR_NONE = _number(0, INT4_MAX)  # 0: none chosen
REVISION = _number(0, INT4_MAX)  # an invitation's version
# A slot: minutes since 1970 (UTC), between 2020 and 2100.
SLOT = _number(26_298_720, 68_374_080)
SLOT_OR_NONE = lambda raw: raw == "0" or SLOT(raw)  # noqa: E731
DAY = _day  # YYYYMMDD
CLOCK = _clock  # HHMM
INDEX = _number(0, 999)
PAGE = _number(0, 9_999)
MINUTES = _number(0, 600)


def _shapes() -> dict[str, tuple[Check, ...]]:
    from bot.languages import SUPPORTED_LANGUAGES
    from bot.services.booking import TEACHER_CANCEL_REASONS
    from bot.services.invitations import DECLINE_REASONS
    from db.models import FOLLOW_UP_KINDS, NOTE_OUTCOMES, VENUES

    language = one_of(*SUPPORTED_LANGUAGES)
    venue = one_of(*VENUES)
    venue_or_none = one_of(*VENUES, "x")
    return {
        "langmenu": (), "lang": (language,),
        # Parents: the invitation and their visit.
        "inv": (ID, REVISION, one_of("t", "e", "n")), "days": (ID, REVISION, venue_or_none),
        "day": (ID, REVISION, DAY, venue_or_none), "slot": (ID, REVISION, SLOT, venue_or_none),
        "ven": (ID, REVISION, SLOT_OR_NONE, venue), "plc": (ID, REVISION, SLOT, venue),
        "send": (ID, REVISION, SLOT, venue), "nofit": (ID, REVISION), "decl": (ID, REVISION, one_of(*DECLINE_REASONS)),
        "mv": (ID, REVISION, one_of("r", "c", "y", "k")), "prop": (ID, one_of("y", "n")),
        # Teachers: requests, proposals, cancellations, availability, lists.
        "tc": (ID,), "tp": (ID,), "tpd": (ID, DAY), "tps": (ID, SLOT), "tx": (ID,),
        "txr": (ID, one_of(*TEACHER_CANCEL_REASONS)),
        "av": (), "ava": (), "avd": (DAY, one_of("e", "d")), "avs": (DAY, CLOCK), "ave": (DAY, CLOCK, CLOCK),
        "avx": (ID,), "avp": (PAGE,),
        "calr": (),
        "nt": (ID,), "no": (ID, one_of(*NOTE_OUTCOMES)), "nq": (ID, INDEX), "nf": (ID, one_of(*FOLLOW_UP_KINDS)),
        "nfx": (ID,), "nd": (ID,), "ns": (ID,), "nv": (ID,), "ne": (ID, INDEX), "fd": (ID, PAGE),
        "ntp": (PAGE,), "fup": (PAGE,), "clp": (PAGE,), "agp": (PAGE,),
        # The coordinator: period, invitations, announcements, notes, coverage.
        "pnm": (), "pfd": (DAY,), "pld": (DAY,), "pvm": (MINUTES,), "pbm": (MINUTES,), "pok": (), "pno": (),
        "pcl": (), "pcy": (), "ivs": (),
        "anc": (one_of("guardians", "class", "staff"), ID_OR_NONE), "anl": (language,), "anp": (), "ans": (),
        "nlp": (PAGE,), "cvs": (PAGE,), "cvc": (ID,), "cvt": (PAGE,), "cvr": (),
        # Everyone.
        "fgy": (), "fgn": (),
    }


_SHAPES: dict[str, tuple[Check, ...]] | None = None


def shapes() -> dict[str, tuple[Check, ...]]:
    global _SHAPES
    if _SHAPES is None:
        _SHAPES = _shapes()
    return _SHAPES


def validate(data: str | None) -> Callback | None:
    """The callback when its data fit the declared shape of its action; else None."""
    callback = parse(data)
    if callback is None:
        return None
    shape = shapes().get(callback.action)
    if shape is None or len(shape) != len(callback.args):
        return None
    if not all(check(arg) for check, arg in zip(shape, callback.args)):
        return None
    return callback


def day_arg(raw: str) -> date:
    """A DAY argument (already validated) as a date."""
    return datetime.strptime(raw, "%Y%m%d").date()
