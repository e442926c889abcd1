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
