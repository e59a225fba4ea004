"""The job page in headless Chromium against a real `openkyc serve`, embedded and scaled out: a
Document Verification job run through the API with the official SDK (a selfie and a passport
carrying that face) is found in /portal/jobs, its page shows the result code, the images load
through their expiring links (naturalWidth > 0), the callback delivered, and "Resend callback"
brings the receiver a second one; the users page lists the user the job enrolled, and deleting
it (after the confirmation step) erases the job's images."""

from __future__ import annotations

from pathlib import Path

import cv2
import pytest
from smile_id_core.WebApi import WebApi

from testkit.callback_receiver import CallbackReceiver
from testkit.deployment import Mode
from testkit.documents import DocumentSpec, render_document
from tests.portal.browser import EMBEDDED_ONLY, portal_browser

pytestmark = [pytest.mark.slow, pytest.mark.services]


@pytest.mark.parametrize("mode", EMBEDDED_ONLY)
def test_a_document_verification_job_in_the_portal(
    tmp_path: Path, mode: Mode, faces_dir: Path, receiver: CallbackReceiver
) -> None:
    examples = faces_dir / "ageitgey+face_recognition" / "examples"
    selfie = examples / "knn_examples" / "test" / "obama1.jpg"
    passport = tmp_path / "passport.jpg"
    page_image = render_document(DocumentSpec(), portrait_bgr=cv2.imread(str(selfie)))
    assert cv2.imwrite(str(passport), page_image, [cv2.IMWRITE_JPEG_QUALITY, 92])

    with portal_browser(tmp_path, mode) as browser:
        server, page = browser.server, browser.page
        api = WebApi(server.partner_id, receiver.url, server.sandbox_key, f"{server.base_url}/v1")
        answer = api.submit_job(
            {"user_id": "browser-docv-user", "job_id": "browser-docv-1", "job_type": 6},
            [
                {"image_type_id": 0, "file_name": str(examples / "obama2.jpg")},
                {"image_type_id": 1, "file_name": str(passport)},
            ],
            {"country": "US", "id_type": "PASSPORT"},
            {"return_job_status": True, "return_history": False, "return_images": False},
        )
        assert answer["job_complete"] is True, answer
        result = answer["result"]
        smile_job_id, code = result["SmileJobID"], result["ResultCode"]
        receiver.wait_accepted(smile_job_id)

        browser.sign_in()
        browser.goto("/jobs")
        page.click(f"#jobs a[href$='/jobs/{smile_job_id}']")
        page.wait_for_url(f"**/portal/jobs/{smile_job_id}")
        assert code in page.inner_text("#result") and result["ResultText"] in page.inner_text("#result")
        facts = page.inner_text("#job-facts")
        assert "browser-docv-1" in facts and "browser-docv-user" in facts and "Document Verification" in facts
        images = page.locator("#images img")
        kinds = [images.nth(index).get_attribute("data-kind") for index in range(images.count())]
        # The document as sent, then as the engine cut it out.
        assert kinds == ["selfie", "id_front", "document"]
        for index in range(images.count()):
            image = images.nth(index)
            image.scroll_into_view_if_needed()
            page.wait_for_function("img => img.complete", arg=image.element_handle())
            assert image.evaluate("img => img.naturalWidth") > 0, image.get_attribute("alt")
        actions = page.inner_text("#actions")
        assert "Selfie_To_ID_Card_Compare" in actions and "face_similarity" in actions
        assert "ERIKSSON" in page.inner_text("#mrz")
        assert "delivered" in page.inner_text("#callbacks")
        browser.shot("job-detail")

        page.click("#resend-form button[type=submit]")
        page.wait_for_selector("#resent")
        assert len(receiver.wait_count(smile_job_id, 2)) >= 2
        browser.goto(f"/jobs/{smile_job_id}")
        assert page.locator("#callbacks tbody tr").count() == 2
        browser.shot("job-resent")

        browser.goto("/users")
        assert "browser-docv-user" in page.inner_text("#users")
        browser.shot("users")
        page.click("#users button.danger")
        page.wait_for_selector("#delete-form")
        browser.shot("user-delete")
        page.check("#delete-form input[name=confirm]")
        page.click("#delete-form button[type=submit]")
        page.wait_for_selector("#done")
        assert "deleted" in page.inner_text("#users")
        browser.goto(f"/jobs/{smile_job_id}")
        assert page.locator("#images img").count() == 0 and "erased" in page.inner_text("#no-images")
        browser.shot("job-after-user-deleted")

        image_urls = [url for url in browser.requested if "/v1/images/" in url]
        assert len(image_urls) >= 3  # the images came from this server (portal_browser checks the origin)
