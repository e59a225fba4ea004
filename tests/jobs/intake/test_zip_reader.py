from __future__ import annotations

import os
import zipfile

import pytest

from openkyc.jobs.intake import codes, zip_reader
from openkyc.jobs.intake.errors import IntakeError
from openkyc.jobs.intake.zip_reader import ZipLimits, read_zip
from tests.jobs.intake.builders import (
    CENTRAL_COMPRESSED_SIZE,
    CENTRAL_SIZE,
    END_RECORD,
    END_TOTAL_ENTRIES,
    build_zip,
    header_offsets,
    patch_central,
    patch_u16,
    read_u32,
    set_encrypted_flag,
)

MiB = 1024 * 1024


def refused(data: bytes | None, limits: ZipLimits | None = None) -> IntakeError:
    with pytest.raises(IntakeError) as caught:
        read_zip(data or b"", limits)
    return caught.value


@pytest.mark.parametrize("compression", [zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED])
def test_reads_deflated_and_stored_entries(compression: int) -> None:
    photo = os.urandom(5000)
    contents = read_zip(build_zip([("info.json", b"{}"), ("selfie.jpg", photo)], compression=compression))
    assert dict(contents.entries) == {"info.json": b"{}", "selfie.jpg": photo}
    assert contents.duplicate_names == frozenset()


def test_folders_are_skipped_and_names_reduced_to_basenames() -> None:
    data = build_zip([("job/", b""), ("job/info.json", b"{}"), ("job\\frames\\frame_1.png", b"png")])
    contents = read_zip(data)
    assert dict(contents.entries) == {"info.json": b"{}", "frame_1.png": b"png"}


def test_duplicate_names_are_listed_without_content() -> None:
    # What the Python SDK writes for two base64 images.
    data = build_zip([("info.json", b"{}"), ("base64imgString", b"a"), ("base64imgString", b"b")])
    contents = read_zip(data)
    assert "base64imgString" not in contents.entries
    assert contents.duplicate_names == {"base64imgString"}
    assert "base64imgString" in contents


def test_a_nested_zip_stays_opaque() -> None:
    inner = build_zip([("secret.jpg", b"inner")])
    contents = read_zip(build_zip([("info.json", b"{}"), ("inner.zip", inner)]))
    assert contents.entries["inner.zip"] == inner
    assert "secret.jpg" not in contents


@pytest.mark.parametrize("body", [b"", None])
def test_empty_body_is_no_zip(body: bytes | None) -> None:
    error = refused(body)
    assert (error.code, error.reason) == (codes.NO_ZIP_FILE, "zip.empty_body")


@pytest.mark.parametrize("body", [b'{"images": []}', b"\xff\xd8\xff\xe0 a jpeg", b"hello"])
def test_a_body_that_is_not_a_zip_is_no_zip(body: bytes) -> None:
    error = refused(body)
    assert (error.code, error.reason) == (codes.NO_ZIP_FILE, "zip.not_zip")


def test_an_empty_archive_is_invalid() -> None:
    error = refused(build_zip([]))
    assert (error.code, error.reason) == (codes.DATA_INVALID, "zip.no_entries")


def test_corrupt_zip() -> None:
    error = refused(b"PK\x03\x04" + os.urandom(200))
    assert (error.code, error.reason) == (codes.DATA_INVALID, "zip.corrupt")
    assert error.http_status == 400


def test_truncated_zip() -> None:
    data = build_zip([("info.json", b"{}"), ("selfie.jpg", os.urandom(4000))])
    error = refused(data[: len(data) // 2])
    assert (error.code, error.reason) == (codes.DATA_INVALID, "zip.corrupt")


def test_damaged_entry_data_fails_its_crc() -> None:
    data = bytearray(build_zip([("photo.jpg", os.urandom(4000))], compression=zipfile.ZIP_STORED))
    data[100] ^= 0xFF  # inside the stored bytes
    error = refused(bytes(data))
    assert (error.code, error.reason) == (codes.DATA_INVALID, "zip.corrupt")


def test_zip_larger_than_the_limit() -> None:
    data = build_zip([("info.json", os.urandom(3000))], compression=zipfile.ZIP_STORED)
    error = refused(data, ZipLimits(max_zip_bytes=2000))
    assert (error.code, error.reason, error.http_status) == (codes.DATA_INVALID, "zip.too_large", 413)


def test_zip_bomb_beyond_size_and_ratio() -> None:
    bomb = build_zip([("info.json", b"{}"), ("selfie.jpg", bytes(60 * MiB))])
    assert len(bomb) < 300 * 1024  # ~1000:1
    error = refused(bomb)
    assert (error.code, error.reason) == (codes.DATA_INVALID, "zip.bomb")


def test_highly_compressible_entry_within_size_limits_is_still_a_bomb() -> None:
    # 3 MiB is under every size limit; only the ratio refuses it.
    error = refused(build_zip([("padding.bin", bytes(3 * MiB))]))
    assert error.reason == "zip.bomb"


def test_small_compressible_entries_are_exempt_from_the_ratio() -> None:
    pretty = b"{" + b" " * 100_000 + b"}"
    assert read_zip(build_zip([("info.json", pretty)])).entries["info.json"] == pretty


def test_entry_larger_than_the_entry_limit() -> None:
    error = refused(build_zip([("selfie.jpg", os.urandom(3000))]), ZipLimits(max_entry_bytes=2000))
    assert error.reason == "zip.entry_too_large"


def test_entries_larger_together_than_the_total_limit() -> None:
    data = build_zip([(f"frame_{index}.jpg", os.urandom(1500)) for index in range(3)])
    error = refused(data, ZipLimits(max_total_bytes=4000))
    assert error.reason == "zip.total_too_large"


def test_too_many_entries() -> None:
    data = build_zip([(f"frame_{index}.jpg", b"x") for index in range(65)])
    error = refused(data)
    assert (error.code, error.reason) == (codes.DATA_INVALID, "zip.too_many_entries")


def test_too_many_entries_even_when_the_end_record_understates_them() -> None:
    data = build_zip([(f"frame_{index}.jpg", b"x") for index in range(65)])
    end = header_offsets(data, END_RECORD)[-1]
    data = patch_u16(data, end + END_TOTAL_ENTRIES, 3)
    data = patch_u16(data, end + END_TOTAL_ENTRIES - 2, 3)
    assert refused(data).reason == "zip.too_many_entries"


@pytest.mark.parametrize(
    "name",
    [
        "../selfie.jpg",
        "job/../../selfie.jpg",
        "..\\..\\selfie.jpg",
        "/etc/passwd",
        "\\\\server\\share\\selfie.jpg",
        "C:\\Users\\selfie.jpg",
        "c:selfie.jpg",
        "self\x01ie.jpg",
    ],
)
def test_path_traversal_and_odd_names_are_refused(name: str) -> None:
    error = refused(build_zip([("info.json", b"{}"), (name, b"x")]))
    assert (error.code, error.reason) == (codes.DATA_INVALID, "zip.unsafe_name")
    assert "\x01" not in error.message


def test_a_nul_byte_in_a_name_is_refused() -> None:
    # zipfile truncates names at NUL when writing, so the byte is patched in afterwards.
    data = build_zip([("selfieX.jpg", b"x")]).replace(b"selfieX.jpg", b"selfie\x00.jpg")
    assert refused(data).reason == "zip.unsafe_name"


def test_central_directory_overstating_a_size() -> None:
    data = build_zip([("selfie.jpg", os.urandom(4000))])
    data = patch_central(data, 0, CENTRAL_SIZE, 4100)
    error = refused(data)
    assert (error.code, error.reason) == (codes.DATA_INVALID, "zip.size_mismatch")


def test_central_directory_understating_a_size() -> None:
    # A 5 MB entry declared as 4 KB: zipfile stops at the declared size and the CRC then fails.
    data = build_zip([("selfie.jpg", os.urandom(5 * 1000 * 1000))], compression=zipfile.ZIP_STORED)
    data = patch_central(data, 0, CENTRAL_SIZE, 4000)
    data = patch_central(data, 0, CENTRAL_COMPRESSED_SIZE, 4000)
    error = refused(data)
    assert (error.code, error.reason) == (codes.DATA_INVALID, "zip.corrupt")


def test_central_directory_understating_a_compressed_size_looks_like_a_bomb() -> None:
    data = build_zip([("selfie.jpg", os.urandom(2 * MiB))])
    data = patch_central(data, 0, CENTRAL_COMPRESSED_SIZE, 10)
    assert refused(data).reason == "zip.bomb"


def test_entries_claiming_more_compressed_bytes_than_the_file_holds_overlap() -> None:
    data = build_zip(
        [("a.jpg", os.urandom(1000)), ("b.jpg", os.urandom(1000))], compression=zipfile.ZIP_STORED
    )
    claimed = len(data)
    data = patch_central(data, 0, CENTRAL_COMPRESSED_SIZE, claimed)
    data = patch_central(data, 0, CENTRAL_SIZE, claimed)
    assert read_u32(data, header_offsets(data, b"PK\x01\x02")[0] + CENTRAL_SIZE) == claimed
    assert refused(data).reason == "zip.overlapping_entries"


def test_sizes_are_enforced_while_streaming_not_only_from_the_directory(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Were the directory check bypassed (or fooled), decompression still stops at the ratio bound.
    monkeypatch.setattr(zip_reader, "_check_directory", lambda *args: None)
    assert refused(build_zip([("selfie.jpg", bytes(3 * MiB))])).reason == "zip.bomb"
    data = build_zip([(f"frame_{index}.jpg", os.urandom(1500)) for index in range(3)])
    assert refused(data, ZipLimits(max_total_bytes=4000)).reason == "zip.total_too_large"


def test_encrypted_entry_is_refused() -> None:
    data = set_encrypted_flag(build_zip([("info.json", b"{}"), ("selfie.jpg", os.urandom(100))]))
    error = refused(data)
    assert (error.code, error.reason) == (codes.DATA_INVALID, "zip.encrypted")


@pytest.mark.parametrize("compression", [zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA])
def test_compression_methods_no_sdk_uses_are_refused(compression: int) -> None:
    error = refused(build_zip([("selfie.jpg", os.urandom(100))], compression=compression))
    assert error.reason == "zip.unsupported_method"
