"""A full run against `openkyc serve` leaves no secret and no PII in its log, which is JSON lines.

Jobs go in through the official Python SDK (SmartSelfie registration, Document Verification with a
distinctive name, ID number and birth date, Enhanced KYC look-ups), plus error paths (a wrong key,
a forged signature, a corrupt zip). Then serve.log, shared with the other e2e tests of the session
(whose lines must be clean too), is searched for every secret and personal value sent or returned.
"""

from __future__ import annotations

import base64
import json
import re
import time
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import cv2
import httpx
import pytest
from smile_id_core.IdApi import IdApi
from smile_id_core.Signature import Signature
from smile_id_core.WebApi import WebApi

from testkit.documents import DocumentSpec, render_document
from tests.e2e.conftest import CallbackReceiver, Server

pytestmark = pytest.mark.slow

FIRST, LAST, DOB = "Zenobia", "Quarrington", "1987-03-14"
DOCUMENT_NUMBER = "X48213977"
KYC_FIRST, KYC_LAST = "Ottoline", "Featherstonehaugh"
UNKNOWN_BVN = "48213977065"
# What the native libraries under the engine (mediapipe's TFLite and absl logging) write straight to
# file descriptor 2 while loading models, beyond Python's logging: checked for PII like the rest.
NATIVE_LINE = re.compile(r"^(?:[IWEF]\d{4} \d\d:\d\d:\d+\.\d+\s+\d+ [\w.]+:\d+\] |(?:INFO|WARNING|ERROR): )")
OPTIONS = {
    "return_job_status": True,
    "return_history": True,
    "return_images": True,
    "use_enrolled_image": False,
}


def _fragments(image: Path) -> list[str]:
    """Pieces of the image's base64 (as the SDKs send it): any of them in the log is a leak."""
    encoded = base64.b64encode(image.read_bytes()).decode()
    return [encoded[offset : offset + 32] for offset in (0, 400, len(encoded) // 2, len(encoded) - 40)]


def _signed(server: Server, key: str | None = None, **fields: Any) -> dict[str, Any]:
    signature = Signature(server.partner_id, key or server.sandbox_key).generate_signature()
    return {"partner_id": server.partner_id, **signature, **fields}


def _wait_complete(server: Server, user_id: str, job_id: str, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = httpx.post(
            f"{server.sid_server}/job_status", json=_signed(server, user_id=user_id, job_id=job_id)
        ).json()
        if body.get("job_complete"):
            return dict(body)
        time.sleep(0.5)
    raise TimeoutError(f"job {job_id} did not complete")


def _sig_of(link: str) -> str:
    return parse_qs(urlsplit(link).query)["sig"][0]


def test_a_full_run_logs_no_secret_and_no_pii(
    server: Server, callbacks: CallbackReceiver, faces_dir: Path, tmp_path: Path
) -> None:
    examples = faces_dir / "ageitgey+face_recognition" / "examples"
    selfie, second_selfie = examples / "knn_examples" / "test" / "obama1.jpg", examples / "obama2.jpg"
    document = tmp_path / "passport.jpg"
    spec = DocumentSpec(
        document_number=DOCUMENT_NUMBER,
        surname=LAST.upper(),
        given_names=FIRST.upper(),
        birth_date=date.fromisoformat(DOB),
    )
    cv2.imwrite(
        str(document),
        render_document(spec, portrait_bgr=cv2.imread(str(selfie))),
        [cv2.IMWRITE_JPEG_QUALITY, 92],
    )
    forbidden: dict[str, str] = {"api key": server.sandbox_key}
    for value in (FIRST, LAST, FIRST.upper(), LAST.upper(), DOB, DOCUMENT_NUMBER, KYC_FIRST, KYC_LAST):
        forbidden[f"PII {value}"] = value
    forbidden["ID number"] = UNKNOWN_BVN
    for image in (selfie, second_selfie, document):
        for index, fragment in enumerate(_fragments(image)):
            forbidden[f"base64 of {image.name} #{index}"] = fragment

    # SmartSelfie registration, then Document Verification against it, with a callback each.
    api = WebApi(server.partner_id, callbacks.url, server.sandbox_key, server.sid_server)
    params = {"user_id": "pii-user", "job_id": "pii-registration", "job_type": 4}
    registration = api.submit_job(params, [{"image_type_id": 0, "file_name": str(selfie)}], {}, OPTIONS)
    assert registration["job_complete"] is True, registration
    forbidden["image link signature"] = _sig_of(registration["image_links"]["selfie_image"])
    forbidden["callback signature"] = callbacks.wait_for(registration["result"]["SmileJobID"])["signature"]

    id_info = {
        "country": "US",
        "id_type": "PASSPORT",
        "first_name": FIRST,
        "last_name": LAST,
        "dob": DOB,
        "id_number": DOCUMENT_NUMBER,
        "entered": True,
    }
    params = {"user_id": "pii-user", "job_id": "pii-docv", "job_type": 6}
    docv = WebApi(server.partner_id, callbacks.url, server.sandbox_key, server.sid_server).submit_job(
        params,
        [
            {"image_type_id": 2, "image": base64.b64encode(second_selfie.read_bytes()).decode()},
            {"image_type_id": 1, "file_name": str(document)},
        ],
        id_info,
        OPTIONS,
    )
    assert docv["job_complete"] is True, docv
    returned = docv["result"]
    for field in ("FullName", "IDNumber", "DOB"):
        value = str(returned.get(field) or "")
        if len(value) >= 6 and value != "Not Available":
            forbidden[f"returned {field}"] = value

    # Enhanced KYC: a sandbox number the authority knows, and one it does not.
    id_api = IdApi(server.partner_id, server.sandbox_key, server.sid_server)
    kyc_info = {"country": "NG", "id_type": "BVN", "first_name": KYC_FIRST, "last_name": KYC_LAST, "dob": DOB}
    known = id_api.submit_job(
        {"user_id": "pii-kyc", "job_id": "pii-kyc-1", "job_type": 5}, {**kyc_info, "id_number": "00000000000"}
    )
    assert known["ResultCode"] == "1012", known
    forbidden["authority's full name"] = known["FullName"]
    forbidden["result signature"] = known["signature"]
    id_api.submit_job(
        {"user_id": "pii-kyc", "job_id": "pii-kyc-2", "job_type": 5}, {**kyc_info, "id_number": UNKNOWN_BVN}
    )

    # Error paths: a wrong key, a forged signature, junk, a corrupt zip.
    with pytest.raises(Exception, match="2205"):
        WebApi(server.partner_id, callbacks.url, "wrong-key-0f3e9a", server.sid_server).submit_job(
            {"user_id": "pii-user", "job_id": "pii-bad-key", "job_type": 4},
            [{"image_type_id": 0, "file_name": str(selfie)}],
            {},
            OPTIONS,
        )
    forged = _signed(server, key="a-key-that-is-not-ours", user_id="pii-user", job_id="pii-registration")
    forbidden["forged signature"] = forged["signature"]
    assert httpx.post(f"{server.sid_server}/job_status", json=forged).status_code >= 400
    assert httpx.post(
        f"{server.sid_server}/job_status", content=b'{"id_number": "' + UNKNOWN_BVN.encode()
    ).is_error

    prep = httpx.post(
        f"{server.sid_server}/upload",
        json=_signed(
            server,
            smile_client_id=server.partner_id,
            partner_params={"user_id": "pii-corrupt-user", "job_id": "pii-corrupt", "job_type": 4},
        ),
    ).json()
    forbidden["upload token"] = prep["upload_url"].rsplit("/", 1)[1]
    corrupt = httpx.put(prep["upload_url"], content=b"PK\x03\x04" + b"\x00" * 64 + UNKNOWN_BVN.encode())
    assert corrupt.status_code == 200, corrupt.text
    refused = _wait_complete(server, "pii-corrupt-user", "pii-corrupt")
    assert refused["job_success"] is False

    # serve.log, and in the scaled deployment the worker processes' logs too.
    logs = {path.name: path.read_text(errors="replace") for path in sorted(server.data_dir.glob("*.log"))}
    assert "serve.log" in logs
    for name, text in logs.items():
        for what, value in forbidden.items():
            assert value not in text, f"{what} ({value[:12]}…) is in {name}"

    lines: list[dict[str, Any]] = []
    for name, text in logs.items():
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip() or NATIVE_LINE.match(line):
                continue
            if name != "serve.log" and not line.startswith("{"):
                continue  # Celery's console output (banner, shutdown notices) in worker logs
            try:
                lines.append(json.loads(line))
            except ValueError:
                pytest.fail(f"{name}:{number} is not a JSON log line: {line[:200]}")
    assert all({"ts", "level", "logger", "message"} <= line.keys() for line in lines)
    # What the job flow logs (on whichever worker ran it) names the job.
    job_lines = [line for line in lines if line["logger"] == "openkyc.jobs.flows"]
    assert all("smile_job_id" in line for line in job_lines), job_lines
    assert any(
        line.get("smile_job_id") == prep["smile_job_id"] and "payload refused" in line["message"]
        for line in job_lines
    )
