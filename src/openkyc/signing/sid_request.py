"""Smile ID's ``signature`` scheme: ``base64(HMAC-SHA256(api_key, timestamp + partner_id + "sid_request"))``.

Identical in every official SDK (compatibility §2.1). Requests are verified over the exact
timestamp string received; responses (job_status, sync results, callbacks) are signed with the same
formula and a fresh server timestamp (§2.2).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from typing import TypedDict

from openkyc.signing.timestamps import TimestampError

_SUFFIX = "sid_request"


class ResponseSignature(TypedDict):
    timestamp: str
    signature: str


def compute_signature(api_key: str, partner_id: str, timestamp: str) -> str:
    """The 44-character base64 signature of ``timestamp`` for ``partner_id``.

    The API key is used as its UTF-8 bytes, not base64-decoded, exactly as the SDKs do.
    """
    # surrogatepass: a lone surrogate (refused at the door, but this function must not raise on
    # any str) hashes as its own bytes, which no SDK can have signed.
    digest = hmac.new(
        api_key.encode("utf-8"),
        (timestamp + partner_id + _SUFFIX).encode("utf-8", "surrogatepass"),
        hashlib.sha256,
    ).digest()
    return base64.b64encode(digest).decode("ascii")


def js_iso_string(epoch_ms: int) -> str:
    """JavaScript's ``new Date(epoch_ms).toISOString()``: ``YYYY-MM-DDTHH:MM:SS.sssZ``.

    Raises ``TimestampError`` outside the years 0001–9999, where JS would switch to its extended
    ``±YYYYYY`` form (no client can be sending those as real request times).
    """
    try:
        moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=epoch_ms)
    except OverflowError as exc:
        raise TimestampError(epoch_ms, "epoch milliseconds out of range") from exc
    return format_js_iso(moment)


def format_js_iso(moment: datetime) -> str:
    """An aware datetime as ``YYYY-MM-DDTHH:MM:SS.sssZ`` (UTC, milliseconds truncated)."""
    if moment.tzinfo is None:
        raise ValueError("format_js_iso needs a timezone-aware datetime")
    utc = moment.astimezone(UTC)
    # Formatted by hand: strftime's %Y does not zero-pad years below 1000 on glibc.
    return (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T"
        f"{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}.{utc.microsecond // 1000:03d}Z"
    )


def signed_strings(timestamp_as_received: str | int | float) -> tuple[str, ...]:
    """The timestamp strings a client could have put into the HMAC for the value it sent.

    A string is hashed as received, byte for byte. A JSON number comes from the JS SDK's
    ``generate_signature(number)``, which signs ``new Date(n).toISOString()`` but sends ``n``
    (compatibility §2.1); an integer is also tried as its decimal text, which is what PHP/Ruby
    string concatenation of an integer timestamp would have signed.
    """
    if isinstance(timestamp_as_received, str):
        return (timestamp_as_received,)
    if isinstance(timestamp_as_received, bool):
        return ()
    forms: list[str] = []
    # inf/nan or beyond year 9999: no JS client could have signed it, so no JS form to try.
    with contextlib.suppress(TimestampError, OverflowError, ValueError):
        # JS Date truncates a fractional millisecond count toward zero.
        forms.append(js_iso_string(int(timestamp_as_received)))
    if isinstance(timestamp_as_received, int):
        # str() refuses integers of more than 4,300 digits; no client signs one of those.
        with contextlib.suppress(ValueError):
            forms.append(str(timestamp_as_received))
    return tuple(forms)


def signature_matches(
    api_key: str, partner_id: str, timestamp_as_received: str | int | float, signature: str
) -> bool:
    """Whether ``signature`` is this key's signature of the timestamp as the client sent it.

    Every candidate form is compared in constant time and none short-circuits, so the time taken
    does not depend on which form (if any) matched.
    """
    # A base64 signature is ASCII; anything else (a lone surrogate too) can only fail to match.
    received = signature.encode("utf-8", "surrogatepass")
    matched = False
    for timestamp in signed_strings(timestamp_as_received):
        expected = compute_signature(api_key, partner_id, timestamp).encode("ascii")
        matched |= hmac.compare_digest(expected, received)
    return matched


def sign_response(api_key: str, partner_id: str, now: datetime) -> ResponseSignature:
    """``timestamp`` + ``signature`` for a job_status response, a sync result or a callback.

    The timestamp is a fresh ``YYYY-MM-DDTHH:MM:SS.sssZ`` string: every SDK needs a JSON string
    (Python encodes it), JS ``Date`` and Java ``Instant.parse`` both read this form, and echoing
    the client's own timestamp would break Java for Ruby-style values (compatibility §2.2).
    """
    timestamp = format_js_iso(now)
    return {"timestamp": timestamp, "signature": compute_signature(api_key, partner_id, timestamp)}
