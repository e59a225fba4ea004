from __future__ import annotations

import json
from typing import Any

import pytest
from smile_id_core.Utilities import Utilities
from smile_id_core.WebApi import WebApi

from openkyc.signing.credentials import (
    SignedCredentials,
    credentials_from_body,
    credentials_from_headers,
    credentials_from_request,
    has_signature_headers,
)
from openkyc.signing.errors import MissingCredential, WrongDataType

PARTNER_ID = "001"
API_KEY = "b0c2ab07-4b55-4f07-a9cb-b2e31d2c5a1c"
SERVER = "http://localhost:8080/v1"


def over_the_wire(body: dict[str, Any]) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(json.dumps(body))
    return decoded


def test_job_status_body_built_by_the_sdk() -> None:
    utilities = Utilities(PARTNER_ID, API_KEY, SERVER)
    signature = {"timestamp": "2026-11-21T23:52:10.123456+00:00", "signature": "sig=="}
    body = utilities.configure_job_query("user-1", "job-1", {"return_images": False}, signature)
    assert credentials_from_body(over_the_wire(body)) == SignedCredentials(
        partner_id=PARTNER_ID,
        timestamp_raw="2026-11-21T23:52:10.123456+00:00",
        signature="sig==",
        source="body",
    )


def test_prep_upload_body_names_the_partner_smile_client_id() -> None:
    web_api = WebApi(PARTNER_ID, "https://partner.example/cb", API_KEY, SERVER)
    prepare = web_api._WebApi__prepare_prep_upload_payload
    body = over_the_wire(prepare({"job_type": 4}, web_api.signature_params, False))
    assert "partner_id" not in body
    creds = credentials_from_body(body)
    assert creds.partner_id == PARTNER_ID
    assert creds.timestamp_raw == web_api.signature_params["timestamp"]
    assert creds.signature == web_api.signature_params["signature"]


def test_partner_id_wins_over_smile_client_id() -> None:
    body = {"partner_id": "001", "smile_client_id": "002", "timestamp": "t", "signature": "s"}
    assert credentials_from_body(body).partner_id == "001"


def test_numeric_partner_id_is_read_as_the_text_the_sdk_signed() -> None:
    body = {"partner_id": 1234, "timestamp": "t", "signature": "s"}
    assert credentials_from_body(body).partner_id == "1234"


def test_numeric_timestamp_is_kept_as_a_number() -> None:
    creds = credentials_from_body({"partner_id": "001", "timestamp": 1795305130123, "signature": "s"})
    assert creds.timestamp_raw == 1795305130123
    assert isinstance(creds.timestamp_raw, int)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"timestamp": "t", "signature": "s"}, "partner_id"),
        ({"partner_id": None, "timestamp": "t", "signature": "s"}, "partner_id"),
        ({"partner_id": "", "timestamp": "t", "signature": "s"}, "partner_id"),
        ({"partner_id": "001", "signature": "s"}, "timestamp"),
        ({"partner_id": "001", "timestamp": "", "signature": "s"}, "timestamp"),
        ({"partner_id": "001", "timestamp": "t"}, "signature"),
        ({"partner_id": "001", "timestamp": "t", "signature": None}, "signature"),
        # The legacy sec_key scheme is not supported: a body with only sec_key has no signature.
        ({"partner_id": "001", "timestamp": 1795305130, "sec_key": "x|y"}, "signature"),
    ],
)
def test_missing_fields_are_2205(body: dict[str, object], field: str) -> None:
    with pytest.raises(MissingCredential) as info:
        credentials_from_body(body)
    assert info.value.field == field
    assert info.value.body() == {
        "code": "2205",
        "error": f"You're not authorized to do that: the request has no '{field}'",
    }


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"partner_id": True, "timestamp": "t", "signature": "s"}, "partner_id"),
        ({"partner_id": ["001"], "timestamp": "t", "signature": "s"}, "partner_id"),
        ({"smile_client_id": 1.5, "timestamp": "t", "signature": "s"}, "smile_client_id"),
        ({"partner_id": "001", "timestamp": True, "signature": "s"}, "timestamp"),
        ({"partner_id": "001", "timestamp": {"t": 1}, "signature": "s"}, "timestamp"),
        ({"partner_id": "001", "timestamp": "t", "signature": 12345}, "signature"),
        ({"partner_id": "001", "timestamp": "t", "signature": True}, "signature"),
    ],
)
def test_wrong_types_are_2204(body: dict[str, object], field: str) -> None:
    with pytest.raises(WrongDataType) as info:
        credentials_from_body(body)
    assert info.value.field == field
    assert info.value.code == "2204"
    assert info.value.body() == {
        "code": "2204",
        "error": f"A parameter is of the wrong data type: '{field}' must be a string",
    }


@pytest.mark.parametrize(
    "names",
    [
        ("SmileID-Partner-ID", "SmileID-Timestamp", "SmileID-Request-Signature"),
        ("smileid-partner-id", "smileid-timestamp", "smileid-request-signature"),  # Ruby
        ("SMILEID-PARTNER-ID", "SmileId-Timestamp", "smileID-request-SIGNATURE"),
    ],
)
def test_headers_are_matched_case_insensitively(names: tuple[str, str, str]) -> None:
    headers = dict(zip(names, ("001", "2026-11-21T23:52:10.123Z", "sig=="), strict=True))
    headers["Content-Type"] = "application/json"
    assert credentials_from_headers(headers) == SignedCredentials(
        "001", "2026-11-21T23:52:10.123Z", "sig==", source="headers"
    )


def test_a_missing_header_is_named_in_the_error() -> None:
    with pytest.raises(MissingCredential) as info:
        credentials_from_headers({"SmileID-Partner-ID": "001", "SmileID-Request-Signature": "s"})
    assert info.value.field == "SmileID-Timestamp"
    with pytest.raises(MissingCredential) as info:
        credentials_from_headers(
            {"SmileID-Partner-ID": "001", "SmileID-Timestamp": "t", "SmileID-Request-Signature": ""}
        )
    assert info.value.field == "SmileID-Request-Signature"


def test_request_uses_headers_when_any_signature_header_is_present() -> None:
    body: dict[str, object] = {"partner_id": "009", "timestamp": "body-t", "signature": "body-s"}
    headers = {"smileid-partner-id": "001", "smileid-timestamp": "t", "smileid-request-signature": "s"}
    assert credentials_from_request(headers, body).source == "headers"
    assert credentials_from_request(headers, body).partner_id == "001"
    assert credentials_from_request({"Accept": "*/*"}, body).source == "body"
    assert has_signature_headers({"SmileID-Timestamp": "t"})
    assert not has_signature_headers({"SmileID-Source-SDK": "android"})
    # A partial header set is a header attempt, refused for what is missing, not silently ignored.
    with pytest.raises(MissingCredential):
        credentials_from_request({"SmileID-Partner-ID": "001"}, body)


def test_request_without_body_or_headers_is_missing_credentials() -> None:
    with pytest.raises(MissingCredential):
        credentials_from_request({}, None)


@pytest.mark.parametrize("bad", ["\ud800", "10\x0001", "a\udc00b"], ids=["surrogate", "nul", "low-surrogate"])
@pytest.mark.parametrize("field", ["partner_id", "timestamp", "signature"])
def test_nul_or_lone_surrogate_in_a_body_credential_is_2204(field: str, bad: str) -> None:
    body: dict[str, object] = {
        "partner_id": PARTNER_ID,
        "timestamp": "2026-11-21T23:52:10Z",
        "signature": "s",
    }
    body[field] = bad
    with pytest.raises(WrongDataType) as caught:
        credentials_from_body(body)
    assert caught.value.code == "2204" and caught.value.field == field
    assert bad not in caught.value.message


@pytest.mark.parametrize("bad", ["\ud800", "10\x0001"], ids=["surrogate", "nul"])
@pytest.mark.parametrize("header", ["SmileID-Partner-ID", "SmileID-Timestamp", "SmileID-Request-Signature"])
def test_nul_or_lone_surrogate_in_a_signature_header_is_2204(header: str, bad: str) -> None:
    headers = {"SmileID-Partner-ID": PARTNER_ID, "SmileID-Timestamp": "t", "SmileID-Request-Signature": "s"}
    headers[header] = bad
    with pytest.raises(WrongDataType) as caught:
        credentials_from_headers(headers)
    assert caught.value.code == "2204" and caught.value.field == header
