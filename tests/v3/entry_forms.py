"""Multipart bodies for the V3 entry endpoints' tests, as the official SDKs send them: scalar text
parts, JSON parts, one binary part per image (``liveness_images`` repeated). Images are the shared
test data, read in place."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select

from openkyc.db import transaction
from openkyc.jobs.models import Job
from openkyc.runtime import Runtime

TESTDATA = Path(__file__).resolve().parents[2].parent / "shared" / "testdata"
FACES = TESTDATA / "faces" / "ageitgey+face_recognition" / "examples"
PASSPORTS = TESTDATA / "docs" / "konstantint+PassportEye" / "tests" / "data"

# Smile ID's V3 sandbox test identity that clears (notes §9), and one the authority cannot serve.
CLEARWATER = {
    "given_names": "Amina Fatou",
    "last_name": "Clearwater",
    "email": "amina.clearwater@example.com",
}
DOWNSWORTH = {
    "given_names": "Ngozi Ifeoma",
    "last_name": "Downsworth",
    "email": "ngozi.downsworth@example.com",
}
CONSENT = {
    "granted": True,
    "granted_at": "2026-03-10T12:00:00.000Z",
    "notice_language": "EN",
    "notice_privacy_policy_url": "https://example.com/privacy",
}
CALLBACK = "https://partner.example/callback"

File = tuple[str, tuple[str, bytes, str]]


def read(path: Path) -> bytes:
    return path.read_bytes()


def selfie() -> bytes:
    return read(FACES / "obama.jpg")


def other_selfie() -> bytes:
    return read(FACES / "obama2.jpg")


def passport() -> bytes:
    return read(PASSPORTS / "passport-td3.jpg")


def png() -> bytes:
    return read(PASSPORTS / "passport-td3.png")


def frames(count: int = 6) -> list[bytes]:
    """Liveness frames: JPEGs that decode (the entry checks look no further)."""
    return [selfie()] * count


def jpeg(colour: tuple[int, int, int] = (90, 120, 150), size: tuple[int, int] = (64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG")
    return buffer.getvalue()


def fields(**extra: Any) -> dict[str, str]:
    """The shared text and JSON parts (user_details, consent, callback_url) and ``extra``; a value
    None leaves the part out, a dict or list is sent as JSON."""
    parts: dict[str, Any] = {
        "user_details": CLEARWATER,
        "consent": CONSENT,
        "callback_url": CALLBACK,
        **extra,
    }
    return {
        name: json.dumps(value) if isinstance(value, dict | list) else str(value)
        for name, value in parts.items()
        if value is not None
    }


def images(
    *,
    selfie_image: bytes | None = None,
    liveness: Sequence[bytes] = (),
    **named: bytes | None,
) -> list[File]:
    found: list[File] = []
    if selfie_image is not None:
        found.append(("selfie_image", ("selfie.jpg", selfie_image, "image/jpeg")))
    found += [
        ("liveness_images", (f"liveness_{i}.jpg", frame, "image/jpeg")) for i, frame in enumerate(liveness)
    ]
    for name, data in named.items():
        if data is not None:
            kind = "image/png" if data.startswith(b"\x89PNG") else "image/jpeg"
            found.append((name, (f"{name}.jpg", data, kind)))
    return found


def post(
    client: TestClient,
    path: str,
    auth: dict[str, str],
    *,
    files: list[File] | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> httpx.Response:
    """A multipart POST (always multipart: a file-less body gets one empty text part's framing)."""
    data = fields(**extra)
    if not files:
        # httpx sends a urlencoded body when there are no files: the SDKs never do.
        files_or_marker: Any = [("_", (None, ""))]
        answer: httpx.Response = client.post(
            path, data=data, files=files_or_marker, headers={**auth, **(headers or {})}
        )
        return answer
    answer = client.post(path, data=data, files=files, headers={**auth, **(headers or {})})
    return answer


def stored(runtime: Runtime, job_id: str) -> Job:
    with transaction(runtime.sessions) as session:
        job = session.scalars(select(Job).where(Job.job_id == job_id)).one()
        session.expunge(job)
    return job


def accepted(answer: httpx.Response) -> dict[str, Any]:
    """The 202 body, checked to be exactly the spec's AcceptedResponse."""
    assert answer.status_code == 202, answer.text
    body: dict[str, Any] = answer.json()
    assert set(body) == {"status", "message", "job_id", "user_id", "created_at"}
    assert body["status"] == "accepted" and body["message"] == "Request accepted and queued for processing."
    assert body["created_at"].endswith("Z") and len(body["created_at"]) == len("2026-03-10T12:00:00.000Z")
    return body


def refused(answer: httpx.Response, status: int, message: str) -> None:
    assert answer.status_code == status, answer.text
    assert answer.json()["message"] == message, answer.json()
