"""Security headers on every answer: JSON, errors (500 included), the docs pages; HSTS on HTTPS."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from openkyc.app import create_app
from openkyc.runtime import Runtime
from openkyc.security_headers import JSON_POLICY
from tests.server import PartnerCreds, make_runtime

FIXED = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


def assert_fixed_headers(response: object) -> None:
    headers = response.headers  # type: ignore[attr-defined]
    for name, value in FIXED.items():
        assert headers.get(name) == value, (name, dict(headers))


def test_json_answers_get_the_headers_and_no_store(client: TestClient, partner: PartnerCreds) -> None:
    answers = [
        client.get("/healthz"),
        client.post("/v1/job_status", json=partner.signed(user_id="u", job_id="j")),
        client.post("/v1/upload", json={"partner_id": partner.partner_id}),  # refused: 2205
        client.get("/no/such/route"),
        client.post(
            "/v1/upload",
            json=partner.signed(
                smile_client_id=partner.partner_id,
                partner_params={"user_id": "u", "job_id": "j", "job_type": 4},
            ),
        ),
    ]
    for answer in answers:
        assert_fixed_headers(answer)
        assert answer.headers["content-security-policy"] == JSON_POLICY
        assert answer.headers["cache-control"] == "no-store"
        assert "strict-transport-security" not in answer.headers
    assert answers[-1].status_code == 200 and "upload_url" in answers[-1].json()


def test_job_status_is_never_cached(client: TestClient, partner: PartnerCreds) -> None:
    answer = client.post("/v1/job_status", json=partner.signed(user_id="u", job_id="j"))
    assert answer.headers["cache-control"] == "no-store"


def test_an_answer_that_chose_its_caching_keeps_it(client: TestClient) -> None:
    services = client.get("/v1/services")
    assert services.status_code == 200
    assert services.headers["cache-control"] == "public, max-age=3600"
    assert_fixed_headers(services)


def test_an_unexpected_500_still_carries_the_headers(runtime: Runtime) -> None:
    app = create_app(runtime)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("unexpected")

    with TestClient(app, raise_server_exceptions=False) as client:
        answer = client.get("/boom")
    assert answer.status_code == 500 and answer.json()["code"] == "2201"
    assert_fixed_headers(answer)
    assert answer.headers["content-security-policy"] == JSON_POLICY
    assert answer.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("path", ["/docs", "/redoc", "/docs/oauth2-redirect"])
def test_docs_pages_get_a_policy_that_lets_them_work(client: TestClient, path: str) -> None:
    page = client.get(path)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert_fixed_headers(page)
    policy = page.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["default-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    assert "'self'" in directives["script-src"]
    assert "'unsafe-inline'" not in directives["script-src"]
    # Every inline script of the page as sent is allowed by its hash, and only those.
    inline = re.findall(r"<script>(.*?)</script>", page.text, re.DOTALL)
    hashes = {f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'" for s in inline}
    assert hashes == {s for s in directives["script-src"].split() if s.startswith("'sha256-")}
    assert (path != "/redoc") == bool(hashes)  # ReDoc's page has no inline script
    assert "https://" not in policy  # served by openkyc itself (tests/web/test_docs.py)
    assert page.headers["content-length"] == str(len(page.content))


def test_the_openapi_schema_is_json_with_the_strict_policy(client: TestClient) -> None:
    schema = client.get("/openapi.json")
    assert schema.status_code == 200
    assert schema.headers["content-security-policy"] == JSON_POLICY


def test_hsts_only_over_https(client: TestClient) -> None:
    assert "strict-transport-security" not in client.get("/healthz").headers
    with TestClient(client.app, base_url="https://testserver") as secure:
        over_https = secure.get("/healthz")
    assert over_https.headers["strict-transport-security"] == "max-age=31536000"


def test_hsts_setting_sends_it_on_plain_http(tmp_path: Path) -> None:
    with TestClient(create_app(make_runtime(tmp_path, hsts=True))) as client:
        answer = client.get("/healthz")
    assert answer.headers["strict-transport-security"] == "max-age=31536000"
