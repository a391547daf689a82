"""The languages homevisit speaks, and how a code someone gave us maps onto them."""
from __future__ import annotations

# Dutch is the source language of the catalogs; the others are translations.
SOURCE_LANGUAGE = "nl"
SUPPORTED_LANGUAGES: tuple[str, ...] = ("nl", "nl_BE", "en", "fr", "de", "tr", "ar", "pl", "uk")

# Each language's own name, shown on the language buttons (not translated on purpose:
# a parent looks for the name of their own language).
LANGUAGE_NAMES: dict[str, str] = {
    "nl": "Nederlands",
    "nl_BE": "Nederlands (België)",
    "en": "English",
    "fr": "Français",
    "de": "Deutsch",
    "tr": "Türkçe",
    "ar": "العربية",
    "pl": "Polski",
    "uk": "Українська",
}

LANGUAGE_FLAGS: dict[str, str] = {
    "nl": "🇳🇱", "nl_BE": "🇧🇪", "en": "🇬🇧", "fr": "🇫🇷", "de": "🇩🇪",
    "tr": "🇹🇷", "ar": "🇸🇦", "pl": "🇵🇱", "uk": "🇺🇦",
}

RTL_LANGUAGES = frozenset({"ar"})


def normalise_language(code: str | None) -> str | None:
    """Map `nl-BE`, `NL_be`, `fr-BE`, `en-US`... onto a supported language, or None.

    A regional variant we support exactly (nl_BE) is kept; any other region falls back
    to its base language when we support that.
    """
    if not code:
        return None
    raw = code.strip().replace("-", "_")
    if not raw:
        return None
    parts = raw.split("_", 1)
    base = parts[0].lower()
    if len(parts) == 2:
        candidate = f"{base}_{parts[1].upper()}"
        if candidate in SUPPORTED_LANGUAGES:
            return candidate
    return base if base in SUPPORTED_LANGUAGES else None
