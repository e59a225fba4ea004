"""Safe reading of an uploaded job zip into memory.

The zip comes from an unauthenticated PUT (the upload URL is the only capability), so everything
in it is hostile until checked. Sizes are checked twice: first from the central directory, which
costs nothing and refuses obvious bombs before any decompression, then while streaming each entry,
because the central directory is written by the sender and may lie. Nothing is written to disk and
nested archives are kept as opaque bytes.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from openkyc.jobs.intake import codes
from openkyc.jobs.intake.errors import IntakeError
from openkyc.jobs.intake.names import basename, display_name, unsafe_name_reason

MiB = 1024 * 1024

# Methods the SDKs use (§5): Python/Ruby/PHP/Java deflate, JSZip stores.
_ACCEPTED_METHODS = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED})
_FLAG_ENCRYPTED = 0x0001
_FLAG_STRONG_ENCRYPTION = 0x0040
_CHUNK = 64 * 1024

_EOCD = struct.Struct("<4s4H2LH")
_EOCD_SIGNATURE = b"PK\x05\x06"
_ZIP64_LOCATOR = struct.Struct("<4sLQL")
_ZIP64_LOCATOR_SIGNATURE = b"PK\x06\x07"
_ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")
_ZIP64_EOCD_SIGNATURE = b"PK\x06\x06"
_MAX_ZIP_COMMENT = 0xFFFF
# A central directory record is 46 bytes plus name, extra field and comment; SDK entries need far
# less than this, and bounding it stops a huge directory being parsed before the count is known.
_CENTRAL_RECORD_ALLOWANCE = 46 + 2048


@dataclass(frozen=True)
class ZipLimits:
    """Bounds on an uploaded job zip. Defaults fit a DocV job with base64 images inside info.json."""

    max_zip_bytes: int = 30 * MiB
    max_entries: int = 64
    max_entry_bytes: int = 40 * MiB
    max_total_bytes: int = 100 * MiB
    # Uncompressed:compressed. Photos and base64 barely compress; 100:1 is only reached by padding.
    max_compression_ratio: float = 100.0
    # Below this an entry cannot hurt whatever its ratio (a short pretty-printed info.json may
    # compress very well), so the ratio is only enforced beyond it.
    ratio_exempt_bytes: int = 1 * MiB


@dataclass(frozen=True)
class ZipContents:
    """The files of a job zip, keyed by basename.

    ``entries`` holds names that occur once. Names that occur more than once are listed in
    ``duplicate_names`` without content: the Python SDK writes one junk ``base64imgString`` entry
    per base64 image, so duplicates are normal and only an error when something refers to them.
    """

    entries: Mapping[str, bytes] = field(default_factory=lambda: MappingProxyType({}))
    duplicate_names: frozenset[str] = frozenset()

    def __contains__(self, name: object) -> bool:
        return name in self.entries or name in self.duplicate_names


def read_zip(data: bytes | bytearray | memoryview, limits: ZipLimits | None = None) -> ZipContents:
    """Read every file of a job zip, enforcing ``limits``; raise :class:`IntakeError` if unsafe."""
    limits = limits or ZipLimits()
    data = bytes(data)
    if not data:
        raise IntakeError(codes.NO_ZIP_FILE, "No zip file received", reason="zip.empty_body")
    if len(data) > limits.max_zip_bytes:
        raise IntakeError(
            codes.DATA_INVALID,
            f"zip exceeds {limits.max_zip_bytes} bytes",
            413,
            reason="zip.too_large",
        )
    # Every zip starts with a local file header (or, when empty, the end record).
    if not data.startswith((b"PK\x03\x04", _EOCD_SIGNATURE)):
        raise IntakeError(
            codes.NO_ZIP_FILE, "No zip file received: the body is not a zip", reason="zip.not_zip"
        )
    _check_end_record(data, limits)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            _check_directory(infos, len(data), limits)
            return _read_entries(archive, infos, limits)
    except IntakeError:
        raise
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        zlib.error,
        EOFError,
        OSError,
        ValueError,
        struct.error,
    ) as exc:
        raise IntakeError(codes.DATA_INVALID, "zip file is corrupt", reason="zip.corrupt") from exc
    except (NotImplementedError, RuntimeError) as exc:
        # zipfile's answer to features we already refuse (encryption, exotic methods) if a header
        # slipped past the directory check, e.g. a local header that disagrees with it.
        raise IntakeError(
            codes.DATA_INVALID, "zip file uses unsupported features", reason="zip.unsupported"
        ) from exc


def _check_end_record(data: bytes, limits: ZipLimits) -> None:
    """Refuse a zip whose end record announces too many entries, before zipfile parses them all."""
    start = max(0, len(data) - _EOCD.size - _MAX_ZIP_COMMENT)
    position = data.rfind(_EOCD_SIGNATURE, start)
    if position < 0 or position + _EOCD.size > len(data):
        return  # no end record: zipfile reports the corruption
    _, _, _, _, entry_count, directory_size, _, _ = _EOCD.unpack_from(data, position)
    locator = position - _ZIP64_LOCATOR.size
    if locator >= 0 and data[locator : locator + 4] == _ZIP64_LOCATOR_SIGNATURE:
        _, _, record, _ = _ZIP64_LOCATOR.unpack_from(data, locator)
        if record + _ZIP64_EOCD.size <= len(data) and data[record : record + 4] == _ZIP64_EOCD_SIGNATURE:
            fields = _ZIP64_EOCD.unpack_from(data, record)
            entry_count, directory_size = fields[7], fields[8]
    if entry_count > limits.max_entries or directory_size > limits.max_entries * _CENTRAL_RECORD_ALLOWANCE:
        raise _too_many_entries(limits)


def _check_directory(infos: list[zipfile.ZipInfo], zip_size: int, limits: ZipLimits) -> None:
    """Checks that need only the central directory: cheap, and done before any decompression."""
    if not infos:
        raise IntakeError(codes.DATA_INVALID, "zip file has no entries", reason="zip.no_entries")
    if len(infos) > limits.max_entries:
        raise _too_many_entries(limits)
    declared_total = 0
    compressed_total = 0
    for info in infos:
        name = info.orig_filename
        why = unsafe_name_reason(name)
        if why is not None:
            raise IntakeError(
                codes.DATA_INVALID,
                f"zip entry {display_name(name)} {why}",
                reason="zip.unsafe_name",
            )
        if info.flag_bits & (_FLAG_ENCRYPTED | _FLAG_STRONG_ENCRYPTION):
            raise IntakeError(
                codes.DATA_INVALID,
                f"zip entry {display_name(name)} is encrypted",
                reason="zip.encrypted",
            )
        if info.compress_type not in _ACCEPTED_METHODS:
            raise IntakeError(
                codes.DATA_INVALID,
                f"zip entry {display_name(name)} uses an unsupported compression method",
                reason="zip.unsupported_method",
            )
        _check_entry_size(name, info.file_size, info.compress_size, limits)
        declared_total += info.file_size
        compressed_total += info.compress_size
    if declared_total > limits.max_total_bytes:
        raise _total_too_large(limits)
    # Entries that share compressed data (overlapping-file bombs) claim more than the file holds.
    if compressed_total > zip_size:
        raise IntakeError(codes.DATA_INVALID, "zip entries overlap", reason="zip.overlapping_entries")


def _check_entry_size(name: str, size: int, compressed_size: int, limits: ZipLimits) -> None:
    """One entry's uncompressed size against the per-entry bound and the ratio bound."""
    if size > limits.ratio_exempt_bytes and size > limits.max_compression_ratio * max(compressed_size, 1):
        raise IntakeError(
            codes.DATA_INVALID,
            f"zip entry {display_name(name)} expands more than {limits.max_compression_ratio:g}:1 (zip bomb)",
            reason="zip.bomb",
        )
    if size > limits.max_entry_bytes:
        raise IntakeError(
            codes.DATA_INVALID,
            f"zip entry {display_name(name)} exceeds {limits.max_entry_bytes} bytes",
            reason="zip.entry_too_large",
        )


def _read_entries(archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo], limits: ZipLimits) -> ZipContents:
    entries: dict[str, bytes] = {}
    duplicates: set[str] = set()
    total = 0
    for info in infos:
        name = basename(info.orig_filename)
        if not name or info.is_dir():
            continue  # folders carry nothing; files inside them are read by basename
        content = _read_entry(archive, info, limits, limits.max_total_bytes - total)
        total += len(content)
        if name in duplicates:
            continue
        if name in entries:
            del entries[name]
            duplicates.add(name)
        else:
            entries[name] = content
    if not entries and not duplicates:
        raise IntakeError(codes.DATA_INVALID, "zip file has no files", reason="zip.no_entries")
    return ZipContents(entries=MappingProxyType(entries), duplicate_names=frozenset(duplicates))


def _read_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: ZipLimits, budget: int) -> bytes:
    """Decompress one entry, counting the bytes actually produced rather than the declared size."""
    name = info.orig_filename
    chunks: list[bytes] = []
    produced = 0
    with archive.open(info) as stream:
        while chunk := stream.read(_CHUNK):
            produced += len(chunk)
            if produced > budget:
                raise _total_too_large(limits)
            _check_entry_size(name, produced, info.compress_size, limits)
            chunks.append(chunk)
    # zipfile stops at the declared size and checks the CRC; a shorter stream means the directory
    # lied about the size, which no honest zip writer does.
    if produced != info.file_size:
        raise IntakeError(
            codes.DATA_INVALID,
            f"zip entry {display_name(name)} is not the size its header declares",
            reason="zip.size_mismatch",
        )
    return b"".join(chunks)


def _too_many_entries(limits: ZipLimits) -> IntakeError:
    return IntakeError(
        codes.DATA_INVALID,
        f"zip has more than {limits.max_entries} entries",
        reason="zip.too_many_entries",
    )


def _total_too_large(limits: ZipLimits) -> IntakeError:
    return IntakeError(
        codes.DATA_INVALID,
        f"zip expands to more than {limits.max_total_bytes} bytes",
        reason="zip.total_too_large",
    )
