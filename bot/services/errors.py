"""What a rule answers when it cannot do what was asked."""
from __future__ import annotations


class NotAllowed(Exception):
    """The person may not act on this object (not their household, not their visit).
    It reveals nothing: an unknown id and someone else's id look the same."""


class RuleError(ValueError):
    """The request breaks a rule; `code` says which (for the caller to pick its words),
    the message says it in English (for logs and the command line)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
