"""Calendar: the teacher's private feed (/calendar, renewable) and the parent's .ics
with the confirmation. A moved visit keeps its UID and raises its SEQUENCE; times are
right on both sides of the end of summer time (Sunday 25 October 2026)."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

import pytest

from bot.clock import MovableClock
from bot.services.invitations import send_invitations
from bot.services.periods import PeriodDraft, open_period
from tests.seed import guardian_link, load_example_roster, staff_link
from tests.web_setup import fields, get, served_bot
from tests.words import Words

w = Words("nl")


@pytest.fixture(scope="module")
def module_clock(database_url) -> MovableClock:
    return MovableClock(datetime(2026, 10, 19, 8, 0, tzinfo=timezone.utc))


@pytest.fixture(scope="module")
async def served(double, database_url, module_clock):
    """The bot, and its web server (calendar feeds) at PUBLIC_URL."""
    async with served_bot(double, database_url, module_clock) as under_test:
        yield under_test


async def test_feed_and_ics_follow_a_visit_across_a_reschedule_and_the_clock_change(served):
    bot = served
    rt = bot.runtime
    await load_example_roster(rt)
    marieke = bot.user("Marieke", language_code="nl")
    await marieke.send(f"/start {await staff_link(rt, 'Marieke de Vries')}")
    linda = bot.user("Linda", language_code="nl")
    await linda.send(f"/start {await guardian_link(rt, 'Linda de Boer')}")
    async with rt.sessionmaker() as session:
        period = await open_period(session, rt.school_id,
                                   PeriodDraft("Herfst", date(2026, 10, 19), date(2026, 10, 30)), rt.clock.now())
        await send_invitations(session, period, rt.clock.now())
    await bot.drain()
    for day in (date(2026, 10, 23), date(2026, 10, 26)):
        await marieke.send("/availability")
        await marieke.click(w("Tijd toevoegen"))
        await marieke.click(w.short_day(day))
        await marieke.click("17:00")
        await marieke.click("19:00")

    [reply] = await marieke.send("/calendar")
    url = re.search(r"http://\S+\.ics", reply["text"]).group(0)
    status, body = await get(url)
    assert status == 200 and "BEGIN:VCALENDAR" in body and "BEGIN:VEVENT" not in body

    async def book(day: date, confirm_message_prefix: str) -> dict[str, list[str]]:
        invitation = next(m for m in linda.messages() if linda.buttons(m)
                          and linda.buttons(m)[0][1].startswith(("v2:invitation:", "v2:my_visit:")))
        if linda.buttons(invitation)[0][1].startswith("v2:invitation:"):
            await linda.click(w("Kies een moment"), message=invitation)
        else:
            await linda.click(w("Ander moment kiezen"), message=invitation)
        await linda.click(w.short_day(day))
        await linda.click("17:00")
        if w("Bij ons thuis") in [label[2:] for label, _ in linda.buttons()]:
            await linda.click(w("Bij ons thuis"))
        await linda.click(w("Verstuur"))
        await marieke.click(w("Bevestigen"), message=marieke.latest())
        confirmation = linda.latest()
        assert confirmation["text"].startswith(confirm_message_prefix)
        assert confirmation["document"]["file_name"] == "huisbezoek.ics"
        return fields(bot.double.documents[(linda.id, confirmation["message_id"])].decode())

    def cancellations() -> list[dict[str, list[str]]]:
        return [fields(bot.double.documents[(linda.id, m["message_id"])].decode()) for m in linda.messages()
                if m.get("document", {}).get("file_name") == "huisbezoek-vervalt.ics"]

    first = await book(date(2026, 10, 23), "✅")
    assert first["DTSTART"] == ["20261023T150000Z"]  # 17:00 summer time
    assert first["SEQUENCE"] == ["0"] and first["STATUS"] == ["CONFIRMED"]
    # Unique beyond this school and deployment: random, not a row number.
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}@homevisit", first["UID"][0])

    [status_message] = await linda.send("/myvisit")
    second = await book(date(2026, 10, 26), "✅")
    assert second["DTSTART"] == ["20261026T160000Z"]  # 17:00 winter time
    assert second["UID"] == first["UID"]
    assert int(second["SEQUENCE"][0]) > int(first["SEQUENCE"][0])
    # Moving it took the old time out of her calendar first: same UID, cancelled, in between.
    [moved] = cancellations()
    assert moved["UID"] == first["UID"] and moved["DTSTART"] == first["DTSTART"]
    assert int(first["SEQUENCE"][0]) < int(moved["SEQUENCE"][0]) < int(second["SEQUENCE"][0])

    status, body = await get(url)
    feed = fields(body)
    assert feed["UID"] == first["UID"] and feed["DTSTART"] == ["20261026T160000Z"]
    assert int(feed["SEQUENCE"][0]) == int(second["SEQUENCE"][0])
    assert feed["SUMMARY"] == [w("Huisbezoek: {children}", children="Daan de Boer")]

    # The teacher has to cancel: the family's calendar and the teacher's feed both drop it.
    [agenda] = await marieke.send("/agenda")
    await marieke.click("✖️", message=agenda)
    await marieke.click(w("Ik ben ziek"))
    cancelled = cancellations()[-1]
    assert cancelled["METHOD"] == ["CANCEL"] and cancelled["STATUS"] == ["CANCELLED"]
    assert cancelled["UID"] == first["UID"] and cancelled["DTSTART"] == second["DTSTART"]
    assert int(cancelled["SEQUENCE"][0]) > int(second["SEQUENCE"][0])
    status, body = await get(url)
    feed = fields(body)
    assert feed["UID"] == first["UID"] and feed["STATUS"] == ["CANCELLED"]  # kept as cancelled, for a while
    assert feed["SEQUENCE"] == cancelled["SEQUENCE"]
    bot.clock.advance(timedelta(days=31))
    assert "BEGIN:VEVENT" not in (await get(url))[1]

    await marieke.click(w("Nieuwe link maken"), message=reply)
    new_url = re.search(r"http://\S+\.ics", marieke.last_text()).group(0)
    assert new_url != url
    assert (await get(url))[0] == 404 and (await get(new_url))[0] == 200
    assert (await get(url.rsplit("/", 1)[0] + "/guessing.ics"))[0] == 404
