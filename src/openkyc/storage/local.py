"""Blobs in a local directory, encrypted at rest (selfies and documents are biometric/PII data)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

from openkyc.crypto import SecretBox
from openkyc.storage.base import BlobNotFound
from openkyc.storage.keys import check_blob_key, check_key, check_prefix, check_upload_key


class LocalBlobStore:
    def __init__(self, root: Path, box: SecretBox) -> None:
        self.root = root
        self._box = box
        root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put(self, key: str, data: bytes) -> None:
        """Store ``data`` under ``key`` atomically (a reader never sees half a blob)."""
        path = self._path(check_blob_key(key))
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
            token = self._path(check_blob_key(key)).read_bytes()
        except FileNotFoundError as error:
            raise BlobNotFound(key) from error
        return self._box.decrypt(token)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def keys(self, prefix: str = "") -> Iterator[str]:
        """Stored keys under ``prefix``, sorted within each directory."""
        # Walk only the deepest directory the prefix names completely ("jobs/12" walks jobs/).
        directory = check_prefix(prefix).rpartition("/")[0]
        top = self.root / directory if directory else self.root
        for current, dirnames, filenames in os.walk(top):
            # No key segment starts with a dot: such entries are temporary files of put().
            dirnames[:] = sorted(name for name in dirnames if not name.startswith("."))
            relative = Path(current).relative_to(self.root).as_posix()
            for name in sorted(filenames):
                key = name if relative == "." else f"{relative}/{name}"
                if not name.startswith(".") and key.startswith(prefix):
                    yield key

    def check(self) -> None:
        """Raise OSError unless the blob directory exists and accepts new files."""
        if not self.root.is_dir():
            raise FileNotFoundError(f"blob directory {self.root} is missing")
        # A real (anonymous, self-deleting) file: permission bits alone miss read-only mounts and ACLs.
        with tempfile.TemporaryFile(dir=self.root, prefix=".tmp-check-"):
            pass

    def direct_upload_url(self, key: str, expires_in: timedelta) -> str | None:
        """None: partners upload to the API, which stores the zip itself."""
        check_upload_key(key)
        return None

    def uploaded_size(self, key: str) -> int | None:
        """None: a local store never holds direct uploads."""
        check_upload_key(key)
        return None

    def read_upload(self, key: str, max_bytes: int) -> bytes:
        """Always :class:`BlobNotFound`: a local store never holds direct uploads."""
        raise BlobNotFound(check_upload_key(key))
