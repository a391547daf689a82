"""Visits on both sides of the end of summer time (Sunday 25 October 2026) show the
local time the parent chose, and are stored in UTC."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select

from bot.clock import MovableClock
from bot.services.invitations import send_invitations
from bot.services.periods import PeriodDraft, open_period
from db.models import Appointment
from tests.seed import guardian_link, load_example_roster, staff_link


@pytest.fixture(scope="module")
def module_clock() -> MovableClock:
    return MovableClock(datetime(2026, 10, 19, 8, 0, tzinfo=timezone.utc))  # Monday before the autumn break


async def test_visits_either_side_of_the_clock_change(bot):
    rt = bot.runtime
    await load_example_roster(rt)
    async with rt.sessionmaker() as session:
        period = await open_period(session, rt.school_id,
                                   PeriodDraft("Huisbezoeken herfst", date(2026, 10, 19), date(2026, 10, 30)),
                                   rt.clock.now())
    marieke = bot.user("Marieke", language_code="nl")
    await marieke.send(f"/start {await staff_link(rt, 'Marieke de Vries')}")
    for day in ("vr 23 okt", "ma 26 okt"):
        await marieke.send("/availability")
        await marieke.click("Tijd toevoegen")
        await marieke.click(day)
        await marieke.click("17:00")
        await marieke.click("19:00")
    assert "vr 23 okt 17:00–19:00" in marieke.last_text() and "ma 26 okt 17:00–19:00" in marieke.last_text()

    anouk = bot.user("Anouk", language_code="nl")
    await anouk.send(f"/start {await guardian_link(rt, 'Anouk Jansen')}")
    emily = bot.user("Emily", language_code="en")
    await emily.send(f"/start {await guardian_link(rt, 'Emily Smith')}")
    async with rt.sessionmaker() as session:
        await send_invitations(session, period, rt.clock.now(), sibling_visits="each")
    await bot.drain()

    for parent, day, label, home, send, expected in [
        (anouk, "vr 23 okt", "Kies een moment", "Bij ons thuis", "Verstuur", "vrijdag 23 oktober om 17:00"),
        (emily, "Mon 26 Oct", "Choose a time", "At our home", "Send", "Monday, 26 October at 17:00"),
    ]:
        invitation = next(m for m in parent.messages() if "Marieke de Vries" in m["text"] and m.get("reply_markup"))
        await parent.click(label, message=invitation)
        await parent.click(day)
        assert [text for text, _ in parent.buttons()][0] == "17:00"
        await parent.click("17:00")
        await parent.click(home)
        assert expected in parent.last_text()
        await parent.click(send)
        await marieke.click("Bevestigen", message=marieke.latest())
        assert expected in parent.last_text()  # the confirmation

    agenda = (await marieke.send("/agenda"))[0]["text"]
    assert "vrijdag 23 oktober\n✅ 17:00" in agenda and "maandag 26 oktober\n✅ 17:00" in agenda
    async with rt.sessionmaker() as session:
        starts = sorted((await session.scalars(select(Appointment.starts_at))).all())
    assert starts == [datetime(2026, 10, 23, 15, 0, tzinfo=timezone.utc),  # CEST, UTC+2
                      datetime(2026, 10, 26, 16, 0, tzinfo=timezone.utc)]  # CET, UTC+1
