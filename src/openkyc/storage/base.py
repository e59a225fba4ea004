"""What every blob store offers: encrypted blobs under our keys, and optionally direct uploads."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Protocol


class BlobNotFound(KeyError):
    """No blob under that key."""


class BlobStore(Protocol):
    def put(self, key: str, data: bytes) -> None:
        """Store ``data`` under ``key``, encrypted at rest, atomically."""

    def get(self, key: str) -> bytes:
        """The decrypted blob; :class:`BlobNotFound` when absent."""

    def exists(self, key: str) -> bool:
        """Whether a blob is stored under ``key``."""

    def delete(self, key: str) -> None:
        """Remove ``key`` (a missing key is not an error)."""

    def keys(self, prefix: str = "") -> Iterator[str]:
        """Every stored key under ``prefix`` (key rotation, purges)."""

    def check(self) -> None:
        """Raise when the store cannot be reached (readiness)."""

    def direct_upload_url(self, key: str, expires_in: timedelta) -> str | None:
        """A URL the partner PUTs a zip to straight into storage; None: the API receives uploads."""

    def uploaded_size(self, key: str) -> int | None:
        """Size of a direct upload under ``key`` (stored as sent, not encrypted); None if absent."""

    def read_upload(self, key: str, max_bytes: int) -> bytes:
        """The bytes of a direct upload (at most ``max_bytes``); :class:`BlobNotFound` if absent."""
