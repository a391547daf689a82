"""The visit loop over the Bot API double, once in Dutch and once in English: the
coordinator opens the period, teachers publish times, households are invited,
parents choose a time and a place or decline, teachers confirm or propose, and both
sides change plans. Every text is checked against its catalog entry."""
from __future__ import annotations

from datetime import date, datetime

import pytest

from tests.botapi import BotAPIDouble
from tests.seed import guardian_link, load_example_roster, staff_link
from tests.words import SCHOOL_TZ, Words

MON, TUE, WED, THU, FRI27 = (date(2026, 11, d) for d in (16, 17, 18, 19, 27))
STALE = "Deze knop werkt niet meer. Kijk bij /help wat je kunt doen."
# One invitation per teacher, as these stories were written (siblings together: tests/test_siblings.py).
BOT_SETTINGS = {"sibling_visits": "each"}


def at(day: date, hhmm: str) -> datetime:
    hours, minutes = map(int, hhmm.split(":"))
    return datetime(day.year, day.month, day.day, hours, minutes, tzinfo=SCHOOL_TZ)


@pytest.fixture(scope="module", params=["nl", "en"])
def lang(request) -> str:
    return request.param


@pytest.fixture(scope="module")
async def double(database_url, lang):
    """A fresh double (and so a fresh bot and database) for each language."""
    api = BotAPIDouble()
    await api.start()
    yield api
    await api.stop()


@pytest.fixture(scope="module")
def w(lang) -> Words:
    return Words(lang)


async def link(bot, w: Words, name: str, *, role: str | None = None):
    """Join by personal link, and pick the test's language with /language when it is not Dutch."""
    user = bot.user(name.split()[0], language_code="nl")
    token = await (staff_link(bot.runtime, name, role=role, language="nl") if role
                   else guardian_link(bot.runtime, name))
    await user.send(f"/start {token}")
    if w.language != "nl":
        await user.send("/language")
        await user.click({"en": "English"}[w.language])
    return user


async def add_window(teacher, w: Words, day: date, start: str, end: str) -> None:
    await teacher.send("/availability")
    await teacher.click(w("Tijd toevoegen"))
    await teacher.click(w.short_day(day))
    await teacher.click(w.time(at(day, start)))
    await teacher.click(w.time(at(day, end)))


@pytest.fixture(scope="module")
async def school(bot, w):
    """Coordinator, three teachers with times, and the invitations sent, all through chat."""
    await load_example_roster(bot.runtime)
    wilma = await link(bot, w, "Wilma Hoekstra", role="coordinator")
    await wilma.send("/period")
    await wilma.send("Huisbezoeken najaar")
    await wilma.click(w.short_day(MON))
    await wilma.click(w.short_day(FRI27))
    await wilma.click(w("{minutes} min", minutes=60))
    await wilma.click(w("{minutes} min", minutes=15))
    await wilma.click(w("Alle groepen"))
    await wilma.click(w("Periode openen"))
    people = {"wilma": wilma}
    for key, name in [("marieke", "Marieke de Vries"), ("jeroen", "Jeroen Bakker"), ("sanne", "Sanne Vermeulen")]:
        people[key] = await link(bot, w, name, role="teacher")
    await add_window(people["marieke"], w, MON, "15:00", "20:00")
    await add_window(people["marieke"], w, TUE, "15:00", "20:00")
    await add_window(people["jeroen"], w, TUE, "16:00", "21:00")
    await add_window(people["sanne"], w, WED, "15:00", "18:00")
    for key, name in [("anouk", "Anouk Jansen"), ("mark", "Mark Jansen"), ("ingrid", "Ingrid Visser"),
                      ("petra", "Petra Mulder"), ("sandra", "Sandra Dekker"), ("joost", "Joost Hendriks"),
                      ("esther", "Esther Meijer"), ("karin", "Karin de Groot"), ("anja", "Anja Bos"),
                      ("linda", "Linda de Boer")]:
        people[key] = await link(bot, w, name)
    await wilma.send("/invite")
    await wilma.click(w("Uitnodigingen versturen"))
    return people


def invitation_from(user, teacher_name: str) -> dict:
    """The invitation message itself (as it stands now, edits included)."""
    for message in user.messages():
        first_button = next(iter(user.buttons(message)), ("", ""))
        if teacher_name in message["text"] and first_button[1].startswith("v2:invitation:"):
            return message
    raise AssertionError(f"{user.first_name} has no invitation from {teacher_name}")


def interpreter_question(w: Words) -> str:
    """Under the summary, for a parent who reads another language than Dutch (tests/test_second_visitor.py)."""
    return "" if w.language == "nl" else "\n\n🗣 " + w(
        "Zou een tolk helpen bij het huisbezoek? Dan probeert de school er een te regelen.")


async def book(parent, w: Words, teacher: str, day: date, hhmm: str, venue: str) -> None:
    await parent.click(w("Kies een moment"), message=invitation_from(parent, teacher))
    await parent.click(w.short_day(day))
    await parent.click(w.time(at(day, hhmm)))
    await parent.click(w(venue))
    await parent.click(w("Verstuur"))


async def test_coordinator_opened_the_period_and_sent_invitations(school, w):
    wilma = school["wilma"]
    period = w("{name}\n📅 {first} t/m {last}\n⏱ bezoek {visit} min, daarna {buffer} min reistijd",
               name="Huisbezoeken najaar", first=w.day(MON), last=w.day(FRI27), visit=60, buffer=15)
    assert any(m["text"].startswith("✅ " + w("De bezoekperiode is open.") + "\n\n" + period)
               for m in wilma.messages())
    invited = wilma.last_text().split("\n")
    assert invited[0] == w.n("📨 {count} gezin uitgenodigd.", "📨 {count} gezinnen uitgenodigd.", 37)
    [reply] = await wilma.send("/period")
    assert reply["text"] == w("Deze bezoekperiode is open:") + "\n\n" + period + "\n👥 " + w("alle groepen")


async def test_teacher_adds_and_removes_windows(school, w):
    sanne = school["sanne"]
    await add_window(sanne, w, THU, "16:00", "18:00")
    window = w("{day} {start}–{end}", day=w.short_day(THU), start="16:00", end="18:00")
    assert sanne.last_text().startswith("✅ " + w("Toegevoegd: {window}.", window=window))
    await sanne.click("🗑 " + window)
    assert sanne.last_text().startswith("🗑 " + w("Verwijderd."))
    assert window not in sanne.last_text()
    assert w("{day} {start}–{end}", day=w.short_day(WED), start="15:00", end="18:00") in sanne.last_text()


async def test_household_with_two_guardians_and_children_in_three_classes(school, w):
    for parent in (school["anouk"], school["mark"]):
        for teacher, child in [("Marieke de Vries", "Emma Jansen (Groep 3)"), ("Jeroen Bakker", "Lucas Jansen (Groep 5)"),
                               ("Sanne Vermeulen", "Noor Jansen (Groep 7)")]:
            invitation = invitation_from(parent, teacher)
            assert child in invitation["text"]
            assert [label for label, _ in parent.buttons(invitation)] == [
                "📅 " + w("Kies een moment"), "📍 " + w("Ergens anders afspreken"), "🙅 " + w("Dit jaar liever niet")]


async def test_booking_at_home_confirmed_and_the_other_guardian_sees_the_outcome(school, w):
    anouk, mark, marieke = school["anouk"], school["mark"], school["marieke"]
    await anouk.click(w("Kies een moment"), message=invitation_from(anouk, "Marieke de Vries"))
    assert anouk.last_text() == w("Op welke dag past het jullie? Tussen haakjes staat hoeveel momenten er die dag "
                                  "vrij zijn.")
    await anouk.click(w.short_day(MON))
    assert anouk.last_text() == w("Hoe laat op {day}?", day=w.day(MON))
    assert [label for label, _ in anouk.buttons()][:4] == ["15:00", "16:15", "17:30", "18:45"]
    await anouk.click("17:30")
    await anouk.click(w("Bij ons thuis"))
    assert anouk.last_text() == w("Klopt dit?\n\n📅 {when}\n📍 {where}\n👤 {teacher}", when=w.when(at(MON, "17:30")),
                                  where=w("bij jullie thuis"), teacher="Marieke de Vries") + interpreter_question(w)
    await anouk.click(w("Verstuur"))
    assert anouk.last_text().startswith(w.first_line(
        "📨 Verstuurd! {teacher} bevestigt het zo snel mogelijk. Je krijgt dan een bericht.\n\n"
        "Veranderen of afzeggen kan altijd met /myvisit.", teacher="Marieke de Vries"))

    request = marieke.latest()
    assert request["text"].startswith("📩 " + w("Nieuw verzoek voor een huisbezoek"))
    assert w("{guardian} (voor {children}) vraagt:\n📅 {when}\n📍 {where}", guardian="Anouk Jansen",
             children="Emma Jansen (Groep 3)", when=w.when(at(MON, "17:30")),
             where=w("bij het gezin thuis")) in request["text"]
    assert "+31612345601" in request["text"]
    assert mark.last_text().startswith(w("{name} heeft gereageerd op de uitnodiging.", name="Anouk Jansen"))

    # Mark taps his own, older invitation: he sees what Anouk chose, not a second question.
    await mark.click(w("Kies een moment"), message=invitation_from(mark, "Marieke de Vries"))
    assert mark.last_text().startswith(w("Er is intussen iets veranderd. Zo staat het nu:"))
    assert w("⏳ Jullie hebben gekozen: {when}. {teacher} bevestigt het nog.", teacher="Marieke de Vries",
             when=w("{when}, {where}", when=w.when(at(MON, "17:30")), where=w("bij jullie thuis"))) in mark.last_text()

    await marieke.click(w("Bevestigen"), message=request)
    assert marieke.last_text() == w("✅ Bevestigd: {when}, {children}. Het gezin krijgt bericht.",
                                    when=w("{when}, {where}", when=w.when(at(MON, "17:30")),
                                           where=w("bij het gezin thuis")),
                                    children="Emma Jansen (Groep 3)")
    for parent in (anouk, mark):
        assert parent.last_text() == w(
            "✅ Het huisbezoek staat vast!\n\n{teacher} komt {when}.\n\nVeranderen of afzeggen kan altijd met /myvisit.",
            teacher="Marieke de Vries", when=w("{when}, {where}", when=w.when(at(MON, "17:30")),
                                               where=w("bij jullie thuis")))


async def test_booking_in_a_cafe_with_a_typed_place(school, w):
    linda, marieke = school["linda"], school["marieke"]  # Daan de Boer, Groep 3
    await linda.click(w("Ergens anders afspreken"), message=invitation_from(linda, "Marieke de Vries"))
    assert linda.last_text() == w("Waar willen jullie afspreken?")
    assert "🏠 " + w("Bij ons thuis") not in [label for label, _ in linda.buttons()]
    await linda.click(w("In een café"))
    await linda.click(w.short_day(TUE))
    await linda.click("16:15")
    assert linda.last_text() == w("Welk café? Typ de naam, of tik op de knop.")
    [summary] = await linda.send("Café de Zon")
    where = w("{venue} ({place})", venue=w("in een café"), place="Café de Zon")
    assert summary["text"] == w("Klopt dit?\n\n📅 {when}\n📍 {where}\n👤 {teacher}", when=w.when(at(TUE, "16:15")),
                                where=where, teacher="Marieke de Vries") + interpreter_question(w)
    await linda.click(w("Verstuur"))
    assert "📍 " + where in marieke.last_text()


async def test_teacher_proposes_another_time_and_the_parent_accepts(school, w):
    ingrid, marieke = school["ingrid"], school["marieke"]
    await book(ingrid, w, "Marieke de Vries", MON, "15:00", "Telefonisch")
    await marieke.click(w("Ander moment voorstellen"), message=marieke.latest())
    assert marieke.last_text() == w("Welke dag wil je voorstellen?")
    await marieke.click(w.short_day(TUE))
    await marieke.click("18:45")
    assert marieke.last_text().startswith(w.first_line(
        "🔄 Voorgesteld: {when}. Het gezin krijgt de vraag of dat past.", when=w.when(at(TUE, "18:45"))))
    proposal = w("{when}, {where}", when=w.when(at(TUE, "18:45")), where=w("telefonisch"))
    assert ingrid.last_text() == w("🔄 {teacher} kan niet op het moment dat jullie kozen, en stelt voor:\n\n📅 {when}"
                                   "\n\nPast dat?", teacher="Marieke de Vries", when=proposal)
    await ingrid.click(w("Ja, dat past"))
    assert ingrid.last_text() == w("Fijn! Het huisbezoek staat vast: {when}.", when=proposal)
    assert marieke.last_text() == w("✅ Het gezin van {children} vindt je voorstel goed: {when}.",
                                    children="Sem Visser (Groep 3)", when=proposal)


async def test_decline_without_and_with_a_reason(school, w):
    petra, marieke = school["petra"], school["marieke"]
    await petra.click(w("Dit jaar liever niet"), message=invitation_from(petra, "Marieke de Vries"))
    assert petra.last_text() == w(
        "Dank je wel dat je het laat weten. Dat is helemaal goed.\n\nWil je zeggen waarom? Dat hoeft niet.\n\n"
        "Kennismaken kan ook op een andere plek: op school, in een park, in een café of telefonisch.")
    told = w("Het gezin van {children} heeft dit jaar liever geen huisbezoek. Dat is goed; we respecteren het.",
             children="Julia Mulder (Groep 3)")
    assert marieke.last_text() == told

    esther, jeroen = school["esther"], school["jeroen"]
    await esther.click(w("Dit jaar liever niet"), message=invitation_from(esther, "Jeroen Bakker"))
    await esther.click(w("Liever op school"))
    assert esther.last_text() == w("Dank je wel. {teacher} weet het nu. We wensen jullie een fijn schooljaar!",
                                   teacher="Jeroen Bakker")
    assert jeroen.last_text().startswith(w(
        "Het gezin van {children} heeft dit jaar liever geen huisbezoek. Dat is goed; we respecteren het.",
        children="Bram Meijer (Groep 5)"))
    sent_to_jeroen = len(jeroen.messages())
    [status] = await esther.send("/myvisit")
    assert w("Jullie hebben laten weten dat jullie dit jaar liever geen huisbezoek willen. Dat is goed.") in status["text"]
    assert len(jeroen.messages()) == sent_to_jeroen  # a decline is told once, never chased


async def test_parent_reschedules_and_cancels(school, w):
    sandra, marieke = school["sandra"], school["marieke"]
    await book(sandra, w, "Marieke de Vries", TUE, "15:00", "Op school")
    [status] = await sandra.send("/myvisit")
    await sandra.click(w("Ander moment kiezen"), message=status)
    await sandra.click(w.short_day(MON))
    await sandra.click("16:15")
    await sandra.click(w("Verstuur"))
    assert marieke.last_text().startswith("🔁 " + w("Een gezin wil het huisbezoek verzetten"))
    assert "📅 " + w.when(at(MON, "16:15")) + "\n📍 " + w("op school") in marieke.last_text()

    [status] = await sandra.send("/myvisit")
    await sandra.click(w("Afzeggen"), message=status)
    assert sandra.last_text() == w("Weet je zeker dat je het huisbezoek van {when} wilt afzeggen?",
                                   when=w.when(at(MON, "16:15")))
    await sandra.click(w("Ja, afzeggen"))
    assert sandra.last_text().startswith(w.first_line(
        "Het huisbezoek is afgezegd. {teacher} krijgt bericht.\n\nWil je een nieuw moment kiezen?",
        teacher="Marieke de Vries"))
    assert marieke.last_text() == w(
        "✖️ Het gezin van {children} heeft het huisbezoek van {when} afgezegd. Het moment is weer vrij.",
        children="Milan Dekker (Groep 3)", when=w.when(at(MON, "16:15")))
    # The time is free again for others.
    joost = school["joost"]
    [status] = await joost.send("/myvisit")
    await joost.click(w("Kies een moment"), message=status)
    await joost.click(w.short_day(MON))
    assert "16:15" in [label for label, _ in joost.buttons()]


async def test_teacher_cancels_with_a_reason_and_the_parent_is_offered_times_again(school, w):
    karin, jeroen = school["karin"], school["jeroen"]
    await book(karin, w, "Jeroen Bakker", TUE, "16:00", "Bij ons thuis")
    await jeroen.click(w("Bevestigen"), message=jeroen.latest())
    [agenda] = await jeroen.send("/agenda")
    assert agenda["text"].startswith(w.n("Je agenda: {count} huisbezoek", "Je agenda: {count} huisbezoeken", 1))
    assert w.day(TUE) in agenda["text"] and "Sara de Groot" in agenda["text"] and "+31612345626" in agenda["text"]
    await jeroen.click(w("Afzeggen: {day} {time}", day=w.short_day(TUE), time="16:00"), message=agenda)
    await jeroen.click(w("Ik ben ziek"))
    assert jeroen.last_text() == w("Afgezegd. Het gezin krijgt bericht en kan een nieuw moment kiezen.")
    *_, told, calendar_file = karin.messages()
    assert told["text"].startswith(w(
        "Helaas: {teacher} moet het huisbezoek van {when} afzeggen ({reason}). Sorry! Kies gerust een nieuw moment.",
        teacher="Jeroen Bakker", when=w.when(at(TUE, "16:00")), reason=w("Ik ben ziek")))
    assert any(w.short_day(TUE) in label for label, _ in karin.buttons(told))
    # ... and then the file that takes the visit out of her calendar.
    assert calendar_file["document"]["file_name"] == "huisbezoek-vervalt.ics"


async def test_no_fitting_time_reaches_the_teacher_with_phone_numbers(school, w):
    anja, jeroen = school["anja"], school["jeroen"]
    await anja.click(w("Kies een moment"), message=invitation_from(anja, "Jeroen Bakker"))
    await anja.click(w("Geen van deze dagen past"))
    assert anja.last_text() == w("Dank je wel. {teacher} krijgt bericht en zoekt samen met jullie naar een ander "
                                 "moment, of belt jullie even.", teacher="Jeroen Bakker")
    assert jeroen.last_text().startswith(w(
        "Voor het gezin van {children} past geen van je momenten. Voeg meer tijd toe met /availability, of bel even:",
        children="Fenna Bos (Groep 5)"))
    assert "Anja Bos: +31612345630" in jeroen.last_text()


async def test_strangers_button_changes_and_reveals_nothing(bot, school, w):
    joost, mark = school["joost"], school["mark"]
    [status] = await joost.send("/myvisit")
    assert w("Jullie hebben nog geen moment gekozen.") in status["text"]
    _, data = joost.find_button(w("Kies een moment"), status)

    stranger = bot.user("Stranger", language_code="nl")
    assert (await stranger.press(data, message=status))["text"] == STALE
    assert (await mark.press(data, message=status))["text"] == Words(w.language)(STALE)  # another household
    forged = data.replace("v2:invitation:", "v2:send:").rsplit(":", 1)[0] + ":29380000:home"
    assert (await stranger.press(forged, message=status))["text"] == STALE
    assert stranger.messages() == [] and "Joost" not in mark.last_text()
    [status] = await joost.send("/myvisit")
    assert w("Jullie hebben nog geen moment gekozen.") in status["text"]


async def test_a_time_taken_meanwhile_is_explained_with_what_is_left(school, w):
    joost, sandra = school["joost"], school["sandra"]
    [status] = await joost.send("/myvisit")
    await joost.click(w("Kies een moment"), message=status)
    await joost.click(w.short_day(MON))
    times = joost.latest()
    assert "15:00" in [label for label, _ in joost.buttons(times)]

    [other] = await sandra.send("/myvisit")
    await sandra.click(w("Kies een moment"), message=other)
    await sandra.click(w.short_day(MON))
    await sandra.click("15:00")
    await sandra.click(w("Bij ons thuis"))
    await sandra.click(w("Verstuur"))

    await joost.click("15:00", message=times)
    assert joost.last_text().startswith(w("Dit moment is net door een ander gezin gekozen. Kies een ander moment."))
    assert any(w.short_day(MON) in label for label, _ in joost.buttons())


async def test_a_window_with_a_confirmed_visit_cannot_be_removed(school, w):
    marieke = school["marieke"]  # Anouk's visit on Monday 17:30 is confirmed
    await marieke.send("/availability")
    monday = w("{day} {start}–{end}", day=w.short_day(MON), start="15:00", end="20:00")
    await marieke.click("🗑 " + monday)
    assert marieke.last_text().startswith("⚠️ " + w(
        "Die tijd kan niet weg: er staat een huisbezoek in. Zeg dat bezoek eerst af via /agenda; het gezin "
        "krijgt dan bericht."))
    assert monday in marieke.last_text()


async def test_a_guardian_who_links_later_gets_the_invitation_at_once(bot, school, w):
    late = await link(bot, w, "Rick Peters")  # Thijs Peters, Groep 5
    invitation = invitation_from(late, "Jeroen Bakker")
    assert "Thijs Peters (Groep 5)" in invitation["text"]
