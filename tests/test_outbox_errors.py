"""The outbox when Telegram says no: 429 waits `retry_after` and then sends once; 5xx
is retried with growing backoff and sends once; after MAX_ATTEMPTS a message is given
up; 403 (the person blocked the bot) marks the account unreachable, nothing more is
sent to it, and the teacher finds the family on /calllist until the person writes to
the bot again.

Each failure is injected into the Bot API double just before the action that causes
the message (the harness lets the dispatcher send after every update)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from bot.clock import MovableClock
from bot.outbox import MAX_ATTEMPTS
from tests.botapi import Failure
from tests.messaging_setup import (
    MON,
    START,
    TUE,
    account_of,
    book,
    outbox_rows,
    school,
    texts,
)
from tests.messaging_setup import NL as w

MARIEKE = "Marieke de Vries"
# One invitation per teacher, as these stories were written (siblings together: tests/test_siblings.py).
BOT_SETTINGS = {"sibling_visits": "each"}
REQUEST = "📩 " + w("Nieuw verzoek voor een huisbezoek")


@pytest.fixture(scope="module")
def module_clock(database_url) -> MovableClock:
    return MovableClock(START)


@pytest.fixture(scope="module")
async def people(bot):
    return await school(bot, [MARIEKE], ["Petra Mulder", "Linda de Boer", "Joost Hendriks", "Sandra Dekker",
                                         "Anouk Jansen", "Mark Jansen"],
                        [(MARIEKE, MON, "15:00", "20:00"), (MARIEKE, TUE, "15:00", "20:00")])


def sends_to(double, user) -> int:
    return sum(1 for c in double.calls_of("sendMessage") if int(c.params.get("chat_id")) == user.id)


def requests_for(teacher, children: str) -> list[str]:
    return [text for text in texts(teacher) if text.startswith(REQUEST) and children in text]


async def newest(bot, kind: str):
    return (await outbox_rows(bot, kind=kind))[-1]


async def advance(bot, seconds: float) -> None:
    bot.clock.advance(timedelta(seconds=seconds))
    await bot.drain()


async def test_after_429_the_message_waits_retry_after_and_is_sent_once(bot, double, people):
    marieke = people["marieke"]
    sent_before = sends_to(double, marieke)
    double.failures.append(Failure(429, "Too Many Requests: retry after 1", retry_after=1, method="sendMessage",
                                   chat_id=marieke.id))
    await book(people["petra"], MARIEKE, TUE, "15:00")
    row = await newest(bot, "request")
    assert (row.status, row.attempts, row.last_error) == ("pending", 1, "429")
    assert row.due_at == bot.clock.now() + timedelta(seconds=1)
    assert requests_for(marieke, "Julia Mulder") == [] and sends_to(double, marieke) == sent_before + 1

    await advance(bot, 0.5)  # not before retry_after
    assert sends_to(double, marieke) == sent_before + 1 and (await newest(bot, "request")).status == "pending"
    await advance(bot, 0.5)
    assert len(requests_for(marieke, "Julia Mulder")) == 1
    row = await newest(bot, "request")
    assert (row.status, row.attempts) == ("sent", 2)
    await bot.drain()
    await advance(bot, 3600)
    assert len(requests_for(marieke, "Julia Mulder")) == 1 and sends_to(double, marieke) == sent_before + 2
    assert double.failures == []


async def test_5xx_is_retried_with_growing_backoff_and_sent_once(bot, double, people):
    marieke = people["marieke"]
    double.failures += [Failure(500, "Internal Server Error", method="sendMessage", chat_id=marieke.id, times=2),
                        Failure(502, "Bad Gateway", method="sendMessage", chat_id=marieke.id)]
    sent_before = sends_to(double, marieke)
    await book(people["linda"], MARIEKE, TUE, "16:15")
    waits = []
    for attempt, backoff in enumerate((2, 4, 8), start=1):
        row = await newest(bot, "request")
        assert (row.status, row.attempts, row.last_error) == ("pending", attempt, "NetworkError")
        waits.append((row.due_at - bot.clock.now()).total_seconds())
        await advance(bot, backoff - 0.5)  # not before its time
        assert sends_to(double, marieke) == sent_before + attempt
        await advance(bot, 0.5)
    assert waits == [2, 4, 8]
    row = await newest(bot, "request")
    assert (row.status, row.attempts) == ("sent", 4)
    await advance(bot, 600)
    assert len(requests_for(marieke, "Daan de Boer")) == 1 and sends_to(double, marieke) == sent_before + 4
    assert double.failures == []


async def test_after_max_attempts_the_message_is_given_up(bot, double, people):
    marieke = people["marieke"]
    double.failures.append(Failure(502, "Bad Gateway", method="sendMessage", chat_id=marieke.id, times=MAX_ATTEMPTS))
    sent_before = sends_to(double, marieke)
    await book(people["joost"], MARIEKE, TUE, "17:30")
    for attempt in range(1, MAX_ATTEMPTS):
        row = await newest(bot, "request")
        assert (row.status, row.attempts) == ("pending", attempt)
        await advance(bot, 2 ** attempt)
    row = await newest(bot, "request")
    assert (row.status, row.attempts, row.last_error) == ("failed", MAX_ATTEMPTS, "NetworkError")
    await advance(bot, 3600)
    assert sends_to(double, marieke) == sent_before + MAX_ATTEMPTS
    assert requests_for(marieke, "Finn Hendriks") == []
    assert double.failures == []


async def test_403_marks_the_account_unreachable_and_the_family_is_on_the_call_list(bot, double, people):
    marieke, sandra = people["marieke"], people["sandra"]
    await book(sandra, MARIEKE, TUE, "18:45")
    await marieke.click(w("Bevestigen"), message=marieke.latest())
    assert (await account_of(bot, sandra)).blocked_at is None

    double.failures.append(Failure(403, "Forbidden: bot was blocked by the user", method="sendMessage",
                                   chat_id=sandra.id))
    seen_by_sandra = texts(sandra)
    [agenda] = await marieke.send("/agenda")
    await marieke.click(w("Afzeggen: {day} {time}", day=w.short_day(TUE), time="18:45"), message=agenda)
    await marieke.click(w("Ik ben ziek"))
    assert marieke.last_text() == w("Afgezegd. Het gezin krijgt bericht en kan een nieuw moment kiezen.")
    row = await newest(bot, "cancelled_by_teacher")
    assert (row.status, row.last_error) == ("failed", "blocked")
    assert (await account_of(bot, sandra)).blocked_at == bot.clock.now()
    assert texts(sandra) == seen_by_sandra

    [calllist] = await marieke.send("/calllist")
    assert "\n".join([
        w("{children} ({classes}) – {reason}", children="Milan Dekker", classes="Groep 3",
          reason=w("berichten komen niet aan")),
        "  • Sandra Dekker: +31612345614",
    ]) in calllist["text"]
    assert double.failures == []


async def test_nothing_more_is_sent_to_a_blocked_account(bot, double, people):
    anouk, mark, marieke = people["anouk"], people["mark"], people["marieke"]
    double.failures.append(Failure(403, "Forbidden: bot was blocked by the user", method="sendMessage",
                                   chat_id=anouk.id))
    await book(mark, MARIEKE, MON, "15:00")  # Anouk would hear that Mark answered
    assert (await account_of(bot, anouk)).blocked_at is not None
    assert len(requests_for(marieke, "Emma Jansen")) == 1
    tried = sends_to(double, anouk)

    status = next(m for m in await mark.send("/myvisit") if MARIEKE in m["text"])  # one per teacher
    await mark.click(w("Afzeggen"), message=status)
    await mark.click(w("Ja, afzeggen"))
    await advance(bot, 3600)
    assert sends_to(double, anouk) == tried  # not even tried
    row = await newest(bot, "household_update")
    assert row.account_id == (await account_of(bot, anouk)).id
    assert (row.status, row.last_error, row.attempts) == ("failed", "blocked", 1)

    # Mark can still be reached: the family is not on the call-list for that.
    [calllist] = await marieke.send("/calllist")
    assert "Emma Jansen" not in calllist["text"] and "Milan Dekker" in calllist["text"]


async def test_writing_to_the_bot_again_makes_the_account_reachable(bot, double, people):
    sandra, marieke = people["sandra"], people["marieke"]
    [reply] = await sandra.send("/myvisit")
    assert w("Jullie hebben nog geen moment gekozen.") in reply["text"]
    assert (await account_of(bot, sandra)).blocked_at is None
    [calllist] = await marieke.send("/calllist")
    assert "Milan Dekker" not in calllist["text"]

    await sandra.click(w("Kies een moment"), message=reply)
    await sandra.click(w.short_day(TUE))
    await sandra.click("18:45")
    await sandra.click(w("Bij ons thuis"))
    await sandra.click(w("Verstuur"))
    assert marieke.last_text().startswith(REQUEST) and "Milan Dekker" in marieke.last_text()
    await marieke.click(w("Bevestigen"), message=marieke.latest())
    assert sandra.last_text().startswith(w.first_line(
        "✅ Het huisbezoek staat vast!\n\n{teacher} komt {when}.\n\nVeranderen of afzeggen kan altijd met /myvisit."))
