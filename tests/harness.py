"""The test players live in bot/sandbox/players.py (the demo uses them too)."""
from bot.sandbox.players import BotUnderTest, TgUser  # noqa: F401
