"""The portal in headless Chromium (Playwright) against a real `openkyc serve`, embedded and scaled
out (PostgreSQL, two API processes on one port: the browser's requests land on either): a member
added with the CLI signs in, enrols in 2FA, signs out and in again with a code, and finds a job
created through the API in /portal/jobs. Every request the pages make must go to the server's own
origin.

Debian's Chromium (/usr/bin/chromium) is driven; no browser is downloaded. Screenshots are kept
under the test's tmp dir and copied to /work/notes/portal-screens/ when that folder exists.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pyotp
import pytest
from smile_id_core.IdApi import IdApi

from openkyc.db import utcnow
from testkit.deployment import Mode, start_deployment
from tests.live_server import openkyc_command

pytestmark = [pytest.mark.slow, pytest.mark.services]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENS_COPY = Path("/work/notes/portal-screens")
EMAIL = "owner@example.test"
PASSWORD = "browser test password"


@pytest.mark.parametrize("mode", ["embedded", "scaled"])
def test_sign_in_with_two_factor_and_find_a_job(tmp_path: Path, mode: Mode) -> None:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium (apt-get install -y chromium)")
    from playwright.sync_api import Page, sync_playwright

    screens = tmp_path / "screens"
    screens.mkdir()
    server = start_deployment(mode, tmp_path / "data")
    try:
        added = subprocess.run(
            openkyc_command(
                "portal",
                "add-user",
                "--data-dir",
                str(server.data_dir),
                "--partner-id",
                server.partner_id,
                "--email",
                EMAIL,
                "--role",
                "owner",
            ),
            input=PASSWORD + "\n",
            env=server.env,  # the deployment's database
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert added.returncode == 0, added.stderr
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

        origin = urlsplit(server.base_url)
        requested: list[str] = []

        def shot(page: Page, name: str) -> None:
            number = len(list(screens.iterdir())) + 1
            page.screenshot(path=str(screens / f"{mode}-{number:02d}-{name}.png"), full_page=True)

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                page = browser.new_page()
                page.on("request", lambda request: requested.append(request.url))
                page.goto(f"{server.base_url}/portal/")
                assert page.url.endswith("/portal/login")
                shot(page, "login")
                page.fill("input[name=email]", EMAIL)
                page.fill("input[name=password]", PASSWORD)
                page.click("button[type=submit]")
                page.wait_for_url("**/portal/")
                assert "Two-factor sign-in is off" in page.content()
                shot(page, "home")

                page.goto(f"{server.base_url}/portal/account/two-factor")
                assert page.locator(".qr svg").count() == 1
                secret = page.inner_text("#totp-secret")
                assert page.inner_text("#totp-uri").startswith("otpauth://totp/openkyc:")
                shot(page, "enrol")
                page.fill("input[name=code]", pyotp.TOTP(secret).now())
                page.click("main button[type=submit]")
                page.wait_for_selector("#recovery-codes")
                assert page.locator("#recovery-codes li").count() == 10
                shot(page, "recovery-codes")

                page.click("header button[type=submit]")  # sign out
                page.wait_for_url("**/portal/login")
                page.fill("input[name=email]", EMAIL)
                page.fill("input[name=password]", PASSWORD)
                page.click("button[type=submit]")
                page.wait_for_url("**/portal/login/totp")
                shot(page, "code")
                # The enrolment's step is used up: the next step's code, within the drift allowed.
                page.fill("input[name=code]", pyotp.TOTP(secret).at(utcnow() + timedelta(seconds=30)))
                page.click("#code-form button[type=submit]")
                page.wait_for_url("**/portal/")

                page.goto(f"{server.base_url}/portal/jobs")
                table = page.inner_text("#jobs")
                assert "browser-job-1" in table and "1012" in table and "Enhanced / Basic KYC" in table
                shot(page, "jobs")
                page.select_option("select[name=environment]", "production")
                page.click("form.filters button[type=submit]")
                page.wait_for_selector("#no-jobs")
                shot(page, "jobs-filtered")
            finally:
                browser.close()
    finally:
        server.stop()

    assert requested, "the browser made no request?"
    foreign = [url for url in requested if urlsplit(url)[:2] != origin[:2]]  # scheme and host:port
    assert foreign == [], f"requests to another origin: {foreign}"
    assert any(url.endswith("/portal/static/portal.css") for url in requested)
    names = sorted(path.name for path in screens.iterdir())
    assert len(names) == 7 and all(re.fullmatch(rf"{mode}-\d\d-[a-z-]+\.png", name) for name in names)
    if SCREENS_COPY.is_dir():
        for path in screens.iterdir():
            shutil.copy(path, SCREENS_COPY / path.name)
