"""The signed REST API of verification links: /v1/smile_links."""

from __future__ import annotations

import base64
import io
import json
import uuid
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select

from openkyc.app import create_app
from openkyc.audit.models import AuditEvent
from openkyc.db import transaction, utcnow
from openkyc.jobs.models import Job, JobState
from openkyc.links import api, manage
from openkyc.links.models import SmileLink
from openkyc.partners import service as partners
from openkyc.runtime import Runtime
from tests.server import PartnerCreds, make_partner, make_runtime

PASSPORT = {"country": "NG", "id_type": "PASSPORT", "verification_method": "doc_verification"}
NIN = {"country": "NG", "id_type": "NIN", "verification_method": "biometric_kyc"}
POLICY = "https://acme.example/privacy"


def link_fields(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": "Onboarding",
        "company_name": "Acme Ltd",
        "id_types": [PASSPORT, NIN],
        "data_privacy_policy_url": POLICY,
        "callback_url": "https://acme.example/callback",
    }
    base.update(fields)
    return base


def headers(partner: PartnerCreds, key: str | None = None) -> dict[str, str]:
    signed = partner.signed(key=key)
    return {
        "SmileID-Partner-ID": signed["partner_id"],
        "SmileID-Timestamp": signed["timestamp"],
        "SmileID-Request-Signature": signed["signature"],
    }


def create(
    client: TestClient, partner: PartnerCreds, key: str | None = None, **fields: Any
) -> dict[str, Any]:
    response = client.post("/v1/smile_links", json=partner.signed(key=key, **link_fields(**fields)))
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def get(client: TestClient, partner: PartnerCreds, ref_id: str, key: str | None = None) -> dict[str, Any]:
    response = client.get(f"/v1/smile_links/{ref_id}", headers=headers(partner, key))
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def png_data_url(size: tuple[int, int] = (600, 300)) -> str:
    out = io.BytesIO()
    Image.new("RGB", size, (20, 90, 200)).save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode("ascii")


def audit_events(runtime: Runtime) -> list[AuditEvent]:
    with transaction(runtime.sessions) as session:
        events = list(session.scalars(select(AuditEvent).where(AuditEvent.target_type == "link")))
        session.expunge_all()
        return events


# --- create --------------------------------------------------------------------------------------


def test_create_answers_the_link_and_its_ref_id(
    client: TestClient, runtime: Runtime, partner: PartnerCreds
) -> None:
    answer = create(client, partner, partner_params={"campaign": "spring"})
    assert set(answer) == {"success", "link", "ref_id"} and answer["success"] is True
    assert str(uuid.UUID(answer["ref_id"])) == answer["ref_id"]
    with transaction(runtime.sessions) as session:
        link = session.get(SmileLink, answer["ref_id"])
        assert link is not None
        assert answer["link"] == f"http://testserver/verify/{link.slug}"
        assert (link.partner_id, link.environment) == (partner.partner_id, "sandbox")
        assert link.created_by.startswith("api:") and link.created_by != "api:"
        assert link.partner_params == {"campaign": "spring"} and link.logo_png is None


def test_the_link_uses_the_configured_public_url(tmp_path: Path) -> None:
    runtime = make_runtime(tmp_path, public_base_url="https://kyc.example.org/")
    partner = make_partner(runtime)
    with TestClient(create_app(runtime)) as client:
        answer = create(client, partner)
    assert answer["link"].startswith("https://kyc.example.org/verify/")


def test_the_links_environment_is_the_signing_keys(
    client: TestClient, runtime: Runtime, partner: PartnerCreds
) -> None:
    with transaction(runtime.sessions) as session:
        partners.set_production_enabled(db_session=session, partner_id=partner.partner_id, enabled=True)
    runtime.key_cache.invalidate(partner.partner_id)
    answer = create(client, partner, key=partner.production_key)
    assert get(client, partner, answer["ref_id"], key=partner.production_key)["environment"] == "production"
    # A sandbox key neither reads nor lists a production link.
    response = client.get(f"/v1/smile_links/{answer['ref_id']}", headers=headers(partner))
    assert response.status_code == 404
    assert client.get("/v1/smile_links", headers=headers(partner)).json()["links"] == []


def test_a_production_key_without_production_is_2220(client: TestClient, partner: PartnerCreds) -> None:
    response = client.post(
        "/v1/smile_links", json=partner.signed(key=partner.production_key, **link_fields())
    )
    assert response.status_code == 403 and response.json()["code"] == "2220"


def test_a_single_use_link(client: TestClient, partner: PartnerCreds) -> None:
    answer = create(client, partner, is_single_use=True, user_id="user-42")
    found = get(client, partner, answer["ref_id"])
    assert found["is_single_use"] is True and found["user_id"] == "user-42"
    expires = found["expires_at"]
    assert expires is not None and expires > (utcnow() + timedelta(days=89)).isoformat()


def test_create_is_audited_without_params_or_urls(
    client: TestClient, runtime: Runtime, partner: PartnerCreds
) -> None:
    answer = create(client, partner, partner_params={"email": "jane@example.com"}, logo_url=png_data_url())
    (event,) = audit_events(runtime)
    assert (event.action, event.target_id) == ("link.created", answer["ref_id"])
    assert (event.actor_type, event.actor_id) == ("partner", partner.partner_id)
    assert event.detail["environment"] == "sandbox" and event.detail["has_logo"] is True
    text = json.dumps(event.detail)
    assert "jane" not in text and "acme.example" not in text and "data:" not in text


@pytest.mark.parametrize(
    ("change", "code", "words"),
    [
        ({"name": None}, "2213", "name is required"),
        ({"name": ""}, "2213", "name is required"),
        ({"id_types": None}, "2213", "id_types"),
        ({"id_types": []}, "2213", "id_types"),
        ({"data_privacy_policy_url": None}, "2213", "data_privacy_policy_url"),
        ({"id_types": [{"country": "NG", "verification_method": "doc_verification"}]}, "2213", "id_type"),
        ({"name": 7}, "2204", "name must be a string"),
        ({"id_types": "NG"}, "2204", "id_types"),
        ({"id_types": ["NG"]}, "2204", "id_types[0]"),
        ({"id_types": [{**PASSPORT, "country": 234}]}, "2204", "id_types[0].country"),
        ({"is_single_use": "maybe"}, "2204", "is_single_use"),
        ({"partner_params": [1]}, "2204", "partner_params"),
        ({"expires_at": 5}, "2204", "expires_at"),
        ({"logo_url": {"url": "x"}}, "2204", "logo_url"),
        ({"id_types": [{**PASSPORT, "country": "ZZ"}]}, "2413", "not supported"),
        ({"id_types": [{**PASSPORT, "verification_method": "selfie"}]}, "2413", "verification_method"),
        ({"id_types": [PASSPORT, PASSPORT]}, "2413", "twice"),
        ({"callback_url": "ftp://acme.example/cb"}, "2413", "callback_url"),
        ({"data_privacy_policy_url": "privacy"}, "2413", "data_privacy_policy_url"),
        ({"expires_at": "2001-01-01"}, "2413", "in the future"),
        ({"expires_at": "soon"}, "2413", "ISO 8601"),
        ({"user_id": "user-1"}, "2413", "single-use"),
        ({"partner_params": {"job_id": "j"}}, "2413", "job_id"),
        ({"logo_url": "ftp://acme.example/logo.png"}, "2413", "logo_url"),
        ({"logo_url": "data:image/gif;base64,R0lGODlh"}, "2413", "logo_url"),
        ({"logo_url": "data:image/png;base64,aGVsbG8="}, "2413", "logo_url is not a readable PNG or JPEG"),
    ],
)
def test_bad_fields_get_their_documented_codes(
    client: TestClient, runtime: Runtime, partner: PartnerCreds, change: dict[str, Any], code: str, words: str
) -> None:
    response = client.post("/v1/smile_links", json=partner.signed(**link_fields(**change)))
    assert response.status_code == 400, response.text
    answer = response.json()
    assert answer["code"] == code and answer["success"] is False and words in answer["error"]
    with transaction(runtime.sessions) as session:
        assert session.scalar(select(SmileLink)) is None


def test_a_missing_field_is_2213_even_when_absent(client: TestClient, partner: PartnerCreds) -> None:
    body = partner.signed(**link_fields())
    del body["id_types"]
    response = client.post("/v1/smile_links", json=body)
    assert response.status_code == 400 and response.json()["code"] == "2213"


def test_a_data_url_logo_is_kept_as_a_small_png(
    client: TestClient, runtime: Runtime, partner: PartnerCreds
) -> None:
    answer = create(client, partner, logo_url=png_data_url())
    found = get(client, partner, answer["ref_id"])
    assert found["has_logo"] is True and found["logo_url"] is None  # the image itself is not a URL
    with transaction(runtime.sessions) as session:
        link = session.get(SmileLink, answer["ref_id"])
        assert link is not None and link.logo_png is not None
        assert Image.open(io.BytesIO(link.logo_png)).size == (256, 128)


class _LogoHandler(BaseHTTPRequestHandler):
    body = b""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def logo_host() -> Iterator[str]:
    import threading

    out = io.BytesIO()
    Image.new("RGBA", (90, 30), (0, 0, 0, 0)).save(out, format="PNG")
    handler = type("Handler", (_LogoHandler,), {"body": out.getvalue()})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_logo_url_is_fetched_at_creation(
    client: TestClient, runtime: Runtime, partner: PartnerCreds, logo_host: str
) -> None:
    # The test runtime allows private addresses (make_runtime), as an operator's setting would.
    answer = create(client, partner, logo_url=f"{logo_host}/logo.png")
    found = get(client, partner, answer["ref_id"])
    assert found["has_logo"] is True and found["logo_url"] == f"{logo_host}/logo.png"
    with transaction(runtime.sessions) as session:
        link = session.get(SmileLink, answer["ref_id"])
        assert link is not None and link.logo_png is not None
        image = Image.open(io.BytesIO(link.logo_png))
        assert image.size == (90, 30) and image.mode == "RGBA"


def test_a_logo_url_that_cannot_be_read_refuses_the_link(
    client: TestClient, runtime: Runtime, partner: PartnerCreds, logo_host: str
) -> None:
    port = logo_host.rsplit(":", 1)[1]
    response = client.post(
        "/v1/smile_links",
        json=partner.signed(**link_fields(logo_url=f"http://127.0.0.1:{int(port) ^ 1}/x.png")),
    )
    answer = response.json()
    assert response.status_code == 400 and answer["code"] == "2413" and answer["error"].startswith("logo_url")
    with transaction(runtime.sessions) as session:
        assert session.scalar(select(SmileLink)) is None


def test_a_private_logo_address_is_refused_without_the_setting(tmp_path: Path, logo_host: str) -> None:
    from openkyc.config import Settings
    from openkyc.runtime import build_runtime
    from tests.server import seed_migrated_database

    settings = Settings(data_dir=tmp_path / "data", allow_private_callbacks=False)
    seed_migrated_database(settings)
    runtime = build_runtime(settings)
    partner = make_partner(runtime)
    with TestClient(create_app(runtime)) as client:
        response = client.post(
            "/v1/smile_links", json=partner.signed(**link_fields(logo_url=f"{logo_host}/l.png"))
        )
    answer = response.json()
    assert response.status_code == 400 and answer["code"] == "2413"
    assert "loopback" in answer["error"] and "logo_url" in answer["error"]


# --- signatures and junk ----------------------------------------------------------------------------


def test_a_wrong_signature_is_2205_everywhere(client: TestClient, partner: PartnerCreds) -> None:
    ref_id = create(client, partner)["ref_id"]
    for method, path, body in [
        ("POST", "/v1/smile_links", link_fields()),
        ("POST", f"/v1/smile_links/{ref_id}", {}),
        ("PUT", f"/v1/smile_links/{ref_id}", {"name": "New"}),
        ("POST", f"/v1/smile_links/{ref_id}/disable", {}),
    ]:
        response = client.request(method, path, json=partner.signed(key="wrong", **body))
        assert response.status_code == 400 and response.json()["code"] == "2205", (method, path)
    for path in ("/v1/smile_links", f"/v1/smile_links/{ref_id}"):
        response = client.get(path, headers=headers(partner, "wrong"))
        assert response.status_code == 400 and response.json()["code"] == "2205", path
        response = client.get(path)  # no signature at all
        assert response.status_code == 400 and response.json()["code"] == "2205", path
    assert get(client, partner, ref_id)["name"] == "Onboarding"  # nothing changed


def test_the_body_routes_take_the_signature_headers_too(client: TestClient, partner: PartnerCreds) -> None:
    response = client.post("/v1/smile_links", json=link_fields(), headers=headers(partner))
    assert response.status_code == 200, response.text
    ref_id = response.json()["ref_id"]
    response = client.post(f"/v1/smile_links/{ref_id}", json={}, headers=headers(partner))
    assert response.status_code == 200 and response.json()["ref_id"] == ref_id


@pytest.mark.parametrize(
    "raw",
    [b"", b"not json", b"[1, 2]", b'"text"', b'{"a": 1e999999}', b"{" * 200, b"null", b"\xff\xfe"],
)
def test_junk_bodies_are_4xx_json(client: TestClient, partner: PartnerCreds, raw: bytes) -> None:
    ref_id = create(client, partner)["ref_id"]
    for method, path in [
        ("POST", "/v1/smile_links"),
        ("POST", f"/v1/smile_links/{ref_id}"),
        ("PUT", f"/v1/smile_links/{ref_id}"),
        ("POST", f"/v1/smile_links/{ref_id}/disable"),
    ]:
        response = client.request(method, path, content=raw)
        assert 400 <= response.status_code < 500, (method, path, response.text)
        assert response.json()["success"] is False and response.json()["code"] in ("2203", "2204", "2205")


def test_a_signed_body_too_large_is_413(client: TestClient, partner: PartnerCreds) -> None:
    body = partner.signed(**link_fields(logo_url="data:image/png;base64," + "A" * (3 * 1024 * 1024)))
    response = client.post("/v1/smile_links", json=body)
    assert response.status_code == 413 and response.json()["code"] == "2413"


@pytest.mark.parametrize(
    "junk",
    [
        {"name": ["a"], "company_name": {"b": 1}},
        {"id_types": [[]]},
        {"id_types": [None]},
        {"id_types": [{"country": None, "id_type": None, "verification_method": None}]},
        {"partner_params": {"a": {"b": ["c", None, 1.5]}}},
        {"expires_at": "9999-99-99"},
        {"expires_at": "2026-13-01T00:00:00Z"},
        {"is_single_use": None, "user_id": None},
        {"name": "\ud800"},
        {"logo_url": "data:"},
        {"logo_url": "https://"},
        {"logo_url": "http://[::1"},
        {"callback_url": "http://[::1"},
    ],
)
def test_hostile_signed_fields_never_500(
    client: TestClient, partner: PartnerCreds, junk: dict[str, Any]
) -> None:
    # Sent as ASCII JSON: an unpaired surrogate travels as its \\u escape.
    response = client.post("/v1/smile_links", content=json.dumps(partner.signed(**link_fields(**junk))))
    assert response.status_code in (200, 400), response.text
    if response.status_code == 400:
        assert response.json()["code"] in ("2203", "2204", "2213", "2413")
    ref_id = create(client, partner)["ref_id"]
    response = client.put(f"/v1/smile_links/{ref_id}", content=json.dumps(partner.signed(**junk)))
    assert response.status_code in (200, 400), response.text


# --- read -----------------------------------------------------------------------------------------


def add_job(runtime: Runtime, partner_id: str, ref_id: str, state: str, success: bool | None) -> None:
    smile_job_id = f"{uuid.uuid4().int % 10**10:010d}"
    with transaction(runtime.sessions) as session:
        session.add(
            Job(
                smile_job_id=smile_job_id,
                partner_id=partner_id,
                environment="sandbox",
                api_key_id=manage.source_key(ref_id),
                user_id="user-1",
                job_id=f"job-{smile_job_id}",
                job_type=6,
                partner_params={"user_id": "user-1", "job_id": f"job-{smile_job_id}", "job_type": 6},
                state=state,
                result=None if success is None else {"ResultCode": "0810", "_success": success},
            )
        )


def test_read_by_signed_body_and_by_headers(
    client: TestClient, runtime: Runtime, partner: PartnerCreds
) -> None:
    ref_id = create(client, partner, partner_params={"campaign": "spring"})["ref_id"]
    add_job(runtime, partner.partner_id, ref_id, JobState.COMPLETE, True)
    add_job(runtime, partner.partner_id, ref_id, JobState.COMPLETE, False)
    add_job(runtime, partner.partner_id, ref_id, JobState.PROCESSING, None)
    response = client.post(f"/v1/smile_links/{ref_id}", json=partner.signed())
    assert response.status_code == 200, response.text
    by_body = response.json()
    by_headers = get(client, partner, ref_id)
    assert by_body == by_headers
    # What the Go client reads.
    assert (by_body["total_jobs"], by_body["successful_jobs"], by_body["failed_jobs"]) == (3, 1, 1)
    assert by_body["pending_jobs"] == 1
    assert by_body["success"] is True and by_body["ref_id"] == ref_id
    assert by_body["id_types"] == [PASSPORT, NIN] and by_body["partner_params"] == {"campaign": "spring"}
    assert by_body["status"] == "active" and by_body["is_disabled"] is False
    assert by_body["environment"] == "sandbox" and by_body["has_logo"] is False
    assert by_body["callback_url"] == "https://acme.example/callback"
    assert by_body["data_privacy_policy_url"] == POLICY


def test_any_spelling_of_the_uuid_reads_the_link(client: TestClient, partner: PartnerCreds) -> None:
    ref_id = create(client, partner)["ref_id"]
    assert get(client, partner, ref_id.upper())["ref_id"] == ref_id


@pytest.mark.parametrize(
    "ref_id", ["nope", "6f1c2a8e-3b7d-4e0a-9c55-2d8b1f4e7a90", "1" * 300, "%00", "..%2F..%2Fx", "0" * 32]
)
def test_unknown_ref_ids_are_404(client: TestClient, partner: PartnerCreds, ref_id: str) -> None:
    for response in (
        client.get(f"/v1/smile_links/{ref_id}", headers=headers(partner)),
        client.post(f"/v1/smile_links/{ref_id}", json=partner.signed()),
        client.put(f"/v1/smile_links/{ref_id}", json=partner.signed(name="New")),
        client.post(f"/v1/smile_links/{ref_id}/disable", json=partner.signed()),
    ):
        assert response.status_code == 404, response.text
        assert response.json()["code"] == "2404" and response.json()["success"] is False


def test_another_partners_link_is_404(client: TestClient, runtime: Runtime, partner: PartnerCreds) -> None:
    ref_id = create(client, partner)["ref_id"]
    other = make_partner(runtime, "Other partner")
    answers = [
        client.get(f"/v1/smile_links/{ref_id}", headers=headers(other)),
        client.post(f"/v1/smile_links/{ref_id}", json=other.signed()),
        client.put(f"/v1/smile_links/{ref_id}", json=other.signed(name="Stolen")),
        client.post(f"/v1/smile_links/{ref_id}/disable", json=other.signed()),
    ]
    for response in answers:
        assert response.status_code == 404 and response.json() == {
            "code": "2404",
            "error": "Link not found",
            "success": False,
        }
    found = get(client, partner, ref_id)
    assert found["name"] == "Onboarding" and found["is_disabled"] is False
    assert client.get("/v1/smile_links", headers=headers(other)).json()["links"] == []


# --- list -----------------------------------------------------------------------------------------


def test_list_newest_first(client: TestClient, runtime: Runtime, partner: PartnerCreds) -> None:
    first = create(client, partner, name="First")["ref_id"]
    second = create(client, partner, name="Second", logo_url=png_data_url())["ref_id"]
    response = client.get("/v1/smile_links", headers=headers(partner))
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["success"] is True and answer["truncated"] is False
    assert [link["ref_id"] for link in answer["links"]] == [second, first]
    assert [link["has_logo"] for link in answer["links"]] == [True, False]
    assert "total_jobs" not in answer["links"][0]
    # Each listed link is the link as read alone, without the job figures.
    alone = get(client, partner, first)
    expected = {key: value for key, value in alone.items() if key != "success" and not key.endswith("_jobs")}
    assert answer["links"][1] == expected


def test_list_by_status_and_environment(client: TestClient, partner: PartnerCreds) -> None:
    active = create(client, partner)["ref_id"]
    disabled = create(client, partner)["ref_id"]
    expired = create(client, partner, expires_at=(utcnow() + timedelta(seconds=2)).isoformat())["ref_id"]
    assert client.post(f"/v1/smile_links/{disabled}/disable", json=partner.signed()).status_code == 200

    def listed(**query: str) -> list[str]:
        response = client.get("/v1/smile_links", params=query, headers=headers(partner))
        assert response.status_code == 200, response.text
        return [link["ref_id"] for link in response.json()["links"]]

    assert set(listed()) == {active, disabled, expired}
    assert listed(status="disabled") == [disabled]
    assert set(listed(status="active")) == {active, expired}
    assert listed(status="used") == []
    assert set(listed(environment="sandbox")) == {active, disabled, expired}
    import time

    time.sleep(2.1)
    assert listed(status="expired") == [expired]
    assert listed(status="active") == [active]


@pytest.mark.parametrize(
    ("query", "code"), [({"status": "gone"}, "2413"), ({"environment": "staging"}, "2413")]
)
def test_list_refuses_unknown_filters(
    client: TestClient, partner: PartnerCreds, query: dict[str, str], code: str
) -> None:
    response = client.get("/v1/smile_links", params=query, headers=headers(partner))
    assert response.status_code == 400 and response.json()["code"] == code


def test_a_sandbox_key_does_not_list_production_links(client: TestClient, partner: PartnerCreds) -> None:
    response = client.get("/v1/smile_links", params={"environment": "production"}, headers=headers(partner))
    assert response.status_code == 400 and response.json()["code"] == "2205"
    assert "production key" in response.json()["error"]


def test_the_list_is_capped(
    client: TestClient, partner: PartnerCreds, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(api, "LIST_LIMIT", 2)
    made = [create(client, partner, name=f"Link {n}")["ref_id"] for n in range(3)]
    answer = client.get("/v1/smile_links", headers=headers(partner)).json()
    assert [link["ref_id"] for link in answer["links"]] == made[::-1][:2] and answer["truncated"] is True
    answer = client.get("/v1/smile_links", params={"status": "active"}, headers=headers(partner)).json()
    assert len(answer["links"]) == 2 and answer["truncated"] is True


# --- update and disable ----------------------------------------------------------------------------


def test_update_changes_only_what_is_sent(
    client: TestClient, runtime: Runtime, partner: PartnerCreds
) -> None:
    ref_id = create(client, partner, partner_params={"campaign": "spring"})["ref_id"]
    response = client.put(
        f"/v1/smile_links/{ref_id}",
        json=partner.signed(
            name="Renamed",
            id_types=[NIN],
            callback_url=None,
            expires_at="2099-01-01",
            partner_params={"campaign": "autumn"},
        ),
    )
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer == get(client, partner, ref_id)
    assert answer["name"] == "Renamed" and answer["company_name"] == "Acme Ltd"
    assert answer["id_types"] == [NIN] and answer["callback_url"] is None
    assert answer["expires_at"].startswith("2099-01-01T23:59:59")
    assert answer["partner_params"] == {"campaign": "autumn"} and answer["total_jobs"] == 0
    (_, event) = audit_events(runtime)
    assert event.action == "link.updated" and event.target_id == ref_id
    assert event.detail["fields"] == "callback_url,expires_at,id_types,name,partner_params"
    assert "autumn" not in json.dumps(event.detail)


def test_update_can_disable_and_enable(client: TestClient, runtime: Runtime, partner: PartnerCreds) -> None:
    ref_id = create(client, partner)["ref_id"]
    response = client.put(f"/v1/smile_links/{ref_id}", json=partner.signed(is_disabled=True))
    assert response.status_code == 200 and response.json()["status"] == "disabled"
    assert get(client, partner, ref_id)["is_disabled"] is True
    response = client.put(f"/v1/smile_links/{ref_id}", json=partner.signed(is_disabled=False))
    assert response.json()["status"] == "active" and get(client, partner, ref_id)["is_disabled"] is False
    assert [e.detail["fields"] for e in audit_events(runtime)[1:]] == ["is_disabled", "is_disabled"]


def test_update_changes_and_removes_the_logo(
    client: TestClient, runtime: Runtime, partner: PartnerCreds, logo_host: str
) -> None:
    ref_id = create(client, partner)["ref_id"]
    answer = client.put(f"/v1/smile_links/{ref_id}", json=partner.signed(logo_url=png_data_url())).json()
    assert answer["has_logo"] is True and answer["logo_url"] is None
    answer = client.put(
        f"/v1/smile_links/{ref_id}", json=partner.signed(logo_url=f"{logo_host}/l.png")
    ).json()
    assert answer["has_logo"] is True and answer["logo_url"] == f"{logo_host}/l.png"
    with transaction(runtime.sessions) as session:
        link = session.get(SmileLink, ref_id)
        assert link is not None and link.logo_png is not None
        assert Image.open(io.BytesIO(link.logo_png)).size == (90, 30)
    bad = client.put(f"/v1/smile_links/{ref_id}", json=partner.signed(logo_url="data:image/png;base64,aGk="))
    assert bad.status_code == 400 and bad.json()["code"] == "2413"
    assert get(client, partner, ref_id)["logo_url"] == f"{logo_host}/l.png"  # kept as it was
    answer = client.put(f"/v1/smile_links/{ref_id}", json=partner.signed(logo_url=None)).json()
    assert answer["has_logo"] is False and answer["logo_url"] is None
    assert audit_events(runtime)[-1].detail["fields"] == "logo_url"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({}, "2213"),
        ({"unknown": 1}, "2213"),
        ({"name": None}, "2213"),
        ({"data_privacy_policy_url": ""}, "2213"),
        ({"name": 3}, "2204"),
        ({"is_disabled": "yes"}, "2204"),
        ({"id_types": [{**PASSPORT, "country": "ZZ"}]}, "2413"),
        ({"expires_at": "2001-01-01"}, "2413"),
        ({"name": "Renamed", "is_single_use": True}, "2413"),
        ({"name": "Renamed", "user_id": "someone"}, "2413"),
        ({"name": "Renamed", "is_single_use": "often"}, "2204"),
    ],
)
def test_bad_updates_are_refused_and_change_nothing(
    client: TestClient, partner: PartnerCreds, change: dict[str, Any], code: str
) -> None:
    ref_id = create(client, partner)["ref_id"]
    before = get(client, partner, ref_id)
    response = client.put(f"/v1/smile_links/{ref_id}", json=partner.signed(**change))
    assert response.status_code == 400, response.text
    assert response.json()["code"] == code
    assert get(client, partner, ref_id) == before


def test_sending_a_resource_back_is_an_update(client: TestClient, partner: PartnerCreds) -> None:
    """A client may read a link, change a field and send it all back: the fixed fields, unchanged,
    and the read-only ones are ignored."""
    ref_id = create(client, partner, is_single_use=True)["ref_id"]
    resource = get(client, partner, ref_id)
    resource["name"] = "Renamed"
    response = client.put(f"/v1/smile_links/{ref_id}", json=partner.signed(**resource))
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "Renamed" and response.json()["user_id"] == resource["user_id"]


def test_disable(client: TestClient, runtime: Runtime, partner: PartnerCreds) -> None:
    ref_id = create(client, partner)["ref_id"]
    response = client.post(f"/v1/smile_links/{ref_id}/disable", json=partner.signed())
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "disabled" and response.json()["is_disabled"] is True
    assert get(client, partner, ref_id)["status"] == "disabled"
    with transaction(runtime.sessions) as session:
        link = session.get(SmileLink, ref_id)
        assert link is not None
        disabled_at = link.disabled_at
    # Again: nothing changes, nothing more is audited.
    assert client.post(f"/v1/smile_links/{ref_id}/disable", json=partner.signed()).status_code == 200
    with transaction(runtime.sessions) as session:
        link = session.get(SmileLink, ref_id)
        assert link is not None and link.disabled_at == disabled_at
    assert [e.action for e in audit_events(runtime)] == ["link.created", "link.disabled"]


# --- documentation ---------------------------------------------------------------------------------


def test_the_routes_are_documented(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    paths = schema["paths"]
    assert set(paths["/v1/smile_links"]) == {"get", "post"}
    assert set(paths["/v1/smile_links/{ref_id}"]) == {"get", "post", "put"}
    assert set(paths["/v1/smile_links/{ref_id}/disable"]) == {"post"}
    create_body = schema["components"]["schemas"]["SmileLinkCreateRequest"]
    assert {"name", "company_name", "id_types", "data_privacy_policy_url", "logo_url", "signature"} <= set(
        create_body["properties"]
    )
    assert "parsed" not in create_body["properties"] and "logo_source" not in create_body["properties"]
    listing = paths["/v1/smile_links"]["get"]
    names = {p["name"] for p in listing["parameters"]}
    assert {"environment", "status", "SmileID-Request-Signature"} <= names
    assert "2413" in listing["responses"]["400"]["description"]
    assert "2404" in paths["/v1/smile_links/{ref_id}"]["get"]["responses"]["404"]["description"]


def test_without_a_company_name_the_link_names_the_partner(client: TestClient, partner: PartnerCreds) -> None:
    """Smile ID's V3 links have no company_name, and clients written for it leave it out: the page
    then names the partner by its own name."""
    body = {key: value for key, value in link_fields().items() if key != "company_name"}
    created = client.post("/v1/smile_links", json=partner.signed(**body))
    assert created.status_code == 200, created.text
    answer = get(client, partner, created.json()["ref_id"])
    assert answer["company_name"] == "Test partner"
    page = client.get(urlsplit(created.json()["link"]).path)
    assert page.status_code == 200 and "Test partner" in page.text
