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
