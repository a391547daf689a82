"""The Bot API double lives in bot/sandbox/api.py (the demo uses it too)."""
from bot.sandbox.api import *  # noqa: F401,F403
from bot.sandbox.api import ApiError, BotAPIDouble, Call, ChatLog, Failure  # noqa: F401
