"""Reading a V3 request body: ``multipart/form-data`` as Smile ID's V3 spec defines it.

Three kinds of part (``../shared/spec/smileid-v3/notes.md`` §1): scalar text parts; JSON parts
(``user_details``, ``consent``, ``partner_params``, ``metadata``, arrays such as ``countries``),
sent by the SDKs with ``Content-Type: application/json`` and no filename, read here whatever their
content type; and binary parts with a filename and a content type, an array of images being
repeated parts of one name (``liveness_images`` x 6-8). Part order never matters.

Limits: the whole body at most 10 MB (the spec's gateway limit, answered with the gateway's 413
body, before reading when Content-Length says so, else as soon as the stream passes it); each file
at most :data:`MAX_FILE_BYTES` (413 ``"<name> is too large."``); text parts small. Starlette's
multipart parser streams the body and spools file parts to disk, so a request holds at most the
limits in memory and the event loop only ever parses one chunk at a time.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from openkyc.v3.errors import GATEWAY_TOO_LARGE, NOT_MULTIPART, Shape, V3Error, invalid

GATEWAY_LIMIT = 10 * 1024 * 1024
# One image: the spec sets none below the gateway's; a 9 MB selfie is no selfie.
MAX_FILE_BYTES = 8 * 1024 * 1024
MAX_TEXT_PART = 64 * 1024
MAX_FILES = 16  # a selfie, 8 frames, a document front and back, a visa... and room for the wrong ones
MAX_FIELDS = 48

JPEG_MAGIC = b"\xff\xd8\xff"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class FilePart:
    name: str
    filename: str
    content_type: str
    data: bytes

    @property
    def is_jpeg(self) -> bool:
        return self.data.startswith(JPEG_MAGIC)

    @property
    def is_png(self) -> bool:
        return self.data.startswith(PNG_MAGIC)


@dataclass
class V3Form:
    """A request's parts: text (scalar or JSON) by name, files by name, each possibly repeated."""

    texts: dict[str, list[str]] = field(default_factory=dict)
    file_parts: dict[str, list[FilePart]] = field(default_factory=dict)

    def text(self, name: str) -> str | None:
        """The one text part ``name`` (None when absent); sent twice it is invalid."""
        values = self.texts.get(name, [])
        if len(values) > 1:
            raise invalid(name)
        return values[0] if values else None

    def has(self, name: str) -> bool:
        return name in self.texts or name in self.file_parts

    def json(self, name: str) -> Any:
        """The JSON part ``name`` decoded (None when absent); text that is not JSON is invalid."""
        raw = self.text(name)
        if raw is None:
            return None
        try:
            return json.loads(raw)
        except ValueError as error:
            raise invalid(name) from error

    def files(self, name: str) -> list[FilePart]:
        if name in self.texts and any(value.strip() for value in self.texts[name]):
            raise invalid(name)  # an image sent as a text part
        return self.file_parts.get(name, [])

    def file(self, name: str) -> FilePart | None:
        found = self.files(name)
        if len(found) > 1:
            raise invalid(name)
        return found[0] if found else None


def too_large() -> V3Error:
    return V3Error(413, GATEWAY_TOO_LARGE, shape=Shape.GATEWAY)


def _declared_length(request: Request) -> int | None:
    declared = request.headers.get("content-length", "")
    return int(declared) if declared.isdigit() else None


async def _limited(request: Request) -> AsyncGenerator[bytes, None]:
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > GATEWAY_LIMIT:
            raise too_large()
        yield chunk


async def read_form(request: Request, *, body_optional: bool = False) -> V3Form:
    """The request's multipart body, checked against the limits.

    ``body_optional`` (the token and replay calls, which the SDKs send without a body or a
    Content-Type): an empty body is an empty form. Any other body that is not multipart is 415.
    """
    declared = _declared_length(request)
    if declared is not None and declared > GATEWAY_LIMIT:
        raise too_large()
    content_type = request.headers.get("content-type", "")
    if not content_type.lower().startswith("multipart/form-data"):
        if body_optional and await _is_empty(request):
            return V3Form()
        raise V3Error(415, NOT_MULTIPART)
    parser = MultiPartParser(
        request.headers,
        _limited(request),
        max_files=MAX_FILES,
        max_fields=MAX_FIELDS,
        max_part_size=MAX_TEXT_PART,
    )
    try:
        parsed = await parser.parse()
    except MultiPartException as error:
        raise V3Error(400, f"Invalid multipart body: {error.message}") from error
    form = V3Form()
    try:
        for name, value in parsed.multi_items():
            if isinstance(value, str):
                form.texts.setdefault(name, []).append(value)
            else:
                form.file_parts.setdefault(name, []).append(await _read_file(name, value))
    finally:
        await parsed.close()
    return form


async def _is_empty(request: Request) -> bool:
    async for chunk in _limited(request):
        if chunk:
            return False
    return True


async def _read_file(name: str, upload: UploadFile) -> FilePart:
    size = upload.size
    if size is not None and size > MAX_FILE_BYTES:
        raise V3Error(413, f"{name} is too large.")
    # A spooled file past its memory threshold is on disk: read it off the event loop. Read at
    # most what it holds: read(n) allocates n bytes first (8 MB a part; benchmarks/v3_bench.py).
    bound = MAX_FILE_BYTES if size is None else size
    data = await run_in_threadpool(upload.file.read, bound + 1)
    if len(data) > MAX_FILE_BYTES:
        raise V3Error(413, f"{name} is too large.")
    content_type = (upload.content_type or "").split(";")[0].strip().lower()
    return FilePart(name=name, filename=upload.filename or "", content_type=content_type, data=data)
