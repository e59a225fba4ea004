"""The V3 API's error answers, in the shapes Smile ID's V3 OpenAPI spec gives them.

* ``ApiErrorResponse`` ``{"status": <HTTP reason phrase>, "message": ...}``: almost every operation;
* the gateway's ``{"status": <slug>, "message": ..., "job_id": null, "user_id": null}``: a body over
  the 10 MB gateway limit (``payload_too_large``) and the sync endpoints' gateway failures;
* ``ServiceErrorResponse`` ``{"error": ..., "code": "<string>"}``: the services look-ups.

Every error under ``/v3/`` is answered in one of these, also one raised by the shared job code
below (an ``ApiError`` with a v1 code is re-shaped by :func:`from_api_error`).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from http import HTTPStatus
from typing import Any

from starlette.responses import JSONResponse
from starlette.types import Scope

from openkyc.api_errors import ApiError

PREFIX = "/v3/"


class Shape(StrEnum):
    API = "api"
    GATEWAY = "gateway"
    SERVICE = "service"


# The gateway's status slugs, by HTTP status.
_GATEWAY_SLUGS = {401: "unauthorized", 413: "payload_too_large", 500: "integration_failure"}

UNAUTHORIZED = "Invalid authentication credentials."
GATEWAY_TOO_LARGE = "Request payload too large. Maximum allowed size is 10 MB."
UNEXPECTED = "An unexpected error occurred. Please try again or contact support."
NOT_MULTIPART = "Unsupported Media Type. Required Content-Type is multipart/form-data"


class V3Error(Exception):
    """An answer the V3 API documents: status code, message and shape."""

    def __init__(
        self,
        http_status: int,
        message: str,
        *,
        shape: Shape = Shape.API,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.message = message
        self.shape = shape
        self.code = code
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        if self.shape is Shape.SERVICE:
            return {"error": self.message, "code": self.code or str(self.http_status)}
        if self.shape is Shape.GATEWAY:
            slug = _GATEWAY_SLUGS.get(
                self.http_status, reason_phrase(self.http_status).lower().replace(" ", "_")
            )
            return {"status": slug, "message": self.message, "job_id": None, "user_id": None}
        return {"status": reason_phrase(self.http_status), "message": self.message}

    def response(self) -> JSONResponse:
        return JSONResponse(status_code=self.http_status, content=self.body(), headers=self.headers)


def reason_phrase(status: int) -> str:
    """The HTTP reason phrase the spec puts in ``status`` ("Bad Request", "Content Too Large")."""
    if status == 413:
        return (
            "Content Too Large"  # RFC 9110's name, which the spec uses (Python still says Request Entity...)
        )
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def bad_request(message: str) -> V3Error:
    return V3Error(400, message)


def missing(name: str) -> V3Error:
    return V3Error(400, f"Required field '{name}' is missing or invalid.")


def invalid(name: str) -> V3Error:
    return V3Error(400, f"Field '{name}' is invalid.")


def is_v3(scope: Scope) -> bool:
    """Whether a request is the V3 API's (its errors then take the V3 shapes)."""
    return str(scope.get("path", "")).startswith(PREFIX)


# v1 codes the shared job code raises, by the V3 answer they become. Texts are the spec's.
_FROM_V1: dict[str, tuple[int, str]] = {
    "2220": (403, "Production access is not enabled."),
    "2214": (403, "Product not enabled for this partner."),
    "2222": (429, "Rate limit exceeded. Please try again later."),
    "2201": (500, UNEXPECTED),
}


def from_api_error(error: ApiError) -> V3Error:
    """A v1 ``ApiError`` raised under /v3/ (by the job code V3 shares) as the V3 answer: the same
    HTTP status with the spec's text where it has one, else the v1 error's own explanation."""
    known = _FROM_V1.get(error.spec.code)
    if known is not None:
        status, message = known
        return V3Error(status, message)
    return V3Error(error.http_status, error.message)
