"""homevisit: a Telegram bot that helps a primary school visit every family."""
import os

# Opt in to python-telegram-bot's coming behaviour now: durations (retry_after, a voice
# message's length) as timedelta. The code reads both forms.
os.environ.setdefault("PTB_TIMEDELTA", "true")
