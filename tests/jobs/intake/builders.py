"""Zip and info.json builders for the intake tests: the official Python SDK's own zip, hand-built
variants of the other SDKs, and byte-level patches for hostile archives."""

from __future__ import annotations

import io
import json
import struct
import warnings
import zipfile
from collections.abc import Iterable, Mapping
from typing import Any

from smile_id_core.image_upload import generate_zip_file

LOCAL_HEADER = b"PK\x03\x04"
CENTRAL_HEADER = b"PK\x01\x02"
END_RECORD = b"PK\x05\x06"

# Offsets inside the fixed part of each header (APPNOTE 4.3.7 and 4.3.12).
LOCAL_FLAGS, LOCAL_COMPRESSED_SIZE, LOCAL_SIZE = 6, 18, 22
CENTRAL_FLAGS, CENTRAL_COMPRESSED_SIZE, CENTRAL_SIZE = 8, 20, 24
END_TOTAL_ENTRIES = 10


def python_sdk_zip(
    images: list[dict[str, Any]],
    *,
    partner_params: Mapping[str, Any] | None = None,
    id_info: Mapping[str, Any] | None = None,
    callback_url: str = "https://partner.example/callback",
) -> bytes:
    """The zip exactly as smile-id-core 3.0.1's ``WebApi.submit_job`` builds it before the PUT."""
    with warnings.catch_warnings():
        # The SDK writes one "base64imgString" per base64 image; zipfile warns about the duplicates.
        warnings.simplefilter("ignore", UserWarning)
        zip_bytes = generate_zip_file(
            partner_id="2343",
            callback_url=callback_url,
            upload_url="http://localhost:8080/v1/uploads/abc",
            partner_params=dict(partner_params or {"user_id": "user-1", "job_id": "job-1", "job_type": 4}),
            image_params=images,
            id_info_params=dict(id_info or {}),
            signature_params={"timestamp": "2024-01-01T00:00:00.000000+00:00", "signature": "c2lnbmF0dXJl"},
        )
    return bytes(zip_bytes)


def build_zip(
    entries: Iterable[tuple[str, bytes | str]], *, compression: int = zipfile.ZIP_DEFLATED
) -> bytes:
    """A zip of ``entries`` in order (duplicates allowed), as a hand-written SDK would make it."""
    buffer = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buffer, "w", compression) as archive:
        warnings.simplefilter("ignore", UserWarning)  # duplicate names are part of what is tested
        for name, content in entries:
            archive.writestr(zipfile.ZipInfo(name), content, compress_type=compression)
    return buffer.getvalue()


def info_json_bytes(document: Mapping[str, Any], *, pretty: bool = False) -> bytes:
    if pretty:  # Ruby's JSON.pretty_generate plus a trailing newline
        return (json.dumps(document, indent=2) + "\n").encode()
    return json.dumps(document).encode()


def misc_information(*, omit: Iterable[str] = (), **overrides: Any) -> dict[str, Any]:
    misc: dict[str, Any] = {
        "signature": "c2lnbmF0dXJl",
        "timestamp": "2024-01-01T00:00:00.000Z",
        "retry": "false",
        "partner_params": {"user_id": "user-1", "job_id": "job-1", "job_type": 4},
        "file_name": "selfie.zip",
        "smile_client_id": "2343",
        "callback_url": "https://partner.example/callback",
        "userData": {"isVerifiedProcess": False, "firstName": "Bill", "countryCode": "+"},
    }
    misc.update(overrides)
    for key in omit:
        del misc[key]
    return misc


def info_document(images: list[dict[str, Any]], **top_level: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "package_information": {
            "apiVersion": {"buildNumber": 0, "majorVersion": 2, "minorVersion": 0},
            "language": "javascript",
        },
        "misc_information": misc_information(),
        "id_info": {"entered": "false"},
        "images": images,
        "server_information": {
            "upload_url": "http://localhost/u",
            "smile_job_id": "0000000001",
            "code": "2202",
        },
    }
    document.update(top_level)
    return document


def header_offsets(data: bytes, signature: bytes) -> list[int]:
    offsets = []
    position = data.find(signature)
    while position >= 0:
        offsets.append(position)
        position = data.find(signature, position + 1)
    return offsets


def patch_u16(data: bytes, offset: int, value: int) -> bytes:
    return data[:offset] + struct.pack("<H", value) + data[offset + 2 :]


def patch_u32(data: bytes, offset: int, value: int) -> bytes:
    return data[:offset] + struct.pack("<L", value) + data[offset + 4 :]


def read_u32(data: bytes, offset: int) -> int:
    return int(struct.unpack_from("<L", data, offset)[0])


def patch_central(data: bytes, index: int, field_offset: int, value: int, *, width: int = 4) -> bytes:
    """Rewrite one field of the ``index``-th central directory record (the sender's claims)."""
    record = header_offsets(data, CENTRAL_HEADER)[index]
    patch = patch_u32 if width == 4 else patch_u16
    return patch(data, record + field_offset, value)


def set_encrypted_flag(data: bytes) -> bytes:
    """Mark every entry as traditionally encrypted, in the local and the central headers."""
    for offset in header_offsets(data, LOCAL_HEADER):
        flags = struct.unpack_from("<H", data, offset + LOCAL_FLAGS)[0]
        data = patch_u16(data, offset + LOCAL_FLAGS, flags | 0x1)
    for offset in header_offsets(data, CENTRAL_HEADER):
        flags = struct.unpack_from("<H", data, offset + CENTRAL_FLAGS)[0]
        data = patch_u16(data, offset + CENTRAL_FLAGS, flags | 0x1)
    return data
