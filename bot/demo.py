"""`homevisit demo`: a visit period played out in a minute, without a token or network.

It starts the local Bot API sandbox and the real bot on a temporary SQLite database,
loads examples/roster.csv, and plays: the announcement, three parents answering in
three languages (a visit at home, one in a café, a decline), the teacher confirming,
reminders fast-forwarded, a visit note, and the coverage report. It prints the
conversation as each person saw it.
"""
from __future__ import annotations

import asyncio
import sys
import tempfile
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Callable

from bot.clock import MovableClock
from bot.config import Settings
from bot.sandbox.api import BotAPIDouble
from bot.sandbox.players import BotUnderTest, TgUser

ROSTER = Path(__file__).resolve().parent.parent / "examples" / "roster.csv"


class Transcript:
    """Prints what each person does and what they then see, in order."""

    def __init__(self, api: BotAPIDouble, out: Callable[[str], None]) -> None:
        self.api = api
        self.out = out
        self.names: dict[int, str] = {}
        self._seen = 0

    def person(self, user: TgUser, label: str) -> TgUser:
        self.names[user.id] = label
        return user

    def title(self, text: str) -> None:
        self.flush()
        self.out(f"\n━━ {text} ━━")

    def did(self, user: TgUser, action: str) -> None:
        self.flush()
        self.out(f"\n{self.names[user.id]} ▶ {action}")

    def flush(self) -> None:
        for chat_id, message_id, kind in self.api.events[self._seen:]:
            if chat_id not in self.names:
                continue
            message = self.api.chats[chat_id].messages[message_id]
            mark = "✎" if kind == "edited" else "◀"
            lines = message["text"].splitlines() or [""]
            self.out(f"  {mark} {self.names[chat_id]} sees: {lines[0]}")
            for line in lines[1:]:
                self.out(f"      {line}")
            rows = message.get("reply_markup", {}).get("inline_keyboard", [])
            if rows:
                self.out("      " + "  ".join(f"[{b['text']}]" for row in rows for b in row))
        self._seen = len(self.api.events)


async def _tap(script: Transcript, user: TgUser, label: str, message: dict | None = None) -> None:
    script.did(user, f"taps [{label}]")
    await user.click(label, message=message)


async def _say(script: Transcript, user: TgUser, text: str) -> None:
    script.did(user, f"types {text!r}")
    await user.send(text)


async def play(out: Callable[[str], None] = print) -> None:
    from sqlalchemy import select

    from bot.services.personal_links import issue_token
    from bot.services.roster import import_roster
    from bot.services.staff import add_staff
    from db.migrate import upgrade_to_head_async
    from db.models import Guardian

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/demo.db"
        await upgrade_to_head_async(url)
        api = BotAPIDouble(username="regenboog_demo_bot")
        await api.start()
        today = datetime.now(timezone.utc).astimezone().date()
        monday = today + timedelta(days=7 - today.weekday())  # next Monday
        clock = MovableClock(datetime.combine(today, time(10), tzinfo=timezone.utc))
        settings = Settings(database_url=url, school_name="De Regenboog", outbox_rate=1000.0,
                            outbox_chat_seconds=0.0, concurrent_updates=4)
        bot = BotUnderTest(api, settings, clock)
        await bot.start()
        script = Transcript(api, out)
        try:
            rt = bot.runtime
            async with rt.sessionmaker() as session:
                await import_roster(session, rt.school_id, ROSTER.read_bytes(), default_language="nl", now=clock.now())

            async def link(name: str, label: str, *, role: str | None = None, app_language: str = "nl") -> TgUser:
                user = script.person(bot.user(name.split()[0], language_code=app_language), label)
                async with rt.sessionmaker() as session:
                    if role:
                        person = await add_staff(session, rt.school_id, name=name, role=role, language=None,
                                                 now=clock.now())
                        token = await issue_token(session, now=clock.now(),
                                                  valid_for=timedelta(days=7), staff_id=person.id)
                    else:
                        guardian = (await session.scalars(select(Guardian).where(Guardian.name == name))).one()
                        token = await issue_token(session, now=clock.now(),
                                                  valid_for=timedelta(days=7), guardian_id=guardian.id)
                    await session.commit()
                script.did(user, "opens their personal invitation link")
                await user.send(f"/start {token}")
                return user

            out("homevisit demo: a school of 40 pupils (examples/roster.csv), a local Telegram sandbox, "
                "and a clock we can fast-forward.")
            script.title("The coordinator opens the visit period")
            wilma = await link("Wilma Hoekstra", "Wilma (coordinator)", role="coordinator")
            await _say(script, wilma, "/period")
            await _say(script, wilma, "Huisbezoeken najaar")
            for label in (_short(bot, monday), _short(bot, monday + timedelta(days=4)), "60 min", "15 min",
                          "Alle groepen", "Periode openen"):
                await _tap(script, wilma, label)

            script.title("The teacher shares when she can visit")
            marieke = await link("Marieke de Vries", "Marieke (teacher, Groep 3)", role="teacher")
            await _say(script, marieke, "/availability")
            for label in ("Tijd toevoegen", _short(bot, monday), "15:00", "20:00"):
                await _tap(script, marieke, label)

            script.title("Three parents link their Telegram, each in their own language")
            linda = await link("Linda de Boer", "Linda (Dutch)")
            emily = await link("Emily Smith", "Emily (English)")
            fatma = await link("Fatma Demir", "Fatma (Turkish)")

            script.title("The announcement, then the invitations")
            await _say(script, wilma, "/announce")
            await _tap(script, wilma, "Ouders van Groep 3")
            await _tap(script, wilma, "Versturen")
            await _say(script, wilma, "/invite")
            await _tap(script, wilma, "Uitnodigingen versturen")

            script.title("Linda books a visit at home")
            await _tap(script, linda, "Kies een moment", _invitation(linda))
            for label in (_short(bot, monday), "17:30", "Bij ons thuis", "Verstuur"):
                await _tap(script, linda, label)
            await _tap(script, marieke, "Bevestigen", marieke.latest())

            script.title("Emily would rather meet in a café")
            await _tap(script, emily, "Meet somewhere else", _invitation(emily))
            for label in ("In a café", _short(bot, monday, "en"), "16:15"):
                await _tap(script, emily, label)
            await _say(script, emily, "Café de Zon")
            await _tap(script, emily, "Send")
            await _tap(script, marieke, "Bevestigen", marieke.latest())

            script.title("Fatma says not this year; that is respected")
            await _tap(script, fatma, "Bu yıl olmasın" if _has(fatma, "Bu yıl olmasın") else "🙅",
                       _invitation(fatma))
            await _tap(script, fatma, "⏰")

            script.title("Fast-forward: the day before, and two hours before")
            script.flush()
            clock.set(datetime.combine(monday - timedelta(days=1), time(17), tzinfo=rt.settings.tz))
            await bot.drain()
            script.flush()
            clock.set(datetime.combine(monday, time(15, 30), tzinfo=rt.settings.tz))
            await bot.drain()
            script.flush()

            script.title("After the visit: the teacher's note")
            clock.set(datetime.combine(monday, time(18, 45), tzinfo=rt.settings.tz))
            await bot.drain()
            prompt = next(m for m in reversed(marieke.messages()) if "Daan de Boer" in m["text"]
                          and marieke.buttons(m))
            await _tap(script, marieke, "Notitie schrijven", prompt)
            await _tap(script, marieke, "Bezoek gedaan")
            await _say(script, marieke, "Op Daans tekeningen en zijn nieuwe fiets.")
            for _ in range(4):
                await _tap(script, marieke, "Overslaan")
            await _say(script, marieke, "Samen naar de bibliotheek.")
            await _tap(script, marieke, "Lidmaatschap bibliotheek")
            await _tap(script, marieke, "Geen toelichting")
            await _tap(script, marieke, "Klaar")
            await _tap(script, marieke, "Opslaan")

            script.title("The coordinator's coverage report")
            await _say(script, wilma, "/coverage")
            await _tap(script, wilma, "Per leerkracht")
            script.flush()
            out("\nThat was homevisit. Run it for real with BOT_TOKEN set: homevisit run")
        finally:
            await bot.stop()
            await api.stop()


def _short(bot: BotUnderTest, day: date, language: str = "nl") -> str:
    return bot.runtime.translator(language).short_day(day)


def _invitation(user: TgUser) -> dict:
    return next(m for m in user.messages() if user.buttons(m) and user.buttons(m)[0][1].startswith("v2:invitation:"))


def _has(user: TgUser, label: str) -> bool:
    return any(label in text for m in user.messages() for text, _ in user.buttons(m))


def main() -> int:
    try:
        asyncio.run(play())
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
