"""Blob keys: the one safe-key rule every store applies, and the namespace of direct uploads."""

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
