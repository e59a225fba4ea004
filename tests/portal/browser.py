"""A portal in headless Chromium against a real `openkyc serve` (embedded, or scaled out on
PostgreSQL with two API processes on one port), for the browser tests of every portal feature.

``portal_browser`` starts the deployment, adds a team member with the CLI (as an operator would),
launches Debian's Chromium (/usr/bin/chromium; no browser is downloaded) and, when the test is
done, asserts that every request the pages made went to the server's own origin. Screenshots go
under the test's tmp dir and are copied to $OPENKYC_TEST_ARTEFACTS/portal-screens (default
/work/notes/portal-screens) when that folder exists, to be looked at.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pyotp
import pytest

from openkyc.db import utcnow
from testkit.deployment import Deployment, Mode, start_deployment
from tests.live_server import openkyc_command

if TYPE_CHECKING:
    from playwright.sync_api import Page

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Which deployments a browser test runs on. A scaled-out deployment (PostgreSQL, two API
# processes, a Celery worker) costs the suite about a minute per test, so the journeys issue 16
# names run on both (sign-in with 2FA and the job list, review to a called-back result, key
# rotation, SmartCheck) and the other pages on the embedded one: their scaled-out parts (sessions
# and CSRF across processes, jobs and callbacks through Celery) are the same code those cover.
BOTH_MODES = ["embedded", "scaled"]
EMBEDDED_ONLY = ["embedded"]
EMAIL = "owner@example.test"
PASSWORD = "browser test password"


def artefacts_dir() -> Path:
    return Path(os.environ.get("OPENKYC_TEST_ARTEFACTS", "/work/notes")) / "portal-screens"


def add_portal_user(server: Deployment, email: str, role: str, password: str = PASSWORD) -> None:
    """`openkyc portal add-user` against the deployment's database, the password on stdin."""
    added = subprocess.run(
        openkyc_command(
            "portal",
            "add-user",
            "--data-dir",
            str(server.data_dir),
            "--partner-id",
            server.partner_id,
            "--email",
            email,
            "--role",
            role,
        ),
        input=password + "\n",
        env=server.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert added.returncode == 0, added.stderr


@dataclass
class PortalBrowser:
    """One browser page on one deployment, and what it requested."""

    server: Deployment
    page: Page
    mode: Mode
    screens: Path
    requested: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"{self.server.base_url}/portal{path}"

    def goto(self, path: str) -> None:
        self.page.goto(self.url(path))

    def shot(self, name: str) -> Path:
        """A full-page screenshot named ``<mode>-<nn>-<name>.png``, numbered in taking order."""
        number = len(list(self.screens.iterdir())) + 1
        path = self.screens / f"{self.mode}-{number:02d}-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def sign_in(
        self, email: str = EMAIL, password: str = PASSWORD, *, totp_secret: str | None = None
    ) -> None:
        """Sign in at /portal/login; with ``totp_secret``, answer the code page too."""
        self.goto("/login")
        self.page.fill("input[name=email]", email)
        self.page.fill("input[name=password]", password)
        self.page.click("button[type=submit]")
        if totp_secret is None:
            self.page.wait_for_url("**/portal/")
            return
        self.page.wait_for_url("**/portal/login/totp")
        # A code just used (e.g. to enrol) is refused: the next step's, within the drift allowed.
        self.page.fill("input[name=code]", pyotp.TOTP(totp_secret).at(utcnow() + timedelta(seconds=30)))
        self.page.click("#code-form button[type=submit]")
        self.page.wait_for_url("**/portal/")

    def enrol_two_factor(self) -> str:
        """Turn on 2FA for the signed-in member; its TOTP secret."""
        self.goto("/account/two-factor")
        secret = self.page.inner_text("#totp-secret")
        self.page.fill("input[name=code]", pyotp.TOTP(secret).now())
        self.page.click("main button[type=submit]")
        self.page.wait_for_selector("#recovery-codes")
        return secret

    def sign_out(self) -> None:
        self.page.click("header button[type=submit]")
        self.page.wait_for_url("**/portal/login")


def require_chromium() -> None:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium (apt-get install -y chromium)")


@contextmanager
def portal_browser(
    tmp_path: Path,
    mode: Mode,
    *,
    role: str = "owner",
    email: str = EMAIL,
    extra_env: dict[str, str] | None = None,
) -> Iterator[PortalBrowser]:
    """A deployment with a member (``email``/``PASSWORD``, not signed in) and a browser page on it.
    On leaving: no request went to another origin; the screenshots are copied to the artefacts."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    screens = tmp_path / "screens"
    screens.mkdir()
    server = start_deployment(mode, tmp_path / "data", extra_env=extra_env)
    try:
        add_portal_user(server, email, role)
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                page = chromium.new_page()
                session = PortalBrowser(server=server, page=page, mode=mode, screens=screens)
                page.on("request", lambda request: session.requested.append(request.url))
                yield session
            finally:
                chromium.close()
    finally:
        server.stop()
        copy = artefacts_dir()
        if copy.is_dir():
            for path in screens.iterdir():
                shutil.copy(path, copy / path.name)

    origin = urlsplit(server.base_url)
    assert session.requested, "the browser made no request?"
    foreign = [url for url in session.requested if urlsplit(url)[:2] != origin[:2]]  # scheme, host:port
    assert foreign == [], f"requests to another origin: {foreign}"
