from __future__ import annotations

from pathlib import Path

import pytest

from openkyc.config import Settings
from openkyc.crypto import DecryptionError, SecretBox, load_secret_box
from openkyc.storage import BlobNotFound, LocalBlobStore


@pytest.fixture
def store(tmp_path: Path) -> LocalBlobStore:
    return LocalBlobStore(tmp_path / "blobs", load_secret_box(Settings(data_dir=tmp_path)))


def test_blobs_round_trip_encrypted(store: LocalBlobStore) -> None:
    store.put("jobs/1/selfie", b"\xff\xd8 a selfie")
    assert store.get("jobs/1/selfie") == b"\xff\xd8 a selfie"
    assert b"a selfie" not in (store.root / "jobs" / "1" / "selfie").read_bytes()


@pytest.mark.parametrize("key", ["../escape", "/abs", "jobs/../../x", "", ".hidden"])
def test_keys_cannot_leave_the_blob_directory(store: LocalBlobStore, key: str) -> None:
    with pytest.raises(ValueError):
        store.put(key, b"x")


def test_missing_and_deleted_blobs(store: LocalBlobStore) -> None:
    with pytest.raises(BlobNotFound):
        store.get("nope")
    store.put("a", b"1")
    store.delete("a")
    assert not store.exists("a")


def test_master_key_is_created_once_with_owner_only_permissions(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    first, second = load_secret_box(settings), load_secret_box(settings)
    assert second.decrypt(first.encrypt(b"x")) == b"x"
    assert (settings.master_key_file.stat().st_mode & 0o777) == 0o600


def test_data_from_another_installation_does_not_decrypt(tmp_path: Path) -> None:
    ours = load_secret_box(Settings(data_dir=tmp_path / "a"))
    theirs = load_secret_box(Settings(data_dir=tmp_path / "b"))
    with pytest.raises(DecryptionError):
        ours.decrypt(theirs.encrypt(b"secret"))
    assert isinstance(ours, SecretBox)
