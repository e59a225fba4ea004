"""Password hashes: argon2id, a wrong password fails, weak ones are refused before hashing."""

from __future__ import annotations

import pytest

from openkyc.portal.passwords import WeakPassword, hash_password, needs_rehash, verify_password


def test_a_hash_verifies_its_password_only() -> None:
    stored = hash_password("correct horse battery staple")
    assert stored.startswith("$argon2id$") and "correct" not in stored
    assert verify_password(stored, "correct horse battery staple")
    assert not verify_password(stored, "correct horse battery stapler")
    assert not needs_rehash(stored)
    assert hash_password("correct horse battery staple") != stored  # salted


def test_no_hash_and_a_broken_hash_verify_nothing() -> None:
    assert not verify_password(None, "openkyc decoy password, matches nothing that is typed")
    assert not verify_password("not a hash", "anything at all here")


@pytest.mark.parametrize("password", ["short", " leading space pw", "x" * 1025])
def test_weak_passwords_are_refused(password: str) -> None:
    with pytest.raises(WeakPassword):
        hash_password(password)
