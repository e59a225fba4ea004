"""POST /v3/smile_links and GET /v3/smile_links/{refId}: the links v1 and the portal make, in V3 shape."""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from openkyc.audit.models import AuditEvent
from openkyc.db import transaction
from openkyc.links.capture import theme_css
from openkyc.links.models import SmileLink
from openkyc.runtime import Runtime
from openkyc.typeid import is_typeid
from tests.server import PartnerCreds, make_partner
from tests.v3.conftest import token_for

pytestmark = pytest.mark.usefixtures("conforming")

POLICY = "https://partner.example/privacy"
NIN_EKYC = {"country": "NG", "id_type": "NIN", "verification_method": "enhanced_kyc"}
PASSPORT_DOCV = {"country": "NG", "id_type": "PASSPORT", "verification_method": "document_verification"}
UNAUTHORIZED = {"status": "Unauthorized", "message": "Missing or invalid authentication credentials."}


def _parts(**fields: Any) -> dict[str, Any]:
    parts: dict[str, Any] = {}
    for name, value in fields.items():
        if value is None:
            continue
        if isinstance(value, dict | list):
            parts[name] = (None, json.dumps(value), "application/json")
        elif isinstance(value, bool):
            parts[name] = (None, "true" if value else "false")
        else:
            parts[name] = (None, str(value))
    return parts


def _create(client: TestClient, auth: dict[str, str], **fields: Any) -> Any:
    body: dict[str, Any] = {
        "id_types": [NIN_EKYC],
        "name": "Onboarding",
        "notice_privacy_policy_url": POLICY,
        "is_single_use": False,
        **fields,
    }
    return client.post("/v3/smile_links", headers=auth, files=_parts(**body))


def _get(client: TestClient, auth: dict[str, str], ref_id: str) -> Any:
    return client.get(f"/v3/smile_links/{ref_id}", headers=auth)


def test_a_reusable_link_is_created_and_its_page_opens(
    client: TestClient, auth: dict[str, str], runtime: Runtime, partner: PartnerCreds
) -> None:
    answer = _create(client, auth)
    assert answer.status_code == 201, answer.text
    created = answer.json()
    assert set(created) == {"link", "message", "ref_id", "user_id"}
    assert created["message"] == "Smile Link created" and created["user_id"] is None
    assert str(uuid.UUID(created["ref_id"])) == created["ref_id"]
    page = client.get(urlsplit(created["link"]).path)
    assert page.status_code == 200 and "Onboarding" in page.text
    # One links system: the v1 API reads the very same link.
    v1 = client.post(f"/v1/smile_links/{created['ref_id']}", json=partner.signed()).json()
    assert v1["name"] == "Onboarding" and v1["id_types"] == [NIN_EKYC]
    with transaction(runtime.sessions) as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.target_id == created["ref_id"])).one()
        assert event.action == "link.created" and event.detail["api"] == "v3"


def test_the_resource_has_the_spec_fields_with_v3_names(client: TestClient, auth: dict[str, str]) -> None:
    created = _create(
        client,
        auth,
        id_types=[NIN_EKYC, PASSPORT_DOCV],
        description="Open an account",
        redirect_url="https://partner.example/welcome",
        theme_color="#0B5CAD",
        callback_url="https://partner.example/links-callback",
        expires_at="2099-01-31T10:00:00Z",
        partner_params={"campaign": "spring"},
    ).json()
    answer = _get(client, auth, created["ref_id"])
    assert answer.status_code == 200, answer.text
    found = answer.json()
    assert {key: found[key] for key in list(found)[:14]} == {
        "ref_id": created["ref_id"],
        "link": created["link"],
        "name": "Onboarding",
        "description": "Open an account",
        "id_types": [NIN_EKYC, PASSPORT_DOCV],
        "is_single_use": False,
        "notice_privacy_policy_url": POLICY,
        "redirect_url": "https://partner.example/welcome",
        "expires_at": "2099-01-31T10:00:00.000Z",
        "partner_params": {"campaign": "spring"},
        "user_id": None,
        "callback_url": "https://partner.example/links-callback",
        "theme_color": "#0B5CAD",
        "company_name": "Test partner",
    }
    assert (found["status"], found["is_disabled"], found["environment"]) == ("active", False, "sandbox")
    assert (found["total_jobs"], found["pending_jobs"]) == (0, 0)


def test_strings_the_link_has_none_of_are_left_out(client: TestClient, auth: dict[str, str]) -> None:
    created = _create(client, auth).json()
    found = _get(client, auth, created["ref_id"]).json()
    assert "callback_url" not in found and "logo_url" not in found and "theme_color" not in found
    assert found["description"] is None and found["redirect_url"] is None and found["partner_params"] is None
    assert found["expires_at"] is None


def test_single_use_links_get_a_user_and_user_ids_are_unique(
    client: TestClient, auth: dict[str, str]
) -> None:
    minted = _create(client, auth, is_single_use=True).json()
    assert is_typeid(minted["user_id"], "user")
    found = _get(client, auth, minted["ref_id"]).json()
    assert found["user_id"] == minted["user_id"] and found["expires_at"] is not None  # 90 days by default
    named = _create(client, auth, is_single_use=True, user_id="user-123")
    assert named.status_code == 201 and named.json()["user_id"] == "user-123"
    again = _create(client, auth, is_single_use=True, user_id="user-123")
    assert again.status_code == 409
    assert again.json() == {"status": "Conflict", "message": "User ID is taken. Please provide a unique ID."}


def test_only_an_unscoped_token_manages_links(client: TestClient, partner: PartnerCreds) -> None:
    assert _create(client, {}).json() == UNAUTHORIZED
    scoped = {"SmileID-Token": token_for(client, partner, product="enhanced_kyc")}
    answer = _create(client, scoped)
    assert answer.status_code == 401 and answer.json() == UNAUTHORIZED
    assert _get(client, scoped, str(uuid.uuid4())).json() == UNAUTHORIZED
    bound = {"SmileID-Token": token_for(client, partner, user_id="someone")}
    assert _create(client, bound).status_code == 201  # scoped to a user, not a product


def test_a_token_bound_to_a_user_names_no_other_user(
    client: TestClient, auth: dict[str, str], partner: PartnerCreds
) -> None:
    bound = {"SmileID-Token": token_for(client, partner, user_id="user-bound")}
    theirs = _create(client, bound, is_single_use=True)
    assert theirs.status_code == 201 and theirs.json()["user_id"] == "user-bound"
    assert _get(client, bound, theirs.json()["ref_id"]).json()["user_id"] == "user-bound"
    other = _create(client, bound, is_single_use=True, user_id="user-other")
    assert other.status_code == 403
    assert other.json() == {"status": "Forbidden", "message": "Token is not authorized for this user ID."}
    reusable = _create(client, bound, is_single_use=False)  # names no user: left as it is
    assert reusable.status_code == 201 and reusable.json()["user_id"] is None
    assert _get(client, bound, reusable.json()["ref_id"]).status_code == 200
    # Another user's link, made with an unbound token, is not found through the bound one.
    elsewhere = _create(client, auth, is_single_use=True, user_id="user-elsewhere").json()
    assert _get(client, auth, elsewhere["ref_id"]).status_code == 200
    hidden = _get(client, bound, elsewhere["ref_id"])
    assert hidden.status_code == 404 and hidden.json()["message"] == "Link not found"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": None}, "Required field 'name' is missing or invalid."),
        ({"name": "  "}, "Required field 'name' is missing or invalid."),
        ({"id_types": None}, "Required field 'id_types' is missing or invalid."),
        ({"id_types": []}, "Required field 'id_types' is missing or invalid."),
        (
            {"notice_privacy_policy_url": None},
            "Required field 'notice_privacy_policy_url' is missing or invalid.",
        ),
        ({"is_single_use": None}, "Required field 'is_single_use' is missing or invalid."),
        ({"is_single_use": "maybe"}, "Field 'is_single_use' is invalid."),
        (
            {"id_types": [{**NIN_EKYC, "extra": "x"}]},
            "Field 'id_types' is invalid: each entry must have exactly country, id_type and verification_method.",
        ),
        (
            {"id_types": [{**NIN_EKYC, "id_type": "NOPE"}]},
            "Field 'id_types' is invalid: id_types[0]: NG NOPE is not supported for enhanced_kyc.",
        ),
        (
            {"notice_privacy_policy_url": "ftp://partner.example/p"},
            "Field 'notice_privacy_policy_url' is invalid: data_privacy_policy_url must be an absolute http "
            "or https URL.",
        ),
        (
            {"theme_color": "blue"},
            "Field 'theme_color' is invalid: theme_color must be a hex colour, #rgb or #rrggbb.",
        ),
        (
            {"user_id": "user-9"},
            "Field 'user_id' is invalid: user_id is for a single-use link: a multi-use link gives each "
            "visitor their own.",
        ),
        (
            {"expires_at": "2001-01-01T00:00:00Z"},
            "Field 'expires_at' is invalid: expires_at must be in the future.",
        ),
        ({"partner_params": ["a"]}, "Field 'partner_params' is invalid."),
        ({"id_types": "[[["}, "Field 'id_types' is invalid."),
        (
            {"id_types": [{**NIN_EKYC, "verification_method": {"a": 1}}]},
            "Field 'id_types' is invalid: id_types[0].verification_method must be one of biometric_kyc, "
            "doc_verification, enhanced_document_verification, enhanced_kyc.",
        ),
    ],
)
def test_bad_links_are_refused_with_v3_messages(
    client: TestClient, auth: dict[str, str], change: dict[str, Any], message: str
) -> None:
    answer = _create(client, auth, **change)
    assert answer.status_code == 400, answer.text
    assert answer.json() == {"status": "Bad Request", "message": message}


def test_reading_a_link_that_is_not_there(
    client: TestClient, auth: dict[str, str], partner: PartnerCreds
) -> None:
    bad = _get(client, auth, "not-a-uuid")
    assert bad.status_code == 400
    assert bad.json() == {"status": "Bad Request", "message": "refId must be a valid link id"}
    unknown = _get(client, auth, "0b0a5f6e-8a5c-4d4b-9d8c-1f6f0c2a9e11")
    assert unknown.status_code == 404 and unknown.json() == {
        "status": "Not Found",
        "message": "Link not found",
    }


def test_another_partners_link_is_not_found(
    client: TestClient, auth: dict[str, str], runtime: Runtime
) -> None:
    other = make_partner(runtime, "Other partner")
    theirs = _create(client, {"SmileID-Token": token_for(client, other)}).json()
    assert _get(client, auth, theirs["ref_id"]).status_code == 404


def test_the_page_honours_description_theme_and_redirect(
    client: TestClient, auth: dict[str, str], runtime: Runtime
) -> None:
    created = _create(
        client,
        auth,
        description="Open your account in two minutes",
        theme_color="#fc0",
        redirect_url="https://partner.example/welcome?step=2",
    ).json()
    path = urlsplit(created["link"]).path
    page = client.get(path).text
    assert "Open your account in two minutes" in page
    assert f'href="{path}/theme.css"' in page
    css = client.get(f"{path}/theme.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert css.text == ":root { --accent: #ffcc00; --accent-ink: #000000; }\n"
    done = client.get(f"{path}/done").text
    assert 'href="https://partner.example/welcome?step=2"' in done and "Continue" in done
    plain = _create(client, auth).json()
    plain_path = urlsplit(plain["link"]).path
    assert "theme.css" not in client.get(plain_path).text
    assert client.get(f"{plain_path}/theme.css").status_code == 404
    assert "You can close this page." in client.get(f"{plain_path}/done").text
    with transaction(runtime.sessions) as session:
        stored = session.get(SmileLink, created["ref_id"])
        assert stored is not None and stored.theme_color == "#fc0"


def test_theme_ink_contrasts_with_the_accent() -> None:
    assert theme_css("#000") == ":root { --accent: #000000; --accent-ink: #ffffff; }\n"
    assert theme_css("#FFFFFF").endswith("--accent-ink: #000000; }\n")
