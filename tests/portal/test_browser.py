"""The portal in headless Chromium (Playwright) against a real `openkyc serve`, embedded and scaled
out (PostgreSQL, two API processes on one port: the browser's requests land on either): a member
added with the CLI signs in, enrols in 2FA, signs out and in again with a code, and finds a job
created through the API in /portal/jobs. Every request the pages make must go to the server's own
origin (checked by ``portal_browser``).
"""

from __future__ import annotations

import re
from pathlib import Path

import pyotp
import pytest
from smile_id_core.IdApi import IdApi

from testkit.deployment import Mode
from tests.portal.browser import BOTH_MODES, portal_browser

pytestmark = [pytest.mark.slow, pytest.mark.services]


@pytest.mark.parametrize("mode", BOTH_MODES)
def test_sign_in_with_two_factor_and_find_a_job(tmp_path: Path, mode: Mode) -> None:
    with portal_browser(tmp_path, mode) as browser:
        server, page = browser.server, browser.page
        api = IdApi(server.partner_id, server.sandbox_key, f"{server.base_url}/v1")
        params = {"user_id": "browser-user", "job_id": "browser-job-1", "job_type": 5}
        id_info = {
            "country": "NG",
            "id_type": "BVN",
            "first_name": "Joe",
            "last_name": "Doe",
            "entered": True,
        }
        assert api.submit_job(params, {**id_info, "id_number": "00000000000"})["ResultCode"] == "1012"

        browser.goto("/")
        assert page.url.endswith("/portal/login")
        browser.shot("login")
        browser.sign_in()
        assert "Two-factor sign-in is off" in page.content()
        browser.shot("home")

        browser.goto("/account/two-factor")
        assert page.locator(".qr svg").count() == 1
        secret = page.inner_text("#totp-secret")
        assert page.inner_text("#totp-uri").startswith("otpauth://totp/openkyc:")
        browser.shot("enrol")
        page.fill("input[name=code]", pyotp.TOTP(secret).now())
        page.click("main button[type=submit]")
        page.wait_for_selector("#recovery-codes")
        assert page.locator("#recovery-codes li").count() == 10
        browser.shot("recovery-codes")

        browser.sign_out()
        browser.sign_in(totp_secret=secret)

        browser.goto("/jobs")
        table = page.inner_text("#jobs")
        assert "browser-job-1" in table and "1012" in table and "Enhanced / Basic KYC" in table
        browser.shot("jobs")
        page.select_option("select[name=environment]", "production")
        page.click("form.filters button[type=submit]")
        page.wait_for_selector("#no-jobs")
        browser.shot("jobs-filtered")

    assert any(url.endswith("/portal/static/portal.css") for url in browser.requested)
    names = sorted(path.name for path in browser.screens.iterdir())
    assert len(names) == 6 and all(re.fullmatch(rf"{mode}-\d\d-[a-z-]+\.png", name) for name in names)
