"""Settings from environment variables and an optional `.env` file.

`Settings` is a frozen value: code and tests build it from keywords, and the environment
plays no part in that (change a copy with `settings.model_copy(update=...)`).
`load_settings()` reads the environment and `.env` with pydantic-settings. A missing or
malformed setting stops start-up with one clear line naming the variable (`ConfigError`).
"""
from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from datetime import time
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.languages import SUPPORTED_LANGUAGES, normalise_language
from bot.logs import LEVELS, default_worker

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///homevisit.db"
DEFAULT_API_URL = "https://api.telegram.org"


class ConfigError(Exception):
    """A setting is missing or malformed. The message names the variable."""


def _read(parse: Callable[[str], Any], wrong: str) -> BeforeValidator:
    """Text becomes `parse(text)`; if that fails (raises or gives None), the error is `wrong`
    ({!r}: the text), printed after the variable's name. Values that are not text pass as given."""
    def read(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        try:
            parsed = parse(value)
        except (ValueError, LookupError):  # LookupError: ZoneInfoNotFoundError
            parsed = None
        if parsed is None:
            raise ValueError(wrong.format(value))
        return parsed
    return BeforeValidator(read)


def _matching(pattern: str, then: Callable[[str], Any] = str) -> Callable[[str], Any]:
    return lambda text: then(text) if re.fullmatch(pattern, text) else None


def _async_driver(url: str) -> str:
    """Accept the plain URLs people copy from elsewhere and pick the async driver."""
    for plain, driver in (("sqlite://", "sqlite+aiosqlite://"), ("postgresql://", "postgresql+asyncpg://"),
                          ("postgres://", "postgresql+asyncpg://")):
        if url.startswith(plain):
            return driver + url[len(plain):]
    return url


def _two_times(text: str) -> tuple[time, time]:
    start, end = text.split("-")  # ValueError unless exactly two
    return time.fromisoformat(start.strip()), time.fromisoformat(end.strip())


# The kinds of value, each with the line that says what is wrong (after the variable's name).
Token = Annotated[str, _read(_matching(r"\S*:\S*"),
                             "looks malformed: expected the form 123456:ABC-DEF... from @BotFather")]
Username = Annotated[str, _read(lambda t: _matching(r"[A-Za-z][A-Za-z0-9_]{3,31}")(t.lstrip("@")),
                                "is not a Telegram bot username: {!r}")]
DatabaseURL = Annotated[str, _read(_matching(r".*://.*", _async_driver),
                                   f"must be a SQLAlchemy URL such as {DEFAULT_DATABASE_URL}")]
ApiURL = Annotated[str, _read(_matching(r"https?://.*", lambda t: t.rstrip("/")),
                              "must start with http:// or https://, got {!r}")]
TimeZone = Annotated[str, _read(lambda t: t if ZoneInfo(t) else None,
                                "is not a known time zone: {!r} (try Europe/Amsterdam)")]
Language = Annotated[str, _read(normalise_language, f"must be one of {', '.join(SUPPORTED_LANGUAGES)}, got {{!r}}")]
LogLevel = Annotated[str, _read(lambda t: t.upper() if t.upper() in LEVELS else None,
                                f"must be one of {', '.join(LEVELS)}, got {{!r}}")]
WorkerName = Annotated[str, _read(_matching(r"[A-Za-z0-9_.:@/-]{1,100}"),
                                  "must be up to 100 letters, digits and _.:@/- (no spaces), got {!r}")]
WebhookURL = Annotated[str, _read(_matching(r"https?://.*"), "must be an https:// address, got {!r}")]
Secret = Annotated[str, _read(_matching(r"[A-Za-z0-9_-]{16,256}"),
                              "must be 16 to 256 characters of A-Z, a-z, 0-9, _ and -")]
PublicURL = Annotated[str, BeforeValidator(lambda v: v.rstrip("/") if isinstance(v, str) else v)]
ClockTime = Annotated[time, _read(lambda t: time.fromisoformat(t if len(t) > 2 else t + ":00"),
                                  "must be a time like 21:00, got {!r}")]
QuietHours = Annotated[tuple[time, time], _read(_two_times, "must look like 21:00-08:00, got {!r}")]
_WHOLE = _read(int, "must be a whole number, got {!r}")
SiblingVisits = Annotated[str, _read(lambda t: t.strip().lower() if t.strip().lower() in ("together", "each") else None,
                                     "must be together or each, got {!r}")]
Count = Annotated[int, _WHOLE, Field(ge=1)]
CountOrZero = Annotated[int, _WHOLE, Field(ge=0)]
Amount = Annotated[float, _read(lambda t: float(t.replace(",", ".")), "must be a number, got {!r}"), Field(gt=0)]
# ... and the lines for pydantic's own checks of the bounds above.
_BOUNDS = {"greater_than_equal": "must be at least {ge}, got {input}",
           "greater_than": "must be more than {gt}, got {input!r}"}


class Settings(BaseModel):
    """Each setting's variable is its name in capitals (QUIET_HOURS for quiet_hours)."""

    model_config = ConfigDict(frozen=True)

    bot_token: Token | None = None  # the token from @BotFather; `run` needs it
    bot_username: Username | None = None  # for invitation links (None: ask Telegram)
    database_url: DatabaseURL = DEFAULT_DATABASE_URL  # plain sqlite:// and postgresql:// get the async driver
    telegram_api_url: ApiURL = DEFAULT_API_URL  # the bot calls {telegram_api_url}/bot{token}/{method}
    school_name: str = "De Regenboog"  # shown to parents
    school_phone: str | None = None  # on the printed letters, for families without a smartphone
    school_timezone: TimeZone = "Europe/Amsterdam"  # times are shown in this zone (stored in UTC)
    default_language: Language = "nl"  # for people whose language is not known
    invite_days_valid: Count = 60  # how long an invitation link works
    concurrent_updates: Count = 16  # updates handled at once (each person's one at a time)
    quiet_hours: QuietHours = (time(21, 0), time(8, 0))  # nothing planned goes out then (school time)
    nudge_after_days: Count = 3  # households that do not answer are nudged,
    nudge_again_days: Count = 4  # nudged again,
    call_after_days: CountOrZero = 3  # and then put on the call-list
    reminder_day_before: ClockTime = time(17, 0)  # parents hear the day before, at this hour,
    reminder_hours_before: Count = 2  # and this many hours before the visit
    teacher_overview_at: ClockTime = time(8, 0)  # when teachers get the day's overview
    outbox_rate: Amount = 29.5  # messages a second the outbox sends (Telegram allows about 30 a bot)
    outbox_chat_seconds: float = 1.0  # seconds between messages to one chat (after a burst); code only
    outbox_lease_seconds: Count = 60  # after this a dead worker's right to send (and its claims) is taken over
    outbox_tick_seconds: Amount = 5.0  # how often the outbox looks for due messages (updates also kick it)
    webhook_url: WebhookURL | None = None  # webhook mode (instead of long polling) when set
    webhook_secret: Secret | None = None  # webhook mode needs it
    webhook_listen: str = "127.0.0.1"  # where the web server listens (webhook, /healthz, calendar feeds)
    webhook_port: Count = 8080
    public_url: PublicURL | None = None  # where calendar feeds link to (load_settings: the webhook's host)
    questionnaire_file: str | None = None  # the school's visit questionnaire (None: the built-in one)
    note_retention_months: Count = 24  # notes are deleted after this time
    hours_per_visit: Amount = 2.0  # a visit's cost to a teacher (travel, preparation), for the coverage report
    sibling_visits: SiblingVisits = "together"  # a household's children in several classes: one visit, or each
    schools_file: str | None = None  # a board's schools, each with its bot and settings (bot/schools_file.py)
    school_key: str | None = None  # this school's key in the schools file; code only
    log_level: LogLevel = "INFO"  # one of bot.logs.LEVELS, in any case
    worker_name: WorkerName = Field(default_factory=default_worker)  # this process's name in every log line

    @property
    def quiet_start(self) -> time:
        return self.quiet_hours[0]

    @property
    def quiet_end(self) -> time:
        return self.quiet_hours[1]

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


_CODE_ONLY = {"OUTBOX_CHAT_SECONDS", "SCHOOL_KEY"}
_VARIABLES = {name.upper() for name in Settings.model_fields} - _CODE_ONLY


class _Environment(BaseSettings, Settings):
    """Settings as the environment and `.env` give them: text, a blank value being unset."""

    model_config = SettingsConfigDict(alias_generator=str.upper, case_sensitive=True, extra="ignore",
                                      env_file_encoding="utf-8", enable_decoding=False)

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings, dotenv_settings,
                                   file_secret_settings):
        # load_settings() hands the environment in as init values (tests give their own): it wins.
        return init_settings, dotenv_settings

    @model_validator(mode="before")
    @classmethod
    def _texts(cls, env: dict[str, Any]) -> dict[str, Any]:
        env = {k: v.strip() for k, v in env.items() if k in _VARIABLES and isinstance(v, str) and v.strip()}
        if "WEBHOOK_URL" in env and "PUBLIC_URL" not in env:
            scheme, _, rest = env["WEBHOOK_URL"].partition("://")
            env["PUBLIC_URL"] = f"{scheme}://{rest.split('/', 1)[0]}"
        return env

    @model_validator(mode="after")
    def _webhook_has_secret(self) -> _Environment:
        if self.webhook_url and not self.webhook_secret and not self.schools_file:  # a board: one per school
            raise ValueError("WEBHOOK_SECRET is not set: webhook mode needs a secret so that only Telegram can post")
        return self


def load_settings(environ: Mapping[str, str] | None = None, env_file: str | Path | None = ".env") -> Settings:
    """Read settings from `environ` (default: the process's) and `env_file`; `environ` wins."""
    environ = os.environ if environ is None else environ
    try:
        read = _Environment(_env_file=env_file, **{k: v for k, v in environ.items() if k in _VARIABLES})
    except ValidationError as exc:
        raise ConfigError(_one_line(exc.errors()[0])) from None
    return Settings(**dict(read))


def _one_line(error: Any) -> str:
    """`VARIABLE what is wrong with it`, from pydantic's account of the first error."""
    if error["type"] in _BOUNDS:
        what = _BOUNDS[error["type"]].format(input=error["input"], **error["ctx"])
    else:
        what = str(error.get("ctx", {}).get("error") or error["msg"])
    return f"{error['loc'][0]} {what}" if error["loc"] else what
