"""The developer pages in headless Chromium against a real `openkyc serve`, embedded and scaled out
(two API processes on one port): an owner rotates the sandbox key in the browser and reads the new
secret from the page; a request signed with it succeeds and one signed with the old key is refused;
a test callback set up and sent from the page reaches a receiver on loopback, signed with the new
key. Screenshots of each page (``portal_browser`` checks that every request stayed same-origin).
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from smile_id_core.Signature import Signature

from testkit.callback_receiver import CallbackReceiver
from testkit.deployment import Deployment, Mode
from tests.portal.browser import BOTH_MODES, portal_browser

pytestmark = [pytest.mark.slow, pytest.mark.services]

# Scaled out, the process that did not serve the rotation may hold the partner's keys in its cache
# this long (partners.key_cache.DEFAULT_TTL_S), plus a margin.
OTHER_PROCESS_WINDOW_S = 2.0 + 1.0


def _job_status_code(server: Deployment, key: str) -> str:
    """The code a signed job_status for a job that does not exist gets: 2304 with a good key."""
    signature = Signature(server.partner_id, key).generate_signature()
    body = {"partner_id": server.partner_id, **signature, "user_id": "u", "job_id": "j", "image_links": False}
    answer = httpx.post(f"{server.base_url}/v1/job_status", json=body, timeout=30)
    code: str = answer.json()["code"]
    return code


@pytest.mark.parametrize("mode", BOTH_MODES)
def test_rotate_the_sandbox_key_and_send_a_test_callback(tmp_path: Path, mode: Mode) -> None:
    receiver = CallbackReceiver()
    receiver.start()
    try:
        with portal_browser(tmp_path, mode) as browser:
            server, page = browser.server, browser.page
            old_key = server.sandbox_key
            assert _job_status_code(server, old_key) == "2304"  # in use: in every process's cache

            browser.sign_in()
            page.click("header nav a:has-text('Developers')")
            page.wait_for_url("**/portal/developers")
            assert page.inner_text("#production-state") == "not enabled"
            assert old_key not in page.content()
            browser.shot("developers")

            page.click("#keys-sandbox a:has-text('Rotate')")
            page.wait_for_selector("#confirm-form")
            assert "stops working at once" in page.content()
            browser.shot("rotate-confirm")
            page.click("#confirm-form button[type=submit]")
            page.wait_for_selector("#new-secret")
            new_key = page.inner_text("#new-secret").strip()
            assert new_key and new_key != old_key and "shown only this once" in page.content()
            browser.shot("new-key")

            assert _job_status_code(server, new_key) == "2304"
            refused_at = time.monotonic() + (0 if mode == "embedded" else OTHER_PROCESS_WINDOW_S)
            while (code := _job_status_code(server, old_key)) != "2205" and time.monotonic() < refused_at:
                time.sleep(0.2)
            assert code == "2205"

            browser.goto("/developers")
            assert new_key not in page.content()
            assert "revoked" in page.inner_text("#keys-sandbox")
            browser.shot("developers-rotated")

            page.click("nav.tabs a:has-text('Callbacks')")
            page.wait_for_selector("#callback-form-sandbox")
            page.fill("#callback-form-sandbox input[name=url]", receiver.url)
            page.click("#callback-form-sandbox button[type=submit]")
            page.wait_for_selector("#test-form-sandbox")
            assert page.inner_text("#callback-url-sandbox") == receiver.url
            assert page.inner_text("#callback-url-production") == "none"
            browser.shot("callbacks")
            page.click("#test-form-sandbox button[type=submit]")
            page.wait_for_selector("#test-outcome")
            outcome = page.inner_text("#test-outcome")
            assert "Delivered" in outcome and "HTTP 200" in outcome, outcome
            browser.shot("test-callback")

            page.click("nav.tabs a:has-text('Callback signing')")
            page.wait_for_selector("#verify-snippet")
            browser.shot("signing")

        [received] = receiver.received
        body = received.body
        assert body["ResultType"] == "TestCallback"
        assert Signature(server.partner_id, new_key).confirm_signature(body["timestamp"], body["signature"])
        assert not Signature(server.partner_id, old_key).confirm_signature(
            body["timestamp"], body["signature"]
        )
    finally:
        receiver.stop()
    names = sorted(path.name for path in browser.screens.iterdir())
    assert len(names) == 7 and all(name.startswith(f"{mode}-") for name in names)
