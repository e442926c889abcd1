"""The two web pages in a real headless Chromium (Debian's /usr/bin/chromium + chromedriver, via Selenium),
against the real app on a real processed recording, served by uvicorn on a local port."""

from __future__ import annotations

import os
import re
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.api_fixtures import Library, library, served  # noqa: F401 - fixture
from tests.pipeline_fixtures import models_dir, prefect_harness  # noqa: F401 - fixtures
from tests.test_api import word_of

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path(shutil.which("chromedriver") or "/usr/bin/chromedriver")
# README screenshots are refreshed only on request (VIDLIB_SCREENSHOTS=1); otherwise they go to a temp folder
DOCS = (
    Path(__file__).resolve().parent.parent / "docs"
    if os.environ.get("VIDLIB_SCREENSHOTS") == "1"
    else Path(tempfile.mkdtemp(prefix="vidlib-screens-"))
)
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-dev-shm-usage",
    "--autoplay-policy=no-user-gesture-required",
    "--window-size=1400,1000",
    "--lang=fr-FR",
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists() or not CHROMEDRIVER.exists(),
        reason="needs Debian's chromium and chromium-driver: apt-get install -y chromium chromium-driver",
    ),
]


@pytest.fixture(scope="module")
def server(library: Library) -> Iterator[tuple[str, Library]]:
    from vidlib.search_api.app import create_app

    library.restore()
    with served(create_app(library.settings, library.ctx), log_level="warning") as base:
        yield base, library


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    pytest.importorskip("selenium", reason="pip install selenium for the browser tests")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS:
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def _wait(driver: object, predicate: object, timeout: float = 30) -> object:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    # The pages re-render their lists; an element found just before a re-render goes stale: look again.
    return WebDriverWait(
        driver, timeout, poll_frequency=0.2, ignored_exceptions=(StaleElementReferenceException,)
    ).until(predicate)


def _sign_in(driver, url: str, token: str) -> None:  # noqa: ANN001
    from selenium.webdriver.common.by import By

    driver.get(url)
    box = driver.find_element(By.ID, "jeton")
    box.clear()
    box.send_keys(token)
    driver.find_element(By.ID, "jeton-ok").click()
    _wait(
        driver,
        lambda d: (
            d.execute_script("return document.readyState") == "complete"
            and d.find_element(By.ID, "jeton").get_attribute("value") == token
        ),
    )


def _student_search(driver, base: str, token: str, query: str) -> list[str]:  # noqa: ANN001
    from selenium.webdriver.common.by import By

    _sign_in(driver, base + "/", token)
    driver.find_element(By.ID, "q").send_keys(query)
    driver.find_element(By.ID, "chercher").click()
    # results under their count, or the "no answer" box
    _wait(
        driver,
        lambda d: d.find_element(By.ID, "titre-liste").text or d.find_element(By.ID, "sans-reponse").is_displayed(),
    )
    return [li.get_attribute("data-clip") for li in driver.find_elements(By.CSS_SELECTOR, "#resultats li.resultat")]


def test_student_searches_and_plays_a_clip(server: tuple[str, Library], browser) -> None:  # noqa: ANN001
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    base, lib = server
    clips = lib.ctx.repo.load(lib.recording_id).clips
    lib.set_state(clips[0].clip_id, "published")
    lib.set_state(clips[-1].clip_id, "published")
    found = _student_search(browser, base, lib.tokens["student"], word_of(clips[0].text))
    assert found and found[0] == clips[0].clip_id
    assert "<mark>" in browser.find_element(By.CSS_SELECTOR, "#resultats .extrait").get_attribute("innerHTML")
    browser.find_element(By.CSS_SELECTOR, "#resultats li.resultat").click()
    _wait(
        browser,
        lambda d: d.execute_script(
            "const v = document.querySelector('#lecteur video');return v && v.currentTime > 1.5"
        ),
    )
    tracks = browser.execute_script(
        "const v = document.querySelector('#lecteur video'); v.textTracks[0].mode = 'showing';"
        "return [v.textTracks.length, v.textTracks[0].language]"
    )
    assert tracks == [1, "fr"]
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#similaires li.resultat"))
    assert (
        browser.find_element(By.CSS_SELECTOR, "#similaires li.resultat").get_attribute("data-clip") == clips[-1].clip_id
    )
    time.sleep(1.0)  # a frame with a subtitle cue on screen
    DOCS.mkdir(exist_ok=True)
    browser.save_screenshot(str(DOCS / "student.png"))
    browser.find_element(By.ID, "decouvrir").click()
    _wait(browser, lambda d: "hasard" in d.find_element(By.ID, "titre-liste").text)
    shown = {li.get_attribute("data-clip") for li in browser.find_elements(By.CSS_SELECTOR, "#resultats li.resultat")}
    assert shown == {clips[0].clip_id, clips[-1].clip_id}
    # the shelves the list took the place of come back, and the keyboard lands on them
    assert not browser.find_elements(By.CSS_SELECTOR, "#accueil h2")
    browser.find_element(By.ID, "retour").click()
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#accueil h2"))
    assert not browser.find_element(By.ID, "retour").is_displayed()
    assert not browser.find_elements(By.CSS_SELECTOR, "#resultats li.resultat")
    assert browser.switch_to.active_element.tag_name == "h2"
    # a clip chosen with the keyboard: the keyboard follows to it
    shelf = _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#accueil li.resultat button"))[0]
    browser.execute_script("arguments[0].focus()", shelf)
    browser.switch_to.active_element.send_keys(Keys.ENTER)
    _wait(browser, lambda d: d.switch_to.active_element.get_attribute("id") == "clip-titre")


def _press(driver, key: str) -> None:  # noqa: ANN001
    """A key typed on the page itself (focus on nothing that takes text), as a moderator's shortcut."""
    from selenium.webdriver.common.action_chains import ActionChains

    driver.execute_script("document.activeElement && document.activeElement.blur()")
    ActionChains(driver).send_keys(key).perform()


def test_moderator_corrects_a_word_trims_at_the_playhead_approves_by_keyboard_and_students_find_the_word(
    server: tuple[str, Library], browser
) -> None:  # noqa: ANN001
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    base, lib = server
    lib.restore()
    target = lib.ctx.repo.load(lib.recording_id).clips[1]
    assert target.state == "pending_review"
    assert target.clip_id not in _student_search(browser, base, lib.tokens["student"], "pompiste")

    _sign_in(browser, base + "/moderation", lib.tokens["moderator"])
    _wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, f'#file li[data-clip="{target.clip_id}"] button')).click()
    _wait(
        browser,
        lambda d: (
            d.find_element(By.ID, "clip-titre").text == target.title
            and d.find_elements(By.CSS_SELECTOR, "#transcription .mot")
        ),
    )
    assert "élève" in browser.find_element(By.ID, "voix").text  # the consent record's participants, by role
    # a second change asked while the first is saved is not made, and the page says so once the first is done
    browser.execute_script("decider('edit', {title: 'Premier titre'}); decider('edit', {title: 'Second titre'});")
    _wait(browser, lambda d: "n'a pas été fait" in d.find_element(By.ID, "message").text)
    assert "corrigé" in browser.find_element(By.ID, "message").text
    assert next(c for c in lib.ctx.repo.load(lib.recording_id).clips if c.clip_id == target.clip_id).title == (
        "Premier titre"
    )
    # a new title typed in its box and saved: the message says what was saved, not a generic correction
    title_box = browser.find_element(By.ID, "nouveau-titre")
    title_box.clear()
    title_box.send_keys("Titre revu")
    browser.find_element(By.ID, "renommer").click()
    _wait(browser, lambda d: "Extrait mis à jour (titre)." in d.find_element(By.ID, "message").text)
    assert next(c for c in lib.ctx.repo.load(lib.recording_id).clips if c.clip_id == target.clip_id).title == (
        "Titre revu"
    )
    # correct a word: click it (the player seeks there), key e, type the right word, Enter; a word the trim below
    # keeps (more than 2.5 s from both ends of the clip), with the punctuation written against it, which stays
    spoken = lib.ctx.repo.load(lib.recording_id).attributed.words  # type: ignore[union-attr]
    kept = {i for i, w in enumerate(spoken) if target.start + 2.5 < w.start and w.end < target.end - 2.5}
    word = next(
        w
        for w in browser.find_elements(By.CSS_SELECTOR, "#transcription .mot")
        if re.fullmatch(r"[^\W\d_]{4,}[.,?!]", w.text) and int(w.get_attribute("data-i")) in kept
    )
    old_word, mark = word.text, word.text[-1]
    spoken_at = spoken[int(word.get_attribute("data-i"))].start - target.start  # clip seconds
    word.click()
    _wait(browser, lambda d: d.find_element(By.ID, "mot-actuel").text == f"« {old_word} »")
    _press(browser, "e")
    browser.switch_to.active_element.send_keys("pompiste", Keys.ENTER)
    _wait(browser, lambda d: "corrigé" in d.find_element(By.ID, "message").text)
    assert "ok" in browser.find_element(By.ID, "message").get_attribute("class")  # success is shown as success
    assert f"pompiste{mark}" in [w.text for w in browser.find_elements(By.CSS_SELECTOR, "#transcription .mot")]
    assert browser.find_element(By.ID, "mot-actuel").text == f"« pompiste{mark} »"  # the form shows the word now
    # the player reopened on the corrected clip is where it was, not back at its start
    _wait(
        browser,
        lambda d: spoken_at - 0.5 < d.execute_script("return document.querySelector('#lecteur video').currentTime"),
        timeout=10,
    )
    assert browser.execute_script("return document.querySelector('#lecteur video').currentTime") < spoken_at + 5
    # trim: in-point and out-point from the playhead (clip seconds), keys i and o, then the Recouper button by keyboard
    duration = target.end - target.start
    browser.execute_script("document.querySelector('#lecteur video').currentTime = 1.0")
    _wait(
        browser,
        lambda d: abs(d.execute_script("return document.querySelector('#lecteur video').currentTime") - 1) < 0.05,
    )
    _press(browser, "i")
    browser.execute_script(f"document.querySelector('#lecteur video').currentTime = {duration - 1.0}")
    _wait(
        browser,
        lambda d: (
            abs(d.execute_script("return document.querySelector('#lecteur video').currentTime") - (duration - 1)) < 0.05
        ),
    )
    _press(browser, "o")
    assert float(browser.find_element(By.ID, "debut").get_attribute("value")) == 1.0
    assert "dans l'enregistrement" in browser.find_element(By.ID, "decoupe-enreg").text
    browser.find_element(By.ID, "motif").send_keys("brouillon")  # a form the next clip must not inherit
    browser.execute_script("document.getElementById('couper').focus()")
    browser.switch_to.active_element.send_keys(Keys.ENTER)
    _wait(browser, lambda d: "recoupé" in d.find_element(By.ID, "message").text, timeout=90)
    trimmed = next(c for c in lib.ctx.repo.load(lib.recording_id).clips if c.clip_id == target.clip_id)
    assert target.start + 0.3 < trimmed.start < target.start + 2.5 and target.end - 2.5 < trimmed.end < target.end - 0.3
    # approve by keyboard: v (voices checked), a; the next clip opens, its forms empty
    _press(browser, "a")
    _wait(browser, lambda d: "cochez la case des voix" in d.find_element(By.ID, "message").text)
    _press(browser, "v")
    _press(browser, "a")
    _wait(browser, lambda d: "approuvé" in d.find_element(By.ID, "message").text)
    assert (
        next(c for c in lib.ctx.repo.load(lib.recording_id).clips if c.clip_id == target.clip_id).state == "published"
    )
    assert browser.find_element(By.ID, "clip-titre").text != target.title  # the next clip is open
    assert browser.switch_to.active_element.get_attribute("id") == "clip-titre"  # and the keyboard is on it
    assert browser.find_element(By.ID, "motif").get_attribute("value") == ""
    browser.execute_script("document.querySelector('#lecteur video').currentTime = 4")
    time.sleep(1.0)
    browser.save_screenshot(str(DOCS / "moderator.png"))
    # refuse the clip now open from the refusal's own box: its reason typed, Enter
    shown = browser.find_element(By.CSS_SELECTOR, "#file li.actif").get_attribute("data-clip")
    browser.find_element(By.ID, "motif").send_keys("son coupé", Keys.ENTER)
    _wait(browser, lambda d: "refusé" in d.find_element(By.ID, "message").text)
    assert next(c for c in lib.ctx.repo.load(lib.recording_id).clips if c.clip_id == shown).state == "rejected"

    # the student finds the clip by the corrected word, sees it in the snippet and in the subtitles
    assert _student_search(browser, base, lib.tokens["student"], "pompiste")[0] == target.clip_id
    assert "<mark>pompiste</mark>" in browser.find_element(By.CSS_SELECTOR, "#resultats .extrait").get_attribute(
        "innerHTML"
    )
    browser.find_element(By.CSS_SELECTOR, f'#resultats li[data-clip="{target.clip_id}"]').click()
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#lecteur video track"))
    vtt = browser.execute_async_script(
        "const done = arguments[0]; fetch(document.querySelector('#lecteur track').src).then(r => r.text()).then(done)"
    )
    assert "pompiste" in vtt


def test_student_follows_the_chapters_of_a_call_by_keyboard_on_a_phone(server: tuple[str, Library], browser) -> None:  # noqa: ANN001
    """Two published clips of different chapters: the chapter list shows those two only, the current one marked;
    'Thème suivant' and the keyboard (Tab, Enter on a chapter) play the other one."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    base, lib = server
    lib.restore()
    manifest = lib.ctx.repo.load(lib.recording_id)
    first, second = manifest.chapters[0].clip_ids[0], manifest.chapters[1].clip_ids[0]
    lib.set_state(first, "published")
    lib.set_state(second, "published")
    browser.set_window_size(390, 844)
    try:
        _student_search(
            browser, base, lib.tokens["student"], word_of(next(c.text for c in manifest.clips if c.clip_id == first))
        )
        browser.find_element(By.CSS_SELECTOR, f'#resultats li[data-clip="{first}"]').click()
        items = _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#chapitres button.chapitre"))
        assert len(items) == 2  # the two chapters with a published clip, no other
        assert items[0].get_attribute("aria-current") == "true"
        assert manifest.chapters[1].topic_label in items[1].text
        browser.find_element(By.XPATH, "//button[contains(., 'Thème suivant')]").click()
        _wait(
            browser,
            lambda d: (
                d.find_element(By.ID, "clip-titre").text == next(c.title for c in manifest.clips if c.clip_id == second)
            ),
        )
        _wait(
            browser,
            lambda d: (
                d.find_elements(By.CSS_SELECTOR, "#chapitres button.chapitre")[1].get_attribute("aria-current")
                == "true"
            ),
        )
        # keyboard only: focus the first chapter and press Enter
        browser.execute_script("window.asked = []; const api = vl.api; vl.api = (p, o) => (asked.push(p), api(p, o));")
        chapter = browser.find_elements(By.CSS_SELECTOR, "#chapitres button.chapitre")[0]
        browser.execute_script("arguments[0].focus()", chapter)
        browser.switch_to.active_element.send_keys(Keys.ENTER)
        _wait(
            browser,
            lambda d: (
                d.find_element(By.ID, "clip-titre").text == next(c.title for c in manifest.clips if c.clip_id == first)
            ),
        )
        # a chapter plays from its start: the search that found the first clip no longer sets where it starts
        assert f"/clips/{first}" in browser.execute_script("return window.asked")
        browser.save_screenshot(str(DOCS / "student-phone-chapters.png"))
        # a word of the transcript, far down the page under the player: tapped, it plays and the player is in view
        word = _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#transcription .mot"))[-1]
        browser.execute_script("arguments[0].scrollIntoView({block: 'start'})", word)
        below = "return document.querySelector('#lecteur video').getBoundingClientRect().bottom"
        assert browser.execute_script(below) < 0  # the player is above the screen
        word.click()
        _wait(
            browser,
            lambda d: d.execute_script(
                "const r = document.querySelector('#lecteur video').getBoundingClientRect();"
                "return r.top >= -1 && r.bottom <= window.innerHeight"
            ),
            timeout=5,
        )
    finally:
        browser.set_window_size(1400, 1000)


def _axe_serious(driver) -> list[str]:  # noqa: ANN001
    """axe-core's serious and critical violations on the page as it is now (axe-core from selenium-axe-python)."""
    import selenium_axe_python

    script = Path(selenium_axe_python.__file__).parent / "axe-core" / "axe.min.js"
    driver.execute_script(script.read_text(encoding="utf-8"))
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1]; axe.run(document).then(done, e => done({error: String(e)}));"
    )
    assert "error" not in result, result
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes'][:3]]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_moderator_sets_a_calls_styles_by_keyboard_and_a_student_browses_them(
    server: tuple[str, Library],
    browser,  # noqa: ANN001
) -> None:
    """The moderator ticks "Scientifique" with the space bar and saves with Enter; the student's home page then
    offers "Par style de métier" and its button lists the call's clips; both pages pass axe-core."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    base, lib = server
    lib.restore()
    clips = lib.ctx.repo.load(lib.recording_id).clips
    lib.set_state(clips[0].clip_id, "published")
    try:
        _sign_in(browser, base + "/moderation", lib.tokens["moderator"])
        _wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, "#file li button")).click()
        boxes = _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#styles-choix input[type=checkbox]"))
        assert len(boxes) == 6
        for box in boxes:  # untick what the call gave, then tick "Scientifique" alone, by keyboard
            if box.is_selected():
                browser.execute_script("arguments[0].focus()", box)
                browser.switch_to.active_element.send_keys(Keys.SPACE)
        science = browser.find_element(By.CSS_SELECTOR, "#styles-choix input[value=scientifique]")
        browser.execute_script("arguments[0].focus()", science)
        browser.switch_to.active_element.send_keys(Keys.SPACE)
        browser.switch_to.active_element.send_keys(Keys.TAB)
        assert browser.switch_to.active_element.get_attribute("id") == "styles-enregistrer"
        browser.switch_to.active_element.send_keys(Keys.ENTER)
        _wait(browser, lambda d: "Styles de l'appel : Scientifique" in d.find_element(By.ID, "message").text)
        assert _axe_serious(browser) == []
        assert lib.ctx.repo.load(lib.recording_id).styles == ("scientifique",)

        _sign_in(browser, base, lib.tokens["student"])
        button = _wait(browser, lambda d: d.find_elements(By.XPATH, "//button[starts-with(., 'Scientifique (')]"))[0]
        assert "Par style de métier" in browser.find_element(By.ID, "accueil").text
        browser.execute_script("arguments[0].focus()", button)
        browser.switch_to.active_element.send_keys(Keys.ENTER)
        _wait(browser, lambda d: "Plutôt scientifique" in d.find_element(By.ID, "titre-liste").text)
        listed = [li.get_attribute("data-clip") for li in browser.find_elements(By.CSS_SELECTOR, "#resultats li")]
        assert listed == [clips[0].clip_id]
        assert _axe_serious(browser) == []
    finally:
        lib.restore()


def test_the_pages_pass_axe_and_the_student_page_works_by_keyboard_on_a_phone(
    server: tuple[str, Library],
    browser,  # noqa: ANN001
) -> None:
    """axe-core finds no serious or critical violation on the student page (home shelves, results, no answer, a
    clip playing with its transcript) and on the moderator page, on a desktop and on a phone; by keyboard alone a
    student searches, plays a result from the moment its words are said, with the player in view on a phone."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    base, lib = server
    lib.restore()
    manifest = lib.ctx.repo.load(lib.recording_id)
    content = [c for c in manifest.clips if c.topic not in ("accueil", "autre")]
    for clip in content:
        lib.set_state(clip.clip_id, "published")
    longest = max(content, key=lambda c: c.end - c.start)
    words = re.findall(r"\w{7,}", longest.text)
    late = words[len(words) // 2]
    found: dict[str, list[str]] = {}
    try:
        for size in ((1400, 1000), (390, 844)):
            browser.set_window_size(*size)
            _sign_in(browser, base, lib.tokens["student"])
            _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#accueil .etagere li.resultat"))
            found[f"{size} home"] = _axe_serious(browser)
            # keyboard only: the search box, a query, Enter; Tab to the first result, Enter
            box = browser.find_element(By.ID, "q")
            box.send_keys(Keys.CONTROL, "a")
            box.send_keys(late, Keys.ENTER)
            first = _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#resultats li.resultat button"))[0]
            found[f"{size} results"] = _axe_serious(browser)
            while browser.switch_to.active_element != first:
                browser.switch_to.active_element.send_keys(Keys.TAB)
            browser.switch_to.active_element.send_keys(Keys.ENTER)
            _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#transcription .mot"))
            _wait(
                browser,
                lambda d: d.execute_script(
                    "const v = document.querySelector('#lecteur video'); return v && v.currentTime > 0.5"
                ),
            )
            clip_id = browser.find_element(By.CSS_SELECTOR, "#resultats li.actif").get_attribute("data-clip")
            if clip_id == longest.clip_id:  # it plays from the moment the word is said, not from the clip's start
                start = browser.execute_script("return document.querySelector('#lecteur video').currentTime")
                assert start > 1.0, start
            top = browser.execute_script("return document.querySelector('#lecteur video').getBoundingClientRect().top")
            assert -5 <= top < size[1] / 2, (size, top)  # the player is in view, not above or far below
            # the transcript's words by keyboard: from a turn's button, → and ← go from word to word, Enter plays there
            turn = browser.find_element(By.CSS_SELECTOR, "#transcription button.role")
            browser.execute_script("arguments[0].focus()", turn)
            browser.switch_to.active_element.send_keys(Keys.ARROW_RIGHT, Keys.ARROW_RIGHT, Keys.ARROW_RIGHT)
            browser.switch_to.active_element.send_keys(Keys.ARROW_LEFT)
            word = browser.switch_to.active_element
            words = browser.find_elements(By.CSS_SELECTOR, "#transcription .mot")
            assert word == words[1], word.text
            browser.execute_script("document.querySelector('#lecteur video').pause()")
            word.send_keys(Keys.ENTER)
            said = float(word.get_attribute("data-debut"))
            _wait(
                browser,
                lambda d, said=said: (
                    abs(d.execute_script("return document.querySelector('#lecteur video').currentTime") - said) < 0.5
                ),
            )
            found[f"{size} playing"] = _axe_serious(browser)
            back = browser.find_element(By.ID, "vers-liste")
            assert back.is_displayed() == (size[0] <= 900)  # on a phone only: the list is under the player
            if back.is_displayed():  # back to the clip chosen, by keyboard
                browser.execute_script("arguments[0].focus()", back)
                browser.switch_to.active_element.send_keys(Keys.ENTER)
                chosen = browser.find_element(By.CSS_SELECTOR, "#resultats li.actif button")
                _wait(browser, lambda d, chosen=chosen: d.switch_to.active_element == chosen)
                row = browser.execute_script("return arguments[0].getBoundingClientRect().top", chosen)
                assert 0 <= row < size[1], row
            if size[0] > 900:  # "utile" by keyboard: the home page then opens on a "Pour toi" shelf
                useful = browser.find_element(By.ID, "utile")
                browser.execute_script("arguments[0].focus()", useful)
                browser.switch_to.active_element.send_keys(Keys.ENTER)
                _wait(browser, lambda d: "Noté" in d.find_element(By.ID, "reagi").text)  # beside the buttons
                assert useful.get_attribute("aria-pressed") == "true"
                browser.get(base + "/")
                _wait(browser, lambda d: "Pour toi" in d.find_element(By.ID, "accueil").text)
                found[f"{size} pour toi"] = _axe_serious(browser)
            box = browser.find_element(By.ID, "q")
            box.send_keys(Keys.CONTROL, "a")
            box.send_keys("combien gagne un policier", Keys.ENTER)
            message = _wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, "#sans-reponse p").text)
            assert "policier" in message
            found[f"{size} no answer"] = _axe_serious(browser)
        browser.set_window_size(1400, 1000)
        _sign_in(browser, base + "/moderation", lib.tokens["moderator"])
        _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#file li"))
        found["moderator queue"] = _axe_serious(browser)
    finally:
        browser.set_window_size(1400, 1000)
        lib.restore()
    assert {state: v for state, v in found.items() if v} == {}


def test_the_moderation_page_says_in_french_why_a_token_is_refused(server: tuple[str, Library], browser) -> None:  # noqa: ANN001
    from selenium.webdriver.common.by import By

    base, lib = server
    cases = (("", "Saisissez votre jeton"), (lib.tokens["student"], "jeton de modérateur"), ("x", "Jeton absent"))
    for token, said in cases:
        _sign_in(browser, base + "/moderation", token)
        _wait(browser, lambda d: d.find_element(By.ID, "message-file").text)
        text = browser.find_element(By.ID, "message-file").text
        assert said in text and "token" not in text, text  # not the API's English message
        assert not browser.find_element(By.ID, "page-suiv").is_enabled()
