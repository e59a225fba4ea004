"""SmartCheck in headless Chromium against a real `openkyc serve`, embedded and scaled out: an
operator picks SmartSelfie registration, uploads a real selfie, lands on the result page that
refreshes itself until the worker has answered (0840, with its Actions), then runs an Enhanced
KYC with the sandbox's BVN test number (1012 at once); both jobs are in the job list, sent from
the portal. Every request the pages make stays on the server's origin (``portal_browser``).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from testkit.deployment import Mode
from tests.portal.browser import BOTH_MODES, portal_browser

pytestmark = [pytest.mark.slow, pytest.mark.services]

EMAIL = "smartcheck@example.test"
# The first image job of a fresh server loads the verification models.
RESULT_TIMEOUT_MS = 240_000


@pytest.mark.parametrize("mode", BOTH_MODES)
def test_run_a_registration_and_an_enhanced_kyc(tmp_path: Path, mode: Mode, faces_dir: Path) -> None:
    selfie = faces_dir / "ageitgey+face_recognition" / "examples" / "knn_examples" / "test" / "obama1.jpg"
    with portal_browser(tmp_path, mode, role="operator", email=EMAIL) as browser:
        page = browser.page
        browser.sign_in(EMAIL)
        page.click("header nav a[href$='/smartcheck']")
        page.wait_for_selector("#products")
        browser.shot("smartcheck-products")

        page.click("#products a[href$='product=registration']")
        page.wait_for_selector("#smartcheck-form")
        page.set_input_files("input[name=selfie]", str(selfie))
        browser.shot("smartcheck-registration-form")
        page.click("#smartcheck-form button[type=submit]")
        page.wait_for_url(re.compile(r".*/portal/smartcheck/\d{10}$"))
        registration = page.inner_text("#smile-job-id")
        state = page.inner_text("#state")
        if state != "complete":  # the worker has not answered yet: the page says so and refreshes
            assert "refreshes itself" in page.inner_text("#waiting")
            browser.shot("smartcheck-registration-waiting")
        page.locator("#result-code").wait_for(timeout=RESULT_TIMEOUT_MS)
        assert page.inner_text("#state") == "complete"
        assert page.inner_text("#result-code") == "0840"
        assert page.inner_text("#result-text") == "Enroll User"
        assert "Liveness Check" in page.inner_text("#actions")
        user_id = page.inner_text("#user-id")
        assert user_id.startswith("smartcheck-")
        browser.shot("smartcheck-registration-result")

        browser.goto("/smartcheck?product=enhanced-kyc")
        page.select_option("select[name=id]", "NG:BVN")
        page.fill("input[name=id_number]", "00000000000")
        browser.shot("smartcheck-enhanced-kyc-form")
        page.click("#smartcheck-form button[type=submit]")
        page.wait_for_url(re.compile(r".*/portal/smartcheck/\d{10}$"))
        assert page.inner_text("#result-code") == "1012"
        assert page.inner_text("#result-text") == "ID Number Validated"
        actions = page.inner_text("#actions")
        assert "Verify ID Number" in actions and "Verified" in actions
        enhanced_kyc = page.inner_text("#smile-job-id")
        browser.shot("smartcheck-enhanced-kyc-result")

        browser.goto("/jobs")
        listed = page.inner_text("#jobs")
        assert registration in listed and enhanced_kyc in listed and user_id in listed
        browser.shot("smartcheck-jobs")

    names = sorted(path.name for path in browser.screens.iterdir())
    assert all(re.fullmatch(rf"{mode}-\d\d-smartcheck-[a-z-]+\.png", name) for name in names), names
