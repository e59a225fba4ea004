"""Blobs in an S3-compatible bucket (AWS S3, MinIO, Ceph RGW, moto), encrypted by us before upload.

Layout, under the store prefix ``<prefix>/`` of ``OPENKYC_STORAGE_URL=s3://bucket/prefix``:

- ``<prefix>/<key>``: the blobs of :meth:`put`/:meth:`get`, Fernet ciphertext (``box.encrypt``).
  Biometric data is encrypted at rest by us; the bucket's own encryption is not relied upon.
- ``<prefix>/uploads/<name>``: direct uploads. The caller asks for
  ``direct_upload_url("uploads/<smile_job_id>.zip", ttl)`` and hands that presigned PUT URL to the
  partner, whose SDK PUTs the zip straight into the bucket. These objects are stored as sent (the
  partner wrote them, not us): a worker reads them with :meth:`read_upload`, stores what it keeps
  with :meth:`put` (encrypted, under ``jobs/...``) and removes the raw zip with :meth:`delete`.
  Blob keys may not start with ``uploads/`` and upload keys must, so the two never mix.

A presigned URL lives at most as long as the credentials that signed it: with temporary (role)
credentials it can expire before ``expires_in``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing
from datetime import timedelta
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from openkyc.crypto import SecretBox
from openkyc.storage.base import BlobNotFound
from openkyc.storage.keys import check_blob_key, check_key, check_prefix, check_upload_key

# The longest a SigV4 presigned URL may be valid.
MAX_PRESIGN_SECONDS = 7 * 24 * 3600
# Error codes S3 (and its clones) answer for an absent object: HEAD has no body, hence a bare 404.
_MISSING = frozenset({"NoSuchKey", "404", "NotFound"})
_READ_CHUNK = 1024 * 1024


class UploadTooLarge(ValueError):
    """A direct upload is larger than the caller accepts."""


def make_s3_client(endpoint_url: str | None, region: str) -> Any:
    """A boto3 S3 client with bounded timeouts and retries; path-style for a custom endpoint."""
    config = Config(
        # max_attempts counts retries after the first try (botocore: total_max_attempts == 6).
        retries={"max_attempts": 5, "mode": "standard"},
        connect_timeout=5,
        read_timeout=30,
        signature_version="s3v4",
        # MinIO, Ceph and moto serve http://host:port/bucket/key, not bucket.host.
        s3={"addressing_style": "path"} if endpoint_url else None,
    )
    return boto3.client("s3", endpoint_url=endpoint_url or None, region_name=region, config=config)


def _is_missing(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") in _MISSING


class S3BlobStore:
    def __init__(
        self, bucket: str, prefix: str, box: SecretBox, client: Any, *, page_size: int = 1000
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.client = client
        self._box = box
        self._page_size = page_size
        self._root = f"{check_key(self.prefix)}/" if self.prefix else ""

    def _object(self, key: str) -> str:
        return self._root + key

    def _head(self, key: str) -> dict[str, Any] | None:
        try:
            response: dict[str, Any] = self.client.head_object(Bucket=self.bucket, Key=self._object(key))
        except ClientError as error:
            if _is_missing(error):
                return None
            raise
        return response

    def put(self, key: str, data: bytes) -> None:
        """Store ``data`` encrypted under ``key`` (a PUT is atomic: readers see old or new, never half)."""
        self.client.put_object(
            Bucket=self.bucket,
            Key=self._object(check_blob_key(key)),
            Body=self._box.encrypt(data),
            ContentType="application/octet-stream",
        )

    def get(self, key: str) -> bytes:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self._object(check_blob_key(key)))
        except ClientError as error:
            if _is_missing(error):
                raise BlobNotFound(key) from error
            raise
        with closing(response["Body"]) as body:
            token: bytes = body.read()
        return self._box.decrypt(token)

    def exists(self, key: str) -> bool:
        return self._head(check_key(key)) is not None

    def delete(self, key: str) -> None:
        # S3 answers 204 for an absent key too.
        self.client.delete_object(Bucket=self.bucket, Key=self._object(check_key(key)))

    def keys(self, prefix: str = "") -> Iterator[str]:
        """Stored keys under ``prefix``, in S3's (lexicographic) order, one listing page at a time."""
        paginator = self.client.get_paginator("list_objects_v2")
        pages = paginator.paginate(
            Bucket=self.bucket,
            Prefix=self._object(check_prefix(prefix)),
            PaginationConfig={"PageSize": self._page_size},
        )
        for page in pages:
            for item in page.get("Contents", []):
                key = str(item["Key"])[len(self._root) :]
                # Objects we did not write (console "folders", odd names) are not blobs of ours.
                try:
                    yield check_key(key)
                except ValueError:
                    continue

    def check(self) -> None:
        """Raise (botocore's error) unless the bucket exists and our credentials reach it."""
        self.client.head_bucket(Bucket=self.bucket)

    def direct_upload_url(self, key: str, expires_in: timedelta) -> str | None:
        """A SigV4 presigned PUT URL for ``uploads/...`` that signs only the host header."""
        seconds = int(expires_in.total_seconds())
        if not 1 <= seconds <= MAX_PRESIGN_SECONDS:
            raise ValueError(f"a presigned URL lasts 1 s to 7 days, not {expires_in}")
        # No ContentType in Params: the Smile ID SDKs send their own Content-Type (application/zip,
        # or another from the Node SDK), and a signed one would make S3 refuse any other.
        url: str = self.client.generate_presigned_url(
            "put_object",
            Params={"Bucket": self.bucket, "Key": self._object(check_upload_key(key))},
            ExpiresIn=seconds,
        )
        return url

    def uploaded_size(self, key: str) -> int | None:
        head = self._head(check_upload_key(key))
        return None if head is None else int(head["ContentLength"])

    def read_upload(self, key: str, max_bytes: int) -> bytes:
        """The raw upload; :class:`UploadTooLarge` if it exceeds ``max_bytes``, without reading it all."""
        size = self.uploaded_size(key)
        if size is None:
            raise BlobNotFound(key)
        if size > max_bytes:
            raise UploadTooLarge(f"upload {key!r} is {size} bytes, over the {max_bytes}-byte limit")
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self._object(key))
        except ClientError as error:
            if _is_missing(error):
                raise BlobNotFound(key) from error
            raise
        # The partner may PUT again between our HEAD and GET: never buffer more than the limit.
        with closing(response["Body"]) as body:
            data = _read_at_most(body, max_bytes + 1)
        if len(data) > max_bytes:
            raise UploadTooLarge(f"upload {key!r} grew over the {max_bytes}-byte limit while read")
        return data


def _read_at_most(body: Any, limit: int) -> bytes:
    """Up to ``limit`` bytes of a stream (``read(n)`` may return fewer than ``n`` before the end)."""
    chunks: list[bytes] = []
    remaining = limit
    while remaining > 0:
        chunk: bytes = body.read(min(remaining, _READ_CHUNK))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)
