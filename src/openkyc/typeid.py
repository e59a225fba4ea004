"""TypeIDs (github.com/jetify-com/typeid): ``<prefix>_`` + a UUIDv7 in 26 lower-case Crockford
base32 characters, the ids of Smile ID's V3 API (``job_01h2xcejqtf2nbrexx3vqjhp41``,
``user_…``). UUIDv7 puts the creation time first, so ids sort by age.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time

ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
SUFFIX_LENGTH = 26
# The first character carries only 3 bits (26 x 5 = 130 bits for 128): 0-7.
_SUFFIX = "[0-7][0-9a-hjkmnp-tv-z]{25}"
_MASK_128 = (1 << 128) - 1


def _uuid7(milliseconds: int, random_bits: int) -> int:
    """A UUIDv7 as an integer: 48-bit time, version 7, 12 + 62 random bits, RFC 9562 variant."""
    rand_a = random_bits & 0xFFF
    rand_b = (random_bits >> 12) & ((1 << 62) - 1)
    return ((milliseconds & ((1 << 48) - 1)) << 80) | (0x7 << 76) | (rand_a << 64) | (0b10 << 62) | rand_b


def _encode(value: int) -> str:
    chars = []
    for _ in range(SUFFIX_LENGTH):
        chars.append(ALPHABET[value & 0x1F])
        value >>= 5
    return "".join(reversed(chars))


def new(prefix: str) -> str:
    """A fresh TypeID with ``prefix`` (``job``, ``user``...)."""
    return f"{prefix}_{_encode(_uuid7(time.time_ns() // 1_000_000, secrets.randbits(74)))}"


def derived(prefix: str, seed: bytes) -> str:
    """The TypeID ``seed`` always gives (an idempotency key's job): its bits from SHA-256 of the
    seed, shaped as a UUIDv7 whose time part is hashed too, so it never tells when it was made."""
    digest = int.from_bytes(hashlib.sha256(seed).digest()[:16], "big") & _MASK_128
    return f"{prefix}_{_encode(_uuid7(digest >> 80, digest))}"


def is_typeid(value: str, prefix: str) -> bool:
    """Whether ``value`` is a well-formed TypeID with ``prefix``."""
    return re.fullmatch(f"{re.escape(prefix)}_{_SUFFIX}", value) is not None
