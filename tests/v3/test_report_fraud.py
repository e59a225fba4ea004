"""POST /v3/users/{user_id}/report_fraud: the spec's answers (202, every 400 text, 401 "Invalid
token", 403, 404 "User not found", 415) and what an accepted report leaves behind."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from openkyc.audit.models import AuditEvent
from openkyc.db import transaction
from openkyc.jobs import service as jobs
from openkyc.partner_input import parse_partner_params
from openkyc.runtime import Runtime
from openkyc.users import fraud
from openkyc.users.fraud_models import FraudReport
from openkyc.users.models import EnrolledUser
from tests.server import PartnerCreds
from tests.v3.conftest import token_for
from tests.v3.entry_forms import post as submit

# Every answer these tests get is checked against the spec (tests/v3/contract.py).
pytestmark = pytest.mark.usefixtures("conforming")

REASONS = (
    "FIRST_PARTY_FRAUD, SECOND_PARTY_FRAUD, THIRD_PARTY_FRAUD, SYNTHETIC_IDENTITY, ACCOUNT_TAKEOVER, "
    "DOCUMENT_FORGERY, IDENTITY_FARMING, MULE_ACCOUNT, OTHER"
)
FLAG = {"is_fraud": "true", "reason": "FIRST_PARTY_FRAUD", "reported_by": "risk@partner.example"}


def post(
    client: TestClient, headers: dict[str, str], fields: dict[str, str], user_id: str = "user-123"
) -> Any:
    return client.post(
        f"/v3/users/{user_id}/report_fraud", headers=headers, files={k: (None, v) for k, v in fields.items()}
    )


@pytest.fixture
def enrolled(runtime: Runtime, partner: PartnerCreds) -> str:
    """A user the partner enrolled in the sandbox (no face on file: these tests need none)."""
    with transaction(runtime.sessions) as session:
        session.add(EnrolledUser(partner_id=partner.partner_id, environment="sandbox", user_id="user-123"))
    return "user-123"


def flag_active(runtime: Runtime, partner: PartnerCreds, user_id: str = "user-123") -> bool:
    with transaction(runtime.sessions) as session:
        where = {"partner_id": partner.partner_id, "environment": "sandbox", "user_id": user_id}
        return fraud.active_flag(session, **where) is not None


def test_a_report_is_accepted_and_raises_the_flag(
    client: TestClient, runtime: Runtime, partner: PartnerCreds, auth: dict[str, str], enrolled: str
) -> None:
    answer = post(client, auth, {**FLAG, "notes": "Confirmed via partner internal review"})
    assert answer.status_code == 202
    assert answer.json() == {"status": "accepted", "message": "Fraud report accepted", "user_id": "user-123"}
    assert flag_active(runtime, partner)
    with transaction(runtime.sessions) as session:
        report = session.scalars(select(FraudReport)).one()
        assert (report.is_fraud, report.reason) == (True, "FIRST_PARTY_FRAUD")
        # The key's id, never the key.
        assert report.api_key_id and partner.sandbox_key not in report.api_key_id
        assert report.details == {
            "reported_by": "risk@partner.example",
            "notes": "Confirmed via partner internal review",
        }
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "user.fraud_reported")).one()
        assert event.target_id == str(report.id) and event.actor_id == partner.partner_id


def test_a_clearing_report_lowers_the_flag_and_its_reason_is_ignored(
    client: TestClient, runtime: Runtime, partner: PartnerCreds, auth: dict[str, str], enrolled: str
) -> None:
    assert post(client, auth, FLAG).status_code == 202
    cleared = post(
        client,
        auth,
        {
            "is_fraud": "false",
            "reason": "NOT_A_REASON",
            "notes": "Cleared by appeals review",
            "reported_by": "a@b.example",
        },
    )
    assert cleared.status_code == 202, cleared.text
    assert not flag_active(runtime, partner)
    with transaction(runtime.sessions) as session:
        assert [r.reason for r in session.scalars(select(FraudReport).order_by(FraudReport.id))] == [
            "FIRST_PARTY_FRAUD",
            None,
        ]


def test_a_user_known_by_a_job_only_may_be_reported(
    client: TestClient, runtime: Runtime, partner: PartnerCreds, auth: dict[str, str]
) -> None:
    with transaction(runtime.sessions) as session:
        jobs.create_sync_job(
            db_session=session,
            partner_id=partner.partner_id,
            environment="sandbox",
            api_key_id="k",
            params=parse_partner_params({"user_id": "user-job", "job_id": "job-1", "job_type": 5}),
            callback_url=None,
        )
    assert (
        post(client, auth, {**FLAG, "reason": "OTHER", "notes": "Bespoke pattern"}, "user-job").status_code
        == 202
    )
    assert flag_active(runtime, partner, "user-job")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"reason": "FIRST_PARTY_FRAUD", "reported_by": "a@b.example"},
            "Required field 'is_fraud' is missing or invalid.",
        ),
        ({**FLAG, "is_fraud": "maybe"}, "Required field 'is_fraud' is missing or invalid."),
        (
            {"is_fraud": "true", "reported_by": "a@b.example"},
            "Required field 'reason' is missing or invalid.",
        ),
        ({**FLAG, "reason": "fraud"}, f"Field 'reason' must be one of: {REASONS}."),
        (
            {"is_fraud": "false", "reported_by": "a@b.example"},
            "Required field 'notes' is missing or invalid when is_fraud is false.",
        ),
        ({**FLAG, "reason": "OTHER"}, "Required field 'notes' is missing or invalid when reason is 'OTHER'."),
        (
            {**FLAG, "reason": "OTHER", "notes": "   "},
            "Required field 'notes' is missing or invalid when reason is 'OTHER'.",
        ),
        ({**FLAG, "notes": "x" * 501}, "Field 'notes' must be at most 500 characters."),
        (
            {"is_fraud": "true", "reason": "MULE_ACCOUNT"},
            "Required field 'reported_by' is missing or invalid.",
        ),
        (
            {**FLAG, "reported_by": "risk-at-partner.example"},
            "Field 'reported_by' must be a valid email address.",
        ),
        ({**FLAG, "reported_by": "risk@partner"}, "Field 'reported_by' must be a valid email address."),
    ],
)
def test_every_refused_field_gets_the_spec_s_text(
    client: TestClient,
    runtime: Runtime,
    partner: PartnerCreds,
    auth: dict[str, str],
    enrolled: str,
    fields: dict[str, str],
    message: str,
) -> None:
    answer = post(client, auth, fields)
    assert answer.status_code == 400
    assert answer.json() == {"status": "Bad Request", "message": message}
    assert not flag_active(runtime, partner)


def test_500_characters_of_notes_are_enough(client: TestClient, auth: dict[str, str], enrolled: str) -> None:
    assert post(client, auth, {**FLAG, "notes": "x" * 500}).status_code == 202


def test_a_user_the_partner_does_not_know_is_404(
    client: TestClient, runtime: Runtime, partner: PartnerCreds, auth: dict[str, str]
) -> None:
    # Known in production only: the sandbox token's environment does not know it.
    with transaction(runtime.sessions) as session:
        session.add(EnrolledUser(partner_id=partner.partner_id, environment="production", user_id="user-123"))
    answer = post(client, auth, FLAG)
    assert answer.status_code == 404
    assert answer.json() == {"status": "Not Found", "message": "User not found"}
    with transaction(runtime.sessions) as session:
        assert session.scalars(select(FraudReport)).all() == []


@pytest.mark.parametrize("headers", [{}, {"SmileID-Token": "not-a-token"}])
def test_a_refused_token_is_401_invalid_token(
    client: TestClient, headers: dict[str, str], enrolled: str
) -> None:
    answer = post(client, headers, FLAG)
    assert answer.status_code == 401
    assert answer.json() == {"status": "Unauthorized", "message": "Invalid token"}


def test_a_token_bound_to_another_user_is_403(
    client: TestClient, partner: PartnerCreds, enrolled: str
) -> None:
    bound = token_for(client, partner, user_id="someone-else")
    answer = post(client, {"SmileID-Token": bound}, FLAG)
    assert answer.status_code == 403
    assert answer.json() == {"status": "Forbidden", "message": "You are not authorized to do that."}
    own = token_for(client, partner, user_id="user-123")
    assert post(client, {"SmileID-Token": own}, FLAG).status_code == 202


def test_a_token_scoped_to_a_product_reports_nobody(
    client: TestClient, partner: PartnerCreds, enrolled: str
) -> None:
    capture_app = token_for(client, partner, product="biometric_kyc")
    answer = post(client, {"SmileID-Token": capture_app}, FLAG)
    assert answer.status_code == 403
    assert answer.json() == {"status": "Forbidden", "message": "You are not authorized to do that."}


def test_a_body_that_is_not_multipart_is_415(client: TestClient, auth: dict[str, str], enrolled: str) -> None:
    answer = client.post("/v3/users/user-123/report_fraud", headers=auth, json=FLAG)
    assert answer.status_code == 415
    assert answer.json()["message"] == "Unsupported Media Type. Required Content-Type is multipart/form-data"


def test_a_blank_user_id_is_400(client: TestClient, auth: dict[str, str]) -> None:
    answer = post(client, auth, FLAG, user_id="%20")
    assert answer.status_code == 400
    assert answer.json() == {
        "status": "Bad Request",
        "message": "Required field 'user_id' is missing or invalid.",
    }


def test_a_reported_user_s_v3_jobs_are_blocked_as_high_risk_until_cleared(
    client: TestClient, auth: dict[str, str]
) -> None:
    def enhanced_kyc() -> dict[str, Any]:
        answer = submit(
            client,
            "/v3/enhanced_kyc/sync",
            auth,
            country="NG",
            id_type="NIN",
            id_number="00000000000",
            headers={"User-ID": "cust-7"},
        )
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    assert enhanced_kyc()["status"] == "clear"
    assert post(client, auth, FLAG, "cust-7").status_code == 202
    blocked = enhanced_kyc()
    assert (blocked["status"], blocked["reason"]) == ("block", "high_risk")
    assert blocked["message"] == "Verification failed: User reported for fraud"
    cleared = {
        "is_fraud": "false",
        "notes": "Cleared by appeals review",
        "reported_by": "risk@partner.example",
    }
    assert post(client, auth, cleared, "cust-7").status_code == 202
    assert enhanced_kyc()["status"] == "clear"
