"""The Postman collection's structure and its route; tests/e2e/test_postman_collection.py runs it."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from openkyc.app import create_app
from openkyc.engine.images.decode import load_image
from openkyc.web.postman import SCHEMA, collection
from tests.server import make_runtime

BASE = "https://kyc.example.com"


@pytest.fixture(scope="module")
def postman() -> dict[str, Any]:
    built = collection(BASE + "/")
    # What is served is JSON: build it through a round trip, as a client reads it.
    parsed: dict[str, Any] = json.loads(json.dumps(built))
    return parsed


def requests(postman: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(folder["name"], item) for folder in postman["item"] for item in folder["item"]]


def variables(postman: dict[str, Any]) -> dict[str, str]:
    return {variable["key"]: variable["value"] for variable in postman["variable"]}


def script(item: dict[str, Any], listen: str) -> str:
    return "\n".join(
        line
        for event in item.get("event", [])
        if event["listen"] == listen
        for line in event["script"]["exec"]
    )


def test_it_is_a_postman_v2_1_collection(postman: dict[str, Any]) -> None:
    assert (
        postman["info"]["schema"]
        == SCHEMA
        == ("https://schema.getpostman.com/json/collection/v2.1.0/collection.json")
    )
    assert postman["info"]["name"] and postman["info"]["_postman_id"]
    assert set(postman) == {"info", "item", "event", "variable"}
    for folder in postman["item"]:
        assert folder["name"] and folder["item"], folder["name"]
    for _, item in requests(postman):
        request = item["request"]
        assert request["method"] in {"GET", "POST", "PUT"}
        assert set(request["url"]) >= {"raw", "host"}
        if "body" in request:
            assert request["body"]["mode"] == "raw"
    for variable in postman["variable"]:
        assert isinstance(variable["key"], str) and isinstance(variable["value"], str)
    # setNextRequest (Job Status polling) names a request by id: ids must be unique.
    ids = [item["id"] for _, item in requests(postman)]
    assert len(ids) == len(set(ids))


def test_smile_ids_variables_with_this_servers_base_urls(postman: dict[str, Any]) -> None:
    values = variables(postman)
    assert {"partner_id", "api_key", "callback_url", "timestamp", "signature"} <= set(values)
    assert values["partner_id"] == values["api_key"] == values["callback_url"] == ""
    assert values["sandbox_url"] == values["production_url"] == BASE  # trailing slash dropped
    assert values["base_url"] == "{{sandbox_url}}"


def test_every_request_uses_base_url_but_the_zip_upload(postman: dict[str, Any]) -> None:
    for folder, item in requests(postman):
        url = item["request"]["url"]["raw"]
        if item["request"]["method"] == "PUT":
            # The zip goes wherever prep_upload said (this server, or S3 when scaled out).
            assert url == "{{upload_url}}", (folder, item["name"])
        else:
            assert url.startswith("{{base_url}}/v"), (folder, item["name"])
            assert item["request"]["url"]["host"] == ["{{base_url}}"]


def test_every_request_has_tests(postman: dict[str, Any]) -> None:
    for folder, item in requests(postman):
        tests = script(item, "test")
        assert "pm.test(" in tests, (folder, item["name"])
        assert "pm.response" in tests, (folder, item["name"])


def test_signed_bodies_use_the_computed_timestamp_and_signature(postman: dict[str, Any]) -> None:
    collection_script = "\n".join(
        line
        for event in postman["event"]
        if event["listen"] == "prerequest"
        for line in event["script"]["exec"]
    )
    assert 'HmacSHA256(timestamp + partnerId + "sid_request", apiKey)' in collection_script
    for folder, item in requests(postman):
        raw = item["request"].get("body", {}).get("raw", "")
        if not raw:
            continue
        body = json.loads(raw)
        if item["request"]["url"]["raw"] == "{{base_url}}/v1/upload":
            assert body["smile_client_id"] == "{{partner_id}}"
        else:
            assert body["partner_id"] == "{{partner_id}}", (folder, item["name"])
        assert (body["timestamp"], body["signature"]) == ("{{timestamp}}", "{{signature}}")


def test_upload_folders_run_in_job_order(postman: dict[str, Any]) -> None:
    folders = {folder["name"]: [item["name"] for item in folder["item"]] for folder in postman["item"]}
    assert folders["SmartSelfie™ Registration"] == [
        "Request Upload URL",
        "Upload Registration ZIP File",
        "OPT Job Status",
    ]
    for name in ("Biometric KYC", "Document Verification"):
        assert folders[name] == ["Request Upload URL", "Upload ZIP File", "OPT Job Status"]
    assert folders["Enhanced KYC"] == ["Run Enhanced KYC", "OPT Run Enhanced KYC (Async)", "OPT Job Status"]
    assert all(name.startswith("OPT ") for name in folders["Utilities"])


def test_the_sample_images_are_images_the_engine_accepts(postman: dict[str, Any]) -> None:
    values = variables(postman)
    for name in ("selfie_image", "id_card_image"):
        decoded = load_image(base64.b64decode(values[name]))
        assert min(decoded.bgr.shape[:2]) >= 480


def test_served_with_the_requests_base_url(client: TestClient) -> None:
    response = client.get("/docs/postman.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    values = variables(response.json())
    assert values["sandbox_url"] == values["production_url"] == "http://testserver"
    # Not shadowed by the documentation pages, and they are not shadowed by it.
    assert client.get("/docs").headers["content-type"].startswith("text/html")


def test_served_with_the_configured_public_url(tmp_path: Path) -> None:
    runtime = make_runtime(tmp_path, public_base_url="https://kyc.example.org/")
    with TestClient(create_app(runtime)) as client:
        values = variables(client.get("/docs/postman.json").json())
    assert values["sandbox_url"] == values["production_url"] == "https://kyc.example.org"
