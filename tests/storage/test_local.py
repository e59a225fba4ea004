from __future__ import annotations

from datetime import timedelta
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
    with pytest.raises(ValueError, match="unsafe blob key"):
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


def test_keys_walk_the_directory_without_temporary_files(store: LocalBlobStore) -> None:
    for key in ["jobs/2/selfie", "jobs/10/id_card", "jobs/1/selfie", "users/p/1/selfie", "top"]:
        store.put(key, b"x")
    (store.root / "jobs" / "1" / ".tmp-abc123").write_bytes(b"half a blob")
    assert list(store.keys("jobs/")) == ["jobs/1/selfie", "jobs/10/id_card", "jobs/2/selfie"]
    assert list(store.keys("jobs/1")) == ["jobs/1/selfie", "jobs/10/id_card"]
    assert sorted(store.keys()) == [
        "jobs/1/selfie",
        "jobs/10/id_card",
        "jobs/2/selfie",
        "top",
        "users/p/1/selfie",
    ]
    assert list(store.keys("nothing/")) == []
    with pytest.raises(ValueError, match="unsafe blob key"):
        list(store.keys("../"))


def test_check_needs_a_writable_blob_directory(store: LocalBlobStore) -> None:
    store.check()
    assert list(store.root.iterdir()) == []  # the probe leaves nothing behind
    store.root.rmdir()
    with pytest.raises(OSError, match=r"blob directory .* is missing"):
        store.check()


def test_a_local_store_takes_no_direct_uploads(store: LocalBlobStore) -> None:
    assert store.direct_upload_url("uploads/job.zip", timedelta(hours=1)) is None
    assert store.uploaded_size("uploads/job.zip") is None
    with pytest.raises(BlobNotFound):
        store.read_upload("uploads/job.zip", 100)
    with pytest.raises(ValueError, match="direct-upload namespace"):
        store.put("uploads/job.zip", b"raw uploads are not blobs")


def test_a_key_with_a_trailing_newline_is_unsafe(store: LocalBlobStore) -> None:
    with pytest.raises(ValueError, match="unsafe blob key"):
        store.put("jobs/1/selfie\n", b"x")
