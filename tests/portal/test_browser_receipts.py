"""The job page's "Print PDF" in headless Chromium against a real `openkyc serve`, embedded and scaled
out: a Biometric KYC job sent with the official SDK shows the link, which is same-origin and answers
the receipt PDF, naming the job and none of what the ID authority returned about the person."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader
from smile_id_core.WebApi import WebApi

from testkit.callback_receiver import CallbackReceiver
from testkit.deployment import Mode
from tests.portal.browser import EMBEDDED_ONLY, portal_browser

pytestmark = [pytest.mark.slow, pytest.mark.services]


@pytest.mark.parametrize("mode", EMBEDDED_ONLY)
def test_the_receipt_prints_from_the_job_page(
    tmp_path: Path, mode: Mode, faces_dir: Path, receiver: CallbackReceiver
) -> None:
    examples = faces_dir / "ageitgey+face_recognition" / "examples"
    with portal_browser(tmp_path, mode) as browser:
        server, page = browser.server, browser.page
        api = WebApi(server.partner_id, receiver.url, server.sandbox_key, f"{server.base_url}/v1")
        answer = api.submit_job(
            {"user_id": "browser-receipt-user", "job_id": "browser-receipt-1", "job_type": 1},
            [
                {"image_type_id": 0, "file_name": str(examples / "obama2.jpg")},
                {"image_type_id": 1, "file_name": str(examples / "knn_examples" / "test" / "obama1.jpg")},
            ],
            {"country": "NG", "id_type": "BVN", "id_number": "00000000000", "entered": True},
            {"return_job_status": True, "return_history": False, "return_images": False},
        )
        assert answer["job_complete"] is True, answer
        result = answer["result"]
        smile_job_id = result["SmileJobID"]

        browser.sign_in()
        browser.goto(f"/jobs/{smile_job_id}")
        link = page.locator("#receipt")
        assert link.inner_text() == "Print PDF"
        href = link.get_attribute("href")
        assert href is not None and href.startswith(f"/v1/receipts/{smile_job_id}?expires=")
        browser.shot("job-receipt-link")

        pdf = page.request.get(f"{server.base_url}{href}")
        assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
        assert pdf.headers["content-disposition"] == f'inline; filename="kyc-receipt-{smile_job_id}.pdf"'
        text = PdfReader(io.BytesIO(pdf.body())).pages[0].extract_text()
        assert smile_job_id in text and "browser-receipt-1" in text and "Biometric KYC" in text
        personal = [result[key] for key in ("FullName", "DOB") if result.get(key)]
        assert personal and "browser-receipt-user" not in text
        for value in personal:
            assert value not in text, value
