"""A school board's deployment: a schools file lists the schools, each with its own bot
and settings; one process serves them all; the command line works on the school it is
told. A mistake in the file stops start-up with one line naming the school and the key."""
from __future__ import annotations

import asyncio
import time
from pathlib import Path

import aiohttp
import pytest

from bot.config import ConfigError
from bot.schools_file import load_schools, pick
from bot.serve import serve
from tests.botapi import BotAPIDouble
from tests.conftest import make_settings
from tests.web_setup import free_port

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_ROSTER = ROOT / "examples" / "roster.csv"
SECRETS = {"regenboog": "regenboog-webhook-secret-0001", "zonnebloem": "zonnebloem-webhook-secret-0002"}

TWO_SCHOOLS = """
[[school]]
key = "regenboog"
name = "De Regenboog"
bot_token = "111111:REGENBOOG-token"
bot_username = "regenboog_bot"
timezone = "Europe/Amsterdam"
phone = "020 111 11 11"
webhook_secret = "regenboog-webhook-secret-0001"

[[school]]
key = "zonnebloem"
name = "De Zonnebloem"
bot_token = "222222:ZONNEBLOEM-token"
bot_username = "zonnebloem_bot"
timezone = "Europe/Brussels"
default_language = "en"
quiet_hours = "20:00-07:30"
nudge_after_days = 5
webhook_secret = "zonnebloem-webhook-secret-0002"
"""


def schools_file(tmp_path: Path, text: str = TWO_SCHOOLS) -> str:
    path = tmp_path / "schools.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_each_school_has_its_own_bot_and_settings_and_the_rest_is_the_deployments(tmp_path):
    base = make_settings("sqlite+aiosqlite:///board.db", schools_file=schools_file(tmp_path), school_phone="0800")
    regenboog, zonnebloem = load_schools(base)
    assert (regenboog.school_key, regenboog.school_name, regenboog.bot_token, regenboog.bot_username) == (
        "regenboog", "De Regenboog", "111111:REGENBOOG-token", "regenboog_bot")
    assert (zonnebloem.school_timezone, zonnebloem.default_language, zonnebloem.nudge_after_days) == (
        "Europe/Brussels", "en", 5)
    assert str(zonnebloem.quiet_start) == "20:00:00" and str(zonnebloem.quiet_end) == "07:30:00"
    assert regenboog.school_phone == "020 111 11 11" and zonnebloem.school_phone == "0800"  # not set: the deployment's
    assert regenboog.database_url == zonnebloem.database_url == base.database_url
    assert pick([regenboog, zonnebloem], "zonnebloem") is zonnebloem


def test_without_a_schools_file_the_environment_is_the_one_school():
    settings = make_settings("sqlite+aiosqlite:///one.db", bot_token="123:abc")
    assert load_schools(settings) == [settings]
    assert pick([settings], None) is settings
    with pytest.raises(ConfigError) as refused:
        pick([settings], "regenboog")
    assert str(refused.value) == (
        "--school regenboog: this deployment has one school and no schools file (SCHOOLS_FILE)")


def _changed(old: str, new: str, count: int = 1) -> str:
    assert old in TWO_SCHOOLS
    return TWO_SCHOOLS.replace(old, new, count)


@pytest.mark.parametrize("text, line", [
    (_changed('phone = "020 111 11 11"', 'colour = "blue"'),
     "schools.toml, school 1 ('regenboog'): unknown key 'colour' (known: key, name, bot_token, "),
    (_changed('222222:ZONNEBLOEM-token', '111111:REGENBOOG-token'),
     "schools.toml, school 2 ('zonnebloem'): bot_token is the same as school 1's"),
    (_changed('key = "zonnebloem"', 'key = "regenboog"'),
     "schools.toml, school 2 ('regenboog'): key is the same as school 1's"),
    (_changed('name = "De Zonnebloem"\n', ''), "schools.toml, school 2 ('zonnebloem'): name is missing"),
    (_changed('key = "regenboog"\n', ''), "schools.toml, school 1: key is missing"),
    (_changed('key = "regenboog"', 'key = "De Regenboog"'),
     "schools.toml, school 1 ('De Regenboog'): key must be up to 40 lower-case letters, digits and -, "
     "got 'De Regenboog'"),
    (_changed('"Europe/Brussels"', '"Mars/Olympus"'),
     "schools.toml, school 2 ('zonnebloem'): timezone is not a known time zone: 'Mars/Olympus' "
     "(try Europe/Amsterdam)"),
    (_changed('nudge_after_days = 5', 'nudge_after_days = 0'),
     "schools.toml, school 2 ('zonnebloem'): nudge_after_days must be at least 1, got 0"),
    (_changed('bot_token = "111111:REGENBOOG-token"', 'bot_token = "not a token"'),
     "schools.toml, school 1 ('regenboog'): bot_token looks malformed: expected the form 123456:ABC-DEF... "
     "from @BotFather"),
    (_changed('quiet_hours = "20:00-07:30"', 'quiet_hours = "evenings"'),
     "schools.toml, school 2 ('zonnebloem'): quiet_hours must look like 21:00-08:00, got 'evenings'"),
    ("[[school]\nkey = 1", "schools.toml: not valid TOML: "),
    ('title = "Stichting Primair"\n' + TWO_SCHOOLS,
     "schools.toml: unknown table or key 'title' (a schools file holds [[school]] tables)"),
    ("", "schools.toml: no schools: add a [[school]] table for each school"),
])
def test_a_mistake_in_the_schools_file_is_one_line_naming_the_school_and_the_key(tmp_path, text, line):
    settings = make_settings("sqlite+aiosqlite:///board.db", schools_file=schools_file(tmp_path, text))
    with pytest.raises(ConfigError) as refused:
        load_schools(settings)
    message = str(refused.value)
    assert "\n" not in message and message.startswith(line)
    assert "REGENBOOG-token" not in message and "ZONNEBLOEM-token" not in message  # a token is a secret


def test_webhook_mode_needs_a_secret_per_bot_and_gives_each_bot_its_own_path(tmp_path):
    text = _changed('webhook_secret = "zonnebloem-webhook-secret-0002"\n', '')
    settings = make_settings("sqlite+aiosqlite:///board.db", schools_file=schools_file(tmp_path, text),
                             webhook_url="https://board.example/telegram")
    with pytest.raises(ConfigError) as refused:
        load_schools(settings)
    assert str(refused.value) == (
        "schools.toml, school 2 ('zonnebloem'): webhook_secret is missing (in webhook mode each bot needs its own)")
    settings = settings.model_copy(update={"schools_file": schools_file(tmp_path)})
    assert [(s.webhook_url, s.webhook_secret) for s in load_schools(settings)] == [
        ("https://board.example/telegram/regenboog", SECRETS["regenboog"]),
        ("https://board.example/telegram/zonnebloem", SECRETS["zonnebloem"])]


def test_a_missing_schools_file_is_one_line(tmp_path):
    settings = make_settings("sqlite+aiosqlite:///board.db", schools_file=str(tmp_path / "nowhere.toml"))
    with pytest.raises(ConfigError) as refused:
        load_schools(settings)
    assert str(refused.value) == f"SCHOOLS_FILE: there is no file {tmp_path / 'nowhere.toml'}"


# -- the command line ------------------------------------------------------------------

def zonnebloem_roster(tmp_path: Path) -> str:
    """The example roster with other classes and teachers (the household ids are the same:
    each school numbers its own)."""
    text = EXAMPLE_ROSTER.read_text(encoding="utf-8").replace("Groep ", "Klas ")
    path = tmp_path / "zonnebloem.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


async def test_the_command_line_works_on_the_school_it_is_told(cli, engine, database_url, tmp_path):
    board = {"SCHOOLS_FILE": schools_file(tmp_path)}
    assert (await cli(database_url, "import-roster", "--school", "regenboog", str(EXAMPLE_ROSTER), **board)).code == 0
    assert (await cli(database_url, "import-roster", "--school", "zonnebloem", zonnebloem_roster(tmp_path),
                      **board)).code == 0
    for key in SECRETS:
        assert (await cli(database_url, "open-period", "--school", key, "--name", "Najaar", "--from", "2026-11-16",
                          "--to", "2026-11-27", **board)).code == 0

    regenboog = await cli(database_url, "report", "--school", "regenboog", **board)
    zonnebloem = await cli(database_url, "report", "--school", "zonnebloem", **board)
    assert regenboog.code == zonnebloem.code == 0
    assert "Groep 3" in regenboog.out and "Klas" not in regenboog.out
    assert "Klas 3" in zonnebloem.out and "Groep" not in zonnebloem.out

    links = await cli(database_url, "invite-links", "--school", "zonnebloem", "--format", "csv", **board)
    assert links.code == 0 and "https://t.me/zonnebloem_bot?start=" in links.out
    assert "regenboog_bot" not in links.out

    which = await cli(database_url, "report", **board)
    assert (which.code, which.err.strip()) == (2, "homevisit: configuration error: this deployment has 2 schools "
                                                  "(regenboog, zonnebloem): say which with --school")
    unknown = await cli(database_url, "report", "--school", "klimop", **board)
    assert (unknown.code, unknown.err.strip()) == (2, "homevisit: configuration error: --school klimop: there is "
                                                      "no such school (known: regenboog, zonnebloem)")


# -- one process, every school's bot ------------------------------------------------------

def start_update(update_id: int, user_id: int) -> dict:
    return {"update_id": update_id, "message": {
        "message_id": update_id, "date": int(time.time()), "text": "/start", "chat": {"id": user_id, "type": "private"},
        "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        "from": {"id": user_id, "is_bot": False, "first_name": "Sam", "language_code": "nl"}}}


async def test_one_process_serves_every_schools_bot_each_at_its_own_webhook(engine, database_url, tmp_path):
    regenboog = BotAPIDouble("111111:REGENBOOG-token", "regenboog_bot")
    zonnebloem = BotAPIDouble("222222:ZONNEBLOEM-token", "zonnebloem_bot")
    api = await regenboog.start(beside=[zonnebloem])  # one Telegram serves both bots
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = make_settings(database_url, schools_file=schools_file(tmp_path), telegram_api_url=api,
                             webhook_url=f"{base}/telegram", webhook_listen="127.0.0.1", webhook_port=port)
    stop = asyncio.Event()
    serving = asyncio.create_task(serve(settings, stop))
    try:
        async with aiohttp.ClientSession() as http:
            async def healthy() -> bool:
                try:
                    async with http.get(f"{base}/healthz") as response:
                        return response.status == 200
                except aiohttp.ClientError:
                    return False

            deadline = time.monotonic() + 20
            while not await healthy():
                assert not serving.done(), serving.exception()
                assert time.monotonic() < deadline, "the board's server did not come up"
                await asyncio.sleep(0.1)
            # Each bot told Telegram its own address and secret.
            assert regenboog.webhook == {"url": f"{base}/telegram/regenboog", "secret_token": SECRETS["regenboog"]}
            assert zonnebloem.webhook == {"url": f"{base}/telegram/zonnebloem", "secret_token": SECRETS["zonnebloem"]}

            async def post(key: str, update: dict, secret: str) -> int:
                async with http.post(f"{base}/telegram/{key}", json=update,
                                     headers={"X-Telegram-Bot-Api-Secret-Token": secret}) as response:
                    return response.status

            # The same person writes to both schools' bots; update ids are each bot's own.
            assert await post("regenboog", start_update(1, 4242), SECRETS["regenboog"]) == 200
            assert await post("zonnebloem", start_update(1, 4242), SECRETS["zonnebloem"]) == 200
            [hello_regenboog] = [m["text"] for m in regenboog.messages_to(4242)]
            [hello_zonnebloem] = [m["text"] for m in zonnebloem.messages_to(4242)]
            assert "De Regenboog" in hello_regenboog and "Zonnebloem" not in hello_regenboog
            assert "De Zonnebloem" in hello_zonnebloem and "Regenboog" not in hello_zonnebloem
            # One bot's secret does not open another bot's webhook.
            assert await post("zonnebloem", start_update(2, 4242), SECRETS["regenboog"]) == 403
            assert await post("nowhere", start_update(3, 4242), SECRETS["regenboog"]) == 404
            assert len(zonnebloem.messages_to(4242)) == 1
    finally:
        stop.set()
        await asyncio.wait_for(serving, 30)
        await regenboog.stop()
