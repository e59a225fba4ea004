"""Envelope encryption, keyring sources and the legacy Fernet tokens of older installations."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from openkyc.config import Settings
from openkyc.crypto import (
    HEADER,
    DecryptionError,
    SecretBox,
    generate_key,
    load_secret_box,
    prepend_key_file,
    read_key_file,
    root_key,
    token_key_id,
)


@pytest.fixture(autouse=True)
def no_key_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENKYC_MASTER_KEY", raising=False)
    monkeypatch.delenv("OPENKYC_SECRET_KEY", raising=False)


def test_envelope_tokens_are_versioned_and_fresh_for_the_same_plaintext() -> None:
    box = SecretBox([generate_key()])
    first, second = box.encrypt(b"same selfie"), box.encrypt(b"same selfie")
    assert first != second  # a fresh data key and nonces every time
    assert first.startswith(HEADER) and token_key_id(first) == box.key_id
    assert b"same selfie" not in first
    assert box.decrypt(first) == box.decrypt(second) == b"same selfie"
    assert box.decrypt_text(box.encrypt_text("ünïcode")) == "ünïcode"
    assert box.decrypt(box.encrypt(b"")) == b""


@pytest.mark.parametrize("position", [0, 5, 13, 40, 90, -1])
def test_any_altered_byte_is_refused(position: int) -> None:
    box = SecretBox([generate_key()])
    token = bytearray(box.encrypt(b"embedding bytes"))
    token[position] ^= 0x01
    with pytest.raises(DecryptionError):
        box.decrypt(bytes(token))


def test_truncated_or_foreign_tokens_are_refused() -> None:
    box = SecretBox([generate_key()])
    token = box.encrypt(b"x" * 64)
    for bad in (token[:50], token[:-1], b"not a token at all", b""):
        with pytest.raises(DecryptionError):
            box.decrypt(bad)


def test_legacy_fernet_tokens_still_decrypt() -> None:
    key = Fernet.generate_key()
    legacy = Fernet(key).encrypt(b"written by openkyc before envelope encryption")
    assert legacy.startswith(b"gAAAAA")
    box = SecretBox([generate_key(), key])  # rotated since: the old key is second
    assert box.decrypt(legacy) == b"written by openkyc before envelope encryption"
    with pytest.raises(DecryptionError):
        SecretBox([generate_key()]).decrypt(legacy)


def test_a_passphrase_derives_a_stable_key_and_a_key_is_used_as_is() -> None:
    one, two = SecretBox(["correct horse battery staple"]), SecretBox(["correct horse battery staple"])
    assert one.key_id == two.key_id
    assert two.decrypt(one.encrypt(b"pii")) == b"pii"
    with pytest.raises(DecryptionError):
        SecretBox(["another passphrase"]).decrypt(one.encrypt(b"pii"))
    key = generate_key()
    assert root_key(key) == base64.urlsafe_b64decode(key)
    # 44 characters that are not base64 of 32 bytes are a passphrase, not a malformed key.
    assert len(root_key("x" * 43 + "!")) == 32


def test_older_keys_decrypt_and_the_newest_encrypts() -> None:
    old, new = generate_key(), generate_key()
    under_old = SecretBox([old]).encrypt(b"old data")
    rotated = SecretBox([new, old])
    assert rotated.decrypt(under_old) == b"old data"
    assert not rotated.is_current(under_old)
    assert rotated.is_current(rotated.encrypt(b"new data"))
    assert token_key_id(rotated.encrypt(b"new data")) == SecretBox([new]).key_id
    with pytest.raises(DecryptionError):
        SecretBox([new]).decrypt(under_old)


def test_derived_keys_come_from_the_oldest_key_as_before_envelope_encryption() -> None:
    original = Fernet.generate_key()
    # What openkyc derived before: HKDF-SHA256 over the (single) master key's 32 bytes.
    before = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"purpose").derive(
        base64.urlsafe_b64decode(original)
    )
    assert SecretBox([original]).derive_key(b"purpose") == before
    assert SecretBox([generate_key(), generate_key(), original]).derive_key(b"purpose") == before
    assert SecretBox([original]).derive_key(b"other purpose") != before


def test_key_file_is_a_keyring_newest_first(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    first = load_secret_box(settings)
    token = first.encrypt(b"before rotation")
    (original,) = read_key_file(settings.master_key_file)
    prepend_key_file(settings.master_key_file, generate_key())
    assert read_key_file(settings.master_key_file)[1] == original
    assert (settings.master_key_file.stat().st_mode & 0o777) == 0o600
    second = load_secret_box(settings)
    assert second.key_id != first.key_id
    assert second.decrypt(token) == b"before rotation"
    assert second.derive_key(b"x") == first.derive_key(b"x")


def test_a_running_box_picks_up_a_key_added_to_its_file(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    running = load_secret_box(settings)
    prepend_key_file(settings.master_key_file, generate_key())
    rotated = load_secret_box(settings)
    assert (
        running.decrypt(rotated.encrypt(b"re-encrypted by the rotation")) == b"re-encrypted by the rotation"
    )
    assert running.key_id == rotated.key_id  # and it now encrypts under the new key too


def test_secret_key_setting_wins_and_keeps_an_existing_key_file_as_older(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from_file = load_secret_box(Settings(data_dir=tmp_path))
    token = from_file.encrypt(b"from the key file era")
    box = load_secret_box(Settings(data_dir=tmp_path, secret_key="a long operator passphrase"))
    assert box.key_id == SecretBox(["a long operator passphrase"]).key_id
    assert box.decrypt(token) == b"from the key file era"
    assert box.derive_key(b"registry") == from_file.derive_key(b"registry")
    # The environment variable is read by Settings too.
    monkeypatch.setenv("OPENKYC_SECRET_KEY", "one passphrase, an older one")
    assert load_secret_box(Settings(data_dir=tmp_path / "other")).key_ids == [
        SecretBox(["one passphrase"]).key_id,
        SecretBox(["an older one"]).key_id,
    ]
    assert not (tmp_path / "other" / "master.key").exists()


def test_legacy_master_key_variable_still_works(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key = Fernet.generate_key()
    legacy = Fernet(key).encrypt(b"old")
    monkeypatch.setenv("OPENKYC_MASTER_KEY", key.decode())
    box = load_secret_box(Settings(data_dir=tmp_path))
    assert box.decrypt(legacy) == b"old"
    assert not (tmp_path / "master.key").exists()
