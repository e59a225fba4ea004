"""The documentation pages load nothing from a third party, and every asset they name is served."""

from __future__ import annotations

import asyncio
import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from openkyc.web.docs import ASSET_CACHE, ASSETS_URL

PAGES = ["/docs", "/redoc", "/docs/oauth2-redirect"]
# src/href attributes, and url(...) in inline styles: everything a browser would fetch.
REFERENCE = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']|url\(\s*["']?([^"')]+)""", re.IGNORECASE)
# Swagger UI's initialiser names the schema and its other URLs as JavaScript string values.
SCRIPT_URL = re.compile(r"""(\w+)\s*:\s*['"]([^'"]*/[^'"]*)['"]""")


def references(page: str) -> list[str]:
    found = [a or b for a, b in REFERENCE.findall(page)]
    found += [url for _, url in SCRIPT_URL.findall(page)]
    return found


def directives(policy: str) -> dict[str, list[str]]:
    parsed: dict[str, list[str]] = {}
    for directive in policy.split(";"):
        name, *values = directive.split()
        parsed[name] = values
    return parsed


@pytest.mark.parametrize("path", PAGES)
def test_docs_pages_reference_only_this_origin(client: TestClient, path: str) -> None:
    page = client.get(path)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "cdn" not in page.text.lower() and "googleapis" not in page.text
    for url in references(page.text):
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc, f"{path} names an off-origin URL: {url}"


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_every_asset_a_docs_page_names_is_served_with_its_type(client: TestClient, path: str) -> None:
    page = client.get(path).text
    assets = [url for url in references(page) if url.startswith(ASSETS_URL)]
    assert len(assets) >= (3 if path == "/docs" else 2), assets  # script(s), stylesheet, favicon
    expected = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}
    for url in assets:
        answer = client.get(url)
        assert answer.status_code == 200, url
        suffix = url[url.rindex(".") :]
        assert answer.headers["content-type"].startswith(expected[suffix]), (url, answer.headers)
        assert answer.headers["cache-control"] == ASSET_CACHE
        assert len(answer.content) > 1000
    # The schema the page loads is this server's own.
    if path == "/docs":
        assert "url: '/openapi.json'" in page
        assert client.get("/openapi.json").status_code == 200


def test_swagger_ui_has_no_validator_badge(client: TestClient) -> None:
    # The badge is an image fetched from validator.swagger.io with the schema's URL in it.
    assert '"validatorUrl": null' in client.get("/docs").text


def test_the_bundled_swagger_ui_reads_openapi_3_1(client: TestClient) -> None:
    # FastAPI writes OpenAPI 3.1, which Swagger UI renders from release 5 on (4.x shows an error).
    assert client.get("/openapi.json").json()["openapi"].startswith("3.1")
    bundle = client.get(f"{ASSETS_URL}/swagger-ui-bundle.js").text
    assert re.search(r'"5\.\d+\.\d+"', bundle)


def test_an_unknown_asset_is_the_json_404(client: TestClient) -> None:
    for name in ("nope.js", "..%2F__init__.py", "swagger-ui-bundle.js.map"):
        answer = client.get(f"{ASSETS_URL}/{name}")
        assert answer.status_code == 404 and answer.json()["code"] == "2404"


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_the_pages_policy_allows_what_they_load_and_no_other_origin(client: TestClient, path: str) -> None:
    page = client.get(path)
    policy = directives(page.headers["content-security-policy"])
    assert policy["default-src"] == ["'none'"]
    for name, values in policy.items():
        for value in values:
            assert "://" not in value and "." not in value.strip("'"), f"{name} names an origin: {value}"
    # The page's external scripts and stylesheet are on this origin, which the policy allows.
    scripts = re.findall(r'<script src="([^"]+)"', page.text)
    styles = re.findall(r'<link type="text/css" rel="stylesheet" href="([^"]+)"', page.text)
    assert scripts and all(s.startswith(ASSETS_URL) for s in scripts + styles)
    assert "'self'" in policy["script-src"] and "'unsafe-inline'" not in policy["script-src"]
    assert "'self'" in policy["connect-src"]  # the schema is fetched from here
    if styles:
        assert "'self'" in policy["style-src"]


# --- The OpenAPI schema: a body and a model for every operation ----------------------------------

# The management API's actions are named by their path and take no body (the KSig1 signature
# covers the empty body's MD5). Any other POST must document its body.
BODILESS_POSTS = {
    "/v1/management/keys",
    "/v1/management/keys/{key_id}/revoke",
    "/v1/management/keys/{key_id}/rotate",
    "/v1/management/users/{user_id}/{action}",
}
# Operations outside the partner API whose answers are not described by a model here.
UNMODELLED = {
    ("GET", "/health"),
    ("GET", "/metrics"),
    ("GET", "/docs/postman.json"),
    ("GET", "/v1/receipts/{smile_job_id}"),  # a PDF
}


@pytest.fixture
def schema(client: TestClient) -> dict[str, Any]:
    answer = client.get("/openapi.json")
    assert answer.status_code == 200
    document: dict[str, Any] = answer.json()
    return document


def operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """The v1/v2 operations: the V3 ones are Smile ID's official spec's own (tests/v3/test_contract.py)."""
    return [
        (method.upper(), path, op)
        for path, ops in schema["paths"].items()
        if not path.startswith("/v3/")
        for method, op in ops.items()
    ]


def component(schema: dict[str, Any], reference: dict[str, Any]) -> dict[str, Any]:
    assert set(reference) == {"$ref"}, reference
    name = reference["$ref"].removeprefix("#/components/schemas/")
    found: dict[str, Any] = schema["components"]["schemas"][name]
    return found


def test_every_post_documents_its_request_body(schema: dict[str, Any]) -> None:
    posts = [(path, op) for method, path, op in operations(schema) if method == "POST"]
    assert len(posts) >= 19
    assert {path for path, _ in posts} >= BODILESS_POSTS  # the exemptions name real routes
    for path, op in posts:
        if path in BODILESS_POSTS:
            assert "requestBody" not in op, path
            continue
        assert "requestBody" in op, f"POST {path} does not document its request body (openkyc.http.json_body)"
        body = op["requestBody"]
        assert body["required"] is True
        (media_type, content), *others = body["content"].items()
        assert not others
        if media_type == "application/json":
            model = component(schema, content["schema"])
            assert model["properties"], path
            # Every body-signed request documents its credentials.
            assert {"partner_id", "timestamp", "signature"} <= model["properties"].keys(), path
        else:
            assert media_type == "multipart/form-data", path
            parts = content["schema"]["properties"]
            assert (
                parts["selfie_image"]["format"] == "binary"
                and "selfie_image" in content["schema"]["required"]
            )
            headers = {p["name"] for p in op["parameters"] if p["in"] == "header"}
            assert headers == {"SmileID-Partner-ID", "SmileID-Timestamp", "SmileID-Request-Signature"}


def test_every_answer_has_its_own_model(schema: dict[str, Any]) -> None:
    for method, path, op in operations(schema):
        if (method, path) in UNMODELLED:
            continue
        success = op["responses"]["200"]["content"]["application/json"]["schema"]
        if success.get("type") == "array":
            success = success["items"]
        model = component(schema, success)  # a named model, not FastAPI's generic object
        assert model.get("properties"), (method, path)


def test_partner_api_errors_are_documented_with_the_real_bodies(schema: dict[str, Any]) -> None:
    for method, path, op in operations(schema):
        if method != "POST" or path.startswith("/v1/management"):
            continue
        codes = set()
        for status in ("400", "403", "413", "500", "503"):
            answer = op["responses"][status]
            content = answer["content"]["application/json"]
            assert component(schema, content["schema"])["title"] == "ErrorAnswer"
            for example in content["examples"].values():
                assert (
                    example["value"]["success"] is False and example["value"]["code"] in answer["description"]
                )
                codes.add(example["value"]["code"])
        assert {"2204", "2205", "2220"} <= codes, path


def test_fastapi_422_is_not_documented(schema: dict[str, Any]) -> None:
    # The app answers a bad path parameter with 400/2213 (app.py), never FastAPI's 422 body.
    for _, path, op in operations(schema):
        assert "422" not in op["responses"], path
    assert "HTTPValidationError" not in schema["components"]["schemas"]


def test_request_models_hide_what_the_views_keep_for_themselves(schema: dict[str, Any]) -> None:
    # The parsed domain objects ride along in the models but are not part of the wire format.
    components = schema["components"]["schemas"]
    for internal in ("VerificationRequest", "BusinessRequest", "PartnerParams", "IdNumberType"):
        assert internal not in components
    identity = components["IdVerificationRequest"]
    assert "parsed" not in identity["properties"]
    assert identity["properties"]["partner_params"]["required"] == ["user_id", "job_id", "job_type"]
    assert {"partner_params", "country", "id_type", "id_number"} <= set(identity["required"])


def test_the_schema_is_built_off_the_event_loop_once(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Building the schema takes long enough to stall every other request: the route builds it in a
    worker thread, and only once."""
    app: Any = client.app
    loop_threads: list[bool] = []
    real = app.openapi

    def watched() -> dict[str, Any]:
        try:
            asyncio.get_running_loop()
            loop_threads.append(True)
        except RuntimeError:
            loop_threads.append(False)
        result: dict[str, Any] = real()
        return result

    monkeypatch.setattr(app, "openapi", watched)
    first, second = client.get("/openapi.json"), client.get("/openapi.json")
    assert first.status_code == second.status_code == 200
    assert first.content == second.content and first.headers["content-type"] == "application/json"
    assert loop_threads == [False]
