"""Reading a v2 SmartSelfie request (compatibility §9.2): the multipart body, its parts, its images.

Everything a partner can get wrong is answered with a documented JSON error: 413 for a body over
the limit (refused before it is read, or as soon as it passes the limit), 2413 for a missing,
malformed or unusable input, 2203/2204 for partner_params. The SDKs build these requests
differently (Retrofit may send text parts JSON-encoded, iOS marks partner_params as JSON), so
text parts are read leniently; images are held to the engine's decoder limits.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import FormParser, MultiPartException, MultiPartParser

from openkyc.api_errors import INVALID_JSON, INVALID_VALUE, PAYLOAD_TOO_LARGE, WRONG_DATA_TYPE, ApiError
from openkyc.engine.errors import ImageError
from openkyc.engine.images.decode import DecodedImage, ImageLimits, load_image
from openkyc.jobs.views import as_bool, optional_url
from openkyc.partner_input import PartnerInputError, parse_json, text_problem

# A selfie, a comparison image and at most 8 frames: the slack lets a 9th or 10th frame get the
# specific liveness message below rather than the parser's "too many files".
MAX_FILES = 12
MAX_FIELDS = 32
# Text parts (partner_params, metadata, failure_reason) are small; images come as file parts.
MAX_TEXT_PART = 256 * 1024
# A lone selfie (judged by the passive check) or 4 to 8 frames, as the docs and the engine demand.
LIVENESS_FRAMES = range(4, 9)
COMPARISON_IMAGE_TYPES = ("ID_PHOTO", "PORTRAIT", "DOCUMENT")
IMAGE_LIMITS = ImageLimits()


@dataclass(frozen=True)
class SmartSelfieSubmission:
    """The parts of one v2 request, checked but with the images still undecoded."""

    selfie: bytes
    liveness: list[bytes]
    comparison: bytes | None
    comparison_image_type: str | None
    user_id: str | None
    partner_params: dict[str, Any]
    callback_url: str | None
    sandbox_result: str | None
    allow_new_enroll: bool


@dataclass(frozen=True)
class DecodedSubmission:
    selfie: DecodedImage
    liveness: list[DecodedImage]
    comparison: DecodedImage | None


def _too_large(limit: int) -> ApiError:
    return ApiError(PAYLOAD_TOO_LARGE, f"Request body too large (limit {limit} bytes)")


def refuse_declared_oversize(request: Request, limit: int) -> None:
    """A declared Content-Length over the limit is refused before anything else is done."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)


async def _limited_stream(request: Request, limit: int) -> AsyncGenerator[bytes, None]:
    # Chunked bodies declare no length: count what arrives and stop at the limit.
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        yield chunk


async def read_form(request: Request, limit: int) -> FormData:
    """The form body, parsed as it streams in (file parts spool to disk), at most ``limit`` bytes.

    Multipart is what the SDKs send; a urlencoded form (a hand-made request without files) is read
    too, so that it is told which part is missing rather than that its encoding is wrong.
    """
    content_type = request.headers.get("content-type", "").lower()
    stream = _limited_stream(request, limit)
    parser: MultiPartParser | FormParser
    if content_type.startswith("multipart/form-data"):
        parser = MultiPartParser(
            request.headers, stream, max_files=MAX_FILES, max_fields=MAX_FIELDS, max_part_size=MAX_TEXT_PART
        )
    elif content_type.startswith("application/x-www-form-urlencoded"):
        parser = FormParser(request.headers, stream)
    else:
        raise ApiError(INVALID_VALUE, "The request body must be multipart/form-data.")
    try:
        return await parser.parse()
    except MultiPartException as error:
        raise ApiError(INVALID_VALUE, f"Invalid multipart body: {error.message}") from error


async def read_submission(form: FormData, *, compare: bool) -> SmartSelfieSubmission:
    """The request's parts, each checked for presence, type and count (2413/2203/2204)."""
    selfie = await _one_file(form, "selfie_image")
    if selfie is None:
        raise ApiError(INVALID_VALUE, "selfie_image is required.")
    liveness = [await _read_file(value, "liveness_images") for value in _files(form, "liveness_images")]
    if liveness and len(liveness) not in LIVENESS_FRAMES:
        raise ApiError(
            INVALID_VALUE,
            f"liveness_images must be {LIVENESS_FRAMES.start} to {LIVENESS_FRAMES.stop - 1} images "
            f"(one part each); {len(liveness)} were sent.",
        )
    comparison, comparison_type = (await _comparison(form)) if compare else (None, None)
    return SmartSelfieSubmission(
        selfie=selfie,
        liveness=liveness,
        comparison=comparison,
        comparison_image_type=comparison_type,
        user_id=_text(form, "user_id"),
        partner_params=_partner_params(_text(form, "partner_params")),
        callback_url=optional_url(_text(form, "callback_url"), "callback_url"),
        sandbox_result=_sandbox_result(_text(form, "sandbox_result")),
        allow_new_enroll=as_bool(_text(form, "allow_new_enroll") or False),
    )


async def _comparison(form: FormData) -> tuple[bytes, str]:
    image = await _one_file(form, "comparison_image")
    if image is None:
        raise ApiError(INVALID_VALUE, "comparison_image is required.")
    kind = (_text(form, "comparison_image_type") or "").strip().upper()
    if not kind:
        raise ApiError(INVALID_VALUE, "comparison_image_type is required.")
    if kind not in COMPARISON_IMAGE_TYPES:
        raise ApiError(
            INVALID_VALUE, f"comparison_image_type must be one of {', '.join(COMPARISON_IMAGE_TYPES)}."
        )
    return image, kind


def _files(form: FormData, name: str) -> list[UploadFile]:
    """The file parts called ``name``; an empty text part counts as absent, other text is an error."""
    values = form.getlist(name)
    for value in values:
        if isinstance(value, str) and value.strip():
            raise ApiError(INVALID_VALUE, f"{name} must be sent as a file part.")
    return [value for value in values if isinstance(value, UploadFile)]


async def _one_file(form: FormData, name: str) -> bytes | None:
    files = _files(form, name)
    if len(files) > 1:
        raise ApiError(INVALID_VALUE, f"Only one {name} may be sent.")
    return await _read_file(files[0], name) if files else None


async def _read_file(upload: UploadFile, name: str) -> bytes:
    # The size is known once parsed: an oversized image is refused without reading it into memory.
    if upload.size is not None and upload.size > IMAGE_LIMITS.max_bytes:
        raise ApiError(INVALID_VALUE, f"{name} is larger than {IMAGE_LIMITS.max_bytes} bytes.")
    data = await upload.read()
    if not data:
        raise ApiError(INVALID_VALUE, f"{name} is empty.")
    return data


def _text(form: FormData, name: str) -> str | None:
    """A text part (the last one when repeated); None when absent or empty.

    A NUL or an unpaired surrogate (which a JSON string literal can carry) is 2413 here, before
    the value reaches the database or a log line.
    """
    values = form.getlist(name)
    if not values:
        return None
    value = values[-1]
    if not isinstance(value, str):
        raise ApiError(WRONG_DATA_TYPE, f"{name} must be a text part, not a file.")
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        # Retrofit with a JSON converter sends a String part as a JSON string literal. Text that
        # starts and ends with a quote is at most one string (no numbers or nesting to bound);
        # what it decodes to, an escaped NUL or lone surrogate included, is checked below.
        try:
            decoded = json.loads(value)
        except json.JSONDecodeError:
            decoded = None
        if isinstance(decoded, str):
            value = decoded.strip()
    problem = text_problem(value)
    if problem is not None:
        raise ApiError(INVALID_VALUE, f"{name} {problem}.")
    return value or None


def _partner_params(text: str | None) -> dict[str, Any]:
    if text is None:
        return {}
    try:
        value = parse_json(text)
    except PartnerInputError as error:
        raise ApiError(INVALID_JSON, f"partner_params is not valid JSON: {error}.") from None
    if not isinstance(value, dict):
        raise ApiError(WRONG_DATA_TYPE, "partner_params must be a JSON object.")
    return value


def _sandbox_result(text: str | None) -> str | None:
    # Android sends an Int part; the product reads the number as text.
    if text is None:
        return None
    if not text.isdigit():
        raise ApiError(WRONG_DATA_TYPE, "sandbox_result must be a number.")
    return text


def decode_submission(submission: SmartSelfieSubmission) -> DecodedSubmission:
    """Every image decoded within the engine's limits; an unusable one is 2413 naming the part.

    CPU work: call it from a worker thread.
    """
    comparison = submission.comparison
    return DecodedSubmission(
        selfie=_decode(submission.selfie, "selfie_image"),
        liveness=[_decode(frame, "liveness_images") for frame in submission.liveness],
        comparison=_decode(comparison, "comparison_image") if comparison is not None else None,
    )


def _decode(data: bytes, name: str) -> DecodedImage:
    try:
        return load_image(data, limits=IMAGE_LIMITS)
    except ImageError as error:
        # The decoder's messages describe the file only (format, size), never its contents.
        raise ApiError(INVALID_VALUE, f"{name} is not a usable image: {error.message}") from error


def form_body(*, compare: bool, user_id_required: bool) -> dict[str, Any]:
    """The ``openapi_extra`` documenting the multipart parts :func:`read_submission` reads."""
    binary = {"type": "string", "format": "binary", "contentMediaType": "image/jpeg"}
    parts: dict[str, Any] = {
        "selfie_image": {**binary, "description": "The selfie, JPEG or PNG."},
        "liveness_images": {
            "type": "array",
            "items": binary,
            "minItems": LIVENESS_FRAMES.start,
            "maxItems": LIVENESS_FRAMES.stop - 1,
            "description": "Active-liveness frames, one part each; without them the selfie is judged alone.",
        },
        "user_id": {
            "type": "string",
            "description": "The enrolled user." if user_id_required else "Generated when absent.",
        },
        "partner_params": {
            "type": "string",
            "contentMediaType": "application/json",
            "description": "A JSON object: job_id (generated when absent) and your own keys, echoed back.",
            "examples": ['{"job_id": "job-5", "app": "x"}'],
        },
        "callback_url": {"type": "string", "maxLength": 2048, "description": "Also POSTed the v1 result."},
        "sandbox_result": {
            "type": "string",
            "pattern": "^[0-9]+$",
            "description": "Sandbox keys only: force an outcome (0 approved, 1 rejected, 2 provisional).",
        },
        "allow_new_enroll": {
            "type": "string",
            "enum": ["true", "false"],
            "description": "Re-enrol a user_id.",
        },
    }
    required = ["selfie_image"] + (["user_id"] if user_id_required else [])
    if compare:
        parts["comparison_image"] = {**binary, "description": "The image the selfie is compared with."}
        parts["comparison_image_type"] = {"type": "string", "enum": list(COMPARISON_IMAGE_TYPES)}
        required += ["comparison_image", "comparison_image_type"]
    schema = {"type": "object", "properties": parts, "required": required}
    return {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": schema}}}}
