from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone

import pytest
from smile_id_core.Signature import Signature

from openkyc.signing.sid_request import (
    compute_signature,
    format_js_iso,
    js_iso_string,
    sign_response,
    signature_matches,
    signed_strings,
)
from openkyc.signing.timestamps import TimestampError, parse_timestamp

PARTNER_ID = "001"
API_KEY = "b0c2ab07-4b55-4f07-a9cb-b2e31d2c5a1c"
TIMESTAMP = "2026-11-21T23:52:10.123456+00:00"


def sdk_signature(timestamp: str, partner_id: str = PARTNER_ID, api_key: str = API_KEY) -> str:
    signature: str = Signature(partner_id, api_key).generate_signature(timestamp)["signature"]
    return signature


def test_compute_signature_equals_the_official_sdk() -> None:
    assert compute_signature(API_KEY, PARTNER_ID, TIMESTAMP) == sdk_signature(TIMESTAMP)


def test_signature_is_standard_padded_base64_of_32_bytes() -> None:
    signature = compute_signature(API_KEY, PARTNER_ID, TIMESTAMP)
    assert len(signature) == 44
    assert signature.endswith("=")


def test_partner_id_zero_padding_is_part_of_the_signature() -> None:
    assert compute_signature(API_KEY, "001", TIMESTAMP) != compute_signature(API_KEY, "1", TIMESTAMP)


def test_api_key_is_used_as_utf8_text_not_decoded() -> None:
    # A base64-looking key must not be decoded before use.
    key = "c2VjcmV0"
    assert compute_signature(key, PARTNER_ID, TIMESTAMP) == sdk_signature(TIMESTAMP, api_key=key)


def test_signature_matches_accepts_the_sdk_signature() -> None:
    assert signature_matches(API_KEY, PARTNER_ID, TIMESTAMP, sdk_signature(TIMESTAMP))


@pytest.mark.parametrize(
    "signature",
    [
        "",
        "not base64",
        "é" * 44,  # non-ASCII must be a mismatch, not a TypeError from compare_digest
    ],
)
def test_signature_matches_rejects_junk(signature: str) -> None:
    assert not signature_matches(API_KEY, PARTNER_ID, TIMESTAMP, signature)


def test_signature_matches_is_over_the_exact_string() -> None:
    signature = sdk_signature(TIMESTAMP)
    # Same instant, different spelling: the HMAC is over bytes, not over the parsed time.
    assert not signature_matches(API_KEY, PARTNER_ID, "2026-11-21T23:52:10.123456Z", signature)
    assert not signature_matches(API_KEY, PARTNER_ID, TIMESTAMP + " ", signature)


def test_js_iso_string_matches_javascripts_to_iso_string() -> None:
    # new Date(1795305130123).toISOString() === "2026-11-21T23:52:10.123Z"
    assert js_iso_string(1795305130123) == "2026-11-21T23:52:10.123Z"
    assert js_iso_string(0) == "1970-01-01T00:00:00.000Z"
    assert js_iso_string(-1) == "1969-12-31T23:59:59.999Z"


def test_js_iso_string_refuses_years_javascript_writes_in_extended_form() -> None:
    with pytest.raises(TimestampError):
        js_iso_string(253402300800000)  # +010000-01-01T00:00:00.000Z in JS


def test_numeric_timestamp_verifies_against_its_javascript_iso_form() -> None:
    # JS SDK: generate_signature(1795305130123) signs the ISO form but sends the number.
    epoch_ms = 1795305130123
    signature = sdk_signature("2026-11-21T23:52:10.123Z")
    assert signature_matches(API_KEY, PARTNER_ID, epoch_ms, signature)
    assert signature_matches(API_KEY, PARTNER_ID, float(epoch_ms) + 0.9, signature)  # Date truncates
    assert not signature_matches(API_KEY, PARTNER_ID, epoch_ms + 1, signature)
    # The digit string is hashed as received: the ISO form does not apply to strings.
    assert not signature_matches(API_KEY, PARTNER_ID, str(epoch_ms), signature)


def test_integer_timestamp_also_verifies_against_its_decimal_text() -> None:
    assert signature_matches(API_KEY, PARTNER_ID, 1795305130, sdk_signature("1795305130"))


def test_signed_strings_refuses_booleans_and_non_finite_numbers() -> None:
    assert signed_strings(True) == ()
    assert signed_strings(float("nan")) == ()
    assert signed_strings(10**20) == (str(10**20),)


def test_format_js_iso_truncates_to_milliseconds_in_utc() -> None:
    lagos = timezone(timedelta(hours=1))
    moment = datetime(2026, 11, 22, 0, 52, 10, 123999, tzinfo=lagos)
    assert format_js_iso(moment) == "2026-11-21T23:52:10.123Z"
    assert format_js_iso(datetime(999, 1, 2, tzinfo=UTC)) == "0999-01-02T00:00:00.000Z"
    with pytest.raises(ValueError, match="timezone-aware"):
        format_js_iso(datetime(2026, 1, 1))  # noqa: DTZ001 - naive on purpose: it is refused


def test_sign_response_round_trips_through_the_sdks_confirm_signature() -> None:
    now = datetime(2026, 11, 21, 23, 52, 10, 123456, tzinfo=UTC)
    signed = json.loads(json.dumps(sign_response(API_KEY, PARTNER_ID, now)))
    assert Signature(PARTNER_ID, API_KEY).confirm_signature(signed["timestamp"], signed["signature"])
    assert not Signature("002", API_KEY).confirm_signature(signed["timestamp"], signed["signature"])


def test_sign_response_timestamp_is_a_js_and_java_friendly_string() -> None:
    now = datetime(2026, 11, 21, 23, 52, 10, 5000, tzinfo=UTC)
    signed = sign_response(API_KEY, PARTNER_ID, now)
    assert signed["timestamp"] == "2026-11-21T23:52:10.005Z"
    # Java Instant.parse / JS Date read exactly this ISO shape.
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z", signed["timestamp"])
    assert datetime.fromisoformat(signed["timestamp"]) == now.replace(microsecond=5000)
    assert parse_timestamp(signed["timestamp"]) == now.replace(microsecond=5000)
    assert isinstance(signed["signature"], str)


@pytest.mark.parametrize("signature", ["\ud800", "sig\udfff", "é" * 44, "\x00"])
def test_a_lone_surrogate_or_non_ascii_signature_does_not_match_and_does_not_raise(signature: str) -> None:
    assert not signature_matches(API_KEY, PARTNER_ID, TIMESTAMP, signature)


def test_a_lone_surrogate_in_the_signed_text_does_not_raise() -> None:
    # Refused before it gets here (credentials), but computing a signature must be total on str.
    assert not signature_matches(API_KEY, "\ud800", TIMESTAMP, sdk_signature(TIMESTAMP))


def test_a_huge_integer_timestamp_offers_no_form_and_does_not_raise() -> None:
    assert signed_strings(10**5000) == ()
