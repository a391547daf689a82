"""Joining by personal link, over the Bot API double: guardians, teachers, the
coordinator; bad links; strangers; /help per role; a language choice that survives
a restart. In Dutch and English."""
from __future__ import annotations

from datetime import timedelta

import pytest

from tests.seed import (
    account_of_guardian,
    guardian_link,
    load_example_roster,
    staff_link,
)


@pytest.fixture(scope="module", autouse=True)
async def roster(bot):
    await load_example_roster(bot.runtime)


async def test_dutch_guardian_links_and_is_greeted_by_name_with_her_children(bot):
    rt = bot.runtime
    anouk = bot.user("Anouk", language_code="nl")
    token = await guardian_link(rt, "Anouk Jansen")

    [reply] = await anouk.send(f"/start {token}")

    assert reply["text"].startswith("Hallo Anouk Jansen!")
    for child in ("Emma Jansen", "Lucas Jansen", "Noor Jansen"):
        assert child in reply["text"]
    assert "De leerkrachten van" in reply["text"]  # three children: the plural form
    assert "Nee zeggen mag ook" in reply["text"]
    assert any("Andere taal" in label for label, _ in anouk.buttons(reply))
    assert await account_of_guardian(rt, "Anouk Jansen") is not None


async def test_guardian_is_greeted_in_roster_language_not_app_language(bot):
    emily = bot.user("Emily", language_code="nl")  # Dutch phone, English in the roster
    token = await guardian_link(bot.runtime, "Emily Smith")

    [reply] = await emily.send(f"/start {token}")

    assert reply["text"].startswith("Hello Emily Smith! Welcome to the home visit bot of De Regenboog.")
    assert "The teacher of Oliver Smith would like to visit you" in reply["text"]  # one child: singular
    assert any("Other language" in label for label, _ in emily.buttons(reply))


async def test_teacher_links_in_dutch_and_english(bot):
    marieke = bot.user("Marieke", language_code="nl")
    [reply] = await marieke.send(f"/start {await staff_link(bot.runtime, 'Marieke de Vries')}")
    assert reply["text"].startswith("Hallo Marieke de Vries! Je bent aangemeld als leerkracht van Groep 3.")

    jeroen = bot.user("Jeroen", language_code="en-GB")  # no language in the roster: the app's language
    [reply] = await jeroen.send(f"/start {await staff_link(bot.runtime, 'Jeroen Bakker')}")
    assert reply["text"].startswith("Hello Jeroen Bakker! You are signed in as the teacher of Groep 5.")


async def test_coordinator_links_in_dutch_and_english(bot):
    wilma = bot.user("Wilma", language_code="de")
    token = await staff_link(bot.runtime, "Wilma Hoekstra", role="coordinator", language="nl")
    [reply] = await wilma.send(f"/start {token}")
    assert reply["text"].startswith("Hallo Wilma Hoekstra! Je bent aangemeld als coördinator van De Regenboog.")

    grace = bot.user("Grace", language_code="nl")
    token = await staff_link(bot.runtime, "Grace Okafor", role="coordinator", language="en")
    [reply] = await grace.send(f"/start {token}")
    assert reply["text"].startswith("Hello Grace Okafor! You are signed in as the coordinator of De Regenboog.")


async def test_opening_own_link_again_says_already_signed_in(bot):
    petra = bot.user("Petra")
    token = await guardian_link(bot.runtime, "Petra Mulder")
    await petra.send(f"/start {token}")

    [reply] = await petra.send(f"/start {token}")

    assert reply["text"] == "Je bent al aangemeld, Petra Mulder. Kijk bij /help wat je kunt doen."


async def test_link_opened_from_a_second_account_changes_nothing(bot):
    rt = bot.runtime
    rob = bot.user("Rob", language_code="nl")
    token = await guardian_link(rt, "Rob Mulder")
    await rob.send(f"/start {token}")
    linked_account = await account_of_guardian(rt, "Rob Mulder")

    someone_else = bot.user("Forwarded to", language_code="en")
    [reply] = await someone_else.send(f"/start {token}")

    assert "already used with another Telegram account" in reply["text"]
    assert "ask the school for a new link" in reply["text"]
    assert await account_of_guardian(rt, "Rob Mulder") == linked_account
    [help_reply] = await someone_else.send("/help")
    assert "you need a personal link" in help_reply["text"]  # still a stranger


async def test_expired_link_is_explained_and_links_nobody(bot):
    rt = bot.runtime
    sandra = bot.user("Sandra", language_code="nl")
    token = await guardian_link(rt, "Sandra Dekker", issued=rt.clock.now() - timedelta(days=61))

    [reply] = await sandra.send(f"/start {token}")

    assert reply["text"].startswith("Deze link is verlopen. Vraag de leerkracht of de school om een nieuwe link.")
    assert await account_of_guardian(rt, "Sandra Dekker") is None


@pytest.mark.parametrize("token", ["AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "../../etc/passwd", "x" * 300, "🙂"])
async def test_unknown_link_is_explained_kindly(bot, token):
    visitor = bot.user("Visitor", language_code="en")
    [reply] = await visitor.send(f"/start {token}")
    assert reply["text"].startswith("I don't know this link. Maybe it was not copied completely.")


async def test_replaced_link_points_to_the_newest_one(bot):
    rt = bot.runtime
    old = await guardian_link(rt, "Ingrid Visser")
    new = await guardian_link(rt, "Ingrid Visser")
    ingrid = bot.user("Ingrid")

    [reply] = await ingrid.send(f"/start {old}")
    assert reply["text"].startswith("Er is een nieuwere link voor jou gemaakt.")
    assert await account_of_guardian(rt, "Ingrid Visser") is None

    [reply] = await ingrid.send(f"/start {new}")
    assert reply["text"].startswith("Hallo Ingrid Visser!")


async def test_stranger_without_a_link_learns_what_the_bot_is_for(bot):
    stranger = bot.user("Stranger", language_code="en-US")
    [reply] = await stranger.send("/start")
    assert reply["text"].startswith("Hello! I am the home visit bot of De Regenboog.")
    assert "you need a personal link" in reply["text"]

    dutch_stranger = bot.user("Vreemde", language_code="nl")
    [reply] = await dutch_stranger.send("/start")
    assert reply["text"].startswith("Hallo! Ik ben de huisbezoek-bot van De Regenboog.")


async def test_help_tells_each_role_what_it_can_do(bot):
    rt = bot.runtime
    linda = bot.user("Linda")
    await linda.send(f"/start {await guardian_link(rt, 'Linda de Boer')}")
    [reply] = await linda.send("/help")
    assert "Je krijgt van mij een uitnodiging voor het huisbezoek" in reply["text"]
    assert "/language – Kies je taal" in reply["text"]
    assert "coördinator" not in reply["text"]

    james = bot.user("James", language_code="nl")
    await james.send(f"/start {await guardian_link(rt, 'James Brown')}")
    [reply] = await james.send("/help")
    assert "I will send you an invitation for the home visit" in reply["text"]
    assert "/language – Choose your language" in reply["text"]

    sanne = bot.user("Sanne")
    await sanne.send(f"/start {await staff_link(rt, 'Sanne Vermeulen')}")
    [reply] = await sanne.send("/help")
    assert reply["text"].startswith("Je bent leerkracht.")
    assert "uitnodiging voor het huisbezoek" not in reply["text"]

    coordinator = bot.user("Coordinator", language_code="en")
    await coordinator.send(f"/start {await staff_link(rt, 'Henk de Wit', role='coordinator', language='en')}")
    [reply] = await coordinator.send("/help")
    assert reply["text"].startswith("You are the coordinator.")


async def test_language_choice_persists_across_a_restart(bot):
    rt = bot.runtime
    monique = bot.user("Monique", language_code="nl")
    await monique.send(f"/start {await guardian_link(rt, 'Monique van Leeuwen')}")

    await monique.send("/language")
    assert monique.last_text() == "In welke taal wil je berichten krijgen?"
    await monique.click("English")
    assert monique.last_text() == "Fine! From now on I will write to you in English."
    assert any(label.endswith("English ✓") for label, _ in monique.buttons())

    await bot.restart()

    [reply] = await monique.send("/help")
    assert reply["text"].startswith("I will send you an invitation for the home visit.")


async def test_language_button_on_the_greeting_opens_the_menu(bot):
    stijn = bot.user("Joost", language_code="nl")
    await stijn.send(f"/start {await guardian_link(bot.runtime, 'Joost Hendriks')}")
    await stijn.click("Andere taal")
    assert stijn.last_text() == "In welke taal wil je berichten krijgen?"
    await stijn.click("Nederlands (België)")
    await stijn.click("Nederlands")  # back to Dutch
    assert "Nederlands ✓" in [label for label, _ in stijn.buttons()][0]


async def test_unknown_command_text_and_forged_button_get_a_kind_word(bot):
    rt = bot.runtime
    joost = bot.user("Esther", language_code="en")
    await joost.send(f"/start {await guardian_link(rt, 'Esther Meijer')}")

    [reply] = await joost.send("/doesnotexist")
    assert reply["text"] == "Dat commando ken ik niet. Kijk bij /help wat je hier kunt doen."

    [reply] = await joost.send("x" * 4000)
    assert reply["text"].startswith("Ik werk vooral met knoppen")

    # A language we do not speak is forged data like any other: the same kind answer, nothing changed.
    answer = await joost.press("v1:lang:xx")
    assert answer["text"] == "Deze knop werkt niet meer. Kijk bij /help wat je kunt doen."
    [reply] = await joost.send("/help")
    assert reply["text"].startswith("Je krijgt van mij een uitnodiging")  # still Dutch
    answer = await joost.press("v9:book:1:2")
    assert answer["text"] == "Deze knop werkt niet meer. Kijk bij /help wat je kunt doen."


async def test_an_update_delivered_twice_is_handled_once(bot):
    """Telegram re-delivers an update it thinks we missed; the second copy changes nothing."""
    user = bot.user("Twice", language_code="nl")
    message = {"message_id": 1, "date": 0, "chat": {"id": user.id, "type": "private"},
               "from": {"id": user.id, "is_bot": False, "first_name": "Twice", "language_code": "nl"},
               "text": "/start", "entities": [{"type": "bot_command", "offset": 0, "length": 6}]}
    update_id = await bot.deliver({"message": message})
    assert len(user.messages()) == 1
    await bot.deliver({"message": message}, update_id=update_id)
    assert len(user.messages()) == 1
