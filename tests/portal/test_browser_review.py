"""The review queue in headless Chromium against a real `openkyc serve`, embedded and scaled out:
an empty queue says so; a sandbox Document Verification job forced provisional through the API
(``sandbox_result: "2"``) waits in /portal/review, an operator opens it (selfie and document side
by side, the check under review), passes the document check, and the confirmation shows the final
result; the partner's callback receiver gets the provisional result, then the final one, signed
with the sandbox key. Every request the pages make stays on the server's origin (``portal_browser``).
"""

from __future__ import annotations

import re
from pathlib import Path

import cv2
import pytest
from smile_id_core.Signature import Signature
from smile_id_core.WebApi import WebApi

from testkit.callback_receiver import CallbackReceiver
from testkit.deployment import Mode
from testkit.documents import DocumentSpec, render_document
from tests.portal.browser import BOTH_MODES, portal_browser

pytestmark = [pytest.mark.slow, pytest.mark.services]


@pytest.mark.parametrize("mode", BOTH_MODES)
def test_review_a_provisional_job_to_a_final_result(
    tmp_path: Path, mode: Mode, faces_dir: Path, receiver: CallbackReceiver
) -> None:
    examples = faces_dir / "ageitgey+face_recognition" / "examples"
    portrait = cv2.imread(str(examples / "knn_examples" / "test" / "obama1.jpg"))
    document = tmp_path / "passport.jpg"
    cv2.imwrite(
        str(document), render_document(DocumentSpec(), portrait_bgr=portrait), [cv2.IMWRITE_JPEG_QUALITY, 92]
    )
    with portal_browser(tmp_path, mode, role="operator", email="reviewer@example.test") as browser:
        server, page = browser.server, browser.page
        browser.sign_in("reviewer@example.test")
        browser.goto("/review")
        assert "No jobs are waiting for review" in page.inner_text("#no-review")
        browser.shot("review-empty")

        api = WebApi(server.partner_id, receiver.url, server.sandbox_key, f"{server.base_url}/v1")
        params = {"user_id": "review-user", "job_id": "review-job-1", "job_type": 6, "sandbox_result": "2"}
        submitted = api.submit_job(
            params,
            [
                {"image_type_id": 0, "file_name": str(examples / "obama2.jpg")},
                {"image_type_id": 1, "file_name": str(document)},
            ],
            {"country": "US", "id_type": "PASSPORT"},
            {"return_job_status": False, "return_history": False, "return_images": False},
        )
        smile_job_id = str(submitted["smile_job_id"])
        provisional = receiver.wait_accepted(smile_job_id, timeout=180)
        assert provisional["IsFinalResult"] == "false" and provisional["ResultCode"] == "0814"

        browser.goto("/review")
        queue = page.inner_text("#review-queue")
        assert smile_job_id in queue and "0814" in queue and "review-job-1" in queue
        browser.shot("review-queue")

        page.click(f"a[href$='/review/{smile_job_id}']")
        page.wait_for_selector("#review-form")
        kinds = page.eval_on_selector_all("#side-by-side img", "images => images.map(i => i.dataset.kind)")
        assert kinds == ["selfie", "document", "id_front"]  # the selfie beside the cropped document
        # Every image side by side loads from this server (signed, expiring links; S3 behind them
        # when scaled out, so they may arrive after the page).
        page.wait_for_function(
            "() => [...document.querySelectorAll('#side-by-side img')].every(i => i.complete && i.naturalWidth > 0)",
            timeout=30_000,
        )
        assert "Verify_Document" in page.inner_text("#unsure")
        unsure = page.eval_on_selector_all(
            "fieldset.verdict.unsure", "sets => sets.map(s => s.dataset.action)"
        )
        assert unsure == ["Human_Review_Document_Check"]
        browser.shot("review-job")

        page.check("input[name=Human_Review_Document_Check][value=passed]")
        page.fill("textarea[name=note]", "Document and selfie checked by hand.")
        page.click("#review-form button[type=submit]")
        page.wait_for_selector("#decision-recorded")
        assert page.inner_text("#result-code") == "0810"
        assert page.inner_text("#result-text") == "Document Verified"
        assert page.locator("#callback-scheduled").count() == 1
        browser.shot("review-decided")

        final = receiver.wait_count(smile_job_id, 2, timeout=120)[-1].body
        assert final["ResultCode"] == "0810" and final["IsFinalResult"] == "true"
        assert final["IsMachineResult"] == "false"
        assert final["Actions"]["Human_Review_Document_Check"] == "Passed"
        assert Signature(server.partner_id, server.sandbox_key).confirm_signature(
            final["timestamp"], final["signature"]
        )

        browser.goto("/review")
        page.wait_for_selector("#no-review")
        browser.goto(f"/review/{smile_job_id}")
        assert "was reviewed" in page.inner_text("main") and "reviewer@example.test" not in page.inner_text(
            "#outcome"
        )  # the member who decided reads "you"

    names = sorted(path.name for path in browser.screens.iterdir())
    assert len(names) == 4 and all(re.fullmatch(rf"{mode}-\d\d-review-[a-z-]+\.png", name) for name in names)
