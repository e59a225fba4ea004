"""Pulling the ``signature``-scheme credentials out of a request, before any key is looked up.

v1 endpoints carry them in the JSON body (``partner_id`` — or ``smile_client_id`` on
``/v1/upload`` — ``timestamp``, ``signature``); v2 endpoints and Ruby's address verification carry
them in ``SmileID-Partner-ID`` / ``SmileID-Timestamp`` / ``SmileID-Request-Signature`` headers,
which Ruby sends in lower case (compatibility §2.4), so header names are matched case-insensitively.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from openkyc.partner_input import text_problem
from openkyc.signing.errors import MissingCredential, WrongDataType

PARTNER_ID_HEADER = "SmileID-Partner-ID"
TIMESTAMP_HEADER = "SmileID-Timestamp"
SIGNATURE_HEADER = "SmileID-Request-Signature"
SIGNATURE_HEADERS = (PARTNER_ID_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER)

# Prep-upload bodies name the partner ``smile_client_id`` and have no ``partner_id``.
PARTNER_ID_FIELDS = ("partner_id", "smile_client_id")

CredentialSource = Literal["body", "headers"]


@dataclass(frozen=True)
class SignedCredentials:
    """What the client claims: who it is, the timestamp it signed, and the signature.

    ``timestamp_raw`` is kept exactly as received (a JSON number stays a number) because the HMAC
    is checked over the client's own string.
    """

    partner_id: str
    timestamp_raw: str | int | float
    signature: str
    source: CredentialSource


def credentials_from_body(body: Mapping[str, object]) -> SignedCredentials:
    """Credentials from a parsed JSON body.

    Raises ``MissingCredential`` (2205) for an absent, null or empty field and ``WrongDataType``
    (2204) for one of the wrong JSON type.
    """
    partner_field = next((name for name in PARTNER_ID_FIELDS if body.get(name) is not None), None)
    if partner_field is None:
        raise MissingCredential(PARTNER_ID_FIELDS[0])
    return SignedCredentials(
        partner_id=_partner_id(body[partner_field], partner_field),
        timestamp_raw=_timestamp(body.get("timestamp")),
        signature=_non_empty_string(body.get("signature"), "signature"),
        source="body",
    )


def credentials_from_headers(headers: Mapping[str, str]) -> SignedCredentials:
    """Credentials from the ``SmileID-*`` headers, whatever their case."""
    lowered = {name.lower(): value for name, value in headers.items()}
    partner_id, timestamp, signature = (
        _non_empty_string(lowered.get(name.lower()), name) for name in SIGNATURE_HEADERS
    )
    return SignedCredentials(partner_id, timestamp, signature, source="headers")


def has_signature_headers(headers: Mapping[str, str]) -> bool:
    """Whether the request attempts header authentication (any of the three headers present)."""
    wanted = {name.lower() for name in SIGNATURE_HEADERS}
    return any(name.lower() in wanted for name in headers)


def credentials_from_request(
    headers: Mapping[str, str], body: Mapping[str, object] | None
) -> SignedCredentials:
    """Headers when the client sent any ``SmileID-*`` signature header, otherwise the JSON body."""
    if has_signature_headers(headers) or body is None:
        return credentials_from_headers(headers)
    return credentials_from_body(body)


def _partner_id(value: object, field: str) -> str:
    # A Python partner passing an int partner_id gets it sent as a JSON number, while the SDK
    # signs str(partner_id); str() of the number reproduces what was signed.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return _non_empty_string(value, field)


def _timestamp(value: object) -> str | int | float:
    # A JSON number is the JS SDK's generate_signature(epoch_ms) edge (compatibility §2.1).
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return _non_empty_string(value, "timestamp")


def _non_empty_string(value: object, field: str) -> str:
    if value is None or value == "":
        raise MissingCredential(field)
    if not isinstance(value, str):
        raise WrongDataType(field, "a string")
    if text_problem(value) is not None:
        # A NUL or lone surrogate breaks the UTF-8 encoding of the HMAC input and the key
        # lookup; headers never went through the JSON parser that refuses them in bodies.
        raise WrongDataType(field, "text without NUL characters or unpaired surrogates")
    return value
