"""The team page in headless Chromium against a real `openkyc serve`, embedded and scaled out: the
owner (added with the CLI) invites an operator, a second browser (its own cookies) opens the link,
chooses a password and signs in, and the owner sees them on the team page; the link is then
spent. Every request of both browsers goes to the server's own origin (``portal_browser``)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from testkit.deployment import Mode
from tests.portal.browser import EMBEDDED_ONLY, PortalBrowser, portal_browser

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.slow, pytest.mark.services]

INVITEE = "new.operator@example.test"
INVITEE_PASSWORD = "the operator's own password"


def _shot(browser: PortalBrowser, page: Page, name: str) -> None:
    """A screenshot of another page than the harness's, in the same numbered series."""
    number = len(list(browser.screens.iterdir())) + 1
    page.screenshot(path=str(browser.screens / f"{browser.mode}-{number:02d}-{name}.png"), full_page=True)


@pytest.mark.parametrize("mode", EMBEDDED_ONLY)
def test_an_owner_invites_an_operator_who_joins_from_another_browser(tmp_path: Path, mode: Mode) -> None:
    with portal_browser(tmp_path, mode) as browser:
        owner = browser.page
        browser.sign_in()
        owner.click("nav a[href$='/portal/team']")
        owner.wait_for_url("**/portal/team")
        assert "owner@example.test" in owner.inner_text("#members")
        owner.fill("#invite-form input[name=email]", INVITEE)
        owner.select_option("#invite-form select[name=role]", "operator")
        browser.shot("team")
        owner.click("#invite-form button[type=submit]")
        link = owner.inner_text("#invitation-link")
        assert re.fullmatch(
            rf"{re.escape(browser.server.base_url)}/portal/invitations/[A-Za-z0-9_-]{{43}}", link
        )
        browser.shot("team-invited")

        # The invitee: another browser context, so no cookie of the owner's.
        chromium = owner.context.browser
        assert chromium is not None
        context = chromium.new_context()
        invitee = context.new_page()
        invitee.on("request", lambda request: browser.requested.append(request.url))
        invitee.goto(link)
        assert INVITEE in invitee.inner_text("#invited-email") and "operator" in invitee.content()
        invitee.fill("#accept-form input[name=password]", INVITEE_PASSWORD)
        invitee.fill("#accept-form input[name=confirm]", INVITEE_PASSWORD)
        _shot(browser, invitee, "invitation")
        invitee.click("#accept-form button[type=submit]")
        invitee.wait_for_selector("text=Invitation accepted")
        assert invitee.input_value("input[name=email]") == INVITEE
        invitee.fill("input[name=password]", INVITEE_PASSWORD)
        _shot(browser, invitee, "invitation-accepted")
        invitee.click("main button[type=submit]")
        invitee.wait_for_url("**/portal/")
        assert INVITEE in invitee.inner_text("header .who") and "operator" in invitee.inner_text(
            "header .who"
        )
        invitee.goto(f"{browser.server.base_url}/portal/team")
        assert invitee.locator("#invite-form").count() == 0  # an operator changes nothing here
        _shot(browser, invitee, "invitee-team")
        spent = invitee.goto(link)
        assert spent is not None and spent.status == 410 and "used already" in invitee.content()
        _shot(browser, invitee, "invitation-used")
        context.close()

        owner.goto(f"{browser.server.base_url}/portal/team")
        members = owner.inner_text("#members")
        assert INVITEE in members and "operator" in members
        row = owner.inner_text(f"#members tr:has-text('{INVITEE}')")
        assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d", row), row  # their last sign-in
        assert owner.locator("#no-invitations").count() == 1
        browser.shot("team-joined")
        # The owner's forms work in a browser too: the newcomer becomes an auditor.
        owner.select_option(f"select[aria-label='Role of {INVITEE}']", "auditor")
        owner.click(f"#members tr:has-text('{INVITEE}') button:has-text('Set role')")
        owner.wait_for_url("**/portal/team")
        assert "auditor" in owner.inner_text(f"#members tr:has-text('{INVITEE}')")

    names = sorted(path.name for path in browser.screens.iterdir())
    assert len(names) == 7 and all(re.fullmatch(rf"{mode}-\d\d-[a-z-]+\.png", name) for name in names)
