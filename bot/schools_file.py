"""A school board's schools file: one deployment, many schools, each with its own bot.

    SCHOOLS_FILE=schools.toml

    [[school]]
    key = "regenboog"                 # short and fixed: --school regenboog, the webhook path
    name = "De Regenboog"             # shown to parents
    bot_token = "123456:ABC..."       # this school's bot, from @BotFather
    bot_username = "regenboog_bot"    # optional: asked from Telegram when missing
    timezone = "Europe/Amsterdam"
    default_language = "nl"
    quiet_hours = "21:00-08:00"
    questionnaire = "regenboog-vragen.json"   # relative to this file
    phone = "020 123 45 67"
    webhook_secret = "..."            # webhook mode: one per bot

What is not in a school's table comes from the environment (the deployment's settings:
database, Telegram's address, the web server, the pace of the outbox), so a school
needs only `key`, `name` and `bot_token`. Each school's settings are a `Settings` of
their own (`load_schools`). A mistake stops start-up with one line naming the file,
the school and the key (`ConfigError`).
"""
from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bot.config import ConfigError, Settings, _one_line

# The keys of a school's table, and the setting each one sets.
KEYS = {
    "key": "school_key",
    "name": "school_name",
    "bot_token": "bot_token",
    "bot_username": "bot_username",
    "timezone": "school_timezone",
    "default_language": "default_language",
    "quiet_hours": "quiet_hours",
    "questionnaire": "questionnaire_file",
    "phone": "school_phone",
    "webhook_secret": "webhook_secret",
    # The visit loop's rhythm, when one school wants it different.
    "invite_days_valid": "invite_days_valid",
    "nudge_after_days": "nudge_after_days",
    "nudge_again_days": "nudge_again_days",
    "call_after_days": "call_after_days",
    "reminder_day_before": "reminder_day_before",
    "reminder_hours_before": "reminder_hours_before",
    "teacher_overview_at": "teacher_overview_at",
    "note_retention_months": "note_retention_months",
    "hours_per_visit": "hours_per_visit",
    "sibling_visits": "sibling_visits",
}
REQUIRED = ("key", "name", "bot_token")
UNIQUE = ("key", "name", "bot_token")
_SETTING_TO_KEY = {setting: key for key, setting in KEYS.items()}
_KEY_SHAPE = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")


def load_schools(settings: Settings) -> list[Settings]:
    """The settings of each school this deployment serves: the schools file's, or the one
    school the environment describes when there is no schools file."""
    if not settings.schools_file:
        return [settings]
    path = Path(settings.schools_file)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"SCHOOLS_FILE: there is no file {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"SCHOOLS_FILE: {path} cannot be read ({type(exc).__name__})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path.name}: not valid TOML: {exc}") from None
    unknown = sorted(set(data) - {"school"})
    if unknown:
        raise ConfigError(f"{path.name}: unknown table or key {unknown[0]!r} (a schools file holds [[school]] tables)")
    tables = data.get("school")
    if not isinstance(tables, list) or not tables or not all(isinstance(t, dict) for t in tables):
        raise ConfigError(f"{path.name}: no schools: add a [[school]] table for each school")
    schools: list[Settings] = []
    seen: dict[str, dict[Any, int]] = {key: {} for key in UNIQUE}
    for number, table in enumerate(tables, 1):
        where = _where(path, number, table)
        school = _school(settings, path, where, table)
        for key in UNIQUE:  # (never the value itself: a token is a secret)
            value = table[key]
            if value in seen[key]:
                raise ConfigError(f"{where}: {key} is the same as school {seen[key][value]}'s")
            seen[key][value] = number
        schools.append(school)
    return schools


def pick(schools: list[Settings], key: str | None) -> Settings:
    """The school a command is for: `--school KEY`, or the only one."""
    known = ", ".join(s.school_key or "?" for s in schools)
    if key is None:
        if len(schools) == 1:
            return schools[0]
        raise ConfigError(f"this deployment has {len(schools)} schools ({known}): say which with --school")
    for school in schools:
        if school.school_key == key:
            return school
    if len(schools) == 1 and schools[0].school_key is None:
        raise ConfigError(f"--school {key}: this deployment has one school and no schools file (SCHOOLS_FILE)")
    raise ConfigError(f"--school {key}: there is no such school (known: {known})")


def _where(path: Path, number: int, table: dict) -> str:
    """`schools.toml, school 2 ('regenboog')`: the place of a mistake."""
    key = table.get("key")
    named = f" ({key!r})" if isinstance(key, str) and key else ""
    return f"{path.name}, school {number}{named}"


def _school(settings: Settings, path: Path, where: str, table: dict) -> Settings:
    unknown = sorted(set(table) - set(KEYS))
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(KEYS)})")
    for key in REQUIRED:
        if key not in table or table[key] in ("", None):
            raise ConfigError(f"{where}: {key} is missing")
    if not isinstance(table["key"], str) or not _KEY_SHAPE.fullmatch(table["key"]):
        raise ConfigError(f"{where}: key must be up to 40 lower-case letters, digits and -, got {table['key']!r}")
    if settings.webhook_url and not table.get("webhook_secret"):
        raise ConfigError(f"{where}: webhook_secret is missing (in webhook mode each bot needs its own)")
    values = {KEYS[key]: value for key, value in table.items()}
    if "questionnaire" in table and isinstance(table["questionnaire"], str):
        values["questionnaire_file"] = str((path.parent / table["questionnaire"]).resolve())
    if settings.webhook_url:
        values["webhook_url"] = f"{settings.webhook_url.rstrip('/')}/{table['key']}"
    try:
        return Settings(**{**dict(settings), "bot_username": None, **values})
    except ValidationError as exc:
        error = exc.errors()[0]
        setting = error["loc"][0] if error["loc"] else ""
        line = _one_line({**error, "loc": ()})
        raise ConfigError(f"{where}: {_SETTING_TO_KEY.get(setting, setting)} {line}") from None
