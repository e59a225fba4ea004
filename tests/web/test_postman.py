"""The Postman collection's structure and its route; tests/e2e/test_postman_collection.py runs it."""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from openkyc.app import create_app
from openkyc.db import transaction
from openkyc.engine.images.decode import load_image
from openkyc.jobs.models import Job
from openkyc.products.v3_sandbox import IDENTITIES
from openkyc.runtime import Runtime
from openkyc.tasks.work import verify_job
from openkyc.v3.status import STATUS_JOB_ID
from openkyc.web.postman import SCHEMA, V3_JOB_ID, collection
from tests.server import PartnerCreds, make_partner, make_runtime

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
            assert request["body"]["mode"] in {"raw", "formdata"}
            for part in request["body"].get("formdata", []):
                assert part["type"] == "text" and isinstance(part["value"], str), (item["name"], part)
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


def test_the_v3_folder_comes_last_token_first(postman: dict[str, Any]) -> None:
    folder = postman["item"][-1]
    assert folder["name"] == "V3 API"
    assert [item["name"] for item in folder["item"]] == [
        "V3 Token",
        "V3 Enhanced KYC",
        "V3 Job Status",
        "OPT V3 Supported ID Types",
    ]
    # What the requests do, and where their schemas are.
    assert "SmileID-Token" in folder["description"] and "`/docs`" in folder["description"]
    values = variables(postman)
    assert values["v3_token"] == values["v3_job_id"] == ""
    described = {variable["key"]: variable["description"] for variable in postman["variable"]}
    assert "V3 Token" in described["v3_token"] and "V3 Enhanced KYC" in described["v3_job_id"]


def v3_items(postman: dict[str, Any]) -> dict[str, dict[str, Any]]:
    (folder,) = [folder for folder in postman["item"] if folder["name"] == "V3 API"]
    return {item["name"]: item for item in folder["item"]}


def headers(item: dict[str, Any]) -> dict[str, str]:
    return {header["key"]: header["value"] for header in item["request"]["header"]}


def parts(item: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {part["key"]: part for part in item["request"]["body"]["formdata"]}


def test_the_v3_token_is_asked_with_the_key_and_kept(postman: dict[str, Any]) -> None:
    token = v3_items(postman)["V3 Token"]
    assert (token["request"]["method"], token["request"]["url"]["raw"]) == ("POST", "{{base_url}}/v3/token")
    assert headers(token) == {"smileid-partner-id": "{{partner_id}}", "smileid-api-key": "{{api_key}}"}
    assert "body" not in token["request"]  # the SDKs send none
    assert 'pm.collectionVariables.set("v3_token", body.token)' in script(token, "test")
    for name in ("V3 Enhanced KYC", "V3 Job Status"):
        assert headers(v3_items(postman)[name]) == {"SmileID-Token": "{{v3_token}}"}, name
    # The services need no token.
    assert headers(v3_items(postman)["OPT V3 Supported ID Types"]) == {}


def test_the_v3_enhanced_kyc_is_multipart_for_the_identity_that_clears(postman: dict[str, Any]) -> None:
    item = v3_items(postman)["V3 Enhanced KYC"]
    assert (item["request"]["method"], item["request"]["url"]["raw"]) == (
        "POST",
        "{{base_url}}/v3/enhanced_kyc",
    )
    form = parts(item)
    assert {key: form[key]["value"] for key in ("country", "id_type", "id_number")} == {
        "country": "NG",
        "id_type": "NIN",
        "id_number": "12345678901",
    }
    for key in ("user_details", "consent"):
        assert form[key]["contentType"] == "application/json", key
    details = json.loads(form["user_details"]["value"])
    (clearwater,) = [identity for identity in IDENTITIES if identity.last_name == "Clearwater"]
    assert clearwater.status == "clear"
    assert (details["given_names"], details["last_name"]) == (clearwater.given_names, clearwater.last_name)
    assert details["email"] == "amina.clearwater@example.com"
    consent = json.loads(form["consent"]["value"])
    assert consent["granted"] is True and consent["notice_language"] == "EN"
    assert consent["notice_privacy_policy_url"].startswith("https://")
    assert form["callback_url"]["value"] == "{{callback_url}}"
    prerequest = script(item, "prerequest")
    assert "consent.granted_at = new Date().toISOString()" in prerequest  # ISO, milliseconds, Z
    assert "part.disabled = !/^https:\\/\\//i.test(" in prerequest  # callback_url: https only
    tests = script(item, "test")
    assert "pm.response.to.have.status(202)" in tests
    assert json.dumps(V3_JOB_ID) in tests and 'pm.collectionVariables.set("v3_job_id", body.job_id)' in tests
    # The collection's pattern is the one status accepts.
    assert STATUS_JOB_ID.pattern == V3_JOB_ID


def test_v3_job_status_asks_again_while_processing(postman: dict[str, Any]) -> None:
    item = v3_items(postman)["V3 Job Status"]
    assert (item["request"]["method"], item["request"]["url"]["raw"]) == (
        "GET",
        "{{base_url}}/v3/status/{{v3_job_id}}",
    )
    tests = script(item, "test")
    assert 'body.status === "processing" && polls < 90' in tests
    assert "pm.execution.setNextRequest(pm.info.requestId)" in tests
    assert 'pm.expect(body.status).to.eql("clear")' in tests


def test_v3_supported_id_types_sends_its_query(postman: dict[str, Any]) -> None:
    url = v3_items(postman)["OPT V3 Supported ID Types"]["request"]["url"]
    assert url["raw"] == "{{base_url}}/v3/services/supported_id_types?country=NG"
    # newman sends path and query, not raw.
    assert url["path"] == ["v3", "services", "supported_id_types"]
    assert url["query"] == [{"key": "country", "value": "NG"}]


def test_the_response_signature_check_leaves_v3_answers_alone(postman: dict[str, Any]) -> None:
    check = "\n".join(
        line for event in postman["event"] if event["listen"] == "test" for line in event["script"]["exec"]
    )
    assert 'const v3 = pm.request.url.getPath().indexOf("/v3/") === 0;' in check
    assert "if (!v3 && answer" in check


def test_the_v3_requests_work_against_the_server(
    client: TestClient, runtime: Runtime, partner: PartnerCreds
) -> None:
    """The V3 folder's requests as the collection sends them (newman runs it whole, with workers)."""
    items = v3_items(collection("http://testserver"))

    def filled(value: str) -> str:
        return value.replace("{{partner_id}}", partner.partner_id).replace("{{api_key}}", partner.sandbox_key)

    token = client.post("/v3/token", headers={k: filled(v) for k, v in headers(items["V3 Token"]).items()})
    assert token.status_code == 200, token.text
    auth = {"SmileID-Token": token.json()["token"]}

    form = parts(items["V3 Enhanced KYC"])
    del form["callback_url"]  # not https: the pre-request script disables it
    consent = json.loads(form["consent"]["value"])
    consent["granted_at"] = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    form["consent"]["value"] = json.dumps(consent)
    sent = {key: (None, part["value"], part.get("contentType")) for key, part in form.items()}
    answer = client.post("/v3/enhanced_kyc", headers=auth, files=sent)
    assert answer.status_code == 202, answer.text
    job_id = answer.json()["job_id"]
    assert answer.json()["status"] == "accepted" and re.match(V3_JOB_ID, job_id)

    status_path = items["V3 Job Status"]["request"]["url"]["raw"].removeprefix("{{base_url}}")
    path = status_path.replace("{{v3_job_id}}", job_id)
    assert client.get(path, headers=auth).json()["status"] == "processing"
    with transaction(runtime.sessions) as session:
        smile_job_id = session.scalars(select(Job.smile_job_id).where(Job.job_id == job_id)).one()
    assert verify_job(runtime, smile_job_id) == "done"  # what a worker does with it
    final = client.get(path, headers=auth)
    assert final.status_code == 200 and final.json()["status"] == "clear"

    id_types = client.get("/v3/services/supported_id_types", params={"country": "NG"})
    assert id_types.status_code == 200 and "NIN" in {entry["type"] for entry in id_types.json()["id_types"]}


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


def test_the_smile_links_folder_creates_a_link_then_reads_it(postman: dict[str, Any]) -> None:
    (folder,) = [folder for folder in postman["item"] if folder["name"] == "Smile Links"]
    create, read = folder["item"]
    assert (create["name"], read["name"]) == ("Create Smile Link", "OPT Get Smile Link")
    assert create["request"]["url"]["raw"] == "{{base_url}}/v1/smile_links"
    body = json.loads(create["request"]["body"]["raw"])
    assert {"name", "company_name", "id_types", "data_privacy_policy_url"} <= set(body)
    assert 'pm.collectionVariables.set("link_ref_id", body.ref_id)' in script(create, "test")
    assert read["request"]["url"]["raw"] == "{{base_url}}/v1/smile_links/{{link_ref_id}}"
    assert "body.total_jobs" in script(read, "test")
    assert variables(postman)["link_ref_id"] == ""


def test_the_smile_links_requests_work_against_the_server(client: TestClient) -> None:
    """The folder's bodies, signed, as the collection would send them (newman runs it whole)."""
    (folder,) = [
        folder for folder in collection("http://testserver")["item"] if folder["name"] == "Smile Links"
    ]
    create, read = folder["item"]
    app: Any = client.app
    partner = make_partner(app.state.runtime)

    def signed(raw: str) -> dict[str, Any]:
        body: dict[str, Any] = json.loads(raw.replace('"{{callback_url}}"', '""'))
        return {**body, **partner.signed()}

    created = client.post("/v1/smile_links", json=signed(create["request"]["body"]["raw"]))
    assert created.status_code == 200, created.text
    ref_id = created.json()["ref_id"]
    answer = client.post(f"/v1/smile_links/{ref_id}", json=signed(read["request"]["body"]["raw"]))
    assert answer.status_code == 200 and answer.json()["total_jobs"] == 0
