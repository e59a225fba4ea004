"""TOTP (RFC 6238: 30 s steps, 6 digits, SHA-1 as every authenticator app expects) and recovery codes.

A code is accepted for the current step and one step either side (clock drift), and only for a
step later than the last one accepted, so a code seen over a shoulder cannot be used again.
Recovery codes are random (50 bits each), shown once, stored as SHA-256 digests and each good once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

import pyotp
import segno

ISSUER = "openkyc"
STEP_S = 30
DRIFT_STEPS = 1
RECOVERY_CODES = 10
_CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read off paper


def new_secret() -> str:
    """A fresh base32 secret (160 bits, RFC 4226's recommendation)."""
    return pyotp.random_base32(length=32)


def provisioning_uri(secret: str, account: str) -> str:
    """The ``otpauth://`` URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The URI as a QR code: an inline ``<svg>`` element, drawn here (no image library, no request)."""
    svg: str = segno.make(uri, error="m").svg_inline(scale=4, dark="#111", light="#fff")
    return svg


def step_of(now: datetime) -> int:
    return int(now.timestamp()) // STEP_S


def accepted_step(secret: str, code: str, *, now: datetime, last_step: int | None) -> int | None:
    """The time step ``code`` belongs to, if it is good now and newer than ``last_step``; else None."""
    code = code.strip().replace(" ", "")
    if len(code) != 6 or not (code.isascii() and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret)
    current = step_of(now)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if last_step is not None and step <= last_step:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def new_recovery_codes() -> list[str]:
    return [
        "-".join("".join(secrets.choice(_CODE_ALPHABET) for _ in range(5)) for _ in range(2))
        for _ in range(RECOVERY_CODES)
    ]


def recovery_digest(code: str) -> str:
    normalised = code.strip().lower().replace(" ", "").replace("-", "")
    # surrogatepass: text a browser could not have meant still hashes (to nothing stored).
    return hashlib.sha256(normalised.encode("utf-8", "surrogatepass")).hexdigest()


def use_recovery_code(stored: list[str], code: str) -> list[str] | None:
    """The digests left once ``code`` is used, or None when it is not (or no longer) one of them."""
    digest = recovery_digest(code)
    matches = [item for item in stored if hmac.compare_digest(item, digest)]
    if not matches:
        return None
    return [item for item in stored if item != digest]
