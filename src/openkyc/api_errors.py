"""Errors a partner's request can cause: the documented code, text and HTTP status, as JSON.

Texts follow the documentation's tables (``Error - …`` rows, without the prefix) and the SDK fixtures
quoted in compatibility §4 and §11. Views raise :class:`ApiError`; ``app.py`` renders it as
``{"code": "...", "error": "...", "success": false}``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, Field


@dataclass(frozen=True)
class ErrorSpec:
    code: str
    text: str
    http_status: int = 400


SYSTEM_ERROR = ErrorSpec("2201", "System Error", 500)
# The database or another dependency is down for a moment: the system error, with 503 and Retry-After.
SERVICE_UNAVAILABLE = ErrorSpec(
    "2201", "System Error: the service is temporarily unavailable, retry later", 503
)
# Success codes of the calls whose answers carry a ``code`` (prep upload, job_status).
UPLOAD_PREPARED_CODE = "2202"
STATUS_SUCCESS_CODE = "2302"
INVALID_JSON = ErrorSpec("2203", "Invalid JSON")
WRONG_DATA_TYPE = ErrorSpec("2204", "A parameter is of the wrong data type")
UNAUTHORIZED = ErrorSpec("2205", "You're not authorized to do that")  # HTTP 400 as in the SDK fixtures
USER_DISABLED = ErrorSpec("2207", "Enrolled user is disabled")
USER_DELETED = ErrorSpec("2208", "Enrolled user was deleted from the system")
USER_ALREADY_ENROLLED = ErrorSpec("2209", "Wrong user id. This user is already enrolled with user_id")
NO_ENROLLED_USER = ErrorSpec("2210", "No enrolled user found")
REENROLL_REQUIRED = ErrorSpec("2211", "Enrolled user must complete re-enrollment")
INVALID_JOB_TYPE = ErrorSpec("2212", "Invalid job type")
MISSING_PARAMETER = ErrorSpec("2213", "A required parameter is missing")
PRODUCT_NOT_ACTIVATED = ErrorSpec("2214", "Product not activated for this account")
JOB_EXISTS = ErrorSpec("2215", "Job already exists. Did you mean to set the retry flag to true?")
NO_PHOTO_ON_FILE = ErrorSpec("2216", "Enrolled user does not have a photo on file")
INVALID_PRODUCT = ErrorSpec("2217", "Invalid product.")
PRODUCTION_NOT_ENABLED = ErrorSpec(
    "2220", "Production is not enabled for this account. Please complete your KYC with Smile ID.", 403
)
RATE_LIMITED = ErrorSpec(
    "2222",
    "This ID number has been blocked due to multiple submissions. Please use the designated endpoint to reactivate it.",
    429,
)
NO_ZIP = ErrorSpec("2314", "No zip file received")
INVALID_VALUE = ErrorSpec("2413", "A parameter has an invalid value")
JOB_NOT_FOUND = ErrorSpec("2304", "Job not found", 404)
UPLOAD_URL_INVALID = ErrorSpec("2205", "Failed to upload zip: the upload URL is unknown or has expired", 403)
UPLOAD_ALREADY_RECEIVED = ErrorSpec(
    "2205", "Failed to upload zip: this job's payload was already received", 409
)
PAYLOAD_TOO_LARGE = ErrorSpec("2413", "Request body too large", 413)
NOT_FOUND = ErrorSpec("2404", "Not found", 404)
METHOD_NOT_ALLOWED = ErrorSpec("2405", "Method not allowed", 405)
# What any body-signed JSON endpoint may answer besides its own checks: the body's parse (2203,
# 2204, 413), the signature (2204/2205), a production key not yet enabled (2220), and failures.
SIGNED_BODY_ERRORS = (
    INVALID_JSON,
    WRONG_DATA_TYPE,
    UNAUTHORIZED,
    PAYLOAD_TOO_LARGE,
    PRODUCTION_NOT_ENABLED,
    SYSTEM_ERROR,
    SERVICE_UNAVAILABLE,
)


@dataclass
class ApiError(Exception):
    """A failure the partner caused (or a system error), answered with its documented code."""

    spec: ErrorSpec
    detail: str | None = None  # replaces the standard text when more specific (never echoes secrets)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def http_status(self) -> int:
        return self.spec.http_status

    @property
    def message(self) -> str:
        return self.detail or self.spec.text

    def body(self) -> dict[str, Any]:
        return {
            "code": self.spec.code,
            "error": self.message,
            "success": False,
            **self.extra,
        }

    def __str__(self) -> str:
        return f"{self.spec.code}: {self.detail or self.spec.text}"


class ErrorAnswer(BaseModel):
    """The JSON body of every refused request: the documented code, its text and ``success: false``."""

    code: str = Field(
        description="The documented error code (the tables of the Smile ID docs).", examples=["2213"]
    )
    error: str = Field(description="What went wrong; never echoes a secret or a value sent.")
    success: bool = Field(default=False, description="Always false.")


def error_responses(*specs: ErrorSpec) -> dict[int | str, dict[str, Any]]:
    """The ``responses`` of a route that may answer with ``specs``: per HTTP status, the body
    model and, as examples, the exact bodies :class:`ApiError` renders for each code."""
    answers: dict[int | str, dict[str, Any]] = {}
    for spec in specs:
        answer = answers.setdefault(
            spec.http_status,
            {"model": ErrorAnswer, "description": "", "content": {"application/json": {"examples": {}}}},
        )
        examples = answer["content"]["application/json"]["examples"]
        name = spec.code if spec.code not in examples else f"{spec.code} ({len(examples)})"
        examples[name] = {"summary": spec.text, "value": ApiError(spec).body()}
        answer["description"] = "; ".join(f"{e['value']['code']}: {e['summary']}" for e in examples.values())
    return answers
