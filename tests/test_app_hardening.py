"""Nothing a partner sends produces a 500 or a non-JSON error: junk thrown at every route."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from openkyc.runtime import Runtime
from tests.server import PartnerCreds, make_runtime

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
PATH_PARAMETERS = {"{key_id}": "k", "{user_id}": "u", "{action}": "disable"}


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
        assert isinstance(body, dict) and ("code" in body or "errors" in body), body


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
            body = partner.signed(**{k: rng.choice(values) for k in rng.sample(keys, 4)})
            body["smile_client_id"] = partner.partner_id
            assert_json_error_or_success(client.post(path, json=body))


def test_oversized_json_is_a_json_413(client: TestClient) -> None:
    response = client.post("/v1/job_status", content=b'{"a": "' + b"x" * 100_000 + b'"}')
    assert response.status_code == 413 and response.json()["code"] == "2413"
