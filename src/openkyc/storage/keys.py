"""Blob keys: the one safe-key rule every store applies, and every key the product writes.

The layout is persistent: retention, user purges and key rotation find a job's blobs by these
names, so a blob written under any other name would outlive its job. Build keys here only.

    jobs/<smile_job_id>/payload.zip          the zip, as taken in (encrypted)
    jobs/<smile_job_id>/<kind>               selfie, id_front, id_back, document (the cropped one), comparison
    jobs/<smile_job_id>/liveness/<n>         liveness frames
    users/<partner_id>/<smile_job_id>/selfie the enrolled copy of a job's selfie (the registration)
    uploads/<smile_job_id>.zip               a direct upload, as the partner PUT it (not encrypted)
"""

from __future__ import annotations

import re

# Keys are ours (job ids + fixed names), never partner-supplied; still, refuse anything that could
# leave the blob directory (or the bucket prefix): no absolute paths, no dot segments, no odd bytes.
_SAFE_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*(/[A-Za-z0-9][A-Za-z0-9_.-]*)*")

# Direct uploads (zips a partner PUTs straight into the bucket) are stored as sent, not encrypted;
# they live under this prefix and nowhere else, so no raw upload is ever read as ciphertext.
UPLOADS_PREFIX = "uploads/"


def check_key(key: str) -> str:
    """``key`` itself when it is safe (relative, no ``..``, plain characters); ValueError otherwise."""
    # fullmatch, not match with "$": "$" also matches before a trailing newline.
    if not _SAFE_KEY.fullmatch(key) or ".." in key:
        raise ValueError(f"unsafe blob key {key!r}")
    return key


def check_blob_key(key: str) -> str:
    """A safe key for an encrypted blob (outside the direct-upload namespace)."""
    if check_key(key).startswith(UPLOADS_PREFIX):
        raise ValueError(f"blob key {key!r} is in the direct-upload namespace {UPLOADS_PREFIX!r}")
    return key


def check_upload_key(key: str) -> str:
    """A safe key for a direct upload (inside the direct-upload namespace)."""
    if not check_key(key).startswith(UPLOADS_PREFIX):
        raise ValueError(f"direct upload key {key!r} is not under {UPLOADS_PREFIX!r}")
    return key


def check_prefix(prefix: str) -> str:
    """A safe listing prefix: empty, a key, or a key followed by '/' (``jobs/``, ``jobs/12``)."""
    if prefix:
        check_key(prefix.removesuffix("/"))
    return prefix


def job_prefix(smile_job_id: str) -> str:
    """Where every blob of a job's own (images, frames, payload) lives; its enrolled copy does not."""
    return f"jobs/{smile_job_id}/"


def payload_key(smile_job_id: str) -> str:
    return f"{job_prefix(smile_job_id)}payload.zip"


def job_image_key(smile_job_id: str, kind: str) -> str:
    """One of a job's images: ``kind`` is selfie, id_front, id_back, document (the engine's crop of
    the document, upright) or comparison."""
    return f"{job_prefix(smile_job_id)}{kind}"


def liveness_frame_key(smile_job_id: str, index: int) -> str:
    return f"{job_prefix(smile_job_id)}liveness/{index}"


def enrolment_prefix(partner_id: str, smile_job_id: str) -> str:
    """Where the copies made to enrol a job's user live (kept when the job itself is purged)."""
    return f"users/{partner_id}/{smile_job_id}/"


def enrolled_selfie_key(partner_id: str, smile_job_id: str) -> str:
    return f"{enrolment_prefix(partner_id, smile_job_id)}selfie"


def direct_upload_key(smile_job_id: str) -> str:
    return f"{UPLOADS_PREFIX}{smile_job_id}.zip"


def direct_upload_job(key: str) -> str | None:
    """The SmileJobID whose direct-upload key ``key`` is; None for any other name."""
    if not key.startswith(UPLOADS_PREFIX) or not key.endswith(".zip"):
        return None
    smile_job_id = key.removeprefix(UPLOADS_PREFIX).removesuffix(".zip")
    return smile_job_id if direct_upload_key(smile_job_id) == key else None
