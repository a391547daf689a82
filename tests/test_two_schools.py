"""Two schools of a board on one database, each with its own bot, in one process: De
Regenboog (the example roster) and De Zonnebloem (a small roster numbered the same way:
households H001-H005, pupils P001-P005, a "Groep 3" and a teacher called Marieke de Vries).

Anouk and Ayşe have children at both schools and talk to both bots from the same
Telegram account; Marieke teaches at both. Nothing crosses: each bot greets, invites,
books, lists, counts and announces only its own school's people; a link of one school is
unknown in the other's bot; a language chosen, a "forget me" or a block in one bot leaves
the other alone; each school's planner nudges and cleans up its own school only; and every
button whose data name the other school's rows (forged, or pressed in the wrong bot) gets
"this button no longer works", changes nothing and shows nothing of the other school."""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from bot.screens.announce import ANNOUNCE_TO
from bot.screens.availability import TIMES_REMOVE
from bot.screens.coverage import COVERAGE_CLASS
from bot.screens.families import (
    FAMILY,
    RECORD,
    RECORD_DAY,
    RECORD_HOW,
    RECORD_NO_ANSWER,
    RECORD_OTHER_DAY,
    RECORD_PLACE_ANY,
    RECORD_SAVE,
    RECORD_TIME,
    RECORD_VENUE,
    RECORD_WHY,
)
from bot.screens.invitation import (
    DAY,
    DAYS,
    DECLINE_REASON,
    INVITATION,
    MY_VISIT,
    NO_FIT,
    PLACE_ANY,
    PROPOSAL,
    SEND,
    SLOT,
    VENUE,
)
from bot.screens.letters import LETTERS_FOR
from bot.screens.notes import (
    FOLLOW_UP_DONE,
    NOTE,
    NOTE_DONE,
    NOTE_EDIT,
    NOTE_OUTCOME,
    NOTE_SAVE,
    NOTE_VIEW,
)
from bot.screens.teacher import (
    CANCEL,
    CANCEL_REASON,
    CONFIRM,
    PROPOSE,
    PROPOSE_DAY,
    PROPOSE_SLOT,
)
from bot.services import planner
from bot.services.availability import add_window
from bot.services.invitations import send_invitations
from bot.services.periods import PeriodDraft, current_period, open_period
from bot.services.personal_links import hash_token, new_token
from bot.services.roster import import_roster
from bot.services.slots import Slot
from db.models import (
    Account,
    Appointment,
    AvailabilityWindow,
    Base,
    FollowUp,
    Guardian,
    Household,
    Invitation,
    InviteToken,
    Note,
    OutboxMessage,
    OutboxStatus,
    ProcessedUpdate,
    SchoolClass,
    Staff,
)
from db.session import make_engine
from tests.botapi import BotAPIDouble
from tests.conftest import make_settings
from tests.databases import wipe
from tests.harness import BotUnderTest, TgUser
from tests.seed import EXAMPLE_ROSTER, guardian_link, staff_link
from tests.visit_setup import AUTUMN
from tests.words import SCHOOL_TZ, Words

W = Words("nl")
EN = Words("en")
STALE = W("Deze knop werkt niet meer. Kijk bij /help wat je kunt doen.")

REGENBOOG, ZONNEBLOEM = "De Regenboog", "De Zonnebloem"
MARIEKE = "Marieke de Vries"
TUE, THU, FRI = date(2026, 11, 10), date(2026, 11, 12), date(2026, 11, 13)
ZONNEBLOEM_PERIOD = PeriodDraft("Zonnebloem bezoekweken", date(2026, 11, 9), date(2026, 11, 27))

# De Zonnebloem numbers its households and pupils as De Regenboog does, has a Groep 3 too
# with a Marieke de Vries, and Anouk Jansen and Ayşe Yılmaz are parents at both schools.
ZONNEBLOEM_ROSTER = """pupil_id,pupil_name,class,teacher,household_id,guardian_name,guardian_phone,guardian_language
P001,Roos Jansen,Groep 3,Marieke de Vries,H001,Anouk Jansen,+31 6 1234 5601,nl
P002,Deniz Yılmaz,Groep 3,Marieke de Vries,H002,Ayşe Yılmaz,+31 6 1234 5603,tr
P003,Sven Wouters,Groep 3,Marieke de Vries,H003,Karlijn Wouters,+31 6 2222 0003,nl
P004,Fiep Kuijpers,Groep 4,Noah Wouters,H004,Tom Kuijpers,+31 6 2222 0004,nl
P005,Ravi Kumar,Groep 4,Noah Wouters,H005,Priya Kumar,+31 6 2222 0005,en
"""

# What only one school's people may ever read.
A_NOTE, A_FOLLOW_UP = "Emma is trots op haar zwemdiploma", "Drie prentenboeken over paarden"
B_NOTE, B_FOLLOW_UP = "Roos is trots op haar eerste boekverslag", "Een pasje voor de bibliotheek"
ONLY_A = ("Emma Jansen", "Lucas Jansen", "Noor Jansen", "Elif", "Yasmine", "Jeroen Bakker", "Groep 5", "Groep 7",
          "Regenboog", "Huisbezoeken najaar", "Wilma", A_NOTE, A_FOLLOW_UP)
ONLY_B = ("Roos", "Deniz", "Sven", "Karlijn", "Fiep", "Kuijpers", "Ravi", "Priya", "Noah Wouters", "Groep 4",
          "Zonnebloem", B_NOTE, B_FOLLOW_UP)

# Telegram user ids: the same person has the same id in both bots.
ANOUK, AYSE, MARIEKE_ID, WILMA, BART, KARLIJN, TOM, MARK, PRIYA = range(8_100_001, 8_100_010)


def at(day: date, hhmm: str) -> datetime:
    hours, minutes = map(int, hhmm.split(":"))
    return datetime.combine(day, time(hours, minutes), tzinfo=SCHOOL_TZ)


def roster_rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


A_ROWS = roster_rows(EXAMPLE_ROSTER.read_text(encoding="utf-8"))
B_ROWS = roster_rows(ZONNEBLOEM_ROSTER)


def households(rows: list[dict], klass: str | None = None) -> set[str]:
    return {r["household_id"] for r in rows if klass is None or r["class"] == klass}


# -- the board -------------------------------------------------------------------------


@dataclass
class Ids:
    """De Zonnebloem's rows that the forged presses name."""

    classes: dict[str, int] = field(default_factory=dict)
    roos_invitation: int = 0
    roos_version: int = 0
    deniz_invitation: int = 0
    deniz_version: int = 0
    roos_visit: int = 0  # confirmed, with a note
    sven_visit: int = 0  # requested, not confirmed yet
    note: int = 0
    follow_up: int = 0
    window: int = 0


@dataclass
class Board:
    a: BotUnderTest
    b: BotUnderTest
    people: dict[str, TgUser] = field(default_factory=dict)
    greetings: dict[str, str] = field(default_factory=dict)
    b_ids: Ids = field(default_factory=Ids)
    a_classes: dict[str, int] = field(default_factory=dict)
    a_note: int = 0


@pytest.fixture(scope="module")
async def doubles(database_url):
    """Telegram for a board: two bots at one address, each answering for its own token."""
    a = BotAPIDouble("111111:A-token", "regenboog_test_bot")
    b = BotAPIDouble("222222:B-token", "zonnebloem_test_bot")
    await a.start(beside=[b])
    yield a, b
    await a.stop()


@pytest.fixture(scope="module")
async def board(doubles, database_url, module_clock):
    engine = make_engine(database_url)
    await wipe(engine)
    await engine.dispose()
    a = BotUnderTest(doubles[0], make_settings(database_url, school_name=REGENBOOG), module_clock)
    b = BotUnderTest(doubles[1], make_settings(database_url, school_name=ZONNEBLOEM), module_clock)
    await a.start()
    await b.start()
    try:
        yield await _set_up(Board(a, b))
    finally:
        await b.stop()
        await a.stop()


async def _prepare(bot: BotUnderTest, roster: bytes, draft: PeriodDraft) -> None:
    """The roster, the open period and Marieke's times on Thursday and Friday."""
    rt = bot.runtime
    async with rt.sessionmaker() as session:
        await import_roster(session, rt.school_id, roster, default_language="nl", now=rt.clock.now())
        period = await open_period(session, rt.school_id, draft, rt.clock.now())
        marieke = await session.scalar(select(Staff.id).where(Staff.school_id == rt.school_id, Staff.name == MARIEKE))
        for day in (THU, FRI):
            await add_window(session, period, marieke, day, time(15), time(19), SCHOOL_TZ, rt.clock.now())


async def _join(board: Board, key: str, bot: BotUnderTest, user_id: int, name: str, language: str,
                role: str | None = None) -> TgUser:
    user = bot.user(name.split()[0], language_code=language, user_id=user_id)
    token = await (staff_link(bot.runtime, name, role=role, language=language) if role
                   else guardian_link(bot.runtime, name))
    greeting = (await user.send(f"/start {token}"))[0]
    board.people[key] = user
    board.greetings[key] = greeting["text"]
    return user


async def _invite(bot: BotUnderTest) -> None:
    rt = bot.runtime
    async with rt.sessionmaker() as session:
        await send_invitations(session, await current_period(session, rt.school_id), rt.clock.now(),
                               sibling_visits="each")
    await bot.drain()


def invitation_from(user: TgUser, child: str) -> dict:
    for message in user.messages():
        if child in message["text"] and any(d.startswith("v2:invitation:") for _, d in user.buttons(message)):
            return message
    raise AssertionError(f"{user.first_name} has no invitation for {child}")


async def book(parent: TgUser, child: str, day: date, hhmm: str) -> None:
    await parent.click(W("Kies een moment"), message=invitation_from(parent, child))
    await parent.click(W.short_day(day))
    await parent.click(hhmm)
    await parent.click(W("Bij ons thuis"))
    await parent.click(W("Verstuur"))


async def answer(user: TgUser, text: str) -> dict:
    """The bot's first answer to a command (after what the outbox had to bring)."""
    await user.bot.drain()
    return (await user.send(text))[0]


async def write_note(teacher: TgUser, child: str, secret: str, follow_up: str) -> None:
    listing = await answer(teacher, "/note")
    [label] = [label for label, _ in teacher.buttons(listing) if label.startswith("📝") and child in label]
    await teacher.click(label, message=listing)
    await teacher.click(W("Bezoek gedaan"))
    await teacher.send(secret)
    for _ in teacher.bot.runtime.questions[1:]:
        await teacher.click(W("Overslaan"))
    await teacher.click(W("Boeken van school"))
    await teacher.send(follow_up)
    await teacher.click(W("Klaar"))
    await teacher.click(W("Opslaan"))
    assert teacher.last_text() == W("💾 Opgeslagen. Je kunt de notitie nog 24 uur aanpassen via /note.")


async def _set_up(board: Board) -> Board:
    a, b = board.a, board.b
    a.clock.set(at(TUE, "16:00"))
    await _prepare(a, EXAMPLE_ROSTER.read_bytes(), AUTUMN)
    await _prepare(b, ZONNEBLOEM_ROSTER.encode(), ZONNEBLOEM_PERIOD)

    await _join(board, "marieke_a", a, MARIEKE_ID, MARIEKE, "nl", "teacher")
    await _join(board, "marieke_b", b, MARIEKE_ID, MARIEKE, "nl", "teacher")
    await _join(board, "wilma", a, WILMA, "Wilma Hoekstra", "nl", "coordinator")
    await _join(board, "bart", b, BART, "Bart Claes", "nl", "coordinator")
    for school, bot in (("a", a), ("b", b)):
        await _join(board, f"anouk_{school}", bot, ANOUK, "Anouk Jansen", "nl")
        await _join(board, f"ayse_{school}", bot, AYSE, "Ayşe Yılmaz", "tr")
    await _join(board, "karlijn", b, KARLIJN, "Karlijn Wouters", "nl")
    await _invite(a)
    await _invite(b)

    people = board.people
    await book(people["anouk_a"], "Emma Jansen", THU, "15:00")
    await people["marieke_a"].click(W("Bevestigen"), message=people["marieke_a"].latest())
    await book(people["anouk_b"], "Roos Jansen", THU, "17:30")
    await people["marieke_b"].click(W("Bevestigen"), message=people["marieke_b"].latest())
    await book(people["karlijn"], "Sven Wouters", FRI, "15:00")  # Marieke has not confirmed this one

    a.clock.set(at(THU, "18:30"))
    await write_note(people["marieke_a"], "Emma Jansen", A_NOTE, A_FOLLOW_UP)
    await write_note(people["marieke_b"], "Roos Jansen", B_NOTE, B_FOLLOW_UP)
    await a.drain()
    await b.drain()

    ids = board.b_ids
    school_b = b.runtime.school_id
    async with b.runtime.sessionmaker() as session:
        ids.classes = dict((await session.execute(
            select(SchoolClass.name, SchoolClass.id).where(SchoolClass.school_id == school_b))).all())

        async def invitation_of(external_id: str) -> Invitation:
            return (await session.scalars(select(Invitation).join(Household, Household.id == Invitation.household_id)
                                          .where(Household.school_id == school_b,
                                                 Household.external_id == external_id))).one()

        roos, deniz, sven = [await invitation_of(h) for h in ("H001", "H002", "H003")]
        ids.roos_invitation, ids.roos_version = roos.id, roos.version
        ids.deniz_invitation, ids.deniz_version = deniz.id, deniz.version
        ids.roos_visit = await session.scalar(select(Appointment.id).where(Appointment.invitation_id == roos.id))
        ids.sven_visit = await session.scalar(select(Appointment.id).where(Appointment.invitation_id == sven.id))
        ids.note = await session.scalar(select(Note.id).where(Note.school_id == school_b))
        ids.follow_up = await session.scalar(select(FollowUp.id).where(FollowUp.school_id == school_b))
        ids.window = await session.scalar(select(AvailabilityWindow.id).where(AvailabilityWindow.school_id == school_b)
                                          .order_by(AvailabilityWindow.id).limit(1))
    async with a.runtime.sessionmaker() as session:
        school_a = a.runtime.school_id
        board.a_classes = dict((await session.execute(
            select(SchoolClass.name, SchoolClass.id).where(SchoolClass.school_id == school_a))).all())
        board.a_note = await session.scalar(select(Note.id).where(Note.school_id == school_a))
    return board


# -- looking ---------------------------------------------------------------------------

SENDING = ("sendMessage", "sendDocument", "editMessageText", "editMessageReplyMarkup")


def shown(double: BotAPIDouble, user_id: int, since: int = 0) -> str:
    """Every text, button and pop-up this bot showed this person since call number `since`."""
    parts = []
    for call in double.calls[since:]:
        if call.method in SENDING and str(call.params.get("chat_id")) == str(user_id):
            parts.append(str(call.params.get("text") or call.params.get("caption") or ""))
            markup = call.params.get("reply_markup") or {}
            parts += [b.get("text", "") for row in markup.get("inline_keyboard", []) for b in row]
        elif call.method == "answerCallbackQuery" and str(call.params.get("callback_query_id")).startswith(
                f"cq{user_id}-"):
            parts.append(str(call.params.get("text", "")))
    return "\n".join(parts)


def sent_with_button(double: BotAPIDouble, user_id: int, kind) -> list[str]:
    """The texts of the messages this bot sent this person with a button of this kind (as sent,
    before any later edit)."""
    return [str(call.params.get("text")) for call in double.calls_of("sendMessage")
            if str(call.params.get("chat_id")) == str(user_id)
            and any(b.get("callback_data", "").startswith(f"v2:{kind.action}:")
                    for row in (call.params.get("reply_markup") or {}).get("inline_keyboard", []) for b in row)]


def sent_by(double: BotAPIDouble) -> int:
    return sum(1 for call in double.calls if call.method in SENDING or call.method == "answerCallbackQuery")


def none_of(words: tuple[str, ...], text: str) -> list[str]:
    return [w for w in words if w in text]


def button_ids(user: TgUser, message: dict, kind) -> set[int]:
    prefix = f"v2:{kind.action}:"
    return {int(data.split(":")[-1]) for _, data in user.buttons(message) if data.startswith(prefix)}


# Tables a press may touch without changing anything: the update ids, the outbox's lease.
NOT_STATE = {"processed_updates", "outbox_leases"}


async def everything(bot: BotUnderTest, *, skip: tuple[str, ...] = ()) -> dict[str, list]:
    """Every row of every table (both schools'), to see that a press changed nothing."""
    async with bot.runtime.sessionmaker() as session:
        result = {}
        for table in Base.metadata.sorted_tables:
            if table.name not in NOT_STATE and table.name not in skip:
                result[table.name] = sorted((tuple(row) for row in (await session.execute(select(table))).all()),
                                            key=repr)
        return result


# -- joining and inviting ----------------------------------------------------------------


async def test_each_bot_greets_with_its_own_school_and_children(board):
    g = board.greetings
    assert REGENBOOG in g["anouk_a"] and all(child in g["anouk_a"] for child in ("Emma", "Lucas", "Noor"))
    assert ZONNEBLOEM in g["anouk_b"] and "Roos Jansen" in g["anouk_b"]
    assert none_of(ONLY_B, g["anouk_a"]) == [] and none_of(ONLY_A, g["anouk_b"]) == []
    assert REGENBOOG in g["wilma"] and ZONNEBLOEM in g["bart"] and ZONNEBLOEM not in g["wilma"]
    # Marieke teaches a Groep 3 at both schools: one account with each bot, each its own school's.
    async with board.a.runtime.sessionmaker() as session:
        accounts = (await session.execute(select(Account.school_id, Account.id).where(
            Account.telegram_user_id == MARIEKE_ID))).all()
        staff = (await session.execute(select(Staff.school_id, Staff.account_id).where(Staff.name == MARIEKE))).all()
        handled = (await session.execute(select(ProcessedUpdate.school_id, ProcessedUpdate.update_id))).all()
    assert sorted(accounts) == sorted(staff)
    assert {school for school, _ in accounts} == {board.a.runtime.school_id, board.b.runtime.school_id}
    # Each bot numbers its updates from 1000: the same ids, handled by each school once.
    by_school = {school: {u for s, u in handled if s == school} for school, _ in accounts}
    assert 1000 in by_school[board.a.runtime.school_id] and 1000 in by_school[board.b.runtime.school_id]


async def test_each_bot_invites_only_its_own_schools_children(board):
    invitations_a = sent_with_button(board.a.double, ANOUK, INVITATION)
    invitations_b = sent_with_button(board.b.double, ANOUK, INVITATION)
    assert len(invitations_a) == 3 and len(invitations_b) == 1  # Emma, Lucas and Noor; Roos
    for child in ("Emma Jansen", "Lucas Jansen", "Noor Jansen"):
        assert any(child in text for text in invitations_a)
    assert "Roos Jansen" in invitations_b[0]
    assert none_of(ONLY_B, shown(board.a.double, ANOUK)) == []
    assert none_of(ONLY_A, shown(board.b.double, ANOUK)) == []
    # Each booking went to that school's Marieke, through that school's bot.
    assert "Emma" in shown(board.a.double, MARIEKE_ID) and none_of(ONLY_B, shown(board.a.double, MARIEKE_ID)) == []
    assert "Roos" in shown(board.b.double, MARIEKE_ID) and none_of(ONLY_A, shown(board.b.double, MARIEKE_ID)) == []


@pytest.mark.parametrize("link_of, opened_in", [("b", "a"), ("a", "b")])
async def test_a_link_of_one_school_is_unknown_in_the_others_bot(board, link_of, opened_in):
    owner = {"a": board.a, "b": board.b}[link_of]
    other = {"a": board.a, "b": board.b}[opened_in]
    name, user_id = ("Tom Kuijpers", TOM) if link_of == "b" else ("Mark Jansen", MARK)
    token = await guardian_link(owner.runtime, name)

    [reply] = await other.user(name.split()[0], user_id=user_id).send(f"/start {token}")
    assert reply["text"] == W("Deze link ken ik niet. Misschien is hij niet helemaal gekopieerd. Open de "
                              "link nog eens vanuit het bericht van school, of vraag de school om een nieuwe.")
    async with owner.runtime.sessionmaker() as session:
        guardian = (await session.scalars(select(Guardian).where(Guardian.school_id == owner.runtime.school_id,
                                                                  Guardian.name == name))).one()
        assert guardian.account_id is None
        assert await session.scalar(select(InviteToken.used_at).where(InviteToken.guardian_id == guardian.id,
                                                                      InviteToken.replaced_at.is_(None))) is None
    # The link still works where it belongs.
    greeting = (await owner.user(name.split()[0], user_id=user_id).send(f"/start {token}"))[0]
    assert name in greeting["text"] and (ZONNEBLOEM if link_of == "b" else REGENBOOG) in greeting["text"]


async def test_a_personal_link_names_a_person_of_its_own_school_only(board):
    """Even a token stored for school A that names school B's guardian links nobody in A.

    issue_token always gives a token its person's school, so the mixed row (as an older
    version or a hand edit could have left it) is written directly."""
    ra, rb = board.a.runtime, board.b.runtime
    token = new_token()
    async with rb.sessionmaker() as session:
        priya = (await session.scalars(select(Guardian).where(Guardian.school_id == rb.school_id,
                                                               Guardian.name == "Priya Kumar"))).one()
        session.add(InviteToken(school_id=ra.school_id, token_hash=hash_token(token), guardian_id=priya.id,
                                created_at=ra.clock.now(), expires_at=ra.clock.now() + timedelta(days=30)))
        await session.commit()
    [reply] = await board.a.user("Priya", user_id=PRIYA).send(f"/start {token}")
    assert reply["text"].startswith(W("Deze link ken ik niet.").split(".")[0])
    assert none_of(ONLY_B, reply["text"]) == []
    async with rb.sessionmaker() as session:
        assert await session.scalar(select(Guardian.account_id).where(Guardian.id == priya.id)) is None
        assert await session.scalar(select(InviteToken.used_at)
                                    .where(InviteToken.token_hash == hash_token(token))) is None


# -- what each person sees ----------------------------------------------------------------


async def test_myvisit_shows_only_that_schools_children_and_teachers(board):
    anouk_a, anouk_b = board.people["anouk_a"], board.people["anouk_b"]
    await board.a.drain()
    mine_a = [m["text"] for m in await anouk_a.send("/myvisit")]
    mine_b = [m["text"] for m in await anouk_b.send("/myvisit")]
    assert len(mine_a) == 3 and len(mine_b) == 1
    assert "Emma Jansen" in "".join(mine_a) and "Jeroen Bakker" in "".join(mine_a)
    assert "Roos Jansen" in mine_b[0]
    assert none_of(ONLY_B, "\n".join(mine_a)) == [] and none_of(ONLY_A, "\n".join(mine_b)) == []


async def test_a_teachers_lists_hold_only_her_schools_families(board):
    marieke_a, marieke_b = board.people["marieke_a"], board.people["marieke_b"]
    for user, only_other, families, visits in ((marieke_a, ONLY_B, households(A_ROWS, "Groep 3"), 1),
                                               (marieke_b, ONLY_A, households(B_ROWS, "Groep 3"), 2)):
        agenda = await answer(user, "/agenda")
        assert agenda["text"].startswith(W.n("Je agenda: {count} huisbezoek", "Je agenda: {count} huisbezoeken",
                                             visits))
        listing = await answer(user, "/families")
        assert listing["text"].startswith(W.first_line(
            "👪 Je gezinnen: {count}. Tik op een gezin om vast te leggen wat jullie afspraken.",
            count=len(families)))
        texts = [agenda["text"], listing["text"]]
        for command in ("/calllist", "/note", "/followups"):
            texts.append((await answer(user, command))["text"])
        seen = "\n".join(texts)
        assert none_of(only_other, seen) == [], user.bot.runtime.settings.school_name
    # The call list: Regenboog's Groep 3 less Anouk's booked and Ayşe's linked household.
    calls = await answer(marieke_a, "/calllist")
    expected = len(households(A_ROWS, "Groep 3") - {"H001", "H002"})
    assert calls["text"].startswith(W.n("📞 Bellijst: {count} gezin om even te bellen",
                                        "📞 Bellijst: {count} gezinnen om even te bellen", expected))
    follow_ups_a = (await answer(marieke_a, "/followups"))["text"]
    follow_ups_b = (await answer(marieke_b, "/followups"))["text"]
    assert A_FOLLOW_UP in follow_ups_a and B_FOLLOW_UP in follow_ups_b


def whole_school(text: str) -> tuple[int, int, int]:
    found = re.search(re.escape(W("Hele school")) + r"\n(\d+) leerlingen, (\d+) gezinnen · gekoppeld (\d+)", text)
    assert found, text
    return tuple(int(n) for n in found.groups())


async def test_the_coordinators_overviews_count_only_their_school(board):
    wilma, bart = board.people["wilma"], board.people["bart"]
    a_classes, b_classes = set(board.a_classes.values()), set(board.b_ids.classes.values())

    coverage = await answer(wilma, "/coverage")
    assert whole_school(coverage["text"]) == (len({r["pupil_id"] for r in A_ROWS}), len(households(A_ROWS)), 2)
    assert AUTUMN.name in coverage["text"] and none_of(ONLY_B, coverage["text"]) == []
    assert button_ids(wilma, coverage, COVERAGE_CLASS) == a_classes
    coverage_b = await answer(bart, "/coverage")
    assert whole_school(coverage_b["text"]) == (5, 5, 4)  # Tom linked in the test of links
    assert button_ids(bart, coverage_b, COVERAGE_CLASS) == b_classes

    notes = await answer(wilma, "/notes")
    assert button_ids(wilma, notes, NOTE_VIEW) == {board.a_note}
    assert button_ids(bart, await answer(bart, "/notes"), NOTE_VIEW) == {board.b_ids.note}

    audiences = await answer(wilma, "/announce")
    assert button_ids(wilma, audiences, ANNOUNCE_TO) == {0} | a_classes
    assert "Groep 4" not in shown(board.a.double, WILMA)
    assert button_ids(bart, await answer(bart, "/announce"), ANNOUNCE_TO) == {0} | b_classes

    letters = await answer(wilma, "/letters")
    waiting = len(households(A_ROWS) - {"H001", "H002"})  # Anouk's and Ayşe's are on Telegram
    assert W.n("{count} gezin zonder Telegram heeft nog niet geantwoord.",
               "{count} gezinnen zonder Telegram hebben nog niet geantwoord.", waiting) in letters["text"]
    assert button_ids(wilma, letters, LETTERS_FOR) - {0} == a_classes
    letters_b = await answer(bart, "/letters")
    assert button_ids(bart, letters_b, LETTERS_FOR) - {0} == {board.b_ids.classes["Groep 4"]}  # Groep 3 is on Telegram
    seen = shown(board.a.double, WILMA)
    assert none_of(ONLY_B, seen) == [] and none_of(ONLY_A, shown(board.b.double, BART)) == []


async def test_undelivered_messages_are_counted_and_sent_again_per_school(board):
    wilma, bart = board.people["wilma"], board.people["bart"]
    rb = board.b.runtime
    async with rb.sessionmaker() as session:
        lost = await session.scalar(select(OutboxMessage).where(OutboxMessage.school_id == rb.school_id,
                                                                OutboxMessage.account_id.is_not(None))
                                    .order_by(OutboxMessage.id).limit(1))
        lost.status, lost.last_error = OutboxStatus.FAILED, "bad request: chat not found"
        lost_id = lost.id
        await session.commit()
    warning = W.n("{count} bericht kon niet worden afgeleverd, ook niet na een paar pogingen.",
                  "{count} berichten konden niet worden afgeleverd, ook niet na een paar pogingen.", 1)
    assert warning not in (await answer(wilma, "/coverage"))["text"]
    coverage_b = await answer(bart, "/coverage")
    assert warning in coverage_b["text"]

    reply = await wilma.press("v2:coverage_retry", message=wilma.latest())  # she has no such button: forged
    assert reply["text"] == W.n("{count} bericht gaat opnieuw de deur uit.",
                                "{count} berichten gaan opnieuw de deur uit.", 0)
    async with rb.sessionmaker() as session:
        assert await session.scalar(select(OutboxMessage.status).where(OutboxMessage.id == lost_id)) == "failed"
    reply = await bart.press("v2:coverage_retry", message=coverage_b)
    assert reply["text"] == W.n("{count} bericht gaat opnieuw de deur uit.",
                                "{count} berichten gaan opnieuw de deur uit.", 1)
    await board.b.drain()
    async with rb.sessionmaker() as session:
        assert await session.scalar(select(OutboxMessage.status).where(OutboxMessage.id == lost_id)) == "sent"


# -- forged presses ------------------------------------------------------------------------


def forged(board: Board, who: str) -> list[str]:
    """Button data naming De Zonnebloem's rows, as each person of De Regenboog might send them."""
    i = board.b_ids
    slot = Slot(at(FRI, "16:00"), at(FRI, "17:00")).key
    if who == "anouk_a":  # a parent at both schools, in Regenboog's bot
        inv, ver = i.roos_invitation, i.roos_version
        return [INVITATION.data(inv, ver, "t"), INVITATION.data(inv, ver, "e"), INVITATION.data(inv, ver, "n"),
                INVITATION.data(i.deniz_invitation, i.deniz_version, "n"),
                DAYS.data(inv, ver, "x"), DAY.data(inv, ver, FRI, "home"), SLOT.data(inv, ver, slot, "home"),
                VENUE.data(inv, ver, slot, "school"), PLACE_ANY.data(inv, ver, slot, "park"),
                SEND.data(inv, ver, slot, "home"), NO_FIT.data(inv, ver), DECLINE_REASON.data(inv, ver, "no_time"),
                MY_VISIT.data(i.roos_visit, ver, "r"), MY_VISIT.data(i.roos_visit, ver, "c"),
                MY_VISIT.data(i.roos_visit, ver, "y"), PROPOSAL.data(i.sven_visit, "y"),
                PROPOSAL.data(i.sven_visit, "n")]
    if who == "marieke_a":  # a teacher at both schools, in Regenboog's bot
        inv, visit, asked = i.deniz_invitation, i.roos_visit, i.sven_visit
        return [CONFIRM.data(asked), PROPOSE.data(asked), PROPOSE_DAY.data(asked, FRI),
                PROPOSE_SLOT.data(asked, slot), CANCEL.data(visit), CANCEL_REASON.data(visit, "ill"),
                NOTE.data(visit), NOTE_OUTCOME.data(visit, "not_home"), NOTE_DONE.data(visit), NOTE_SAVE.data(visit),
                NOTE_VIEW.data(i.note), NOTE_EDIT.data(i.note, 0), FOLLOW_UP_DONE.data(i.follow_up, 0),
                FAMILY.data(inv), RECORD.data(inv, "visit"), RECORD_HOW.data(inv, "no", "phone"),
                RECORD_DAY.data(inv, FRI, "any"), RECORD_OTHER_DAY.data(inv), RECORD_TIME.data(inv, slot),
                RECORD_VENUE.data(inv, "home"), RECORD_PLACE_ANY.data(inv), RECORD_SAVE.data(inv),
                RECORD_WHY.data(inv, "no_time"), RECORD_NO_ANSWER.data(inv)]
    # The coordinator: her checks are by role, so each must also check the school.
    return [NOTE_VIEW.data(i.note), NOTE_EDIT.data(i.note, 0), COVERAGE_CLASS.data(i.classes["Groep 3"]),
            COVERAGE_CLASS.data(i.classes["Groep 4"]), ANNOUNCE_TO.data("class", i.classes["Groep 3"]),
            ANNOUNCE_TO.data("class", i.classes["Groep 4"]), CONFIRM.data(i.sven_visit),
            FOLLOW_UP_DONE.data(i.follow_up, 0), RECORD_NO_ANSWER.data(i.deniz_invitation)]


@pytest.mark.parametrize("who", ["anouk_a", "marieke_a", "wilma"])
async def test_buttons_naming_the_other_schools_rows_no_longer_work(board, who):
    user = board.people[who]
    await board.a.drain()
    await board.b.drain()
    before = await everything(board.a)
    b_before = sent_by(board.b.double)
    for data in forged(board, who):
        since = len(board.a.double.calls)
        reply = await user.press(data, message=user.latest())
        assert (reply or {}).get("text") == STALE, data
        assert (reply or {}).get("show_alert") in (True, "true", "True"), data
        assert none_of(ONLY_B, shown(board.a.double, user.id, since)) == [], data
        assert await everything(board.a) == before, data
    assert sent_by(board.b.double) == b_before  # and Zonnebloem's bot said nothing to anyone

    # The same data work in Zonnebloem's bot, for its own people: the rows are live, only the school differs.
    i = board.b_ids
    owner, data = {"anouk_a": ("anouk_b", INVITATION.data(i.roos_invitation, i.roos_version, "t")),
                   "marieke_a": ("marieke_b", NOTE_VIEW.data(i.note)),
                   "wilma": ("bart", COVERAGE_CLASS.data(i.classes["Groep 4"]))}[who]
    reply = await board.people[owner].press(data, message=board.people[owner].latest())
    assert reply is not None and reply.get("text") != STALE


async def test_letters_for_the_other_schools_class_are_refused(board):
    wilma = board.people["wilma"]
    menu = await answer(wilma, "/letters")  # the menu the press belongs to
    before = await everything(board.a, skip=("dialog_states",))  # the press uses up her menu
    since = len(board.a.double.calls)
    for klass in ("Groep 3", "Groep 4"):
        reply = await wilma.press(LETTERS_FOR.data(board.b_ids.classes[klass]), message=menu)
        assert (reply or {}).get("text") == STALE, klass
    assert none_of(ONLY_B, shown(board.a.double, WILMA, since)) == []
    assert not [c for c in board.a.double.calls[since:] if c.method == "sendDocument"]
    assert await everything(board.a, skip=("dialog_states",)) == before


async def test_removing_the_other_schools_time_is_as_removing_a_time_that_is_gone(board):
    """A window of another teacher, of either school, reads like one that was removed: the
    same answer as for an id that never existed, and it stays."""
    marieke = board.people["marieke_a"]
    await answer(marieke, "/availability")
    menu = marieke.latest()
    before = await everything(board.a)
    answers = []
    for window in (board.b_ids.window, 2_000_000_000):
        since = len(board.a.double.calls)
        await marieke.press(TIMES_REMOVE.data(window), message=menu)
        [edit] = [c for c in board.a.double.calls[since:] if c.method == "editMessageText"]
        answers.append(edit.params["text"])
    assert answers[0] == answers[1] and answers[0].startswith(W("Die tijd bestaat niet meer."))
    assert none_of(ONLY_B, answers[0]) == []
    assert await everything(board.a) == before


# -- choosing, announcing, forgetting, blocking --------------------------------------------------


async def test_a_language_chosen_in_one_bot_stays_there(board):
    anouk_a, anouk_b = board.people["anouk_a"], board.people["anouk_b"]
    [menu] = await anouk_a.send("/language")
    await anouk_a.click("English", message=menu)
    assert anouk_a.last_text() == EN("Goed! Ik schrijf je voortaan in het Nederlands.")
    first = (await anouk_a.send("/myvisit"))[0]
    [other] = await anouk_b.send("/myvisit")
    assert first["text"].startswith(EN("Huisbezoek van {teacher} voor {children}").split("{")[0])
    assert other["text"].startswith(W("Huisbezoek van {teacher} voor {children}").split("{")[0])
    async with board.a.runtime.sessionmaker() as session:
        chosen = dict((await session.execute(select(Account.school_id, Account.language)
                                             .where(Account.telegram_user_id == ANOUK))).all())
    assert chosen == {board.a.runtime.school_id: "en", board.b.runtime.school_id: None}


def announcements(double: BotAPIDouble, since: int) -> dict[int, list[str]]:
    """The announcements this bot sent since call number `since`, by chat."""
    found: dict[int, list[str]] = {}
    for call in double.calls[since:]:
        if call.method == "sendMessage" and str(call.params.get("text", "")).startswith("📣 ") \
                and "{" not in call.params["text"]:
            found.setdefault(int(call.params["chat_id"]), []).append(call.params["text"])
    return found


async def announce_to_all(coordinator: TgUser) -> str:
    await coordinator.send("/announce")
    await coordinator.click(W("Alle ouders"))
    await coordinator.click(W("Versturen"))
    await coordinator.bot.drain()
    return coordinator.last_text()


def guardians(rows: list[dict]) -> int:
    return len({(r["household_id"], r["guardian_name"]) for r in rows})


async def test_an_announcement_goes_to_its_schools_parents_through_its_schools_bot(board):
    a, b = board.a.double, board.b.double
    since_a, since_b = len(a.calls), len(b.calls)
    report = await announce_to_all(board.people["wilma"])
    parents_a = {chat for chat in announcements(a, since_a) if chat not in (WILMA,)}
    assert parents_a == {ANOUK, AYSE, MARK}  # Mark linked in the test of links
    assert all(len(texts) == 1 for chat, texts in announcements(a, since_a).items() if chat != WILMA)
    assert announcements(b, since_b) == {}
    assert report.startswith(W("📣 Klaar! Je aankondiging is verstuurd."))
    assert W("📵 Zonder Telegram: {count}", count=guardians(A_ROWS) - 3) in report
    assert REGENBOOG in announcements(a, since_a)[AYSE][0] or "Regenboog" in announcements(a, since_a)[AYSE][0]

    since_a, since_b = len(a.calls), len(b.calls)
    report = await announce_to_all(board.people["bart"])
    assert set(announcements(b, since_b)) - {BART} == {ANOUK, AYSE, KARLIJN, TOM}
    assert announcements(a, since_a) == {}
    assert W("📵 Zonder Telegram: {count}", count=guardians(B_ROWS) - 4) in report
    assert all(ZONNEBLOEM in texts[0] for chat, texts in announcements(b, since_b).items() if chat != BART)


async def test_forgetting_in_one_bot_forgets_that_schools_link_only(board):
    ayse_a, ayse_b = board.people["ayse_a"], board.people["ayse_b"]
    [question] = await ayse_a.send("/forget")
    [yes] = [data for _, data in ayse_a.buttons(question) if data == "v2:forget_yes"]
    await ayse_a.press(yes, message=question)
    async with board.a.runtime.sessionmaker() as session:
        ayse = {school: (name, active, linked) for school, name, active, linked in (await session.execute(
            select(Guardian.school_id, Guardian.name, Guardian.active, Guardian.account_id.is_not(None))
            .where(Guardian.forgotten_key.is_not(None) | (Guardian.name == "Ayşe Yılmaz")))).all()}
        accounts = (await session.scalars(select(Account.school_id).where(Account.telegram_user_id == AYSE))).all()
    a_name, a_active, a_linked = ayse[board.a.runtime.school_id]
    assert a_name.startswith("#") and not a_active and not a_linked
    assert ayse[board.b.runtime.school_id] == ("Ayşe Yılmaz", True, True)
    assert accounts == [board.b.runtime.school_id]
    [still] = await ayse_b.send("/myvisit")
    assert "Deniz" in still["text"]
    [refused] = await ayse_a.send("/myvisit")
    assert none_of(ONLY_B, refused["text"]) == [] and "Elif" not in refused["text"]


async def test_blocking_one_bot_leaves_the_other_reachable(board):
    anouk_a = board.people["anouk_a"]
    await anouk_a.block()
    async with board.a.runtime.sessionmaker() as session:
        blocked = dict((await session.execute(select(Account.school_id, Account.blocked_at.is_not(None))
                                              .where(Account.telegram_user_id == ANOUK))).all())
    assert blocked == {board.a.runtime.school_id: True, board.b.runtime.school_id: False}

    since_b = len(board.b.double.calls)
    report_b = await announce_to_all(board.people["bart"])
    assert ANOUK in announcements(board.b.double, since_b)
    assert W("🚫 Bot geblokkeerd: {count}", count=0) in report_b
    since_a = len(board.a.double.calls)
    report_a = await announce_to_all(board.people["wilma"])
    assert ANOUK not in announcements(board.a.double, since_a)
    assert W("🚫 Bot geblokkeerd: {count}", count=1) in report_a


async def test_each_schools_planner_plans_and_cleans_up_its_own_school_only(board):
    """Four days on: nudges are due at both schools, and the people who wrote to a bot without
    linking (Tom and Priya in Regenboog's, Mark in Zonnebloem's) are to be forgotten."""
    ra, rb = board.a.runtime, board.b.runtime
    board.a.clock.advance(timedelta(days=4))

    async def state() -> tuple[dict, dict]:
        async with ra.sessionmaker() as session:
            nudges = dict((await session.execute(
                select(OutboxMessage.school_id, func.count()).where(OutboxMessage.kind == "nudge")
                .group_by(OutboxMessage.school_id))).all())
            accounts = set((await session.execute(select(Account.school_id, Account.telegram_user_id)
                                                  .where(Account.telegram_user_id.in_((TOM, MARK, PRIYA))))).all())
        return nudges, accounts

    linked = {(ra.school_id, MARK), (rb.school_id, TOM)}
    strangers = {ra.school_id: {(ra.school_id, TOM), (ra.school_id, PRIYA)}, rb.school_id: {(rb.school_id, MARK)}}
    nudges, accounts = await state()
    assert nudges == {} and accounts == linked | strangers[ra.school_id] | strangers[rb.school_id]
    for rt, done in ((ra, {ra.school_id}), (rb, {ra.school_id, rb.school_id})):
        s = rt.settings
        async with rt.sessionmaker() as session:
            await planner.plan(session, rt.school_id, rt.clock.now(), tz=s.tz, ladder=rt.ladder,
                               overview_at=s.teacher_overview_at, note_retention_months=s.note_retention_months)
        nudges, accounts = await state()
        assert set(nudges) == done, s.school_name
        assert accounts == linked.union(*(strangers[school] for school in strangers if school not in done)), \
            s.school_name
