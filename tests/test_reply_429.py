"""A 429 on a reply. When the chat had other messages just now, it is that chat's own
limit: only that chat waits, and the bot's broadcasts go on. When the chat had no other
message, the bot as a whole is over Telegram's limit: the reply waits, and the outbox of
every worker pauses too (the pause is on the bot's lease row in the database)."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from telegram import Bot

from bot.outbox import Dispatcher
from bot.sandbox.api import Failure
from db.models import OutboxLease
from tests.harness import BotUnderTest

# Replies paced as in production: about one a second per chat after a short burst.
BOT_SETTINGS = {"outbox_chat_seconds": 1.0}


async def pause_on_record(bot: BotUnderTest):
    async with bot.runtime.sessionmaker() as session:
        return await session.scalar(select(OutboxLease.paused_until))


async def test_a_chat_over_its_own_limit_waits_alone_and_the_broadcasts_go_on(bot):
    double = bot.double
    flooder = bot.user("Snel", language_code="nl")
    await flooder.send("/help")
    # Its second message within the second: Telegram refuses that chat's next reply.
    double.failures.append(Failure(429, "Too Many Requests: retry after 1", retry_after=1, method="sendMessage",
                                   chat_id=flooder.id))
    [reply] = await flooder.send("/help")
    assert reply["text"].startswith("Deze bot is voor ouders en leerkrachten van")
    assert double.failed and int(double.failed[-1].params["chat_id"]) == flooder.id
    assert await pause_on_record(bot) is None
    assert not bot.app.bot_data["outbox"].paused()


async def test_a_429_for_a_quiet_chat_pauses_the_outbox_of_every_worker(bot, module_clock):
    parent = bot.user("Rustig", language_code="nl")
    double = bot.double
    double.failures.append(Failure(429, "Too Many Requests: retry after 1", retry_after=1, method="sendMessage",
                                   chat_id=parent.id))
    [reply] = await parent.send("/help")  # it still gets its answer, a second later
    assert reply["text"].startswith("Deze bot is voor ouders en leerkrachten van")
    assert double.failed and int(double.failed[-1].params["chat_id"]) == parent.id

    paused_until = await pause_on_record(bot)
    assert paused_until is not None and paused_until > module_clock.now()
    assert bot.app.bot_data["outbox"].paused()
    # Another worker (another process on the same database), taking over from this one,
    # waits too.
    await bot.app.bot_data["outbox"].release_lease()
    other = Dispatcher(bot.runtime, Bot(double.token, base_url=bot.settings.bot_base_url))
    assert await other.dispatch_due() == 0 and other.holding and other.paused()
    # Once Telegram's second has passed, it may send again.
    module_clock.advance(timedelta(seconds=2))
    assert await other.hold_lease() and not other.paused()
    await other.release_lease()
