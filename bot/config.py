"""Settings from environment variables and an optional `.env` file.

A missing or malformed setting stops start-up with one clear line naming the
variable (`ConfigError`).
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

from bot.languages import SUPPORTED_LANGUAGES, normalise_language

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///homevisit.db"
DEFAULT_API_URL = "https://api.telegram.org"


class ConfigError(Exception):
    """A setting is missing or malformed. The message names the variable."""


@dataclass(frozen=True)
class Settings:
    bot_token: str | None = None
    bot_username: str | None = None
    database_url: str = DEFAULT_DATABASE_URL
    telegram_api_url: str = DEFAULT_API_URL
    school_name: str = "De Regenboog"
    school_timezone: str = "Europe/Amsterdam"
    default_language: str = "nl"
    invite_days_valid: int = 60
    concurrent_updates: int = 16

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.school_timezone)

    @property
    def bot_base_url(self) -> str:
        """PTB's `base_url`: the bot calls `{base_url}{token}/{method}`."""
        return self.telegram_api_url.rstrip("/") + "/bot"

    def require_token(self) -> str:
        if not self.bot_token:
            raise ConfigError(
                "BOT_TOKEN is not set: put the token from @BotFather in the environment or in .env"
            )
        return self.bot_token


def _int(env: dict[str, str], name: str, default: int, minimum: int = 1) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {value}")
    return value


def load_settings(environ: dict[str, str] | None = None, env_file: str | Path | None = ".env") -> Settings:
    """Read settings; real environment variables win over the `.env` file."""
    env: dict[str, str] = {}
    if env_file is not None and Path(env_file).is_file():
        env.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    env.update(os.environ if environ is None else environ)

    token = env.get("BOT_TOKEN") or None
    if token is not None and (":" not in token or any(c.isspace() for c in token)):
        raise ConfigError("BOT_TOKEN looks malformed: expected the form 123456:ABC-DEF... from @BotFather")

    database_url = env.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    if "://" not in database_url:
        raise ConfigError(f"DATABASE_URL must be a SQLAlchemy URL such as {DEFAULT_DATABASE_URL}")
    database_url = _async_driver(database_url)

    api_url = env.get("TELEGRAM_API_URL") or DEFAULT_API_URL
    if not api_url.startswith(("http://", "https://")):
        raise ConfigError(f"TELEGRAM_API_URL must start with http:// or https://, got {api_url!r}")

    tz_name = env.get("SCHOOL_TIMEZONE") or "Europe/Amsterdam"
    try:
        ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"SCHOOL_TIMEZONE is not a known time zone: {tz_name!r} (try Europe/Amsterdam)") from None

    lang_raw = env.get("DEFAULT_LANGUAGE") or "nl"
    lang = normalise_language(lang_raw)
    if lang is None:
        raise ConfigError(
            f"DEFAULT_LANGUAGE must be one of {', '.join(SUPPORTED_LANGUAGES)}, got {lang_raw!r}"
        )

    username = (env.get("BOT_USERNAME") or "").strip().lstrip("@") or None
    if username is not None and not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{3,31}", username):
        raise ConfigError(f"BOT_USERNAME is not a Telegram bot username: {username!r}")

    return Settings(
        bot_token=token,
        bot_username=username,
        database_url=database_url,
        telegram_api_url=api_url.rstrip("/"),
        school_name=(env.get("SCHOOL_NAME") or "De Regenboog").strip(),
        school_timezone=tz_name,
        default_language=lang,
        invite_days_valid=_int(env, "INVITE_DAYS_VALID", 60),
        concurrent_updates=_int(env, "CONCURRENT_UPDATES", 16),
    )


def _async_driver(url: str) -> str:
    """Accept the plain URLs people copy from elsewhere and pick the async driver."""
    if url.startswith("sqlite://"):
        return "sqlite+aiosqlite://" + url[len("sqlite://"):]
    if url.startswith("postgresql://"):
        return "postgresql+asyncpg://" + url[len("postgresql://"):]
    if url.startswith("postgres://"):
        return "postgresql+asyncpg://" + url[len("postgres://"):]
    return url
