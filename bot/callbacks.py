"""Compact, versioned callback data for buttons: `v1:<action>:<arg>:<arg>`.

Parsed in one place. Parsing only checks the shape; every press is re-checked
against the database by the service that acts on it, because callback data comes
from the client and can be forged.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

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
