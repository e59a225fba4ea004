"""Every code and message the signing package answers with, and the exceptions that carry them.

Two vocabularies live here:

* Smile ID's v1 errors for the ``signature`` scheme (compatibility §11): code ``"2205"``
  "You're not authorized to do that" for anything that fails authentication and ``"2204"`` for a
  credential of the wrong JSON type. Body shape ``{"code": "...", "error": "..."}``.
* The KSig1 management-API errors (compatibility §13): always HTTP 401 with body
  ``{"errors": [{"code": "...", "message": "..."}]}``.

Messages that refine 2205 (bad timestamp format, stale timestamp) keep the generic sentence as
their prefix so a partner grepping logs for the documented wording still finds them.
"""

from __future__ import annotations

from datetime import timedelta

from openkyc.api_errors import UNAUTHORIZED, WRONG_DATA_TYPE

# --- Smile ID v1 ("signature" scheme) ----------------------------------------------------------

CODE_WRONG_DATA_TYPE = WRONG_DATA_TYPE.code
CODE_NOT_AUTHORIZED = UNAUTHORIZED.code

# The wording of Smile ID's troubleshooting page (the troubleshooting page titled "... - "You're not authorized to do that"").
MESSAGE_NOT_AUTHORIZED = "You're not authorized to do that"
MESSAGE_BAD_TIMESTAMP_FORMAT = (
    MESSAGE_NOT_AUTHORIZED + ": the timestamp is not in a recognised format "
    "(use ISO 8601, e.g. yyyy-MM-dd'T'HH:mm:ss.fffK)"
)
MESSAGE_STALE_TIMESTAMP_OLD = (
    MESSAGE_NOT_AUTHORIZED + ": the timestamp is stale, it is {age} old and requests must be "
    "signed within {window}; sign each request with a fresh timestamp"
)
MESSAGE_STALE_TIMESTAMP_FUTURE = (
    MESSAGE_NOT_AUTHORIZED + ": the timestamp is {age} in the future, more than the {window} "
    "allowed; check the client's clock and time zone"
)
MESSAGE_MISSING_CREDENTIAL = MESSAGE_NOT_AUTHORIZED + ": the request has no '{field}'"
MESSAGE_WRONG_DATA_TYPE = "A parameter is of the wrong data type: '{field}' must be {expected}"

# SDK fixtures answer 2204/2205 with HTTP 400 (compatibility §11).
SMILE_AUTH_HTTP_STATUS = 400

# --- KSig1 (management API) ---------------------------------------------------------------------

KSIG1_HTTP_STATUS = 401

AUTH_INVALID_HEADER = "AUTH_INVALID_HEADER"
AUTH_INVALID_API_KEY = "AUTH_INVALID_API_KEY"
AUTH_INVALID_AUTH_TOKEN = "AUTH_INVALID_AUTH_TOKEN"  # noqa: S105 - an error code, not a secret
AUTH_SIGNATURE_MISMATCH = "AUTH_SIGNATURE_MISMATCH"
AUTH_MISSING_HEADER = "AUTH_MISSING_HEADER"

# The exact sentences of Kompliant's error page (compatibility §13).
MESSAGE_AUTHORIZATION_PREFIX = (
    "The 'Authorization' header is not in the correct format. It must start with 'KSig1-HMAC-SHA256'."
)
MESSAGE_INVALID_API_KEY = "The provided API key is not valid or has been revoked."
MESSAGE_INVALID_AUTH_TOKEN = "The authentication token is invalid."  # noqa: S105 - a message
MESSAGE_SIGNATURE_MISMATCH = "The provided signature does not match the calculated signature."
MESSAGE_MISSING_HEADER = "Required header '{header}' is missing from the request."

# Ours, in the documentation's style, for the format problems the documentation does not spell out.
MESSAGE_AUTHORIZATION_SIGNATURE = (
    "The 'Authorization' header is not in the correct format. It must be 'KSig1-HMAC-SHA256' "
    "followed by a single space and the base64 encoding of a 32-byte HMAC-SHA256."
)
MESSAGE_HEADER_FORMAT = "The '{header}' header is not in the correct format. {detail}"
MESSAGE_TIMESTAMP_WINDOW = (
    "The 'X-API-Timestamp' header is not in the correct format. "
    "It must be within {seconds} seconds of the server's time."
)
MESSAGE_NONCE_REUSED = (
    "The 'X-API-Nonce' header is not in the correct format. This nonce has already been used."
)


def describe_duration(duration: timedelta) -> str:
    """``timedelta(hours=26, minutes=3)`` → ``"1 day 2 hours"``: the two largest units, for messages."""
    seconds = int(abs(duration).total_seconds())
    units = (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1))
    parts: list[str] = []
    for name, size in units:
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count} {name}{'' if count == 1 else 's'}")
    return " ".join(parts[:2]) if parts else "0 seconds"


class SidRequestError(Exception):
    """A request signed with the Smile ID ``signature`` scheme was refused."""

    code: str = CODE_NOT_AUTHORIZED
    http_status: int = SMILE_AUTH_HTTP_STATUS

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def body(self) -> dict[str, str]:
        """The v1 error body; newer endpoints add ``"success": False`` themselves."""
        return {"code": self.code, "error": self.message}


class WrongDataType(SidRequestError):
    """A credential field has the wrong JSON type (e.g. a numeric ``signature``)."""

    code = CODE_WRONG_DATA_TYPE

    def __init__(self, field: str, expected: str) -> None:
        super().__init__(MESSAGE_WRONG_DATA_TYPE.format(field=field, expected=expected))
        self.field = field


class MissingCredential(SidRequestError):
    """``partner_id``, ``timestamp`` or ``signature`` (or its header) is absent or empty."""

    def __init__(self, field: str) -> None:
        super().__init__(MESSAGE_MISSING_CREDENTIAL.format(field=field))
        self.field = field


class SignatureMismatch(SidRequestError):
    """No active key of the partner produces the signature received."""

    def __init__(self) -> None:
        super().__init__(MESSAGE_NOT_AUTHORIZED)


class UnknownPartner(SignatureMismatch):
    """The partner has no key at all. Same answer as a mismatch so partner ids cannot be probed."""


class BadTimestampFormat(SidRequestError):
    def __init__(self, timestamp_raw: object) -> None:
        super().__init__(MESSAGE_BAD_TIMESTAMP_FORMAT)
        self.timestamp_raw = timestamp_raw


class StaleRequest(SidRequestError):
    """Correctly signed, but the timestamp lies outside the freshness window."""

    def __init__(self, age: timedelta, window: timedelta) -> None:
        template = MESSAGE_STALE_TIMESTAMP_FUTURE if age < timedelta(0) else MESSAGE_STALE_TIMESTAMP_OLD
        super().__init__(template.format(age=describe_duration(age), window=describe_duration(window)))
        self.age = age
        self.window = window

    @property
    def in_future(self) -> bool:
        return self.age < timedelta(0)


class KSig1Error(Exception):
    """A management-API request failed KSig1 authentication. Always answered with HTTP 401."""

    http_status: int = KSIG1_HTTP_STATUS

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message

    def body(self) -> dict[str, list[dict[str, str]]]:
        return {"errors": [{"code": self.code, "message": self.message}]}
