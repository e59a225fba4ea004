"""Expiring capability links (upload URLs are random tokens; image links are signed like this)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime

from openkyc.crypto import SecretBox


class LinkSigner:
    """HMAC-SHA256 over a resource path and its expiry, with a key derived from the master key."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    @classmethod
    def from_box(cls, box: SecretBox) -> LinkSigner:
        # Deterministic per installation so links survive a restart and work across API processes;
        # derived, not the master key itself, so a leaked link key decrypts nothing.
        seed = box.derive_key(b"openkyc image links v1")
        return cls(seed)

    def sign(self, resource: str, expires: datetime) -> tuple[int, str]:
        expiry = int(expires.timestamp())
        return expiry, self._mac(resource, expiry)

    def verify(self, resource: str, expiry: int, signature: str, now: datetime) -> bool:
        if expiry < int(now.timestamp()):
            return False
        # Compared as bytes: compare_digest refuses str with non-ASCII characters (a TypeError, a
        # 500), while any bytes compare in constant time and a non-ASCII sig simply does not match.
        received = signature.encode("utf-8", "surrogatepass")
        return hmac.compare_digest(self._mac(resource, expiry).encode("ascii"), received)

    def _mac(self, resource: str, expiry: int) -> str:
        message = f"{resource}\n{expiry}".encode("utf-8", "surrogatepass")
        digest = hmac.new(self._key, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
