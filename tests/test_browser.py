"""The web pages in a real browser: Debian's headless Chromium driven by Selenium, against
the bot's web server, with the teacher and the coordinator in chat over the Bot API double.

Selenium's calls block, so each runs in a thread while the bot and its web server go on
in the event loop. Screenshots go to $HOMEVISIT_SCREENS (examples/screens when they are
made for the README), else to the test's temporary folder."""
from __future__ import annotations

import asyncio
import os
import re
import shutil
from datetime import date
from pathlib import Path

import pytest

from tests.messaging_setup import MON, at, school
from tests.messaging_setup import NL as w
from tests.seed import staff_link
from tests.web_setup import bot, module_clock, web_link  # noqa: F401  (fixtures)
from tests.words import Words

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.common.exceptions import WebDriverException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.wait import WebDriverWait  # noqa: E402

CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
if os.environ.get("CI") != "true" and not (CHROMIUM and DRIVER):
    pytest.skip("needs Debian's chromium and chromium-driver (.ci/run installs them)", allow_module_level=True)

MARIEKE = "Marieke de Vries"
THU = date(2026, 11, 19)
AR = Words("ar")
PHONE = (390, 844)


def gone(element) -> bool:
    """The element's page has been replaced. Chromium answers a question about an element of
    the old page with "stale element" or, while the new page loads, "does not belong to the
    document": both mean gone."""
    try:
        element.is_enabled()
    except WebDriverException:
        return True
    return False


class Chromium:
    """One browser window; every call runs in a thread."""

    def __init__(self, downloads: Path, size: tuple[int, int] = PHONE) -> None:
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                         f"--window-size={size[0]},{size[1]}", "--lang=nl"):
            options.add_argument(argument)
        options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                                  "download.prompt_for_download": False})
        self.downloads = downloads
        self.driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=DRIVER))

    async def run(self, function, *args):
        return await asyncio.to_thread(function, *args)

    async def open(self, url: str) -> None:
        await self.run(self.driver.get, url)

    async def text(self) -> str:
        return await self.run(lambda: self.driver.find_element(By.TAG_NAME, "body").text)

    async def click(self, label: str) -> None:
        """The link or button whose text holds `label`."""
        def find_and_click():
            for element in self.driver.find_elements(By.CSS_SELECTOR, "a, button, label"):
                if label in element.text:
                    href = element.get_attribute("href") or ""
                    navigates = element.tag_name == "button" or (element.tag_name == "a" and ".ics" not in href)
                    element.click()
                    if navigates:
                        wait = WebDriverWait(self.driver, 20)
                        wait.until(lambda _: gone(element))  # the next page is there...
                        wait.until(lambda d: d.execute_script("return document.readyState") == "complete")  # ...whole
                    return
            raise AssertionError(f"nothing labelled {label!r} on {self.driver.current_url}")
        await self.run(find_and_click)

    async def type(self, field_id: str, text: str) -> None:
        await self.run(lambda: self.driver.find_element(By.ID, field_id).send_keys(text))

    async def attribute(self, selector: str, name: str) -> str:
        return await self.run(lambda: self.driver.find_element(By.CSS_SELECTOR, selector).get_attribute(name))

    async def screenshot(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        await self.run(self.driver.save_screenshot, str(path))

    async def close(self) -> None:
        await self.run(self.driver.quit)


@pytest.fixture(scope="module")
async def people(bot):
    people = await school(bot, [MARIEKE], [], [(MARIEKE, MON, "15:00", "20:00"), (MARIEKE, THU, "16:00", "21:00")])
    wilma = bot.user("Wilma")
    await wilma.send(f"/start {await staff_link(bot.runtime, 'Wilma Hoekstra', role='coordinator', language='nl')}")
    people["wilma"] = wilma
    return people


@pytest.fixture
def screens(tmp_path) -> Path:
    return Path(os.environ.get("HOMEVISIT_SCREENS") or tmp_path)


@pytest.fixture
async def browser(tmp_path):
    chromium = await asyncio.to_thread(Chromium, tmp_path / "downloads")
    yield chromium
    await chromium.close()


async def test_an_arabic_family_books_thursday_at_home_and_sees_it_confirmed(bot, people, browser, screens):
    link = await web_link(bot, "H018")
    await browser.open(link)
    assert await browser.attribute("html", "dir") == "rtl" and await browser.attribute("html", "lang") == "ar"
    assert AR("Kies een moment") in await browser.text()
    await browser.screenshot(screens / "family-ar.png")
    await browser.click(AR("Kies een moment"))
    await browser.click(AR.day(THU))
    await browser.click(AR.time(at(THU, "18:30")))
    await browser.click(AR("Bij ons thuis"))
    await browser.click(AR("Verstuur"))
    assert AR("📨 Verstuurd! De leerkracht bevestigt het zo snel mogelijk. Kijk hier later of het vaststaat.") \
        in await browser.text()

    await bot.drain()
    marieke = people["marieke"]
    await marieke.click(w("Bevestigen"), message=marieke.messages()[-1])
    await bot.drain()
    await browser.open(link)  # the parent comes back later
    assert AR("✅ Het huisbezoek van {teacher} staat vast: {when}.", teacher=f"\u2068{MARIEKE}\u2069",
              when=AR("{when}, {where}", when=AR.when(at(THU, "18:30")), where=AR("bij jullie thuis"))) \
        in await browser.text()
    await browser.click(AR("Zet het in je agenda (.ics)"))
    calendar_file = ""
    for _ in range(200):  # the browser writes the download in its own time: wait for the whole file
        files = list(browser.downloads.glob("*.ics"))
        calendar_file = files[0].read_text(encoding="utf-8") if files else ""
        if calendar_file.rstrip().endswith("END:VCALENDAR"):
            break
        await asyncio.sleep(0.05)
    assert "DTSTART:20261119T173000Z" in calendar_file


async def test_a_family_meets_in_a_cafe_then_moves_the_visit_and_another_declines(bot, people, browser, screens):
    link = await web_link(bot, "H014")
    await browser.open(link)
    await browser.screenshot(screens / "family-nl.png")
    await browser.click(w("Kies een moment"))
    await browser.click(w.day(MON))
    await browser.screenshot(screens / "family-day-nl.png")
    await browser.click(w.time(at(MON, "17:30")))
    await browser.click(w("In een café"))
    await browser.type("place", "Café De Jaren")
    await browser.click(w("Verstuur"))
    text = await browser.text()
    assert w("{venue} ({place})", venue=w("in een café"), place="Café De Jaren") in text
    await browser.click(w("Ander moment kiezen"))
    await browser.click(w.day(THU))
    await browser.click(w.time(at(THU, "16:00")))
    await browser.click(w("Verstuur"))
    text = await browser.text()
    assert w.when(at(THU, "16:00")) in text and "Café De Jaren" in text  # the place is kept when moving

    await browser.open(await web_link(bot, "H015"))
    await browser.click(w("Dit jaar liever niet"))
    await browser.click(w("Zeg ik liever niet"))
    await browser.click(w("Dit jaar liever niet"))
    assert w("Jullie hebben laten weten dat jullie dit jaar liever geen huisbezoek willen. Dat is goed.") \
        in await browser.text()


async def test_two_browsers_race_for_one_time(bot, people, browser, tmp_path):
    other = await asyncio.to_thread(Chromium, tmp_path / "other")
    try:
        for chromium, household in ((browser, "H013"), (other, "H017")):
            await chromium.open(await web_link(bot, household))
            await chromium.click(w("Kies een moment"))
            await chromium.click(w.day(MON))
            await chromium.click(w.time(at(MON, "18:45")))
            await chromium.click(w("Bij ons thuis"))
        await asyncio.gather(browser.click(w("Verstuur")), other.click(w("Verstuur")))
        texts = [await browser.text(), await other.text()]
    finally:
        await other.close()
    taken = w("Dit moment is net door een ander gezin gekozen. Kies een ander moment.")
    assert sorted(taken in text for text in texts) == [False, True]
    loser = next(text for text in texts if taken in text)
    assert w.time(at(MON, "18:45")) not in loser  # offered the other times


async def test_the_coordinator_logs_in_and_sees_the_coverage(bot, people, tmp_path, screens):
    laptop = await asyncio.to_thread(Chromium, tmp_path / "laptop", (1280, 900))
    try:
        [reply] = await people["wilma"].send("/dashboard")
        link = re.search(r"http://\S+/dashboard/login/\S+", reply["text"]).group(0)
        await laptop.open(link)
        cells = await laptop.run(lambda: [td.text for td in laptop.driver.find_elements(
            By.CSS_SELECTOR, "tr.total:not(.details) td")][:7])
        [summary] = await people["wilma"].send("/coverage")
        school_line = summary["text"].split(w("Hele school") + "\n", 1)[1].split("\n", 1)[0]
        numbers = re.findall(r"\d+", school_line)  # pupils, households, linked, invited, planned, visited, ...
        assert cells == numbers[1:8]  # the same numbers as /coverage in chat
        await laptop.screenshot(screens / "dashboard.png")
        await laptop.open(link)  # the same link again
        assert w("Deze inloglink werkt niet (meer)") in await laptop.text()
    finally:
        await laptop.close()
