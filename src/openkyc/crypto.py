"""Encryption at rest for secrets (API keys) and biometric data (selfies, face embeddings).

One master key per installation, from ``OPENKYC_MASTER_KEY`` or a ``master.key`` file (mode 0600)
created in the data directory on first start. API keys must be recoverable (the server recomputes
each request's HMAC and signs its responses with them), so they are encrypted, not hashed.
"""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from openkyc.config import Settings


class DecryptionError(Exception):
    """Stored data could not be decrypted with the installation's master key(s)."""


class SecretBox:
    """Authenticated encryption (Fernet: AES-128-CBC + HMAC-SHA256) with key rotation support."""

    def __init__(self, keys: list[bytes]) -> None:
        if not keys:
            raise ValueError("at least one master key is required")
        self._fernet = MultiFernet([Fernet(key) for key in keys])
        self._primary = base64.urlsafe_b64decode(keys[0])

    def encrypt(self, data: bytes) -> bytes:
        return self._fernet.encrypt(data)

    def decrypt(self, token: bytes) -> bytes:
        try:
            return self._fernet.decrypt(token)
        except InvalidToken as error:
            raise DecryptionError("stored data does not decrypt with the master key") from error

    def derive_key(self, purpose: bytes) -> bytes:
        """A 32-byte key for ``purpose``, derived (HKDF-SHA256) from the newest master key."""
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(self._primary)

    def encrypt_text(self, text: str) -> bytes:
        return self.encrypt(text.encode("utf-8"))

    def decrypt_text(self, token: bytes) -> str:
        return self.decrypt(token).decode("utf-8")


def load_secret_box(settings: Settings) -> SecretBox:
    """The installation's box: env keys (comma-separated, newest first) or the data-dir key file."""
    env_keys = os.environ.get("OPENKYC_MASTER_KEY", "")
    if env_keys:
        return SecretBox([key.strip().encode() for key in env_keys.split(",") if key.strip()])
    return SecretBox([_key_file(settings.master_key_file)])


def _key_file(path: Path) -> bytes:
    if path.exists():
        return path.read_bytes().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key()
    # O_EXCL: two processes starting together must not each write a different key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
    return key


def fingerprint(secret: str) -> str:
    """A short, non-reversible label for a secret (shown in listings and logs instead of it)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()[:12]
