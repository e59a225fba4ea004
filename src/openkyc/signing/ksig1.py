"""KSig1-HMAC-SHA256, the management API's request authentication (compatibility §13).

The scheme is Kompliant's. Its multi-element joining rule was never captured, so this implements
§13's "proposed precise definition" exactly:

1. ``X-API-Signed-Elements`` lists element names, ``;``-separated, case-sensitive, untrimmed
   (absent → ``API-Key`` alone); ``API-Key`` is mandatory; empty, unknown or repeated names are
   ``AUTH_INVALID_HEADER``.
2. Each element's value comes from the request (method, raw path+query) or from its carrier
   header; a missing carrier is ``AUTH_MISSING_HEADER``, a value with surrounding whitespace or a
   non-digit timestamp ``AUTH_INVALID_HEADER``; ``Content-MD5`` must equal base64(MD5(body)).
3. The string to sign is the values, in the listed order, joined by ``\\n``.
4. Signature = base64(HMAC-SHA256(b64decode(secret_key), UTF-8(string to sign))).
5. Checks run: required headers → Authorization format → element headers → API key → auth token
   → Content-MD5 and signature.

Hardening beyond Kompliant, applied only after the signature verified (so unauthenticated traffic
cannot fill the nonce store): a signed ``Timestamp`` must be within ±300 s, a signed ``Nonce`` must
not have been seen before (when a ``NonceStore`` is given).

Required elements: with the default (``API-Key`` alone) the ``Authorization`` header is the same
on every request of a key, so one captured from any call authenticates any other. A caller that
passes ``required_elements`` (the management API does, ``MUTATION_ELEMENTS`` for PUT, POST,
PATCH and DELETE) refuses a request whose ``X-API-Signed-Elements`` is absent or leaves one of
them out with ``AUTH_MISSING_HEADER``, worded as compatibility §13 words it ("Required header '…' is
missing from the request."). The header named is the carrier of the first element left out
(``X-API-Timestamp``, ``X-API-Nonce``, ``X-API-Content-Hash``), or ``X-API-Signed-Elements`` itself
when it is absent or when the element left out is ``HTTP-Verb`` or ``URL-Path``. Signing method,
path, body digest, timestamp and nonce binds the header to one request, once, within the window.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta

from openkyc.signing.errors import (
    AUTH_INVALID_API_KEY,
    AUTH_INVALID_AUTH_TOKEN,
    AUTH_INVALID_HEADER,
    AUTH_MISSING_HEADER,
    AUTH_SIGNATURE_MISMATCH,
    MESSAGE_AUTHORIZATION_PREFIX,
    MESSAGE_AUTHORIZATION_SIGNATURE,
    MESSAGE_HEADER_FORMAT,
    MESSAGE_INVALID_API_KEY,
    MESSAGE_INVALID_AUTH_TOKEN,
    MESSAGE_MISSING_HEADER,
    MESSAGE_NONCE_REUSED,
    MESSAGE_SIGNATURE_MISMATCH,
    MESSAGE_TIMESTAMP_WINDOW,
    KSig1Error,
)
from openkyc.signing.management_keys import ManagementKey
from openkyc.signing.nonces import NonceStore

SCHEME = "KSig1-HMAC-SHA256"

AUTHORIZATION_HEADER = "Authorization"
API_KEY_HEADER = "X-API-Key"
AUTH_TOKEN_HEADER = "X-API-Auth-Token"  # noqa: S105 - a header name, not a secret
SIGNED_ELEMENTS_HEADER = "X-API-Signed-Elements"
TIMESTAMP_HEADER = "X-API-Timestamp"
NONCE_HEADER = "X-API-Nonce"
CONTENT_HASH_HEADER = "X-API-Content-Hash"
API_VERSION_HEADER = "X-API-Version"  # name assumed (compatibility §13)
REQUIRED_HEADERS = (AUTHORIZATION_HEADER, API_KEY_HEADER, AUTH_TOKEN_HEADER)

API_KEY = "API-Key"
HTTP_VERB = "HTTP-Verb"
URL_PATH = "URL-Path"
TIMESTAMP = "Timestamp"
API_VERSION = "API-Version"
NONCE = "Nonce"
CONTENT_MD5 = "Content-MD5"
# Element → the header carrying its value; None for elements taken from the request line.
ELEMENT_HEADERS: dict[str, str | None] = {
    API_KEY: API_KEY_HEADER,
    HTTP_VERB: None,
    URL_PATH: None,
    TIMESTAMP: TIMESTAMP_HEADER,
    API_VERSION: API_VERSION_HEADER,
    NONCE: NONCE_HEADER,
    CONTENT_MD5: CONTENT_HASH_HEADER,
}

# What a state-changing request must sign: the request itself (method, path, body) and, against
# replay, when it was made and a value used only once.
MUTATION_ELEMENTS = (HTTP_VERB, URL_PATH, CONTENT_MD5, TIMESTAMP, NONCE)
MUTATING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

DEFAULT_TIMESTAMP_WINDOW = timedelta(seconds=300)
# Bounded so int() never meets a pathological header (Unix seconds need 10–11 digits for ages).
_DIGITS = re.compile(r"[0-9]{1,20}")
_HMAC_SHA256_BYTES = 32


def string_to_sign(values: Sequence[str]) -> str:
    return "\n".join(values)


def compute_ksig1_signature(secret_key: str, to_sign: str) -> str:
    """base64(HMAC-SHA256(b64decode(secret_key), UTF-8(to_sign)))."""
    key = base64.b64decode(secret_key, validate=True)
    return base64.b64encode(hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).digest()).decode("ascii")


def content_md5(body: bytes) -> str:
    """The ``Content-MD5`` element / ``X-API-Content-Hash`` value: base64(MD5(raw body))."""
    return base64.b64encode(hashlib.md5(body, usedforsecurity=False).digest()).decode("ascii")


def sign_ksig1(
    api_key: str,
    secret_key: str,
    auth_token: str,
    *,
    method: str = "GET",
    path_and_query: str = "/",
    body: bytes = b"",
    elements: Sequence[str] = (API_KEY,),
    timestamp: int | None = None,
    nonce: str | None = None,
    api_version: str | None = None,
) -> dict[str, str]:
    """The headers a client sends for a request signed over ``elements`` (in that order).

    ``timestamp`` (Unix seconds) and ``api_version`` are required when their element is signed; a
    signed ``Nonce`` without a value gets a random one.
    """
    headers = {API_KEY_HEADER: api_key, AUTH_TOKEN_HEADER: auth_token}
    if tuple(elements) != (API_KEY,):
        headers[SIGNED_ELEMENTS_HEADER] = ";".join(elements)
    values: list[str] = []
    for element in elements:
        if element == API_KEY:
            values.append(api_key)
        elif element == HTTP_VERB:
            values.append(method.upper())
        elif element == URL_PATH:
            values.append(path_and_query)
        elif element == TIMESTAMP:
            if timestamp is None:
                raise ValueError("signing the Timestamp element needs a timestamp")
            headers[TIMESTAMP_HEADER] = str(timestamp)
            values.append(str(timestamp))
        elif element == API_VERSION:
            if api_version is None:
                raise ValueError("signing the API-Version element needs an api_version")
            headers[API_VERSION_HEADER] = api_version
            values.append(api_version)
        elif element == NONCE:
            nonce = nonce if nonce is not None else secrets.token_urlsafe(16)
            headers[NONCE_HEADER] = nonce
            values.append(nonce)
        elif element == CONTENT_MD5:
            headers[CONTENT_HASH_HEADER] = content_md5(body)
            values.append(headers[CONTENT_HASH_HEADER])
        else:
            raise ValueError(f"unknown KSig1 element {element!r}")
    headers[AUTHORIZATION_HEADER] = f"{SCHEME} {compute_ksig1_signature(secret_key, string_to_sign(values))}"
    return headers


def verify_ksig1(
    method: str,
    raw_path_and_query: str,
    headers: Mapping[str, str],
    body: bytes,
    lookup_key: Callable[[str], ManagementKey | None],
    now: datetime,
    *,
    timestamp_window: timedelta | None = DEFAULT_TIMESTAMP_WINDOW,
    nonce_store: NonceStore | None = None,
    required_elements: Sequence[str] = (),
) -> ManagementKey:
    """Authenticate a management-API request; return its key or raise ``KSig1Error`` (HTTP 401).

    ``raw_path_and_query`` is the path as sent (percent-encoding untouched) plus ``?query`` when
    there is one. ``timestamp_window=None`` disables the Timestamp check; without ``nonce_store``
    nonces are signed but not checked for reuse. ``required_elements`` must all be signed (see the
    module docstring); requiring ``Nonce`` without a ``nonce_store`` is a programming error.
    """
    if NONCE in required_elements and nonce_store is None:
        raise ValueError("requiring a signed Nonce needs a nonce_store to check it against")
    lowered = {name.lower(): value for name, value in headers.items()}

    def header(name: str) -> str | None:
        # An empty value carries nothing to authenticate with, so it counts as missing.
        return lowered.get(name.lower()) or None

    for name in REQUIRED_HEADERS:
        if header(name) is None:
            raise KSig1Error(AUTH_MISSING_HEADER, MESSAGE_MISSING_HEADER.format(header=name))
    presented = _signature_from_authorization(header(AUTHORIZATION_HEADER) or "")

    # Present-but-empty is a malformed list here, not an absent header (which means API-Key only).
    raw_names = lowered.get(SIGNED_ELEMENTS_HEADER.lower())
    names = _signed_element_names(raw_names)
    _check_required(names, required_elements, listed=raw_names is not None)
    values: list[str] = []
    for name in names:
        carrier = ELEMENT_HEADERS[name]
        if carrier is None:
            values.append(method.upper() if name == HTTP_VERB else raw_path_and_query)
            continue
        value = header(carrier)
        if value is None:
            raise KSig1Error(AUTH_MISSING_HEADER, MESSAGE_MISSING_HEADER.format(header=carrier))
        if value != value.strip():
            raise _invalid(carrier, "It must not have leading or trailing whitespace.")
        if name == TIMESTAMP and not _DIGITS.fullmatch(value):
            raise _invalid(carrier, "It must be a Unix time in whole seconds.")
        values.append(value)

    api_key = header(API_KEY_HEADER) or ""
    key = lookup_key(api_key)
    if key is None or key.revoked:
        raise KSig1Error(AUTH_INVALID_API_KEY, MESSAGE_INVALID_API_KEY)
    token = header(AUTH_TOKEN_HEADER) or ""
    if not hmac.compare_digest(key.auth_token.encode("utf-8"), token.encode("utf-8")):
        raise KSig1Error(AUTH_INVALID_AUTH_TOKEN, MESSAGE_INVALID_AUTH_TOKEN)

    body_ok = True
    if CONTENT_MD5 in names:
        claimed = values[names.index(CONTENT_MD5)]
        body_ok = hmac.compare_digest(content_md5(body).encode("ascii"), claimed.encode("utf-8"))
    expected = hmac.new(key.secret_bytes(), string_to_sign(values).encode("utf-8"), hashlib.sha256).digest()
    signature_ok = hmac.compare_digest(expected, presented)
    if not (body_ok and signature_ok):
        raise KSig1Error(AUTH_SIGNATURE_MISMATCH, MESSAGE_SIGNATURE_MISMATCH)

    _check_replay(key, names, values, now, timestamp_window, nonce_store)
    return key


def _signature_from_authorization(authorization: str) -> bytes:
    if not authorization.startswith(SCHEME):
        raise KSig1Error(AUTH_INVALID_HEADER, MESSAGE_AUTHORIZATION_PREFIX)
    encoded = authorization.removeprefix(SCHEME + " ")
    if encoded == authorization or encoded != encoded.strip():
        raise KSig1Error(AUTH_INVALID_HEADER, MESSAGE_AUTHORIZATION_SIGNATURE)
    try:
        signature = base64.b64decode(encoded, validate=True)
    except binascii.Error:
        raise KSig1Error(AUTH_INVALID_HEADER, MESSAGE_AUTHORIZATION_SIGNATURE) from None
    if len(signature) != _HMAC_SHA256_BYTES:
        raise KSig1Error(AUTH_INVALID_HEADER, MESSAGE_AUTHORIZATION_SIGNATURE)
    return signature


def _signed_element_names(raw: str | None) -> list[str]:
    if raw is None:
        return [API_KEY]
    names = raw.split(";")
    if "" in names:
        raise _invalid(SIGNED_ELEMENTS_HEADER, "It must not contain empty element names.")
    unknown = [name for name in names if name not in ELEMENT_HEADERS]
    if unknown:
        raise _invalid(SIGNED_ELEMENTS_HEADER, f"Unknown data element '{unknown[0]}'.")
    if len(set(names)) != len(names):
        raise _invalid(SIGNED_ELEMENTS_HEADER, "A data element is listed more than once.")
    if API_KEY not in names:
        raise _invalid(SIGNED_ELEMENTS_HEADER, f"It must include '{API_KEY}'.")
    return names


def _check_required(names: list[str], required: Sequence[str], *, listed: bool) -> None:
    for element in required:
        if element not in names:
            carrier = ELEMENT_HEADERS[element] if listed else None
            raise KSig1Error(
                AUTH_MISSING_HEADER, MESSAGE_MISSING_HEADER.format(header=carrier or SIGNED_ELEMENTS_HEADER)
            )


def _check_replay(
    key: ManagementKey,
    names: list[str],
    values: list[str],
    now: datetime,
    window: timedelta | None,
    nonce_store: NonceStore | None,
) -> None:
    expires_at = now + (window or DEFAULT_TIMESTAMP_WINDOW)
    if TIMESTAMP in names and window is not None:
        signed_seconds = int(values[names.index(TIMESTAMP)])
        if abs(signed_seconds - int(now.timestamp())) > window.total_seconds():
            seconds = int(window.total_seconds())
            raise KSig1Error(AUTH_INVALID_HEADER, MESSAGE_TIMESTAMP_WINDOW.format(seconds=seconds))
        # Remember the nonce until the signed timestamp itself falls out of the window.
        expires_at = datetime.fromtimestamp(signed_seconds, tz=UTC) + window
    if NONCE in names and nonce_store is not None:
        nonce = values[names.index(NONCE)]
        if not nonce_store.remember(key.api_key, nonce, expires_at, now):
            raise KSig1Error(AUTH_INVALID_HEADER, MESSAGE_NONCE_REUSED)


def _invalid(header: str, detail: str) -> KSig1Error:
    return KSig1Error(AUTH_INVALID_HEADER, MESSAGE_HEADER_FORMAT.format(header=header, detail=detail))
