"""The official Python SDK (smile-id-core 3.0.1), unmodified, against `openkyc serve` on loopback."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import cv2
import httpx
import pytest
from smile_id_core.Signature import Signature
from smile_id_core.WebApi import WebApi

from testkit.documents import DocumentSpec, render_document
from tests.e2e.conftest import CallbackReceiver, Server

pytestmark = pytest.mark.slow

OPTIONS = {
    "return_job_status": True,
    "return_history": True,
    "return_images": True,
    "use_enrolled_image": False,
}


def web_api(server: Server, callbacks: CallbackReceiver) -> WebApi:
    return WebApi(server.partner_id, callbacks.url, server.sandbox_key, server.sid_server)


def params(user_id: str, job_id: str, job_type: int) -> dict[str, Any]:
    return {"user_id": user_id, "job_id": job_id, "job_type": job_type, "app_version": "e2e-1"}


def assert_signed_callback(
    server: Server, callbacks: CallbackReceiver, result: dict[str, Any]
) -> dict[str, Any]:
    body = callbacks.wait_for(result["SmileJobID"])
    assert Signature(server.partner_id, server.sandbox_key).confirm_signature(
        body["timestamp"], body["signature"]
    )
    assert body["ResultCode"] == result["ResultCode"]
    assert body["PartnerParams"]["app_version"] == "e2e-1"  # extra partner_params keys are echoed
    return body


def test_registration_with_file_images_then_authentication(
    server: Server, callbacks: CallbackReceiver, examples: Path
) -> None:
    api = web_api(server, callbacks)
    registration = api.submit_job(
        params("user-files", "reg-files", 4),
        [{"image_type_id": 0, "file_name": str(examples / "knn_examples" / "test" / "obama1.jpg")}],
        {},
        OPTIONS,
    )
    assert registration["job_complete"] is True
    result = registration["result"]
    assert result["ResultType"] and result["PartnerParams"]["user_id"] == "user-files"
    assert registration["job_success"] is True, result
    assert registration["history"] and registration["history"][-1]["ResultCode"] == result["ResultCode"]
    selfie_link = registration["image_links"]["selfie_image"]
    assert httpx.get(selfie_link).content == (examples / "knn_examples" / "test" / "obama1.jpg").read_bytes()
    assert_signed_callback(server, callbacks, result)

    same_person = web_api(server, callbacks).submit_job(
        params("user-files", "auth-same", 2),
        [{"image_type_id": 0, "file_name": str(examples / "obama2.jpg")}],
        {},
        OPTIONS,
    )
    assert same_person["job_complete"] is True and same_person["job_success"] is True, same_person["result"]
    assert same_person["result"]["Actions"]["Selfie_To_Registered_Selfie_Compare"] == "Completed"

    other_person = web_api(server, callbacks).submit_job(
        params("user-files", "auth-other", 2),
        [{"image_type_id": 0, "file_name": str(examples / "biden.jpg")}],
        {},
        OPTIONS,
    )
    assert other_person["job_complete"] is True and other_person["job_success"] is False, other_person[
        "result"
    ]
    assert other_person["result"]["ResultCode"] != same_person["result"]["ResultCode"]
    assert_signed_callback(server, callbacks, other_person["result"])


def test_registration_with_base64_images(server: Server, callbacks: CallbackReceiver, examples: Path) -> None:
    encoded = base64.b64encode((examples / "obama2.jpg").read_bytes()).decode()
    answer = web_api(server, callbacks).submit_job(
        params("user-base64", "reg-base64", 4), [{"image_type_id": 2, "image": encoded}], {}, OPTIONS
    )
    assert answer["job_complete"] is True and answer["job_success"] is True, answer["result"]


def test_document_verification_with_and_without_enrolled_image(
    server: Server, callbacks: CallbackReceiver, examples: Path, tmp_path: Path
) -> None:
    portrait = cv2.imread(str(examples / "knn_examples" / "test" / "obama1.jpg"))
    document = tmp_path / "passport.jpg"
    cv2.imwrite(
        str(document), render_document(DocumentSpec(), portrait_bgr=portrait), [cv2.IMWRITE_JPEG_QUALITY, 92]
    )
    id_info = {"country": "US", "id_type": "PASSPORT"}
    with_selfie = web_api(server, callbacks).submit_job(
        params("user-docv", "docv-selfie", 6),
        [
            {"image_type_id": 0, "file_name": str(examples / "obama2.jpg")},
            {"image_type_id": 1, "file_name": str(document)},
        ],
        id_info,
        OPTIONS,
    )
    assert with_selfie["job_complete"] is True, with_selfie
    result = with_selfie["result"]
    assert result["ResultType"] == "Document Verification"
    assert result["Actions"]["Selfie_To_ID_Card_Compare"] in ("Passed", "Completed"), result
    assert_signed_callback(server, callbacks, result)

    enrolled = web_api(server, callbacks).submit_job(
        params("user-files", "docv-enrolled", 6),
        [{"image_type_id": 1, "file_name": str(document)}],
        id_info,
        {**OPTIONS, "use_enrolled_image": True},
    )
    assert enrolled["job_complete"] is True, enrolled
    assert enrolled["result"]["Actions"]["Selfie_To_ID_Card_Compare"] in ("Passed", "Completed"), enrolled[
        "result"
    ]


def test_bad_credentials_are_the_documented_error(
    server: Server, callbacks: CallbackReceiver, examples: Path
) -> None:
    api = WebApi(server.partner_id, callbacks.url, "wrong-key", server.sid_server)
    with pytest.raises(Exception, match="2205"):
        api.submit_job(
            params("u", "bad-key", 4),
            [{"image_type_id": 0, "file_name": str(examples / "knn_examples" / "test" / "obama1.jpg")}],
            {},
            OPTIONS,
        )
