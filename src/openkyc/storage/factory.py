"""The blob store a configuration names: S3 for ``s3://bucket/prefix``, else the local directory."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from openkyc.config import Settings
from openkyc.crypto import SecretBox
from openkyc.storage.base import BlobStore
from openkyc.storage.local import LocalBlobStore
from openkyc.storage.s3 import S3BlobStore, make_s3_client

# S3's bucket naming rules (3-63 characters; lowercase letters, digits, dots and hyphens).
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


def parse_storage_url(url: str) -> tuple[str, str]:
    """``s3://bucket/some/prefix`` as ``("bucket", "some/prefix")``; ValueError if malformed."""
    parts = urlsplit(url)
    if parts.scheme != "s3":
        raise ValueError(f"storage URL {url!r} is not s3://bucket/prefix")
    if not parts.netloc:
        raise ValueError(f"storage URL {url!r} names no bucket (expected s3://bucket/prefix)")
    if not _BUCKET.fullmatch(parts.netloc):
        raise ValueError(f"storage URL {url!r}: {parts.netloc!r} is not a valid S3 bucket name")
    if parts.query or parts.fragment:
        raise ValueError(f"storage URL {url!r} has a query or fragment (expected s3://bucket/prefix)")
    return parts.netloc, parts.path.strip("/")


def build_blob_store(settings: Settings, box: SecretBox) -> BlobStore:
    """S3 when ``OPENKYC_STORAGE_URL`` is ``s3://...``; the local blob directory when it is empty."""
    if settings.uses_s3:
        bucket, prefix = parse_storage_url(settings.storage_url)
        client = make_s3_client(settings.s3_endpoint_url or None, settings.s3_region)
        return S3BlobStore(bucket, prefix, box, client)
    # Refused rather than ignored: a typo ("S3://...") must not put biometric data on a local disk.
    if settings.storage_url:
        raise ValueError(
            f"unsupported storage URL {settings.storage_url!r}: leave it empty (local directory) "
            "or use s3://bucket/prefix"
        )
    return LocalBlobStore(settings.blob_dir, box)
