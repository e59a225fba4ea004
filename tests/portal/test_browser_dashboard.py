"""The dashboard in headless Chromium against a real `openkyc serve`, embedded and scaled out:
first the empty state, then jobs sent through the API with the official SDK (SmartSelfie
registrations whose outcome ``sandbox_result`` forces, Enhanced KYC look-ups of the sandbox's
test numbers, a callback URL nothing listens on), one provisional result decided with the CLI,
and the dashboard showing them: totals, the inline SVG charts (titled, with tables), the review
backlog, the time to decision and the failed callbacks. Screenshots for a person to look at."""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from smile_id_core.IdApi import IdApi
from smile_id_core.WebApi import WebApi

from testkit.deployment import Mode, free_port
from tests.live_server import openkyc_command
from tests.portal.browser import EMBEDDED_ONLY, PortalBrowser, portal_browser

pytestmark = [pytest.mark.slow, pytest.mark.services]

NIGERIA_BVN = {"country": "NG", "id_type": "BVN", "first_name": "Joe", "last_name": "Doe", "entered": True}


def _tiles(browser: PortalBrowser) -> dict[str, str]:
    tiles = browser.page.locator("#totals .tile")
    found: dict[str, str] = {}
    for index in range(tiles.count()):
        value, label = (part.strip() for part in tiles.nth(index).inner_text().split("\n", 1))
        found[label] = value
    return found


def _wait_for_results(browser: PortalBrowser, expected: dict[str, str], timeout: float = 240) -> None:
    """Reload the dashboard until its totals are ``expected`` (image jobs are verified in the background)."""
    deadline = time.monotonic() + timeout
    while True:
        browser.goto("/")
        if browser.page.locator("#totals").count() and _tiles(browser) == expected:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"the dashboard shows {_tiles(browser)}, not {expected}")
        time.sleep(2)


@pytest.mark.parametrize("mode", EMBEDDED_ONLY)
def test_the_dashboard_shows_jobs_sent_through_the_api(tmp_path: Path, mode: Mode, faces_dir: Path) -> None:
    selfie = faces_dir / "ageitgey+face_recognition" / "examples" / "obama.jpg"
    with portal_browser(tmp_path, mode) as browser:
        server, page = browser.server, browser.page
        browser.sign_in()
        assert page.locator("#no-jobs-yet").is_visible()
        assert server.partner_id in page.inner_text("#no-jobs-yet")
        browser.shot("dashboard-empty")

        nobody_listens = f"http://127.0.0.1:{free_port()}/callback"
        web = WebApi(server.partner_id, nobody_listens, server.sandbox_key, f"{server.base_url}/v1")
        provisional: list[str] = []
        for number, forced in enumerate(["0", "0", "1", "2", "2"]):
            params = {
                "user_id": f"dashboard-user-{number}",
                "job_id": f"dashboard-selfie-{number}",
                "job_type": 4,
                "sandbox_result": forced,
            }
            answer: dict[str, Any] = web.submit_job(
                params,
                [{"image_type_id": 0, "file_name": str(selfie)}],
                {},
                {"return_job_status": False, "return_history": False, "return_images": False},
            )
            if forced == "2":
                provisional.append(answer["smile_job_id"])
        lookups = IdApi(server.partner_id, server.sandbox_key, f"{server.base_url}/v1")
        for number, last_digit in enumerate("0013"):  # a record, twice; no record; authority unavailable
            params = {
                "user_id": f"dashboard-kyc-{number}",
                "job_id": f"dashboard-kyc-{number}",
                "job_type": 5,
            }
            lookups.submit_job(params, {**NIGERIA_BVN, "id_number": "0000000000" + last_digit})

        _wait_for_results(
            browser,
            {
                "results": "9",
                "approved": "4",
                "rejected": "2",
                "in review": "2",
                "errors": "1",
                "pass rate": "67%",
            },
        )
        reviewed = subprocess.run(
            openkyc_command("jobs", "review", provisional[0], "--approve"),
            env=server.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert reviewed.returncode == 0, reviewed.stderr
        _wait_for_results(
            browser,
            {
                "results": "9",
                "approved": "5",
                "rejected": "2",
                "in review": "1",
                "errors": "1",
                "pass rate": "71%",
            },
        )
        page.wait_for_selector("#results-chart")
        assert (page.locator("#results-chart > title").text_content() or "").startswith("Results per day")
        assert page.locator("#results-chart rect.r-approved").count() == 1  # one day, one column
        assert page.locator("#rates-table tbody tr").count() == 2
        rates = page.inner_text("#rates-table")
        assert re.search(r"SmartSelfie Registration\s+75%", rates) and re.search(
            r"Enhanced / Basic KYC\s+67%", rates
        )
        backlog = page.inner_text("#review-backlog")
        assert "1 job waits for a reviewer now" in " ".join(backlog.split())
        assert page.locator("#time-to-review .figure").count() == 1
        callbacks = page.inner_text("#callbacks")
        assert re.search(r"Failed attempts\s+[1-9]", callbacks), callbacks
        browser.shot("dashboard")

        page.click("#results-per-day summary")
        assert page.locator("#results-table tbody tr").count() == 30
        browser.shot("dashboard-table")

        page.click("nav[aria-label=Environment] >> text=Production")
        page.wait_for_url("**/portal/?environment=production&days=30")
        assert "No results recorded in production in the last 30 days" in page.inner_text("#results-per-day")
        browser.shot("dashboard-production")
        page.click("nav[aria-label=Period] >> text=7 days")
        page.wait_for_url("**/portal/?environment=production&days=7")

        page.set_viewport_size({"width": 400, "height": 800})
        browser.goto("/?environment=sandbox&days=7")
        assert page.locator("#results-chart").is_visible()
        browser.shot("dashboard-narrow")

    names = sorted(path.name for path in browser.screens.iterdir())
    assert len(names) == 5 and all(re.fullmatch(rf"{mode}-\d\d-[a-z-]+\.png", name) for name in names)
