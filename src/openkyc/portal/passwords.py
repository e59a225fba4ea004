"""Password hashing with argon2id (argon2-cffi's defaults: RFC 9106's low-memory profile)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 12
MAX_LENGTH = 1024  # argon2 takes any length; a megabyte "password" would only cost us time

_hasher = PasswordHasher()
# Checked against when no account has the address, so an unknown address takes as long to
# refuse as a wrong password (no timing oracle for which addresses have accounts).
_DECOY = _hasher.hash("openkyc decoy password, matches nothing that is typed")


class WeakPassword(ValueError):
    """A password refused before it is stored."""


def check_strength(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"the password must have at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"the password must have at most {MAX_LENGTH} characters")
    if password.strip() != password:
        raise WeakPassword("the password must not start or end with spaces")


def hash_password(password: str) -> str:
    check_strength(password)
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; with no hash (no such account) it spends the same time and fails."""
    if len(password) > MAX_LENGTH:
        return False
    try:
        return _hasher.verify(stored_hash or _DECOY, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's (rehash at sign-in)."""
    return _hasher.check_needs_rehash(stored_hash)
