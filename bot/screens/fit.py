"""What fits in one Telegram message, and cutting a longer text into messages that do."""
from __future__ import annotations

# Telegram counts a message's length in UTF-16 code units.
MAX_MESSAGE = 4096


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """A long text as messages Telegram accepts, cut between paragraphs (else lines, else
    words) and never silently shortened."""
    if utf16_length(text) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for piece in _pieces(text, limit):
        candidate = f"{current}\n{piece}" if current else piece
        if utf16_length(candidate) <= limit:
            current = candidate
        else:
            parts.append(current)
            current = piece
    if current:
        parts.append(current)
    return [p.strip("\n") or "…" for p in parts]


def _pieces(text: str, limit: int) -> list[str]:
    """Lines no longer than the limit (a longer line is cut between words)."""
    out = []
    for line in text.split("\n"):
        while utf16_length(line) > limit:
            cut = line.rfind(" ", 0, limit // 2) if " " in line[: limit // 2] else limit // 2
            out.append(line[:cut])
            line = line[cut:].lstrip()
        out.append(line)
    return out
