"""Biometric KYC (job_type 1) with the official Python SDK's ``WebApi.submit_job``, unmodified."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from smile_id_core.ServerError import ServerError
from smile_id_core.WebApi import WebApi

from tests.e2e.conftest import CallbackReceiver, Server
from tests.e2e.test_python_sdk import OPTIONS, assert_signed_callback, params

pytestmark = pytest.mark.slow

ID_INFO = {"country": "NG", "id_type": "BVN", "first_name": "Joe", "last_name": "Doe", "entered": True}


def test_biometric_kyc_with_the_id_card_as_the_photo(
    server: Server, callbacks: CallbackReceiver, examples: Path
) -> None:
    api = WebApi(server.partner_id, callbacks.url, server.sandbox_key, server.sid_server)
    answer = api.submit_job(
        params("bkyc-user", "bkyc-card", 1),
        [
            {"image_type_id": 0, "file_name": str(examples / "obama2.jpg")},
            {"image_type_id": 1, "file_name": str(examples / "knn_examples" / "test" / "obama1.jpg")},
        ],
        {**ID_INFO, "id_number": "00000000000"},
        OPTIONS,
    )
    assert answer["job_complete"] is True and answer["job_success"] is True, answer["result"]
    result = answer["result"]
    assert (result["ResultCode"], result["ResultType"], result["FullName"]) == ("0810", "DIVA", "Joe Leo Doe")
    assert result["Actions"]["Selfie_To_ID_Card_Compare"] == "Completed"
    assert result["Actions"]["Verify_ID_Number"] == "Verified"
    assert_signed_callback(server, callbacks, result)


def test_biometric_kyc_number_not_found(server: Server, callbacks: CallbackReceiver, examples: Path) -> None:
    api = WebApi(server.partner_id, callbacks.url, server.sandbox_key, server.sid_server)
    answer = api.submit_job(
        params("bkyc-user", "bkyc-1013", 1),
        [{"image_type_id": 0, "file_name": str(examples / "obama2.jpg")}],
        {**ID_INFO, "id_number": "00000000001"},
        OPTIONS,
    )
    assert answer["job_complete"] is True and answer["job_success"] is False
    assert answer["result"]["ResultCode"] == "1013"
    assert_signed_callback(server, callbacks, answer["result"])


def test_biometric_kyc_unsupported_id_type_is_surfaced(
    server: Server, callbacks: CallbackReceiver, examples: Path
) -> None:
    api = WebApi(server.partner_id, callbacks.url, server.sandbox_key, server.sid_server)

    def submit() -> dict[str, Any]:
        answer: dict[str, Any] = api.submit_job(
            params("bkyc-user", "bkyc-2413", 1),
            [{"image_type_id": 0, "file_name": str(examples / "obama2.jpg")}],
            {**ID_INFO, "id_type": "NOPE", "id_number": "00000000000"},
            OPTIONS,
        )
        return answer

    if server.mode == "scaled":
        # The zip went straight to S3, which cannot answer 2413: it is the job's failed result.
        answer = submit()
        assert answer["job_complete"] is True and answer["job_success"] is False
        assert answer["result"]["ResultCode"] == "2413", answer["result"]
        return
    with pytest.raises(ServerError, match="2413"):
        submit()
