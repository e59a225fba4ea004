"""Hypothesis strategies for hostile API input: JSON text, credentials, timestamps, images, zips.

JSON is generated as *text* (:func:`encode`), not through ``json.dumps``, so that it can hold what
Python's encoder will not write but a client can send: numbers of thousands of digits, ``1e999999``,
``NaN``, nesting deeper than any recursion limit, lone surrogate escapes.
"""

from __future__ import annotations

import base64
import functools
import io
import json
import struct
import warnings
import zipfile
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

# --- JSON as text ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Raw:
    """A JSON token written as is (an overlong number, ``NaN``, deep nesting)."""

    text: str


def encode(value: Any) -> str:
    """JSON text for ``value``; :class:`Raw` parts are written verbatim, strings ASCII-escaped (a
    lone surrogate becomes a ``\\udxxx`` escape, as a JavaScript client would send it)."""
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, dict):
        return "{" + ",".join(f"{encode(str(k))}:{encode(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(encode(v) for v in value) + "]"
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, int):
        return repr(value)  # small by construction; big numbers come as Raw
    if isinstance(value, float):
        return json.dumps(value)  # NaN/Infinity as Python writes them (json.loads reads them back)
    return json.dumps(str(value), ensure_ascii=True)


def depth_bomb(depth: int, opener: str) -> Raw:
    closer = {"[": "]", '{"a":': "}"}[opener]
    return Raw(opener * depth + "1" + closer * depth)


RAW_NUMBERS = [
    "1" * 5000,  # more digits than int() converts by default (4300)
    "-" + "9" * 4400,
    "1e999999",
    "-1e999999",
    "1E400",
    "0." + "0" * 5000 + "1",
    "NaN",
    "Infinity",
    "-Infinity",
    "-0",
    "123456789012345678901234567890",
    "1.7976931348623157e309",
    "4.9e-325",
]

ODD_TEXT = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\ud800",
    "\udfff",
    "x\udc80y",
    "\u202e",
    "\ufeff",
    "\uffff",
    "😀",
    "../../../../etc/passwd",
    "%00",
    "%s%n",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "null",
    "true",
    "1e309",
    "NaN",
    "Infinity",
    "-1",
    "0x10",
    "\r\nX-Injected: 1",
    "é" * 50,
]

# Characters the default text strategy leaves out: NUL and lone surrogates.
_ALPHABET = st.one_of(st.characters(), st.sampled_from(["\x00", "\ud800", "\udbff", "\udc00", "\udfff"]))


def odd_strings() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(ODD_TEXT),
        st.text(alphabet=_ALPHABET, max_size=40),
        st.integers(min_value=3000, max_value=300_000).map(lambda n: "x" * n),
    )


def scalars() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=True, allow_infinity=True),
        st.sampled_from(RAW_NUMBERS).map(Raw),
        odd_strings(),
    )


def json_values(max_leaves: int = 12) -> st.SearchStrategy[Any]:
    """Any JSON value, hostile ones well represented (including bombs of depth up to 100,000)."""
    nested = st.recursive(
        scalars(),
        lambda children: st.one_of(
            st.lists(children, max_size=4),
            st.dictionaries(st.one_of(st.sampled_from(ODD_TEXT), st.text(max_size=8)), children, max_size=4),
        ),
        max_leaves=max_leaves,
    )
    bombs = st.builds(
        depth_bomb, st.sampled_from([30, 100, 1000, 5000, 100_000]), st.sampled_from(["[", '{"a":'])
    )
    return st.one_of(nested, bombs)


# --- Request bodies -------------------------------------------------------------------------------

# Every field name the request parsers read (grep of the views), so overrides land where they bite.
FIELDS = [
    "partner_params",
    "smile_client_id",
    "callback_url",
    "retry",
    "use_enrolled_image",
    "allow_new_enroll",
    "image_links",
    "history",
    "user_id",
    "job_id",
    "job_type",
    "country",
    "id_type",
    "id_number",
    "first_name",
    "middle_name",
    "last_name",
    "full_name",
    "dob",
    "gender",
    "phone_number",
    "bank_code",
    "business_type",
    "search_existing_user",
    "strict_match",
    "search_certificate",
    "birth_year",
    "countries",
    "aliases",
    "optional_info",
    "product",
    "source_sdk",
    "source_sdk_version",
    "sandbox_result",
    "partner_id",
    "timestamp",
    "signature",
]
PARAM_FIELDS = ["user_id", "job_id", "job_type", "optional_info", "extra"]


ALL_JOB_TYPES = [1, 2, 3, 4, 5, 6, 7, 10, 11, 0, 12, 99, -1]


def partner_params(job_type: int | None = None) -> st.SearchStrategy[Any]:
    """partner_params: mostly plausible (``job_type`` when given, two times in three), some with
    hostile fields, some hostile as a whole."""
    types = st.sampled_from(ALL_JOB_TYPES)
    if job_type is not None:
        types = st.one_of(st.just(job_type), st.just(job_type), types)
    plausible = st.fixed_dictionaries(
        {
            "user_id": st.text(alphabet="abcdef0123456789-", min_size=1, max_size=12).map(lambda s: f"u-{s}"),
            "job_id": st.text(alphabet="abcdef0123456789-", min_size=4, max_size=16).map(lambda s: f"j-{s}"),
            "job_type": types,
        }
    )
    overridden = st.tuples(
        plausible, st.dictionaries(st.sampled_from(PARAM_FIELDS), json_values(6), min_size=1, max_size=3)
    )
    return st.one_of(
        plausible, plausible, overridden.map(lambda pair: {**pair[0], **pair[1]}), json_values(6)
    )


# A plausible body per route: hypothesis overrides some fields with hostile values so that the
# requests get past the first checks and reach the deeper ones.
BASE_BODIES: dict[str, dict[str, Any]] = {
    "/v1/upload": {"source_sdk": "rest_api", "source_sdk_version": "1.0.0", "callback_url": ""},
    "/v1/job_status": {"user_id": "u-1", "job_id": "j-1", "image_links": True, "history": True},
    "/v1/id_verification": {
        "country": "NG",
        "id_type": "NIN",
        "id_number": "00000000000",
        "first_name": "Ada",
        "last_name": "Obi",
        "dob": "1990-01-01",
    },
    "/v1/async_id_verification": {
        "country": "KE",
        "id_type": "NATIONAL_ID",
        "id_number": "00000000",
        "callback_url": "https://partner.example/cb",
    },
    "/v2/verify": {"country": "GH", "id_type": "PASSPORT", "id_number": "G0000000", "first_name": "Ama"},
    "/v2/verify_async": {
        "country": "ZA",
        "id_type": "NATIONAL_ID",
        "id_number": "0000000000000",
        "first_name": "Thabo",
        "callback_url": "https://partner.example/cb",
    },
    "/v1/business_verification": {
        "country": "NG",
        "id_type": "BUSINESS_REGISTRATION",
        "id_number": "0000000",
        "business_type": "co",
    },
    "/v1/async_business_verification": {
        "country": "KE",
        "id_type": "BUSINESS_REGISTRATION",
        "id_number": "PVT-0000",
        "callback_url": "https://partner.example/cb",
    },
    "/v1/aml": {
        "user_id": "u-aml",
        "job_id": "j-aml",
        "full_name": "John Smith",
        "countries": ["US"],
        "birth_year": "1970",
        "search_existing_user": False,
    },
    "/v1/token": {
        "user_id": "u-token",
        "job_id": "j-token",
        "product": "biometric_kyc",
        "callback_url": "https://partner.example/cb",
    },
    "/v1/id_number_rate_limit_reset": {"country": "NG", "id_type": "BVN", "id_number": "00000000000"},
    "/v1/valid_documents": {},
}


# The job_type each route's partner_params should carry.
JOB_TYPE_OF = {
    "/v1/upload": 4,
    "/v1/id_verification": 5,
    "/v1/async_id_verification": 5,
    "/v2/verify": 5,
    "/v2/verify_async": 5,
    "/v1/business_verification": 7,
    "/v1/async_business_verification": 7,
}


def body_for(route: str) -> st.SearchStrategy[dict[str, Any]]:
    """The route's plausible body, intact or with a few fields replaced or added (hostile values),
    with plausible or hostile partner_params."""
    base = dict(BASE_BODIES.get(route, {}))
    keys = st.one_of(st.sampled_from(FIELDS), st.sampled_from(ODD_TEXT), st.text(max_size=10))
    overrides = st.one_of(
        st.just({}),
        st.dictionaries(keys, json_values(8), min_size=1, max_size=2),
        st.dictionaries(keys, json_values(8), min_size=3, max_size=6),
    )
    return st.tuples(partner_params(JOB_TYPE_OF.get(route)), overrides).map(
        lambda t: {**base, "partner_params": t[0], **t[1]}
    )


# --- Credentials and timestamps -------------------------------------------------------------------

LAGOS = timezone(timedelta(hours=1))


def _formats(moment: datetime) -> list[str]:
    utc = moment.astimezone(UTC)
    return [
        utc.isoformat(),
        utc.replace(tzinfo=None).isoformat(),
        utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z",
        moment.astimezone(LAGOS).strftime("%Y-%m-%d %H:%M:%S %z"),
        moment.astimezone(LAGOS).isoformat(timespec="seconds"),
        utc.strftime("%Y-%m-%dT%H:%M:%S.%f") + "789Z",
        str(int(utc.timestamp())),
        str(int(utc.timestamp() * 1000)),
    ]


ODD_TIMESTAMPS = [
    "",
    "0",
    "-1",
    "1e309",
    "99999999999999999999",
    "-99999999999999999999",
    "0001-01-01T00:00:00+14:00",  # a moment before year 1 once converted to UTC
    "0001-01-01T00:00:00-14:00",
    "9999-12-31T23:59:59.999999-14:00",  # after year 9999 in UTC
    "9999-12-31T23:59:59+14:00",
    "0000-00-00T00:00:00Z",
    "2024-02-30T00:00:00Z",
    "2024-13-01T00:00:00Z",
    "2024-01-01T25:61:61Z",
    "2024-01-01T00:00:00+99:99",
    "2024-01-01T00:00:00.0000000000000000001Z",
    "+275760-09-13T00:00:00.000Z",
    "-000001-01-01T00:00:00Z",
    "yesterday",
    "NaN",
    "Infinity",
    "\x00",
    "\ud800",
    "2024-01-01T00:00:00Z\x00",
    "2024-01-01 00:00:00 +0100 extra",
    "Mon, 01 Jan 2024 00:00:00 GMT",
]


def timestamps(now: datetime | None = None) -> st.SearchStrategy[Any]:
    """Timestamp strings (every SDK's format, fresh, stale, far future, malformed) and wrong types."""
    anchor = now or datetime.now(UTC)
    moments = st.one_of(
        st.just(anchor),
        st.integers(min_value=-(10**6), max_value=10**6).map(lambda s: anchor + timedelta(seconds=s)),
        st.datetimes(timezones=st.just(UTC)),
    )
    formatted = st.tuples(moments, st.integers(min_value=0, max_value=7)).map(lambda t: _formats(t[0])[t[1]])
    return st.one_of(
        formatted,
        st.sampled_from(ODD_TIMESTAMPS),
        st.integers(min_value=-(2**63), max_value=2**63),
        st.floats(),
        st.none(),
        st.booleans(),
        st.lists(st.integers(), max_size=2),
        odd_strings(),
    )


def signature_values() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.just(""),
        st.text(alphabet="ABCDEFabcdef0123456789+/=", min_size=40, max_size=48),
        odd_strings(),
        st.integers(),
        st.none(),
        st.lists(st.text(max_size=3), max_size=2),
        st.dictionaries(st.text(max_size=3), st.text(max_size=3), max_size=2),
    )


def header_text() -> st.SearchStrategy[str]:
    """Header values a client can send: latin-1, no control characters, no surrounding blanks (h11
    refuses to write anything else), odd ones included."""
    alphabet = st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f")
    free = st.text(alphabet=alphabet, max_size=60).map(str.strip)
    return st.one_of(free, st.sampled_from(["", "null", "-1", "0" * 300, "é", "ÿ" * 40, "%00", "1e999"]))


# --- Images ---------------------------------------------------------------------------------------


def _png(width: int, height: int, *, idat: bytes | None = None, truncate: bool = False) -> bytes:
    """A PNG declaring ``width`` x ``height`` whose pixel data is at most 64 x 64 (a bomb's header
    can declare far more than it carries)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    row = b"\x00" + b"\x80" * (3 * min(width, 64))
    data = idat if idat is not None else zlib.compress(row * min(height, 64))
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    return png[: len(png) // 2] if truncate else png


def _jpeg(width: int, height: int, seed: int) -> bytes:
    from PIL import Image

    image = Image.frombytes(
        "RGB", (width, height), bytes((seed + i * 7) % 256 for i in range(width * height * 3))
    )
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=70)
    return buffer.getvalue()


def _image_with(kind: str, seed: int) -> bytes:
    from PIL import Image

    image = Image.new("RGB", (40, 30), (seed % 256, 80, 160))
    buffer = io.BytesIO()
    image.save(buffer, format=kind)
    return buffer.getvalue()


def real_images() -> st.SearchStrategy[tuple[str, bytes]]:
    """Small images that decode (no face in them: the engine answers at once)."""
    seeds = st.integers(min_value=0, max_value=255)
    return st.one_of(
        st.builds(
            lambda w, h, s: (f"jpeg {w}x{h}", _jpeg(w, h, s)), st.integers(16, 96), st.integers(16, 96), seeds
        ),
        st.builds(lambda w, h: (f"png {w}x{h}", _png(w, h)), st.integers(16, 64), st.integers(16, 64)),
    )


def images() -> st.SearchStrategy[tuple[str, bytes]]:
    """``(description, bytes)``: small real images and broken, lying or hostile ones."""
    seeds = st.integers(min_value=0, max_value=255)
    return st.one_of(
        st.builds(
            lambda w, h, s: (f"jpeg {w}x{h}", _jpeg(w, h, s)), st.integers(1, 64), st.integers(1, 64), seeds
        ),
        st.builds(lambda w, h: (f"png {w}x{h}", _png(w, h)), st.integers(1, 64), st.integers(1, 64)),
        st.builds(lambda s: ("jpeg truncated", _jpeg(48, 48, s)[:300]), seeds),
        st.builds(
            lambda s: (
                "jpeg, bytes flipped",
                bytes(b ^ 0x55 if i > 200 else b for i, b in enumerate(_jpeg(32, 32, s))),
            ),
            seeds,
        ),
        st.sampled_from(
            [
                ("png declaring 100000x100000 (decompression bomb header)", _png(100_000, 100_000)),
                ("png declaring 0x0", _png(0, 0, idat=zlib.compress(b""))),
                ("png declaring 65535x1", _png(65535, 1)),
                ("png truncated", _png(32, 32, truncate=True)),
                ("png, IDAT not zlib", _png(8, 8, idat=b"garbage!")),
            ]
        ),
        st.builds(
            lambda k, s: (f"{k.lower()} 40x30", _image_with(k, s)),
            st.sampled_from(["GIF", "BMP", "WEBP", "TIFF", "ICO"]),
            seeds,
        ),
        st.sampled_from(
            [
                ("empty", b""),
                ("text", b"not an image at all"),
                ("jpeg magic only", b"\xff\xd8\xff"),
                ("png magic only", b"\x89PNG\r\n\x1a\n"),
                ("svg", b'<svg xmlns="http://www.w3.org/2000/svg" width="99999" height="99999"/>'),
                ("zip", b"PK\x05\x06" + b"\x00" * 18),
            ]
        ),
        st.binary(max_size=2048).map(lambda data: ("random bytes", data)),
    )


# --- Zips -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ZipUpload:
    description: str
    data: bytes


def _zip(entries: list[tuple[str, bytes]], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buffer, "w", method) as archive:
        warnings.simplefilter("ignore", UserWarning)  # duplicate names are wanted here
        for name, data in entries:
            archive.writestr(
                zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0)), data, compress_type=method
            )
    return buffer.getvalue()


def info_json(partner_id: str, params: Any, images_field: Any, id_info: Any) -> dict[str, Any]:
    """info.json as the Python SDK writes it (prepare_info_json), with the parts given."""
    return {
        "package_information": {
            "apiVersion": {"buildNumber": 0, "majorVersion": 2, "minorVersion": 0},
            "language": "python",
        },
        "misc_information": {
            "retry": "false",
            "partner_params": params,
            "file_name": "selfie.zip",
            "smile_client_id": partner_id,
            "callback_url": "",
            "userData": {"isVerifiedProcess": False},
        },
        "id_info": id_info,
        "images": images_field,
        "server_information": "",
    }


def zip_uploads(partner_id: str, params: dict[str, Any]) -> st.SearchStrategy[ZipUpload]:
    """Zips for the PUT of a job made with ``params``: well formed, corrupt, bombs within the body
    limit, hostile info.json and entry names, odd images by file and by base64."""
    image_entry = st.tuples(
        st.sampled_from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, -1, "0", None, 1.5]),
        images(),
        st.booleans(),  # in the zip by name, or base64 inside info.json
    )

    def well_formed(
        entries: list[tuple[Any, tuple[str, bytes], bool]], id_info: Any, params_override: Any
    ) -> ZipUpload:
        files: list[tuple[str, bytes]] = []
        listed: list[dict[str, Any]] = []
        for index, (type_id, (_, data), by_name) in enumerate(entries):
            if by_name:
                name = f"image{index}.jpg"
                files.append((name, data))
                listed.append({"image_type_id": type_id, "image": "", "file_name": name})
            else:
                listed.append(
                    {"image_type_id": type_id, "image": base64.b64encode(data).decode(), "file_name": ""}
                )
        info = info_json(partner_id, params if params_override is None else params_override, listed, id_info)
        kinds = ", ".join(f"{t}:{d}{'' if n else ' (base64)'}" for t, (d, _), n in entries)
        return ZipUpload(
            f"info.json + images [{kinds}]", _zip([("info.json", encode(info).encode()), *files])
        )

    structured = st.builds(
        well_formed,
        st.lists(image_entry, min_size=0, max_size=4),
        st.one_of(
            st.just({"country": "NG", "id_type": "NIN", "id_number": "00000000000", "entered": True}),
            json_values(6),
        ),
        st.one_of(st.none(), partner_params()),
    )
    hostile_info = st.builds(
        lambda value: ZipUpload(
            "info.json is a hostile JSON value", _zip([("info.json", encode(value).encode())])
        ),
        json_values(10),
    )
    info_bytes = st.builds(
        lambda data: ZipUpload("info.json is random bytes", _zip([("info.json", data)])),
        st.binary(max_size=512),
    )
    return st.one_of(structured, structured, hostile_info, info_bytes, st.sampled_from(_fixed_zips()))


@functools.cache
def _fixed_zips() -> list[ZipUpload]:
    selfie = _jpeg(32, 32, 1)
    return [
        ZipUpload("not a zip", b"this is not a zip"),
        ZipUpload("empty body", b""),
        ZipUpload("empty zip", _zip([])),
        ZipUpload("zip without info.json", _zip([("selfie.jpg", selfie)])),
        ZipUpload("end-of-directory record only", b"PK\x05\x06" + b"\x00" * 18),
        ZipUpload("local header only", b"PK\x03\x04" + b"\x00" * 100),
        ZipUpload(
            "zip bomb over the entry limit: info.json of 200 MiB of spaces in a 200 kB zip",
            _zip([("info.json", b"{" + b" " * (200 * 1024 * 1024) + b"}")]),
        ),
        ZipUpload(
            "zip bomb within the limits: a 39 MiB image entry of zeros in a 40 kB zip",
            _zip([("info.json", b"{}"), ("image0.jpg", b"\x00" * (39 * 1024 * 1024))]),
        ),
        ZipUpload(
            "zip bomb within the limits: info.json of 20 MiB of spaces around an object",
            _zip([("info.json", b"{" + b" " * (20 * 1024 * 1024) + b'"images": []}')]),
        ),
        ZipUpload("1,000 entries", _zip([(f"f{i}.txt", b"x") for i in range(1000)])),
        ZipUpload(
            "path traversal names",
            _zip([("../../info.json", b"{}"), ("/etc/passwd", b"x"), ("a\\..\\b", b"y")]),
        ),
        ZipUpload("duplicate info.json", _zip([("info.json", b"{}"), ("info.json", b"[]")])),
        ZipUpload("nested zip", _zip([("info.json", b"{}"), ("inner.zip", _zip([("info.json", b"{}")]))])),
        ZipUpload("stored (no compression)", _zip([("info.json", b'{"images": []}')], zipfile.ZIP_STORED)),
        ZipUpload("truncated zip", _zip([("info.json", b"{}" * 1000), ("selfie.jpg", selfie)])[:-40]),
        ZipUpload("corrupt deflate data", _corrupt_deflate()),
        ZipUpload("encrypted flag set", _flag_encrypted()),
        ZipUpload("entry name with NUL and non-UTF-8 bytes", _odd_names()),
        ZipUpload("central directory lies about sizes", _lying_sizes()),
    ]


def _corrupt_deflate() -> bytes:
    data = bytearray(_zip([("info.json", b'{"images": [' + b'{"image_type_id": 0}, ' * 200 + b"{}]}")]))
    for offset in range(60, 120):
        data[offset] ^= 0xA5
    return bytes(data)


def _flag_encrypted() -> bytes:
    data = bytearray(_zip([("info.json", b"{}")]))
    data[6] |= 0x01  # local header general-purpose flags
    central = data.rfind(b"PK\x01\x02")
    data[central + 8] |= 0x01
    return bytes(data)


def _odd_names() -> bytes:
    data = bytearray(_zip([("info.json", b"{}"), ("imageXXX.jpg", b"\xff\xd8")]))
    for start in [i for i in range(len(data)) if data.startswith(b"imageXXX", i)]:
        data[start + 5 : start + 8] = b"\x00\xff\xfe"
    return bytes(data)


def _lying_sizes() -> bytes:
    data = bytearray(_zip([("info.json", b'{"images": []}')]))
    central = data.rfind(b"PK\x01\x02")
    data[central + 24 : central + 28] = struct.pack("<I", 1)  # uncompressed size: 1 byte
    return bytes(data)
