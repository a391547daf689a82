"""Settings from environment variables and an optional `.env` file.

A missing or malformed setting stops start-up with one clear line naming the
variable (`ConfigError`).
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

from bot.languages import SUPPORTED_LANGUAGES, normalise_language
from bot.logs import LEVELS, default_worker

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
    # Nothing planned goes out between these hours (school time); it waits for the morning.
    quiet_start: time = time(21, 0)
    quiet_end: time = time(8, 0)
    # The ladder for households that do not answer: nudge, nudge again, then the call-list.
    nudge_after_days: int = 3
    nudge_again_days: int = 4
    call_after_days: int = 3
    # Parents hear the day before (at this hour) and about two hours before the visit.
    reminder_day_before: time = time(17, 0)
    reminder_hours_before: int = 2
    teacher_overview_at: time = time(8, 0)
    # Messages a second the outbox sends (Telegram allows about 30 a bot).
    outbox_rate: float = 29.5
    # ... and at most about one a second to one chat (after a short burst).
    outbox_chat_seconds: float = 1.0
    # A claimed message not confirmed within this time is taken again (a crashed worker).
    outbox_lease_seconds: int = 60
    # The school's visit questionnaire (None: the built-in one), note retention, and the
    # hours a visit costs a teacher all in (travel, preparation), for the coverage report.
    # Webhook mode (instead of long polling) when webhook_url is set.
    webhook_url: str | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8080
    webhook_secret: str | None = None
    # Where calendar feeds link to (defaults to the webhook's host).
    public_url: str | None = None
    questionnaire_file: str | None = None
    note_retention_months: int = 24
    hours_per_visit: float = 2.0
    # Logging: the level (one of bot.logs.LEVELS), and this process's name in every line.
    log_level: str = "INFO"
    worker_name: str = field(default_factory=default_worker)

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
        quiet_start=_quiet_hours(env)[0],
        quiet_end=_quiet_hours(env)[1],
        nudge_after_days=_int(env, "NUDGE_AFTER_DAYS", 3),
        nudge_again_days=_int(env, "NUDGE_AGAIN_DAYS", 4),
        call_after_days=_int(env, "CALL_AFTER_DAYS", 3, minimum=0),
        reminder_day_before=_clock_time(env, "REMINDER_DAY_BEFORE", time(17, 0)),
        reminder_hours_before=_int(env, "REMINDER_HOURS_BEFORE", 2),
        teacher_overview_at=_clock_time(env, "TEACHER_OVERVIEW_AT", time(8, 0)),
        outbox_rate=_float(env, "OUTBOX_RATE", 29.5),
        outbox_lease_seconds=_int(env, "OUTBOX_LEASE_SECONDS", 60),
        **_webhook(env),
        questionnaire_file=(env.get("QUESTIONNAIRE_FILE") or "").strip() or None,
        note_retention_months=_int(env, "NOTE_RETENTION_MONTHS", 24),
        hours_per_visit=_float(env, "HOURS_PER_VISIT", 2.0),
        log_level=_log_level(env),
        worker_name=_worker_name(env),
    )


def _log_level(env: dict[str, str]) -> str:
    raw = (env.get("LOG_LEVEL") or "").strip()
    if not raw:
        return "INFO"
    if raw.upper() not in LEVELS:
        raise ConfigError(f"LOG_LEVEL must be one of {', '.join(LEVELS)}, got {raw!r}")
    return raw.upper()


def _worker_name(env: dict[str, str]) -> str:
    raw = (env.get("WORKER_NAME") or "").strip()
    if not raw:
        return default_worker()
    if not re.fullmatch(r"[A-Za-z0-9_.:@/-]{1,100}", raw):
        raise ConfigError(f"WORKER_NAME must be up to 100 letters, digits and _.:@/- (no spaces), got {raw!r}")
    return raw


def _webhook(env: dict[str, str]) -> dict:
    url = (env.get("WEBHOOK_URL") or "").strip() or None
    secret = (env.get("WEBHOOK_SECRET") or "").strip() or None
    if url is not None:
        if not url.startswith(("https://", "http://")):
            raise ConfigError(f"WEBHOOK_URL must be an https:// address, got {url!r}")
        if secret is None:
            raise ConfigError("WEBHOOK_SECRET is not set: webhook mode needs a secret so that only Telegram can post")
    if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{16,256}", secret):
        raise ConfigError("WEBHOOK_SECRET must be 16 to 256 characters of A-Z, a-z, 0-9, _ and -")
    public = (env.get("PUBLIC_URL") or "").strip().rstrip("/") or None
    if public is None and url is not None:
        scheme, _, rest = url.partition("://")
        public = f"{scheme}://{rest.split('/', 1)[0]}"
    return dict(webhook_url=url, webhook_secret=secret, public_url=public,
                webhook_listen=(env.get("WEBHOOK_LISTEN") or "127.0.0.1").strip(),
                webhook_port=_int(env, "WEBHOOK_PORT", 8080))


def _float(env: dict[str, str], name: str, default: float) -> float:
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = float(raw.replace(",", "."))
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None
    if value <= 0:
        raise ConfigError(f"{name} must be more than 0, got {raw!r}")
    return value


def _clock_time(env: dict[str, str], name: str, default: time) -> time:
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    try:
        return time.fromisoformat(raw if len(raw) > 2 else raw + ":00")
    except ValueError:
        raise ConfigError(f"{name} must be a time like 21:00, got {raw!r}") from None


def _quiet_hours(env: dict[str, str]) -> tuple[time, time]:
    raw = (env.get("QUIET_HOURS") or "").strip()
    if not raw:
        return time(21, 0), time(8, 0)
    parts = raw.split("-")
    if len(parts) != 2:
        raise ConfigError(f"QUIET_HOURS must look like 21:00-08:00, got {raw!r}")
    try:
        return tuple(time.fromisoformat(p.strip()) for p in parts)  # type: ignore[return-value]
    except ValueError:
        raise ConfigError(f"QUIET_HOURS must look like 21:00-08:00, got {raw!r}") from None


def _async_driver(url: str) -> str:
    """Accept the plain URLs people copy from elsewhere and pick the async driver."""
    if url.startswith("sqlite://"):
        return "sqlite+aiosqlite://" + url[len("sqlite://"):]
    if url.startswith("postgresql://"):
        return "postgresql+asyncpg://" + url[len("postgresql://"):]
    if url.startswith("postgres://"):
        return "postgresql+asyncpg://" + url[len("postgres://"):]
    return url
