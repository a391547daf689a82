"""The visit loop over the Bot API double: the coordinator opens the period, teachers
publish times, households are invited, parents choose a time and a place or decline,
teachers confirm or propose, and both sides change plans."""
from __future__ import annotations

import pytest

from tests.seed import guardian_link, load_example_roster, staff_link


async def link(bot, name: str, language_code: str = "nl", *, staff: bool = False, role: str = "teacher",
               language: str | None = None):
    user = bot.user(name.split()[0], language_code=language_code)
    token = await (staff_link(bot.runtime, name, role=role, language=language) if staff
                   else guardian_link(bot.runtime, name))
    await user.send(f"/start {token}")
    return user


async def add_window(teacher, day_label: str, start: str, end: str) -> None:
    await teacher.send("/availability")
    await teacher.click("Tijd toevoegen" if teacher.language_code == "nl" else "Add time")
    await teacher.click(day_label)
    await teacher.click(start)
    await teacher.click(end)


@pytest.fixture(scope="module")
async def school(bot):
    """Coordinator, three teachers with times, and the invitations sent, all through chat."""
    await load_example_roster(bot.runtime)
    wilma = await link(bot, "Wilma Hoekstra", staff=True, role="coordinator", language="nl")
    await wilma.send("/period")
    await wilma.send("Huisbezoeken najaar")
    await wilma.click("ma 16 nov")
    await wilma.click("vr 27 nov")
    await wilma.click("60 min")
    await wilma.click("15 min")
    await wilma.click("Periode openen")
    marieke = await link(bot, "Marieke de Vries", staff=True)
    jeroen = await link(bot, "Jeroen Bakker", language_code="en", staff=True)
    sanne = await link(bot, "Sanne Vermeulen", staff=True)
    await add_window(marieke, "ma 16 nov", "15:00", "20:00")
    await add_window(marieke, "di 17 nov", "15:00", "20:00")
    await add_window(jeroen, "Tue 17 Nov", "16:00", "21:00")
    await add_window(sanne, "wo 18 nov", "15:00", "18:00")
    # Guardians who link before the invitations go out.
    people = {"wilma": wilma, "marieke": marieke, "jeroen": jeroen, "sanne": sanne}
    for key, name, lang in [("anouk", "Anouk Jansen", "nl"), ("mark", "Mark Jansen", "nl"),
                            ("emily", "Emily Smith", "nl"), ("ingrid", "Ingrid Visser", "nl"),
                            ("petra", "Petra Mulder", "nl"), ("sandra", "Sandra Dekker", "nl"),
                            ("joost", "Joost Hendriks", "nl"), ("esther", "Esther Meijer", "nl"),
                            ("karin", "Karin de Groot", "nl"), ("anja", "Anja Bos", "nl")]:
        people[key] = await link(bot, name, lang)
    await wilma.send("/invite")
    await wilma.click("Uitnodigingen versturen")
    return people


def invitation_from(user, teacher_name: str) -> dict:
    """The invitation message itself (as it stands now, edits included)."""
    for message in user.messages():
        first_button = next(iter(user.buttons(message)), ("", ""))
        if teacher_name in message["text"] and first_button[1].startswith("v1:inv:"):
            return message
    raise AssertionError(f"{user.first_name} has no invitation from {teacher_name}")


async def test_coordinator_opened_the_period_and_sent_invitations(bot, school):
    wilma = school["wilma"]
    texts = [m["text"] for m in wilma.messages()]
    assert any(t.startswith("✅ De bezoekperiode is open.") and "Huisbezoeken najaar" in t for t in texts)
    assert "gezinnen uitgenodigd" in wilma.last_text()
    [reply] = await wilma.send("/period")
    assert "Huisbezoeken najaar" in reply["text"] and "maandag 16 november t/m vrijdag 27 november" in reply["text"]
    assert "bezoek 60 min, daarna 15 min reistijd" in reply["text"]


async def test_teacher_adds_and_removes_windows(bot, school):
    sanne = school["sanne"]
    await add_window(sanne, "do 19 nov", "16:00", "18:00")
    assert "✅ Toegevoegd: do 19 nov 16:00–18:00." in sanne.last_text()
    assert "wo 18 nov 15:00–18:00" in sanne.last_text()
    await sanne.click("🗑 do 19 nov")
    assert sanne.last_text().startswith("🗑 Verwijderd.")
    assert "do 19 nov" not in sanne.last_text()

    jeroen = school["jeroen"]
    [menu] = await jeroen.send("/availability")
    assert "Tue 17 Nov 16:00–21:00" in menu["text"]


async def test_household_with_two_guardians_and_children_in_three_classes(bot, school):
    anouk, mark = school["anouk"], school["mark"]
    for parent in (anouk, mark):
        invitations = [m for m in parent.messages() if "komt graag bij jullie op huisbezoek" in m["text"]]
        teachers = {name for name in ("Marieke de Vries", "Jeroen Bakker", "Sanne Vermeulen")
                    for m in invitations if m["text"].count(name)}
        assert len(invitations) == 3 and len(teachers) == 3
    emma = invitation_from(anouk, "Marieke de Vries")
    assert "Emma Jansen (Groep 3)" in emma["text"]
    assert [label for label, _ in anouk.buttons(emma)] == [
        "📅 Kies een moment", "📍 Ergens anders afspreken", "🙅 Dit jaar liever niet"]


async def test_booking_at_home_confirmed_and_the_other_guardian_sees_the_outcome(bot, school):
    anouk, mark, marieke = school["anouk"], school["mark"], school["marieke"]
    invitation = invitation_from(anouk, "Marieke de Vries")
    await anouk.click("Kies een moment", message=invitation)
    assert anouk.last_text().startswith("Op welke dag past het jullie?")
    await anouk.click("ma 16 nov")
    assert anouk.last_text() == "Hoe laat op maandag 16 november?"
    assert [label for label, _ in anouk.buttons()][:4] == ["15:00", "16:15", "17:30", "18:45"]
    await anouk.click("17:30")
    await anouk.click("Bij ons thuis")
    assert "📅 maandag 16 november om 17:30\n📍 bij jullie thuis" in anouk.last_text()
    await anouk.click("Verstuur")
    assert anouk.last_text().startswith("📨 Verstuurd! Marieke de Vries bevestigt het")

    request = marieke.messages()[-1]
    assert request["text"].startswith("📩 Nieuw verzoek voor een huisbezoek")
    assert "Anouk Jansen (voor Emma Jansen (Groep 3)) vraagt" in request["text"]
    assert "+31612345601" in request["text"]
    assert "Anouk Jansen heeft gereageerd op de uitnodiging." in mark.last_text()

    # Mark taps his own, older invitation: he sees what Anouk chose, not a second question.
    await mark.click("Kies een moment", message=invitation_from(mark, "Marieke de Vries"))
    assert mark.last_text().startswith("Er is intussen iets veranderd. Zo staat het nu:")
    assert "Jullie hebben gekozen: maandag 16 november om 17:30" in mark.last_text()

    await marieke.click("Bevestigen", message=request)
    assert marieke.last_text().startswith("✅ Bevestigd: maandag 16 november om 17:30")
    for parent in (anouk, mark):
        assert parent.last_text().startswith("✅ Het huisbezoek staat vast!")
        assert "Marieke de Vries komt maandag 16 november om 17:30, bij jullie thuis." in parent.last_text()


async def test_booking_in_a_cafe_with_a_typed_place_in_english(bot, school):
    emily, marieke = school["emily"], school["marieke"]  # roster language: English
    invitation = invitation_from(emily, "Marieke de Vries")
    assert invitation["text"].startswith("Hello Emily Smith!")
    await emily.click("Meet somewhere else", message=invitation)
    await emily.click("In a café")
    assert emily.last_text().startswith("Which day suits you?")
    await emily.click("Tue 17 Nov")
    await emily.click("16:15")
    assert emily.last_text().startswith("Which café?")
    [summary] = await emily.send("Café de Zon")
    assert "📅 Tuesday, 17 November at 16:15\n📍 in a café (Café de Zon)" in summary["text"]
    await emily.click("Send")
    assert emily.last_text().startswith("📨 Sent!")
    assert "in een café (Café de Zon)" in marieke.last_text()


async def test_teacher_proposes_another_time_and_the_parent_accepts(bot, school):
    ingrid, marieke = school["ingrid"], school["marieke"]
    await ingrid.click("Kies een moment", message=invitation_from(ingrid, "Marieke de Vries"))
    await ingrid.click("ma 16 nov")
    await ingrid.click("15:00")
    await ingrid.click("Telefonisch")
    await ingrid.click("Verstuur")
    request = marieke.messages()[-1]
    await marieke.click("Ander moment voorstellen", message=request)
    await marieke.click("di 17 nov")
    await marieke.click("18:45")
    assert marieke.last_text().startswith("🔄 Voorgesteld: dinsdag 17 november om 18:45")
    assert "stelt voor:\n\n📅 dinsdag 17 november om 18:45, telefonisch" in ingrid.last_text()
    await ingrid.click("Ja, dat past")
    assert ingrid.last_text() == "Fijn! Het huisbezoek staat vast: dinsdag 17 november om 18:45, telefonisch."
    assert "vindt je voorstel goed: dinsdag 17 november om 18:45" in marieke.last_text()


async def test_decline_without_and_with_a_reason(bot, school):
    petra, sanne = school["petra"], school["sanne"]
    await petra.click("Dit jaar liever niet", message=invitation_from(petra, "Marieke de Vries"))
    assert petra.last_text().startswith("Dank je wel dat je het laat weten. Dat is helemaal goed.")
    assert "Nee zeggen" not in petra.last_text()
    marieke = school["marieke"]
    assert "heeft dit jaar liever geen huisbezoek" in marieke.last_text()
    assert "Reden" not in marieke.last_text()

    esther = school["esther"]  # Groep 5, Jeroen (English)
    await esther.click("Dit jaar liever niet", message=invitation_from(esther, "Jeroen Bakker"))
    await esther.click("Liever op school")
    assert esther.last_text().startswith("Dank je wel. Jeroen Bakker weet het nu.")
    jeroen = school["jeroen"]
    assert "would rather not have a home visit this year" in jeroen.last_text()
    # The reason came after the first notice; the teacher is told once, not nagged.
    [menu] = await esther.send("/myvisit")
    assert "dit jaar liever geen huisbezoek" in menu["text"]


async def test_parent_reschedules_and_cancels(bot, school):
    sandra, marieke = school["sandra"], school["marieke"]
    await sandra.click("Kies een moment", message=invitation_from(sandra, "Marieke de Vries"))
    await sandra.click("di 17 nov")
    await sandra.click("15:00")
    await sandra.click("Op school")
    await sandra.click("Verstuur")
    [status] = await sandra.send("/myvisit")
    assert "Jullie hebben gekozen: dinsdag 17 november om 15:00, op school" in status["text"]
    await sandra.click("Ander moment kiezen", message=status)
    await sandra.click("ma 16 nov")
    await sandra.click("16:15")
    await sandra.click("Verstuur")
    assert marieke.last_text().startswith("🔁 Een gezin wil het huisbezoek verzetten")
    assert "📅 maandag 16 november om 16:15\n📍 op school" in marieke.last_text()

    [status] = await sandra.send("/myvisit")
    await sandra.click("Afzeggen", message=status)
    await sandra.click("Ja, afzeggen")
    assert sandra.last_text().startswith("Het huisbezoek is afgezegd.")
    assert "heeft het huisbezoek van maandag 16 november om 16:15 afgezegd" in marieke.last_text()
    # The slot is free again for others.
    joost = school["joost"]
    await joost.click("Kies een moment", message=invitation_from(joost, "Marieke de Vries"))
    await joost.click("ma 16 nov")
    assert "16:15" in [label for label, _ in joost.buttons()]


async def test_teacher_cancels_with_a_reason_and_the_parent_is_offered_times_again(bot, school):
    karin, jeroen = school["karin"], school["jeroen"]
    await karin.click("Kies een moment", message=invitation_from(karin, "Jeroen Bakker"))
    await karin.click("di 17 nov")
    await karin.click("16:00")
    await karin.click("Bij ons thuis")
    await karin.click("Verstuur")
    await jeroen.click("Confirm", message=jeroen.messages()[-1])
    [agenda] = await jeroen.send("/agenda")
    assert "Tuesday, 17 November" in agenda["text"] and "Sara de Groot" in agenda["text"]
    await jeroen.click("Cancel: Tue 17 Nov 16:00", message=agenda)
    await jeroen.click("I am ill")
    assert jeroen.last_text().startswith("Cancelled.")
    assert karin.last_text().startswith("Helaas: Jeroen Bakker moet het huisbezoek van dinsdag 17 november om 16:00 "
                                        "afzeggen (Ik ben ziek). Sorry!")
    assert any("di 17 nov" in label for label, _ in karin.buttons())


async def test_no_fitting_time_reaches_the_teacher_with_phone_numbers(bot, school):
    anja, jeroen = school["anja"], school["jeroen"]
    await anja.click("Kies een moment", message=invitation_from(anja, "Jeroen Bakker"))
    await anja.click("Geen van deze dagen past")
    assert anja.last_text().startswith("Dank je wel. Jeroen Bakker krijgt bericht")
    assert "none of your times suit" in jeroen.last_text().lower() or "geen van je momenten" in jeroen.last_text()


async def test_strangers_button_changes_and_reveals_nothing(bot, school):
    joost, mark = school["joost"], school["mark"]
    [status] = await joost.send("/myvisit")
    assert "Jullie hebben nog geen moment gekozen." in status["text"]
    _, data = joost.find_button("Kies een moment", status)

    stranger = bot.user("Stranger", language_code="nl")
    answer = await stranger.press(data, message=status)
    assert answer["text"] == "Deze knop werkt niet meer. Kijk bij /help wat je kunt doen."
    answer = await mark.press(data, message=status)  # a guardian, but of another household
    assert answer["text"] == "Deze knop werkt niet meer. Kijk bij /help wat je kunt doen."
    assert stranger.messages() == [] and "Joost" not in mark.last_text()
    forged = data.replace("v1:inv:", "v1:send:").rsplit(":", 1)[0] + ":29380000:home"
    answer = await stranger.press(forged, message=status)
    assert answer["text"] == "Deze knop werkt niet meer. Kijk bij /help wat je kunt doen."
    [status] = await joost.send("/myvisit")
    assert "Jullie hebben nog geen moment gekozen." in status["text"]


async def test_a_time_taken_meanwhile_is_explained_with_what_is_left(bot, school):
    joost, sandra = school["joost"], school["sandra"]
    [status] = await joost.send("/myvisit")
    await joost.click("Kies een moment", message=status)
    await joost.click("ma 16 nov")
    times = joost.latest()
    assert "15:00" in [label for label, _ in joost.buttons(times)]

    [other] = await sandra.send("/myvisit")
    await sandra.click("Kies een moment", message=other)
    await sandra.click("ma 16 nov")
    await sandra.click("15:00")
    await sandra.click("Bij ons thuis")
    await sandra.click("Verstuur")
    assert sandra.last_text().startswith("📨 Verstuurd!")

    await joost.click("15:00", message=times)
    assert joost.last_text().startswith("Dit moment is net door een ander gezin gekozen. Kies een ander moment.")
    assert any("ma 16 nov" in label for label, _ in joost.buttons())
