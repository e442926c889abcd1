"""The moderator page with a flagged clip: approval needs a typed override reason, a flag can be masked."""

from __future__ import annotations

import pytest

from tests.api_fixtures import Library, library  # noqa: F401 - fixture
from tests.pipeline_fixtures import models_dir, prefect_harness  # noqa: F401 - fixtures
from tests.test_browser import _sign_in, _wait, browser, server  # noqa: F401 - fixtures
from vidlib.storage.audit import load_audit

pytestmark = pytest.mark.slow


def test_moderator_types_an_override_reason_to_approve_a_flagged_clip(
    server: tuple[str, Library],  # noqa: F811
    browser,
) -> None:  # noqa: ANN001,F811
    from selenium.webdriver.common.by import By

    base, lib = server
    target = next(c for c in lib.ctx.repo.load(lib.recording_id).clips if c.flags)
    _sign_in(browser, base + "/moderation", lib.tokens["moderator"])
    _wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, f'#file li[data-clip="{target.clip_id}"]')).click()
    _wait(
        browser,
        lambda d: (
            d.find_element(By.ID, "clip-titre").text == target.title
            and d.find_element(By.ID, "derogation").is_displayed()
        ),
    )
    assert "Données personnelles" in browser.find_element(By.ID, "alertes").text
    assert len(browser.find_elements(By.CSS_SELECTOR, "#alertes li")) == len(target.flags)  # each: listen, mask
    browser.find_element(By.ID, "voix-ok").click()  # listened: only the consented participants are heard
    browser.find_element(By.ID, "approuver").click()
    _wait(browser, lambda d: "indiquez pourquoi" in d.find_element(By.ID, "message").text)
    assert (
        next(c for c in lib.ctx.repo.load(lib.recording_id).clips if c.clip_id == target.clip_id).state
        == "pending_review"
    )

    browser.find_element(By.ID, "derogation").send_keys("Prénoms des participants, consentis")
    browser.find_element(By.ID, "approuver").click()
    _wait(browser, lambda d: "approuvé" in d.find_element(By.ID, "message").text)  # and the next clip opens
    assert (
        next(c for c in lib.ctx.repo.load(lib.recording_id).clips if c.clip_id == target.clip_id).state == "published"
    )
    approval = [e for e in load_audit(lib.ctx.store, lib.recording_id) if e.clip_id == target.clip_id][-1]
    assert approval.action == "approve" and approval.reason == "Prénoms des participants, consentis"
    lib.restore()


def test_a_flagged_clips_decision_is_on_a_laptop_screen_without_scrolling(
    server: tuple[str, Library],  # noqa: F811
    browser,
) -> None:  # noqa: ANN001,F811
    """On a 1366 x 768 laptop, a flagged clip's alerts and override reason push the decision down: its buttons stay
    at the foot of the screen, uncovered, and an approval asked too early brings the voices' box into view above
    them."""
    from selenium.webdriver.common.by import By

    base, lib = server
    target = next(c for c in lib.ctx.repo.load(lib.recording_id).clips if c.flags)
    size = browser.get_window_size()
    browser.set_window_size(1366, 768)
    try:
        _sign_in(browser, base + "/moderation", lib.tokens["moderator"])
        _wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, f'#file li[data-clip="{target.clip_id}"]')).click()
        _wait(browser, lambda d: d.find_element(By.ID, "derogation").is_displayed())
        on_screen = browser.execute_script(
            "const seen = id => { const b = document.getElementById(id).getBoundingClientRect();"
            "  const at = document.elementFromPoint(b.left + b.width / 2, b.top + b.height / 2);"
            "  return b.top >= 0 && b.bottom <= innerHeight && !!at && !!at.closest('#' + id); };"
            "return ['approuver', 'refuser', 'suivant'].map(seen)"
        )
        assert on_screen == [True, True, True]
        browser.find_element(By.ID, "approuver").click()  # before ticking the voices' box
        _wait(browser, lambda d: d.switch_to.active_element.get_attribute("id") == "voix-ok")
        assert browser.execute_script(
            "const v = document.getElementById('voix-ok').getBoundingClientRect(),"
            "      a = document.getElementById('approuver').getBoundingClientRect();"
            "return v.top >= 0 && v.bottom <= a.top"
        )
    finally:
        browser.set_window_size(size["width"], size["height"])
