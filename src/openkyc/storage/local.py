"""Blobs in a local directory, encrypted at rest (selfies and documents are biometric/PII data)."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from openkyc.crypto import SecretBox
from openkyc.storage.base import BlobNotFound

# Keys are ours (job ids + fixed names), never partner-supplied; still, refuse anything that could
# leave the blob directory.
_SAFE_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*(/[A-Za-z0-9][A-Za-z0-9_.-]*)*$")


class LocalBlobStore:
    def __init__(self, root: Path, box: SecretBox) -> None:
        self.root = root
        self._box = box
        root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        if not _SAFE_KEY.match(key) or ".." in key:
            raise ValueError(f"unsafe blob key {key!r}")
        return self.root / key

    def put(self, key: str, data: bytes) -> None:
        """Store ``data`` under ``key`` atomically (a reader never sees half a blob)."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(self._box.encrypt(data))
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes:
        try:
            token = self._path(key).read_bytes()
        except FileNotFoundError as error:
            raise BlobNotFound(key) from error
        return self._box.decrypt(token)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)
