"""The KYC receipt of a real job, through the official Python SDK: submit_job's job_status answer
carries ``kyc_receipt``, and the link answers a PDF about the job without the holder's data."""

from __future__ import annotations

import io
from pathlib import Path

import httpx
import pytest
from pypdf import PdfReader
from smile_id_core.WebApi import WebApi

from tests.e2e.conftest import CallbackReceiver, Server
from tests.e2e.test_python_sdk import OPTIONS, params
from tests.e2e.test_python_sdk_biometric_kyc import ID_INFO

pytestmark = pytest.mark.slow


def test_a_biometric_kyc_job_status_links_its_receipt(
    server: Server, callbacks: CallbackReceiver, examples: Path
) -> None:
    api = WebApi(server.partner_id, callbacks.url, server.sandbox_key, server.sid_server)
    answer = api.submit_job(
        params("receipt-user-Qx71", "receipt-job-1", 1),
        [
            {"image_type_id": 0, "file_name": str(examples / "obama2.jpg")},
            {"image_type_id": 1, "file_name": str(examples / "knn_examples" / "test" / "obama1.jpg")},
        ],
        {**ID_INFO, "id_number": "00000000000"},
        OPTIONS,
    )
    assert answer["job_complete"] is True, answer
    result = answer["result"]
    link = answer["kyc_receipt"]
    assert result["KYCReceipt"] == link
    assert link.startswith(f"{server.base_url}/v1/receipts/{result['SmileJobID']}?expires=")

    # The callback carries a link too: `openkyc serve` (embedded) gives the address it listens on;
    # a scaled-out deployment's Celery worker knows none unless OPENKYC_PUBLIC_BASE_URL names one.
    called_back = callbacks.wait_for(result["SmileJobID"])
    if server.mode == "embedded":
        assert called_back["KYCReceipt"].startswith(f"{server.base_url}/v1/receipts/{result['SmileJobID']}?")
        assert httpx.get(called_back["KYCReceipt"], timeout=30).status_code == 200
    else:
        assert "KYCReceipt" not in called_back

    pdf = httpx.get(link, timeout=30)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    for expected in (result["SmileJobID"], "receipt-job-1", "Biometric KYC", result["ResultCode"]):
        assert expected in text, expected
    # The sandbox authority's answer (a name, a date of birth...) and the partner's user_id are in
    # the result; none of it is in the receipt.
    personal = [result[key] for key in ("FullName", "DOB", "IDNumber") if result.get(key)]
    assert personal and "receipt-user-Qx71" not in text
    for value in personal:
        assert value not in text and value.encode() not in pdf.content, value

    expired = httpx.get(link.replace("sig=", "sig=x"), timeout=30)
    assert expired.status_code == 404 and expired.json()["code"] == "2404"
