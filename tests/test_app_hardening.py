"""Nothing a partner sends produces a 500 or a non-JSON error: junk thrown at every route."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from smile_id_core.Signature import Signature
from sqlalchemy import select

from openkyc.app import create_app
from openkyc.db import transaction
from openkyc.jobs.models import Job
from openkyc.runtime import Runtime
from openkyc.users.service import find_user
from tests.observability.postgres import database_url, throwaway_database
from tests.server import PartnerCreds, make_partner, make_runtime

JUNK_BODIES: list[bytes] = [
    b"",
    b"null",
    b"[]",
    b'"string"',
    b"{",
    b"\xff\xfe\x00garbage",
    b'{"partner_id": 5, "timestamp": true, "signature": []}',
    b'{"partner_id": "1001", "timestamp": "yesterday", "signature": "x"}',
    b'{"smile_client_id": {"a": 1}, "partner_params": "x"}',
    b'{"partner_params": {"user_id": [], "job_id": {}, "job_type": 1e309}}',
    json.dumps({"partner_id": "1001", "timestamp": "9" * 400, "signature": "a" * 10_000}).encode(),
    b"PK\x03\x04" + b"\x00" * 100,
]


@pytest.fixture
def runtime(tmp_path: Path) -> Runtime:
    return make_runtime(tmp_path, max_json_body=64 * 1024)


# Routes kept out of the OpenAPI schema (capability URLs), listed by hand.
HIDDEN_ROUTES = [("PUT", "/v1/uploads/tok"), ("GET", "/v1/images/0000000001/selfie")]
PATH_PARAMETERS = {
    "{key_id}": "k",
    "{user_id}": "u",
    "{action}": "disable",
    "{jobId}": "job_01h2xcejqtf2nbrexx3vqjhp41",
    "{job_id}": "job_01h2xcejqtf2nbrexx3vqjhp41",
    "{refId}": "00000000-0000-4000-8000-000000000000",
    "{reference}": "r",
}


def routes(client: TestClient) -> list[tuple[str, str]]:
    """Every (method, path) of the app: the OpenAPI schema's plus the hidden ones."""
    found = list(HIDDEN_ROUTES)
    for path, operations in client.app.openapi()["paths"].items():  # type: ignore[attr-defined]
        for name, value in PATH_PARAMETERS.items():
            path = path.replace(name, value)
        found.extend((method.upper(), path) for method in operations)
    return found


def assert_json_error_or_success(response: object) -> None:
    status = response.status_code  # type: ignore[attr-defined]
    assert status < 500, f"{status}: {response.text[:300]}"  # type: ignore[attr-defined]
    if status >= 400:
        body = response.json()  # type: ignore[attr-defined]
        v3 = response.request.url.path.startswith("/v3/")  # type: ignore[attr-defined]
        # The V3 API answers in its spec's shapes: {status, message}, or the services' {error, code}.
        documented = ("message" in body or "code" in body) if v3 else ("code" in body or "errors" in body)
        assert isinstance(body, dict) and documented, body


def test_junk_bodies_never_make_a_500(client: TestClient) -> None:
    assert len(routes(client)) >= 12  # the v1 job routes, image links and the management API at least
    for method, path in routes(client):
        for body in JUNK_BODIES:
            response = client.request(method, path, content=body)
            assert_json_error_or_success(response)


def test_random_signed_json_never_makes_a_500(client: TestClient, partner: PartnerCreds) -> None:
    rng = random.Random(7)
    values = [
        None,
        True,
        0,
        -1,
        2**70,
        1.5,
        "",
        "x" * 300,
        [],
        {},
        {"user_id": "u"},
        ["a"],
        "../../etc/passwd",
    ]
    keys = [
        "partner_params",
        "user_id",
        "job_id",
        "callback_url",
        "history",
        "image_links",
        "retry",
        "use_enrolled_image",
        "id_type",
        "id_number",
        "product",
    ]
    for method, path in routes(client):
        if method != "POST" or not path.startswith("/v1/"):
            continue
        for _ in range(25):
            fields: dict[str, Any] = {k: rng.choice(values) for k in rng.sample(keys, 4)}
            body = partner.signed(**fields)
            body["smile_client_id"] = partner.partner_id
            assert_json_error_or_success(client.post(path, json=body))


def test_oversized_json_is_a_json_413(client: TestClient) -> None:
    response = client.post("/v1/job_status", content=b'{"a": "' + b"x" * 100_000 + b'"}')
    assert response.status_code == 413 and response.json()["code"] == "2413"


# --- Issue 13, rows 1-7: partner input that used to make 500s, on SQLite and on PostgreSQL ------


@pytest.fixture(params=["sqlite", "postgresql"])
def db_app(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[TestClient, Runtime, PartnerCreds]]:
    """The app with default body limits on each database (PostgreSQL refuses NUL; SQLite does not)."""
    with ExitStack() as stack:
        overrides: dict[str, Any] = {}
        if request.param == "postgresql":
            overrides["database_url"] = database_url(stack.enter_context(throwaway_database("openkyc_input")))
        runtime = make_runtime(tmp_path, **overrides)
        stack.callback(runtime.engine.dispose)
        client = stack.enter_context(TestClient(create_app(runtime), raise_server_exceptions=False))
        yield client, runtime, make_partner(runtime)


def _json_posts(client: TestClient) -> list[str]:
    """Every partner endpoint with a JSON body (the management API is KSig1-signed, v2 selfies and
    the whole V3 API multipart: tests/v3 hold their hostile bodies to the V3 spec)."""
    return [
        path
        for method, path in routes(client)
        if method == "POST" and not path.startswith(("/v1/management/", "/v2/smart-selfie", "/v3/"))
    ]


def _v2_headers(partner: PartnerCreds, **replace: str) -> dict[str, str]:
    signed = Signature(partner.partner_id, partner.sandbox_key).generate_signature()
    headers = {
        "SmileID-Partner-ID": partner.partner_id,
        "SmileID-Timestamp": signed["timestamp"],
        "SmileID-Request-Signature": signed["signature"],
    }
    return {**headers, **replace}


def _v2_enrol(client: TestClient, partner: PartnerCreds, **text: str) -> Any:
    # The selfie is never decoded: every refusal tested here comes before the images are looked at.
    files = [("selfie_image", ("selfie.jpg", b"\xff\xd8 not decoded", "image/jpeg"))]
    headers = _v2_headers(partner, **{k: v for k, v in text.items() if k.startswith("SmileID-")})
    data = {k: v for k, v in text.items() if not k.startswith("SmileID-")}
    return client.post("/v2/smart-selfie-enroll", data=data, files=files, headers=headers)


def _signed_raw(partner: PartnerCreds, **raw_fields: str) -> bytes:
    """A signed body whose ``raw_fields`` are spliced in as raw JSON text (escapes kept as sent)."""
    signed = partner.signed(smile_client_id=partner.partner_id)
    fields = [f"{json.dumps(k)}: {json.dumps(v)}" for k, v in signed.items() if k not in raw_fields]
    fields += [f"{json.dumps(k)}: {v}" for k, v in raw_fields.items()]
    return ("{" + ", ".join(fields) + "}").encode()


def _assert_code(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code and body["success"] is False, body


def test_a_5000_digit_json_number_is_2203_on_every_json_endpoint_and_in_v2_partner_params(
    db_app: tuple[TestClient, Runtime, PartnerCreds],
) -> None:
    client, _, partner = db_app
    number = "9" * 5000
    for path in _json_posts(client):
        _assert_code(client.post(path, content=f'{{"timestamp": {number}}}'.encode()), 400, "2203")
        _assert_code(
            client.post(path, content=_signed_raw(partner, partner_params=f'{{"n": {number}}}')), 400, "2203"
        )
    _assert_code(_v2_enrol(client, partner, user_id="u", partner_params=f'{{"n": {number}}}'), 400, "2203")


def test_json_nested_100000_deep_is_2203_on_every_json_endpoint_and_in_v2_partner_params(
    db_app: tuple[TestClient, Runtime, PartnerCreds],
) -> None:
    client, _, partner = db_app
    deep = "[" * 100_000 + "]" * 100_000
    for path in _json_posts(client):
        _assert_code(client.post(path, content=f'{{"partner_params": {deep}}}'.encode()), 400, "2203")
    _assert_code(_v2_enrol(client, partner, user_id="u", partner_params=f'{{"x": {deep}}}'), 400, "2203")


@pytest.mark.parametrize("bad", ['"\\ud800"', '"10\\u000001"'], ids=["lone-surrogate", "nul"])
def test_a_lone_surrogate_or_nul_in_credentials_ids_or_urls_is_2203_not_500(
    db_app: tuple[TestClient, Runtime, PartnerCreds], bad: str
) -> None:
    client, _, partner = db_app
    params = '{"user_id": "u", "job_id": "j", "job_type": 4}'
    bodies = [
        _signed_raw(partner, partner_id=bad),  # no valid credentials needed
        _signed_raw(partner, smile_client_id=bad),
        _signed_raw(partner, signature=bad),
        _signed_raw(partner, timestamp=bad),
        _signed_raw(partner, partner_params=params, callback_url=bad),
        _signed_raw(partner, partner_params=params.replace('"j"', bad)),
        _signed_raw(partner, partner_params=params.replace('"u"', bad)),
        _signed_raw(partner, job_id=bad, user_id='"u"'),
        _signed_raw(partner, user_id=bad, job_id='"j"'),
        _signed_raw(partner, user_id='"u"', job_id='"j"', product='"biometric_kyc"', callback_url=bad),
    ]
    for path in ("/v1/upload", "/v1/job_status", "/v1/token", *_json_posts(client)):
        for body in bodies:
            _assert_code(client.post(path, content=body), 400, "2203")


@pytest.mark.parametrize("bad", ["\\ud800", "\\u0000"], ids=["lone-surrogate", "nul"])
def test_a_lone_surrogate_or_nul_in_extra_partner_params_is_refused_and_nothing_is_stored(
    db_app: tuple[TestClient, Runtime, PartnerCreds], bad: str
) -> None:
    client, runtime, partner = db_app
    params = f'{{"user_id": "u", "job_id": "j", "job_type": 4, "extra": "x{bad}"}}'
    _assert_code(client.post("/v1/upload", content=_signed_raw(partner, partner_params=params)), 400, "2203")
    # v2 used to enrol the user, then fail to answer (500) and leave a job whose status was a 500.
    v2 = _v2_enrol(client, partner, user_id="v2-user", partner_params=f'{{"job_id": "v2", "extra": "{bad}"}}')
    _assert_code(v2, 400, "2203")
    with transaction(runtime.sessions) as session:
        assert session.scalars(select(Job)).all() == []
        assert (
            find_user(
                db_session=session, partner_id=partner.partner_id, environment="sandbox", user_id="v2-user"
            )
            is None
        )
    status = client.post(
        "/v1/job_status", json=partner.signed(user_id="u", job_id="j", image_links=False, history=False)
    )
    assert status.status_code < 500, status.text


@pytest.mark.parametrize("name", ["user_id", "callback_url"])
@pytest.mark.parametrize(
    "value", ["v2\x00user", '"v2\\u0000user"', '"\\ud800"'], ids=["nul", "json-nul", "json-surrogate"]
)
def test_a_nul_or_lone_surrogate_in_a_v2_text_part_is_2413_not_500(
    db_app: tuple[TestClient, Runtime, PartnerCreds], name: str, value: str
) -> None:
    client, _, partner = db_app
    response = _v2_enrol(client, partner, **{name: value})
    _assert_code(response, 400, "2413")
    # Refused for the part itself, before the (undecodable) selfie is looked at.
    assert response.json()["error"].startswith(f"{name} contains"), response.text


@pytest.mark.parametrize(
    "sig",
    ["%C3%A9" * 43, "%E6%97%A5", "%ED%A0%80", "%00"],
    ids=["accented", "cjk", "encoded-surrogate", "nul"],
)
def test_a_non_ascii_image_link_sig_is_404_not_500(
    db_app: tuple[TestClient, Runtime, PartnerCreds], sig: str
) -> None:
    client, _, _ = db_app
    expires = int(time.time()) + 600
    _assert_code(client.get(f"/v1/images/0000000001/selfie?expires={expires}&sig={sig}"), 404, "2404")


def test_a_5000_digit_timestamp_is_a_2205_format_error_in_a_body_or_a_v2_header(
    db_app: tuple[TestClient, Runtime, PartnerCreds],
) -> None:
    client, _, partner = db_app
    digits = "1" * 5000
    for path in _json_posts(client):
        response = client.post(path, content=_signed_raw(partner, timestamp=json.dumps(digits)))
        _assert_code(response, 400, "2205")
        assert "timestamp is not in a recognised format" in response.json()["error"]
    response = _v2_enrol(client, partner, **{"SmileID-Timestamp": digits, "user_id": "u"})
    _assert_code(response, 400, "2205")
    assert "timestamp is not in a recognised format" in response.json()["error"]
