"""Settings: defaults, and one clear line naming the variable when something is wrong."""
from __future__ import annotations

import pytest

from bot.config import ConfigError, load_settings


def settings(**env):
    return load_settings(env, env_file=None)


def test_defaults_need_nothing_but_run_needs_a_token():
    s = settings()
    assert s.database_url == "sqlite+aiosqlite:///homevisit.db"
    assert s.bot_base_url == "https://api.telegram.org/bot"
    assert s.school_timezone == "Europe/Amsterdam"
    assert s.default_language == "nl"
    with pytest.raises(ConfigError, match="BOT_TOKEN"):
        s.require_token()


def test_plain_urls_get_the_async_driver():
    assert settings(DATABASE_URL="postgresql://u@h/db").database_url == "postgresql+asyncpg://u@h/db"
    assert settings(DATABASE_URL="sqlite:///x.db").database_url == "sqlite+aiosqlite:///x.db"


def test_api_url_is_where_the_bot_calls():
    s = settings(TELEGRAM_API_URL="http://127.0.0.1:8081/", BOT_TOKEN="1:abc")
    assert s.bot_base_url == "http://127.0.0.1:8081/bot"


@pytest.mark.parametrize(
    "env, variable",
    [
        ({"BOT_TOKEN": "not a token"}, "BOT_TOKEN"),
        ({"SCHOOL_TIMEZONE": "Mars/Olympus"}, "SCHOOL_TIMEZONE"),
        ({"DEFAULT_LANGUAGE": "xx"}, "DEFAULT_LANGUAGE"),
        ({"DATABASE_URL": "homevisit.db"}, "DATABASE_URL"),
        ({"TELEGRAM_API_URL": "api.telegram.org"}, "TELEGRAM_API_URL"),
        ({"INVITE_DAYS_VALID": "soon"}, "INVITE_DAYS_VALID"),
        ({"BOT_USERNAME": "a b"}, "BOT_USERNAME"),
        ({"LOG_LEVEL": "chatty"}, "LOG_LEVEL"),
        ({"LOG_LEVEL": "10"}, "LOG_LEVEL"),
        ({"WORKER_NAME": "web 1"}, "WORKER_NAME"),
    ],
)
def test_malformed_setting_names_the_variable(env, variable):
    with pytest.raises(ConfigError) as err:
        settings(**env)
    assert str(err.value).startswith(variable)
    assert "\n" not in str(err.value)


def test_regional_default_language_is_normalised():
    assert settings(DEFAULT_LANGUAGE="nl-BE").default_language == "nl_BE"
    assert settings(DEFAULT_LANGUAGE="fr-BE").default_language == "fr"


def test_env_file_is_read_and_environment_wins(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("SCHOOL_NAME=De Fontein\nSCHOOL_TIMEZONE=Europe/Brussels\n")
    s = load_settings({"SCHOOL_NAME": "Het Anker"}, env_file=env_file)
    assert s.school_name == "Het Anker"
    assert s.school_timezone == "Europe/Brussels"


def test_log_level_defaults_to_info_and_ignores_case():
    assert settings().log_level == "INFO"
    assert settings(LOG_LEVEL="debug").log_level == "DEBUG"
    assert settings(LOG_LEVEL=" Warning ").log_level == "WARNING"
    assert settings(LOG_LEVEL="error").log_level == "ERROR"


def test_worker_name_defaults_to_host_and_process():
    import os
    import socket

    assert settings().worker_name == f"{socket.gethostname()}:{os.getpid()}"
    assert settings(WORKER_NAME="bot-2").worker_name == "bot-2"


def test_bad_log_level_stops_the_command_with_one_line(monkeypatch, tmp_path, capsys):
    from bot.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LOG_LEVEL", "loud")
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/x.db")
    assert main(["migrate"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "LOG_LEVEL" in err and "DEBUG, INFO, WARNING, ERROR" in err
    assert not (tmp_path / "x.db").exists()


def test_settings_built_in_code_ignore_the_environment(monkeypatch, tmp_path):
    from bot.config import Settings

    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("SCHOOL_NAME=De Fontein\n")
    monkeypatch.setenv("BOT_TOKEN", "9:from-the-environment")
    monkeypatch.setenv("OUTBOX_RATE", "3")
    s = Settings(database_url="sqlite+aiosqlite:///x.db", outbox_chat_seconds=0.0)
    assert (s.bot_token, s.school_name, s.outbox_rate, s.outbox_chat_seconds) == (None, "De Regenboog", 29.5, 0.0)
    changed = s.model_copy(update=dict(bot_token="1:abc"))
    assert changed.bot_token == "1:abc" and s.bot_token is None and changed.database_url == s.database_url


def test_env_file_in_the_working_directory_and_environment_wins(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("SCHOOL_NAME=De Fontein\nQUIET_HOURS=22:00-07:30\nOUTBOX_CHAT_SECONDS=9\n")
    monkeypatch.setenv("SCHOOL_NAME", "Het Anker")
    s = load_settings()
    assert s.school_name == "Het Anker"
    assert (s.quiet_start.isoformat(), s.quiet_end.isoformat()) == ("22:00:00", "07:30:00")
    assert s.outbox_chat_seconds == 1.0  # not a setting of the environment


def test_blank_values_are_unset_and_numbers_times_read_as_people_write_them():
    s = settings(INVITE_DAYS_VALID=" ", OUTBOX_RATE="12,5", REMINDER_DAY_BEFORE="18", CALL_AFTER_DAYS="0",
                 BOT_USERNAME="@regenboog_bot", LOG_LEVEL="")
    assert (s.invite_days_valid, s.outbox_rate, s.reminder_day_before.hour, s.call_after_days) == (60, 12.5, 18, 0)
    assert (s.bot_username, s.log_level) == ("regenboog_bot", "INFO")


def test_public_url_comes_from_the_webhook_and_webhook_mode_needs_a_secret():
    hook = dict(WEBHOOK_URL="https://bot.school.nl/telegram", WEBHOOK_SECRET="s" * 16)
    assert settings(**hook).public_url == "https://bot.school.nl"
    assert settings(**hook, PUBLIC_URL="https://cal.school.nl/").public_url == "https://cal.school.nl"
    with pytest.raises(ConfigError, match=r"^WEBHOOK_SECRET is not set"):
        settings(WEBHOOK_URL="https://bot.school.nl/telegram")


@pytest.mark.parametrize(
    "env, message",
    [
        ({"INVITE_DAYS_VALID": "0"}, "INVITE_DAYS_VALID must be at least 1, got 0"),
        ({"CALL_AFTER_DAYS": "-1"}, "CALL_AFTER_DAYS must be at least 0, got -1"),
        ({"OUTBOX_RATE": "0"}, "OUTBOX_RATE must be more than 0, got '0'"),
        ({"HOURS_PER_VISIT": "lots"}, "HOURS_PER_VISIT must be a number, got 'lots'"),
        ({"QUIET_HOURS": "22:00"}, "QUIET_HOURS must look like 21:00-08:00, got '22:00'"),
        ({"TEACHER_OVERVIEW_AT": "early"}, "TEACHER_OVERVIEW_AT must be a time like 21:00, got 'early'"),
        ({"WEBHOOK_SECRET": "short"}, "WEBHOOK_SECRET must be 16 to 256 characters of A-Z, a-z, 0-9, _ and -"),
    ],
)
def test_the_line_says_what_is_wrong(env, message):
    with pytest.raises(ConfigError) as err:
        settings(**env)
    assert str(err.value) == message
