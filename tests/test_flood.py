"""One person flooding the bot does not hold up anyone else: each person's updates are
handled one at a time (waiting without a handler slot), replies keep to Telegram's
per-chat limit, and what a person sends faster than the bot can answer is dropped."""
from __future__ import annotations

FLOOD = 150

# Replies paced as in production: about one a second per chat after a short burst.
BOT_SETTINGS = {"outbox_chat_seconds": 1.0}


async def test_another_parent_is_answered_while_one_chat_floods(bot):
    double = bot.double
    double.enforce_limits = True  # Telegram's limits: 30 a second per bot, a short burst per chat
    try:
        flooder = bot.user("Flood", language_code="nl")
        parent = bot.user("Ouder", language_code="nl")
        pushed = [double.push_update(flooder.message_update(f"hallo {i}")) for i in range(FLOOD)]

        [reply] = await parent.send("/help")
        assert reply["text"].startswith("Deze bot is voor ouders en leerkrachten van")
        flooder_answered_by_then = len(flooder.messages())

        await bot.wait_done(pushed)
        flooder_answered = len(flooder.messages())
        # The parent did not wait for the flood: the flooder's replies were still coming.
        assert flooder_answered_by_then < flooder_answered
        # What the flooder sent faster than the bot could answer was dropped, not queued for minutes.
        assert 0 < flooder_answered < FLOOD
        assert bot.app.update_processor.dropped == FLOOD - flooder_answered
        # Nobody but the flooder met Telegram's limit.
        assert all(int(call.params["chat_id"]) == flooder.id for call in double.too_many)
    finally:
        double.enforce_limits = False
