"""The coordinator's announcement to over a hundred families, with the double enforcing
Telegram's flood limits: each linked family gets exactly one message, blocked chats and
families without Telegram are counted, and the report says so per class."""
from __future__ import annotations

from datetime import timedelta

import pytest

from db.session import make_engine
from tests import big_school
from tests.botapi import BotAPIDouble, Failure
from tests.conftest import make_settings
from tests.databases import wipe
from tests.harness import BotUnderTest
from tests.seed import staff_link
from tests.words import Words

# Enough to see the pace (120 messages take four seconds at 29 a second, in two batches of
# the outbox, so the coordinator's progress is edited on the way), not a school's worth.
HOUSEHOLDS = 132
UNLINKED_EVERY = 11  # 12 households never linked Telegram
BLOCKED = 5


@pytest.fixture(scope="module")
async def bot(double, database_url, module_clock):
    """The bot at Telegram's real pace (29 a second, about one a second per chat)."""
    engine = make_engine(database_url)
    await wipe(engine)
    await engine.dispose()
    settings = make_settings(database_url, outbox_rate=29.0, outbox_chat_seconds=1.0)
    under_test = BotUnderTest(double, settings, module_clock)
    await under_test.start()
    yield under_test
    await under_test.stop()


async def test_announcement_reaches_every_linked_family_once_within_the_limits(bot, double: BotAPIDouble):
    rt = bot.runtime
    chats = await big_school.build(rt.sessionmaker, rt.clock.now(), households=HOUSEHOLDS,
                                   unlinked_every=UNLINKED_EVERY)
    blocked = sorted(chats.values())[:BLOCKED]
    for chat in blocked:
        double.failures.append(Failure(403, "Forbidden: bot was blocked by the user", method="sendMessage",
                                       chat_id=chat))
    w = Words("nl")
    wilma = bot.user("Wilma", language_code="nl")
    await wilma.send(f"/start {await staff_link(rt, 'Wilma Hoekstra', role='coordinator', language='nl')}")
    double.enforce_limits = True

    await wilma.send("/announce")
    await wilma.click(w("Alle ouders"))
    assert w.n("Het gaat naar {count} persoon met Telegram.", "Het gaat naar {count} personen met Telegram.",
               len(chats)) in wilma.last_text()
    await wilma.click("Eigen zin: 🇳🇱")
    await wilma.send("Vragen? Bel juf Wilma: 020 123 4567.")
    await wilma.click(w("Versturen"))
    for _ in range(5):  # a 429 (jitter on a strict window) makes a message due a second later
        await bot.drain()
        bot.clock.advance(timedelta(seconds=2))

    announcement = w("📣 Huisbezoeken bij {school}", school="De Regenboog")
    received = {chat: [m for m in double.messages_to(chat) if m["text"].startswith("📣")] for chat in chats.values()}
    assert all(len(received[chat]) == 0 for chat in blocked)
    counts = {chat: len(messages) for chat, messages in received.items() if chat not in blocked}
    assert set(counts.values()) == {1}, ({c: n for c, n in counts.items() if n != 1}, len(double.too_many))
    dutch = [m[0]["text"] for m in received.values() if m and m[0]["text"].startswith(announcement)]
    assert dutch and all(text.endswith("Vragen? Bel juf Wilma: 020 123 4567.") for text in dutch)
    english = [m[0]["text"] for m in received.values() if m and m[0]["text"].startswith("📣 Home visits")]
    assert english and not any("Bel juf Wilma" in text for text in english)  # the line was for Dutch readers

    progress = [m["text"] for m in wilma.messages() if m["text"].startswith("📣 ") and "{" not in m["text"]]
    assert w("📣 Versturen: {done} van {total}", done=len(chats), total=len(chats)) in progress
    edits = [c for c in double.calls_of("editMessageText") if int(c.params["chat_id"]) == wilma.id]
    assert len(edits) >= 2  # she watched it go out
    report = wilma.last_text()
    linked = len(chats)
    not_linked = HOUSEHOLDS - linked
    assert report.startswith(w("📣 Klaar! Je aankondiging is verstuurd."))
    assert w("✅ Aangekomen: {count}", count=linked - BLOCKED) in report
    assert w("🚫 Bot geblokkeerd: {count}", count=BLOCKED) in report
    assert w("📵 Zonder Telegram: {count}", count=not_linked) in report
    assert w("⚠️ Niet gelukt: {count}", count=0) in report
    per_class_total = sum(int(line.split(": ")[1].split()[0]) for line in report.splitlines()
                          if line.startswith("Groep "))
    assert per_class_total == linked - BLOCKED  # each family counted in its class
    sends = [c for c in double.calls_of("sendMessage") if int(c.params["chat_id"]) in chats.values()]
    assert len(double.too_many) < len(chats) * 0.05  # paced: a 429 is rare, and then retried
    span = sends[-1].at - sends[0].at
    assert len(sends) / span <= 30.5  # never faster than Telegram allows
