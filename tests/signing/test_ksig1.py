from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest

from openkyc.signing.errors import KSig1Error
from openkyc.signing.ksig1 import (
    MUTATION_ELEMENTS,
    compute_ksig1_signature,
    content_md5,
    sign_ksig1,
    string_to_sign,
    verify_ksig1,
)
from openkyc.signing.management_keys import ManagementKey
from openkyc.signing.nonces import InMemoryNonceStore

# Kompliant's published test vector (compatibility §13).
VECTOR_API_KEY = "sb_3eY9UJuj09636NVPlgmhfa"
VECTOR_SECRET = "xBeain5pFnPyQkl98qzA+BG+Cjzskpqq9fGKDbDoXNP5"
VECTOR_SIGNATURE = "iWEh4jjK9wfjTXd/3GzImPLL1swTZiCPpDbj62vFo2Q="

TOKEN = "tok_Zq8xV1mN3pR7sT2u"
KEY = ManagementKey(VECTOR_API_KEY, VECTOR_SECRET, TOKEN, revoked=False, partner_id="001")
REVOKED = ManagementKey("lv_revokedrevokedrevoked1", VECTOR_SECRET, TOKEN, revoked=True, partner_id="001")
KEYS = {key.api_key: key for key in (KEY, REVOKED)}
NOW = datetime(2026, 11, 21, 23, 52, 10, tzinfo=UTC)
NOW_SECONDS = int(NOW.timestamp())

ALL_ELEMENTS = ("API-Key", "HTTP-Verb", "URL-Path", "Timestamp", "API-Version", "Nonce", "Content-MD5")
BODY = b'{"name": "Acme Ltd", "country": "NG"}'
PATH = "/v1/management/partners/001/keys?active=true&page=2"


def body_of(code: str, message: str) -> dict[str, list[dict[str, str]]]:
    return {"errors": [{"code": code, "message": message}]}


def check(
    headers: dict[str, str],
    *,
    method: str = "POST",
    path: str = PATH,
    body: bytes = BODY,
    now: datetime = NOW,
    window: timedelta | None = timedelta(seconds=300),
    store: InMemoryNonceStore | None = None,
) -> ManagementKey:
    return verify_ksig1(
        method, path, headers, body, KEYS.get, now, timestamp_window=window, nonce_store=store
    )


def refused(headers: dict[str, str], **kwargs: object) -> dict[str, list[dict[str, str]]]:
    with pytest.raises(KSig1Error) as info:
        check(headers, **kwargs)  # type: ignore[arg-type]
    assert info.value.http_status == 401
    return info.value.body()


def full_headers(**overrides: object) -> dict[str, str]:
    arguments: dict[str, object] = {
        "method": "POST",
        "path_and_query": PATH,
        "body": BODY,
        "elements": ALL_ELEMENTS,
        "timestamp": NOW_SECONDS,
        "nonce": "n-0001",
        "api_version": "2026-01-01",
        **overrides,
    }
    return sign_ksig1(VECTOR_API_KEY, VECTOR_SECRET, TOKEN, **arguments)  # type: ignore[arg-type]


# --- the published vector -------------------------------------------------------------------------


def test_published_vector() -> None:
    assert compute_ksig1_signature(VECTOR_SECRET, VECTOR_API_KEY) == VECTOR_SIGNATURE
    # Independently: the HMAC key is the 33 decoded secret bytes, the message the API key.
    secret = base64.b64decode(VECTOR_SECRET)
    assert len(secret) == 33
    digest = hmac.new(secret, VECTOR_API_KEY.encode(), hashlib.sha256).digest()
    assert base64.b64encode(digest).decode() == VECTOR_SIGNATURE


def test_minimal_request_signs_and_verifies_with_the_vector() -> None:
    headers = sign_ksig1(VECTOR_API_KEY, VECTOR_SECRET, TOKEN)
    assert headers == {
        "Authorization": f"KSig1-HMAC-SHA256 {VECTOR_SIGNATURE}",
        "X-API-Key": VECTOR_API_KEY,
        "X-API-Auth-Token": TOKEN,
    }
    assert check(headers, method="GET", path="/anything", body=b"whatever") is KEY


def test_header_names_are_case_insensitive() -> None:
    headers = {name.lower(): value for name, value in full_headers().items()}
    assert check(headers) is KEY


# --- multi-element signing ----------------------------------------------------------------------


def test_all_elements_are_joined_with_newlines_in_the_listed_order() -> None:
    headers = full_headers()
    assert headers["X-API-Signed-Elements"] == ";".join(ALL_ELEMENTS)
    values = [VECTOR_API_KEY, "POST", PATH, str(NOW_SECONDS), "2026-01-01", "n-0001", content_md5(BODY)]
    expected = hmac.new(base64.b64decode(VECTOR_SECRET), "\n".join(values).encode(), hashlib.sha256).digest()
    assert headers["Authorization"] == "KSig1-HMAC-SHA256 " + base64.b64encode(expected).decode()
    assert string_to_sign(values) == "\n".join(values)
    assert check(headers) is KEY


def test_content_md5_is_base64_of_the_body_md5() -> None:
    assert content_md5(b"") == "1B2M2Y8AsgTpgAmY7PhCfg=="
    assert (
        full_headers()["X-API-Content-Hash"]
        == base64.b64encode(hashlib.md5(BODY, usedforsecurity=False).digest()).decode()
    )


def test_order_of_elements_is_part_of_the_signature() -> None:
    headers = full_headers(elements=("API-Key", "HTTP-Verb", "URL-Path"))
    headers["X-API-Signed-Elements"] = "API-Key;URL-Path;HTTP-Verb"
    assert refused(headers) == body_of(
        "AUTH_SIGNATURE_MISMATCH", "The provided signature does not match the calculated signature."
    )


@pytest.mark.parametrize(
    "change",
    [
        {"method": "PUT"},
        {"path": "/v1/management/partners/002/keys?active=true&page=2"},
        {"path": "/v1/management/partners/001/keys?active=false&page=2"},
        {"path": "/v1/management/partners/001/keys"},
    ],
)
def test_signed_verb_and_path_are_enforced(change: dict[str, str]) -> None:
    headers = full_headers(elements=("API-Key", "HTTP-Verb", "URL-Path"))
    assert refused(headers, **change)["errors"][0]["code"] == "AUTH_SIGNATURE_MISMATCH"


def test_http_verb_is_compared_upper_case() -> None:
    headers = full_headers(elements=("API-Key", "HTTP-Verb"), method="post")
    assert check(headers, method="Post") is KEY


def test_unsigned_elements_are_not_enforced() -> None:
    headers = sign_ksig1(VECTOR_API_KEY, VECTOR_SECRET, TOKEN, method="GET", path_and_query="/a")
    assert check(headers, method="DELETE", path="/b") is KEY


@pytest.mark.parametrize("header", ["X-API-Timestamp", "X-API-Nonce", "X-API-Version"])
def test_changing_a_signed_header_breaks_the_signature(header: str) -> None:
    headers = full_headers()
    headers[header] = str(NOW_SECONDS + 1) if header == "X-API-Timestamp" else headers[header] + "x"
    assert refused(headers)["errors"][0]["code"] == "AUTH_SIGNATURE_MISMATCH"


# --- Content-MD5 ----------------------------------------------------------------------------------


def test_content_md5_mismatch_with_a_changed_body() -> None:
    headers = full_headers()
    assert refused(headers, body=BODY + b" ") == body_of(
        "AUTH_SIGNATURE_MISMATCH", "The provided signature does not match the calculated signature."
    )


def test_content_hash_recomputed_for_a_forged_body_still_fails() -> None:
    headers = full_headers()
    forged = b'{"name": "Evil Ltd"}'
    headers["X-API-Content-Hash"] = content_md5(forged)
    assert refused(headers, body=forged)["errors"][0]["code"] == "AUTH_SIGNATURE_MISMATCH"


def test_content_hash_is_checked_even_when_the_signature_covers_a_wrong_hash() -> None:
    # A client that signs a hash of some other body is caught by the hash check itself.
    headers = full_headers(body=b"other")
    assert refused(headers, body=BODY)["errors"][0]["code"] == "AUTH_SIGNATURE_MISMATCH"
    assert check(headers, body=b"other") is KEY


# --- AUTH_MISSING_HEADER ------------------------------------------------------------------------


@pytest.mark.parametrize("header", ["Authorization", "X-API-Key", "X-API-Auth-Token"])
def test_each_always_required_header(header: str) -> None:
    headers = full_headers()
    del headers[header]
    assert refused(headers) == body_of(
        "AUTH_MISSING_HEADER", f"Required header '{header}' is missing from the request."
    )
    headers[header] = ""
    assert refused(headers)["errors"][0]["code"] == "AUTH_MISSING_HEADER"


def test_the_seeds_missing_header_example_exactly() -> None:
    headers = full_headers()
    del headers["X-API-Key"]
    assert refused(headers) == {
        "errors": [
            {
                "code": "AUTH_MISSING_HEADER",
                "message": "Required header 'X-API-Key' is missing from the request.",
            }
        ]
    }


@pytest.mark.parametrize(
    ("element", "header"),
    [
        ("Timestamp", "X-API-Timestamp"),
        ("Nonce", "X-API-Nonce"),
        ("Content-MD5", "X-API-Content-Hash"),
        ("API-Version", "X-API-Version"),
    ],
)
def test_a_signed_elements_missing_carrier_header(element: str, header: str) -> None:
    headers = full_headers(elements=("API-Key", element))
    del headers[header]
    assert refused(headers) == body_of(
        "AUTH_MISSING_HEADER", f"Required header '{header}' is missing from the request."
    )


# --- AUTH_INVALID_HEADER ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "authorization",
    ["Bearer abc", "ksig1-hmac-sha256 " + VECTOR_SIGNATURE, "HMAC " + VECTOR_SIGNATURE, VECTOR_SIGNATURE],
)
def test_authorization_without_the_scheme_gets_the_seeds_message(authorization: str) -> None:
    headers = full_headers()
    headers["Authorization"] = authorization
    assert refused(headers) == body_of(
        "AUTH_INVALID_HEADER",
        "The 'Authorization' header is not in the correct format. It must start with 'KSig1-HMAC-SHA256'.",
    )


@pytest.mark.parametrize(
    "authorization",
    [
        "KSig1-HMAC-SHA256",
        "KSig1-HMAC-SHA256 ",
        "KSig1-HMAC-SHA256  " + VECTOR_SIGNATURE,
        "KSig1-HMAC-SHA256" + VECTOR_SIGNATURE,
        "KSig1-HMAC-SHA256 " + VECTOR_SIGNATURE + " ",
        "KSig1-HMAC-SHA256 " + VECTOR_SIGNATURE.rstrip("="),
        "KSig1-HMAC-SHA256 not*base64",
        "KSig1-HMAC-SHA256 " + base64.b64encode(bytes(31)).decode(),
        "KSig1-HMAC-SHA256 " + base64.b64encode(bytes(33)).decode(),
    ],
)
def test_authorization_with_a_malformed_signature(authorization: str) -> None:
    headers = sign_ksig1(VECTOR_API_KEY, VECTOR_SECRET, TOKEN)
    headers["Authorization"] = authorization
    assert refused(headers) == body_of(
        "AUTH_INVALID_HEADER",
        "The 'Authorization' header is not in the correct format. It must be 'KSig1-HMAC-SHA256' "
        "followed by a single space and the base64 encoding of a 32-byte HMAC-SHA256.",
    )


@pytest.mark.parametrize(
    ("elements", "detail"),
    [
        ("", "It must not contain empty element names."),
        ("API-Key;;HTTP-Verb", "It must not contain empty element names."),
        ("API-Key;", "It must not contain empty element names."),
        ("API-Key; HTTP-Verb", "Unknown data element ' HTTP-Verb'."),
        ("api-key", "Unknown data element 'api-key'."),
        ("API-Key;Body", "Unknown data element 'Body'."),
        ("API-Key;HTTP-Verb;API-Key", "A data element is listed more than once."),
        ("HTTP-Verb;URL-Path", "It must include 'API-Key'."),
    ],
)
def test_bad_signed_elements_lists(elements: str, detail: str) -> None:
    headers = sign_ksig1(VECTOR_API_KEY, VECTOR_SECRET, TOKEN)
    headers["X-API-Signed-Elements"] = elements
    assert refused(headers) == body_of(
        "AUTH_INVALID_HEADER", f"The 'X-API-Signed-Elements' header is not in the correct format. {detail}"
    )


@pytest.mark.parametrize(("header", "value"), [("X-API-Nonce", " n-1"), ("X-API-Timestamp", "1795305130 ")])
def test_signed_values_with_surrounding_whitespace(header: str, value: str) -> None:
    headers = full_headers()
    headers[header] = value
    assert refused(headers) == body_of(
        "AUTH_INVALID_HEADER",
        f"The '{header}' header is not in the correct format. It must not have leading or trailing whitespace.",
    )


def test_api_key_with_surrounding_whitespace() -> None:
    headers = sign_ksig1(VECTOR_API_KEY, VECTOR_SECRET, TOKEN)
    headers["X-API-Key"] = VECTOR_API_KEY + " "
    assert refused(headers)["errors"][0] == {
        "code": "AUTH_INVALID_HEADER",
        "message": "The 'X-API-Key' header is not in the correct format. "
        "It must not have leading or trailing whitespace.",
    }


@pytest.mark.parametrize("value", ["1795305130.5", "-1795305130", "2026-11-21T23:52:10Z", "１２３", "9" * 21])
def test_non_numeric_timestamp(value: str) -> None:
    headers = full_headers(elements=("API-Key", "Timestamp"))
    headers["X-API-Timestamp"] = value
    assert refused(headers) == body_of(
        "AUTH_INVALID_HEADER",
        "The 'X-API-Timestamp' header is not in the correct format. It must be a Unix time in whole seconds.",
    )


# --- AUTH_INVALID_API_KEY / AUTH_INVALID_AUTH_TOKEN / AUTH_SIGNATURE_MISMATCH ------------------------


def test_unknown_api_key() -> None:
    headers = sign_ksig1("sb_unknownunknownunknown", VECTOR_SECRET, TOKEN)
    assert refused(headers) == body_of(
        "AUTH_INVALID_API_KEY", "The provided API key is not valid or has been revoked."
    )


def test_revoked_api_key() -> None:
    headers = sign_ksig1(REVOKED.api_key, REVOKED.secret_key, REVOKED.auth_token)
    assert refused(headers) == body_of(
        "AUTH_INVALID_API_KEY", "The provided API key is not valid or has been revoked."
    )


def test_wrong_auth_token() -> None:
    headers = sign_ksig1(VECTOR_API_KEY, VECTOR_SECRET, TOKEN + "x")
    assert refused(headers) == body_of("AUTH_INVALID_AUTH_TOKEN", "The authentication token is invalid.")


def test_token_of_another_key_is_not_accepted() -> None:
    other = ManagementKey(
        "sb_otherotherotherother12", VECTOR_SECRET, "tok_other", revoked=False, partner_id="002"
    )
    headers = sign_ksig1(VECTOR_API_KEY, VECTOR_SECRET, other.auth_token)
    with pytest.raises(KSig1Error) as info:
        verify_ksig1("GET", "/", headers, b"", {KEY.api_key: KEY, other.api_key: other}.get, NOW)
    assert info.value.code == "AUTH_INVALID_AUTH_TOKEN"


def test_wrong_secret() -> None:
    wrong_secret = base64.b64encode(bytes(range(33))).decode()
    headers = sign_ksig1(VECTOR_API_KEY, wrong_secret, TOKEN)
    assert refused(headers) == body_of(
        "AUTH_SIGNATURE_MISMATCH", "The provided signature does not match the calculated signature."
    )


# --- check order (compatibility §13 step 5) -----------------------------------------------------


def test_checks_run_in_the_documented_order() -> None:
    broken = {
        "Authorization": "Bearer x",
        "X-API-Key": "sb_unknownunknownunknown",
        "X-API-Auth-Token": "wrong",
    }
    assert refused({k: v for k, v in broken.items() if k != "X-API-Key"})["errors"][0]["code"] == (
        "AUTH_MISSING_HEADER"
    )
    assert refused(broken)["errors"][0]["code"] == "AUTH_INVALID_HEADER"
    broken["Authorization"] = "KSig1-HMAC-SHA256 " + VECTOR_SIGNATURE
    assert refused(broken)["errors"][0]["code"] == "AUTH_INVALID_API_KEY"
    broken["X-API-Key"] = VECTOR_API_KEY
    broken["Authorization"] = "KSig1-HMAC-SHA256 " + base64.b64encode(bytes(32)).decode()
    assert refused(broken)["errors"][0]["code"] == "AUTH_INVALID_AUTH_TOKEN"
    broken["X-API-Auth-Token"] = TOKEN
    assert refused(broken)["errors"][0]["code"] == "AUTH_SIGNATURE_MISMATCH"


def test_all_required_headers_missing_names_authorization_first() -> None:
    assert (
        refused({})["errors"][0]["message"] == "Required header 'Authorization' is missing from the request."
    )


# --- hardening: timestamp window and nonces -------------------------------------------------------


@pytest.mark.parametrize("offset", [-300, 0, 300])
def test_timestamp_inside_the_window(offset: int) -> None:
    headers = full_headers(elements=("API-Key", "Timestamp"), timestamp=NOW_SECONDS + offset)
    assert check(headers) is KEY


@pytest.mark.parametrize("offset", [-301, 301, -86400])
def test_timestamp_outside_the_window(offset: int) -> None:
    headers = full_headers(elements=("API-Key", "Timestamp"), timestamp=NOW_SECONDS + offset)
    assert refused(headers) == body_of(
        "AUTH_INVALID_HEADER",
        "The 'X-API-Timestamp' header is not in the correct format. "
        "It must be within 300 seconds of the server's time.",
    )
    assert check(headers, window=None) is KEY


def test_an_unsigned_timestamp_header_is_ignored() -> None:
    headers = sign_ksig1(VECTOR_API_KEY, VECTOR_SECRET, TOKEN)
    headers["X-API-Timestamp"] = "1"
    assert check(headers) is KEY


def test_a_bad_signature_is_reported_before_a_stale_timestamp() -> None:
    headers = full_headers(elements=("API-Key", "Timestamp"), timestamp=NOW_SECONDS - 1000)
    headers["X-API-Key"] = VECTOR_API_KEY
    headers["Authorization"] = "KSig1-HMAC-SHA256 " + base64.b64encode(bytes(32)).decode()
    assert refused(headers)["errors"][0]["code"] == "AUTH_SIGNATURE_MISMATCH"


def test_a_replayed_nonce_is_refused() -> None:
    store = InMemoryNonceStore()
    headers = full_headers()
    assert check(headers, store=store) is KEY
    assert refused(headers, store=store) == body_of(
        "AUTH_INVALID_HEADER",
        "The 'X-API-Nonce' header is not in the correct format. This nonce has already been used.",
    )
    assert check(full_headers(nonce="n-0002"), store=store) is KEY


def test_a_nonce_is_forgotten_once_its_timestamp_left_the_window() -> None:
    store = InMemoryNonceStore()
    headers = full_headers(elements=("API-Key", "Timestamp", "Nonce"))
    assert check(headers, store=store) is KEY
    later = NOW + timedelta(seconds=301)
    # Replaying later fails on the timestamp; without the window it would pass as the nonce expired.
    assert refused(headers, store=store, now=later)["errors"][0]["message"].endswith(
        "It must be within 300 seconds of the server's time."
    )
    assert len(store) == 1
    assert check(headers, store=store, now=later, window=None) is KEY


def test_a_nonce_from_a_refused_request_is_not_remembered() -> None:
    store = InMemoryNonceStore()
    headers = full_headers()
    assert refused(headers, store=store, body=b"tampered")["errors"][0]["code"] == "AUTH_SIGNATURE_MISMATCH"
    assert len(store) == 0
    assert check(headers, store=store) is KEY


def test_nonces_are_per_api_key() -> None:
    other = ManagementKey(
        "sb_otherotherotherother12", VECTOR_SECRET, "tok_other", revoked=False, partner_id="002"
    )
    keys = {KEY.api_key: KEY, other.api_key: other}
    store = InMemoryNonceStore()
    for key in (KEY, other):
        headers = sign_ksig1(
            key.api_key, key.secret_key, key.auth_token, elements=("API-Key", "Nonce"), nonce="same"
        )
        assert verify_ksig1("GET", "/", headers, b"", keys.get, NOW, nonce_store=store) is key


# --- signing helper -----------------------------------------------------------------------------


def test_sign_ksig1_needs_values_for_timestamp_and_version() -> None:
    with pytest.raises(ValueError, match="Timestamp"):
        sign_ksig1(VECTOR_API_KEY, VECTOR_SECRET, TOKEN, elements=("API-Key", "Timestamp"))
    with pytest.raises(ValueError, match="API-Version"):
        sign_ksig1(VECTOR_API_KEY, VECTOR_SECRET, TOKEN, elements=("API-Key", "API-Version"))
    with pytest.raises(ValueError, match="unknown"):
        sign_ksig1(VECTOR_API_KEY, VECTOR_SECRET, TOKEN, elements=("API-Key", "Body"))


def test_sign_ksig1_makes_up_a_nonce_when_signing_one() -> None:
    first = sign_ksig1(VECTOR_API_KEY, VECTOR_SECRET, TOKEN, elements=("API-Key", "Nonce"))
    second = sign_ksig1(VECTOR_API_KEY, VECTOR_SECRET, TOKEN, elements=("API-Key", "Nonce"))
    assert first["X-API-Nonce"] != second["X-API-Nonce"]
    assert check(first) is KEY


# --- required elements (mutating management calls) ------------------------------------------------


def check_required(headers: dict[str, str], store: InMemoryNonceStore | None = None) -> ManagementKey:
    return verify_ksig1(
        "POST",
        PATH,
        headers,
        BODY,
        KEYS.get,
        NOW,
        nonce_store=store if store is not None else InMemoryNonceStore(),
        required_elements=MUTATION_ELEMENTS,
    )


def missing(header: str) -> dict[str, list[dict[str, str]]]:
    return body_of("AUTH_MISSING_HEADER", f"Required header '{header}' is missing from the request.")


def test_api_key_only_signature_is_refused_where_elements_are_required() -> None:
    headers = sign_ksig1(VECTOR_API_KEY, VECTOR_SECRET, TOKEN)
    with pytest.raises(KSig1Error) as info:
        check_required(headers)
    assert info.value.body() == missing("X-API-Signed-Elements")


@pytest.mark.parametrize(
    ("left_out", "header"),
    [
        ("HTTP-Verb", "X-API-Signed-Elements"),
        ("URL-Path", "X-API-Signed-Elements"),
        ("Content-MD5", "X-API-Content-Hash"),
        ("Timestamp", "X-API-Timestamp"),
        ("Nonce", "X-API-Nonce"),
    ],
)
def test_each_required_element_left_out_is_a_missing_header(left_out: str, header: str) -> None:
    elements = tuple(name for name in ALL_ELEMENTS if name != left_out)
    with pytest.raises(KSig1Error) as info:
        check_required(full_headers(elements=elements))
    assert info.value.body() == missing(header)


def test_required_elements_in_any_order_are_accepted_once() -> None:
    store = InMemoryNonceStore()
    headers = full_headers(elements=("Nonce", "Content-MD5", "API-Key", "Timestamp", "URL-Path", "HTTP-Verb"))
    assert check_required(headers, store) is KEY
    with pytest.raises(KSig1Error) as info:
        check_required(headers, store)
    assert info.value.body()["errors"][0]["code"] == "AUTH_INVALID_HEADER"


def test_requiring_a_nonce_without_a_store_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="nonce_store"):
        verify_ksig1("POST", PATH, full_headers(), BODY, KEYS.get, NOW, required_elements=MUTATION_ELEMENTS)
