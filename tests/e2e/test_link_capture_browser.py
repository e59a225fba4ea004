"""A verification link end to end, as its visitor lives it: a phone browser with a camera.

The partner creates a single-use link over the signed REST API; headless Chromium (Debian's, a
390 px phone screen, touch) opens it with a fake camera playing the shared genuine-motion video
(cropped around the face, ``testkit.fake_camera``), gives consent, takes the selfie with its
liveness frames, uploads a shared passport specimen as the document and lands on the "submitted"
page. The job carries the link's partner_params and ref id and its signed callback reaches the
link's callback_url; the link then refuses a second visit. The page loaded nothing from another
origin and fits the screen. Both deployment modes; screenshots of every step are kept.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx
import pytest
from smile_id_core.Signature import Signature

from testkit.callback_receiver import CallbackReceiver
from testkit.deployment import Mode, start_deployment
from testkit.fake_camera import selfie_camera_y4m
from tests.portal.browser import BOTH_MODES, CHROMIUM, CHROMIUM_ARGS, artefacts_dir, require_chromium

if TYPE_CHECKING:
    from playwright.sync_api import ViewportSize

TESTDATA = Path(__file__).resolve().parents[2].parent / "shared" / "testdata"
VIDEO = TESTDATA / "liveness" / "timesler+facenet-pytorch_examples_video.mp4"
FACE = TESTDATA / "faces" / "ageitgey+face_recognition" / "examples" / "obama.jpg"
PASSPORT = TESTDATA / "docs" / "konstantint+PassportEye" / "tests" / "data" / "passport-td3.jpg"
PHONE: ViewportSize = {"width": 390, "height": 844}
PARTNER_PARAMS = {"campaign": "e2e", "customer": "c-7"}


@pytest.fixture(scope="module")
def camera(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return selfie_camera_y4m(VIDEO, tmp_path_factory.mktemp("camera") / "selfie.y4m")


@pytest.fixture
def receiver() -> Iterator[CallbackReceiver]:
    started = CallbackReceiver()
    started.start()
    yield started
    started.stop()


def create_link(base_url: str, partner_id: str, api_key: str, callback_url: str) -> dict[str, Any]:
    body = {
        "partner_id": partner_id,
        **Signature(partner_id, api_key).generate_signature(),
        "name": "Account opening",
        "company_name": "Acme Bank",
        "id_types": [{"country": "KE", "id_type": "PASSPORT", "verification_method": "doc_verification"}],
        "callback_url": callback_url,
        "data_privacy_policy_url": "https://acme.example/privacy",
        "is_single_use": True,
        "user_id": "e2e-user",
        "partner_params": PARTNER_PARAMS,
    }
    created = httpx.post(f"{base_url}/v1/smile_links", json=body, timeout=30)
    assert created.status_code == 200, created.text
    answer: dict[str, Any] = created.json()
    assert set(answer) >= {"link", "ref_id"} and answer["link"].startswith(base_url)
    return answer


def callback_for(receiver: CallbackReceiver, ref_id: str, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for received in list(receiver.received):
            params = received.body.get("PartnerParams") or {}
            if received.status == 200 and params.get("ref_id") == ref_id:
                return received.body
        time.sleep(0.5)
    raise TimeoutError(f"no callback for link {ref_id}")


class Screens:
    def __init__(self, folder: Path, mode: str) -> None:
        self.folder, self.mode = folder, mode

    def shot(self, page: Any, name: str) -> None:
        number = len(list(self.folder.iterdir())) + 1
        page.screenshot(path=str(self.folder / f"link-{self.mode}-{number:02d}-{name}.png"), full_page=True)


def picture_step(page: Any, kind: str, take: Any) -> None:
    """Take (``take()``) a picture until the server's check lets the visitor go on: after a second
    picture with problems the page offers to use it anyway, as a person would."""
    for _ in range(2):
        take()
        page.wait_for_selector(f"#{kind}-problems li", timeout=60_000)
        if page.is_visible(f"#{kind}-next"):
            return
        page.click(f"#{kind}-retake")
    raise AssertionError(f"the {kind} step offered no way on")


@pytest.mark.parametrize("mode", BOTH_MODES)
def test_a_visitor_verifies_through_a_link_on_a_phone(
    tmp_path: Path, mode: Mode, camera: Path, receiver: CallbackReceiver
) -> None:
    require_chromium()
    from playwright.sync_api import sync_playwright

    screens = Screens(tmp_path / "screens", mode)
    screens.folder.mkdir()
    server = start_deployment(mode, tmp_path / "data")
    requested: list[str] = []
    try:
        link = create_link(server.base_url, server.partner_id, server.sandbox_key, receiver.url)
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=str(CHROMIUM),
                args=[
                    *CHROMIUM_ARGS,
                    "--use-fake-device-for-media-stream",
                    "--use-fake-ui-for-media-stream",
                    f"--use-file-for-fake-video-capture={camera}",
                ],
            )
            try:
                context = chromium.new_context(
                    viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True
                )
                page = context.new_page()
                page.on("request", lambda request: requested.append(request.url))
                page.goto(link["link"])
                # Consent: the partner named, its privacy policy linked, the page fits the phone.
                assert page.inner_text("#company") == "Acme Bank"
                assert page.get_attribute("#privacy-policy", "href") == "https://acme.example/privacy"
                assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
                screens.shot(page, "consent")
                page.check("#consent")
                page.click("#start")
                # The selfie: the camera runs, 8 frames and the selfie go to the quality check.
                page.wait_for_selector("#step-selfie:not([hidden])")
                page.wait_for_function("() => document.getElementById('selfie-video').videoWidth > 0")
                assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
                screens.shot(page, "selfie-camera")

                def shoot_selfie() -> None:
                    page.wait_for_function("() => document.getElementById('selfie-video').videoWidth > 0")
                    page.click("#selfie-shoot")

                picture_step(page, "selfie", shoot_selfie)
                screens.shot(page, "selfie-checked")
                page.click("#selfie-next")
                # The document: the file-upload fallback with the shared passport specimen.
                page.wait_for_selector("#step-document:not([hidden])")
                screens.shot(page, "document")
                picture_step(page, "document", lambda: page.set_input_files("#document-file", str(PASSPORT)))
                screens.shot(page, "document-checked")
                page.click("#document-next")
                page.wait_for_url("**/done", timeout=120_000)
                assert "Thank you" in page.inner_text("main")
                screens.shot(page, "done")
                # A single-use link, used: a second visit is refused.
                second = page.goto(link["link"])
                assert second is not None and second.status == 410
                assert "already been used" in page.inner_text("main")
                screens.shot(page, "second-visit")
            finally:
                chromium.close()
        # The job: the link's partner_params and ref id, called back signed to the link's URL.
        called = callback_for(receiver, link["ref_id"], timeout=240)
        params = called["PartnerParams"]
        assert {key: params[key] for key in PARTNER_PARAMS} == PARTNER_PARAMS
        assert params["user_id"] == "e2e-user" and str(params["job_type"]) == "6"
        assert Signature(server.partner_id, server.sandbox_key).confirm_signature(
            called["timestamp"], called["signature"]
        )
        assert called["ResultCode"] and called["Actions"]["Selfie_To_ID_Card_Compare"]
        status = httpx.post(
            f"{server.base_url}/v1/smile_links/{link['ref_id']}",
            json={
                "partner_id": server.partner_id,
                **Signature(server.partner_id, server.sandbox_key).generate_signature(),
            },
            timeout=30,
        ).json()
        assert status["total_jobs"] == 1 and status["status"] == "used"
    finally:
        server.stop()
        copy = artefacts_dir()
        if copy.is_dir():
            for path in screens.folder.iterdir():
                shutil.copy(path, copy / path.name)
    # The pictures the page shows are blob: URLs of this origin (blob:http://host:port/uuid).
    origin = urlsplit(server.base_url)[:2]
    foreign = [url for url in requested if urlsplit(url.removeprefix("blob:"))[:2] != origin]
    assert requested and foreign == [], foreign


def test_without_a_camera_the_page_falls_back_to_file_inputs(tmp_path: Path) -> None:
    """No camera (none attached, permission refused, a page served over plain HTTP): the selfie
    comes from the phone's camera app through a file input; a Biometric KYC visit types its ID
    number first (the sandbox's test number, which the page shows)."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    screens = Screens(tmp_path / "screens", "embedded-nocamera")
    screens.folder.mkdir()
    server = start_deployment("embedded", tmp_path / "data")
    try:
        body = {
            "partner_id": server.partner_id,
            **Signature(server.partner_id, server.sandbox_key).generate_signature(),
            "name": "Loans",
            "company_name": "Acme Bank",
            "id_types": [{"country": "NG", "id_type": "NIN_V2", "verification_method": "biometric_kyc"}],
            "data_privacy_policy_url": "https://acme.example/privacy",
        }
        link = httpx.post(f"{server.base_url}/v1/smile_links", json=body, timeout=30).json()
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                page = chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
                page.goto(link["link"])
                page.check("#consent")
                page.click("#start")
                page.wait_for_selector("#step-id_number:not([hidden])")
                number = page.inner_text("#test-number code")
                page.fill("#id_number", number)
                screens.shot(page, "id-number")
                page.click("#number-form button[type=submit]")
                page.wait_for_selector("#selfie-fallback:not([hidden])")
                assert page.is_hidden("#selfie-shoot")
                page.set_input_files("#selfie-file", str(FACE))
                page.wait_for_selector("#selfie-next:not([hidden])", timeout=60_000)
                screens.shot(page, "selfie-from-file")
                page.click("#selfie-next")
                page.wait_for_url("**/done", timeout=120_000)
                screens.shot(page, "done")
            finally:
                chromium.close()
        status = httpx.get(
            f"{server.base_url}/v1/smile_links/{link['ref_id']}",
            headers=signature_headers(server.partner_id, server.sandbox_key),
            timeout=30,
        ).json()
        assert status["total_jobs"] == 1 and status["status"] == "active"  # multi-use: still open
    finally:
        server.stop()
        copy = artefacts_dir()
        if copy.is_dir():
            for path in screens.folder.iterdir():
                shutil.copy(path, copy / path.name)


def signature_headers(partner_id: str, api_key: str) -> dict[str, str]:
    signed = Signature(partner_id, api_key).generate_signature()
    return {
        "SmileID-Partner-ID": partner_id,
        "SmileID-Timestamp": signed["timestamp"],
        "SmileID-Request-Signature": signed["signature"],
    }
