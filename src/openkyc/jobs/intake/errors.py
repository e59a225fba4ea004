"""The one error intake raises: a Smile ID code, a safe message and the HTTP status to answer with."""

from __future__ import annotations

from typing import Any

from openkyc.jobs.intake import codes


class IntakeError(Exception):
    """The uploaded job payload cannot be used.

    ``message`` never carries partner data beyond a short, sanitised file name, so it can go
    straight into the ``{"code", "error"}`` body the SDKs expect. ``reason`` is a stable dotted
    identifier (``"zip.bomb"``, ``"image.corrupt"``…) for logs, metrics and tests; it is not part of
    the wire format. ``image_index``: where the one image that would not decode is listed in
    info.json, so a caller that packed the zip itself (the V3 API) can name the part it came from.
    """

    def __init__(
        self,
        code: str,
        message: str,
        http_status: int = 400,
        *,
        reason: str = "",
        image_index: int | None = None,
    ) -> None:
        if code not in codes.ALL_CODES:
            raise ValueError(f"unknown intake code {code!r}")
        super().__init__(message)
        self.code = code
        self.message = message
        self.http_status = http_status
        self.reason = reason or code
        self.image_index = image_index

    def to_body(self) -> dict[str, Any]:
        """The v1 error body (§11): the SDKs ``.json()`` any non-2xx answer."""
        return {"code": self.code, "error": self.message}

    def __repr__(self) -> str:
        return f"IntakeError(code={self.code!r}, reason={self.reason!r}, message={self.message!r})"
