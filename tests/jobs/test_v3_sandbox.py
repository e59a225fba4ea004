"""V3 sandbox jobs through the pipeline (openkyc.jobs.v3_sandbox): uploaded, queued, processed by the
worker, published and called back like any job, answering with the v1 row whose V3 mapping
(openkyc.jobs.v3_results) gives the test identity's documented status and reason."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from openkyc.callbacks.models import CallbackDelivery
from openkyc.db import transaction
from openkyc.idverification.lookup import LookupOutcome
from openkyc.idverification.request import parse_request
from openkyc.job_types import JobType
from openkyc.jobs import id_verification, v3_results, v3_sandbox
from openkyc.jobs.models import ApiVersion, Job, JobState
from openkyc.jobs.submission import Submitter
from openkyc.products import v3_sandbox as table
from openkyc.products.result import build_result
from openkyc.products.v3_sandbox import Scenario
from openkyc.runtime import Runtime
from openkyc.signing.environment import Environment
from openkyc.tasks.work import verify_job
from openkyc.users import service as users
from tests.server import PartnerCreds, submit_and_process
from tests.v3.conftest import token_for
from tests.v3.entry_forms import post

CALLBACK = "https://partner.example/callback"
ID_INFO = {"country": "NG", "id_type": "NIN", "id_number": "12345678901", "entered": True}
V3_PRODUCT: dict[int, str] = {
    JobType.SMART_SELFIE_REGISTRATION: "smart_selfie_registration",
    JobType.SMART_SELFIE_AUTHENTICATION: "smart_selfie_authentication",
    JobType.BIOMETRIC_KYC: "biometric_kyc",
    JobType.ENHANCED_KYC: "enhanced_kyc",
}


def person(last_name: str) -> dict[str, Any]:
    identity = next(i for i in table.IDENTITIES if i.last_name == last_name)
    given = identity.given_names or "Kemi"
    return {"given_names": given, "last_name": last_name, "email": identity.email_for(given)}


def v3_request(job_type: int, last_name: str, **extra: Any) -> dict[str, Any]:
    return {
        "product": V3_PRODUCT[job_type],
        "user_details": person(last_name),
        "consent": {"granted": True},
        "metadata": [],
        **extra,
    }


def as_v3(
    runtime: Runtime, job_id: str, request: dict[str, Any], environment: str = "sandbox"
) -> Callable[[], None]:
    """Make the uploaded job ``job_id`` a V3 job with ``request``, as the V3 entries store it."""

    def convert() -> None:
        with transaction(runtime.sessions) as session:
            job = session.scalars(select(Job).where(Job.job_id == job_id)).one()
            job.api_version, job.v3_request, job.callback_url = ApiVersion.V3, request, CALLBACK
            job.environment = environment

    return convert


def stored(runtime: Runtime, smile_job_id: str) -> Job:
    with transaction(runtime.sessions) as session:
        job = session.get(Job, smile_job_id)
        assert job is not None
        session.expunge(job)
    return job


def deliveries(runtime: Runtime, smile_job_id: str) -> list[CallbackDelivery]:
    with transaction(runtime.sessions) as session:
        found = list(
            session.scalars(select(CallbackDelivery).where(CallbackDelivery.smile_job_id == smile_job_id))
        )
        for delivery in found:
            session.expunge(delivery)
    return found


def assert_documented(runtime: Runtime, job: Job, last_name: str) -> None:
    """The job's V3 outcome is the identity's documented one, and so is its V3 callback."""
    identity = next(i for i in table.IDENTITIES if i.last_name == last_name)
    answer = v3_results.outcome(job)
    assert (answer.status.value, answer.reason) == (identity.status, identity.reason)
    (delivery,) = deliveries(runtime, job.smile_job_id)
    assert delivery.wire == "v3" and delivery.url == CALLBACK
    assert (delivery.payload["status"], delivery.payload["reason"]) == (identity.status, identity.reason)


@pytest.mark.slow
def test_a_registration_of_the_clear_identity_clears_and_registers_the_face(
    runtime: Runtime, partner: PartnerCreds, faces_dir: Path
) -> None:
    examples = faces_dir / "ageitgey+face_recognition" / "examples"
    request = v3_request(JobType.SMART_SELFIE_REGISTRATION, "Clearwater")
    smile_job_id = submit_and_process(
        runtime,
        partner,
        examples / "obama.jpg",
        "reg-clear",
        user_id="amina",
        before_processing=as_v3(runtime, "reg-clear", request),
    )
    job = stored(runtime, smile_job_id)
    assert job.state == JobState.COMPLETE and job.result is not None
    assert (job.result["ResultCode"], job.result["ResultText"]) == ("0840", "Enroll User")
    decision = job.result["_decision"]
    assert decision["reasons"] == ["sandbox.v3_identity.clearwater"]
    # The engine ran: its decision is the evidence.
    assert decision["evidence"]["sandbox"]["engine"]["result_code"]
    assert decision["evidence"]["checks"]
    assert_documented(runtime, job, "Clearwater")
    with transaction(runtime.sessions) as session:
        enrolled = users.find_user(
            db_session=session, partner_id=partner.partner_id, environment="sandbox", user_id="amina"
        )
        assert enrolled is not None and enrolled.selfie_blob

    # The enrolled user authenticating as Twinley: the face comparison failed.
    twinley = v3_request(JobType.SMART_SELFIE_AUTHENTICATION, "Twinley")
    auth_job = submit_and_process(
        runtime,
        partner,
        examples / "obama2.jpg",
        "auth-twinley",
        job_type=JobType.SMART_SELFIE_AUTHENTICATION,
        user_id="amina",
        before_processing=as_v3(runtime, "auth-twinley", twinley),
    )
    job = stored(runtime, auth_job)
    assert job.result is not None and job.result["ResultCode"] == "0821"
    assert job.result["Actions"]["Selfie_To_Registered_Selfie_Compare"] == "Completed"
    assert_documented(runtime, job, "Twinley")


@pytest.mark.slow
def test_a_spoof_identity_is_blocked_and_registers_nothing(
    runtime: Runtime, partner: PartnerCreds, faces_dir: Path
) -> None:
    examples = faces_dir / "ageitgey+face_recognition" / "examples"
    smile_job_id = submit_and_process(
        runtime,
        partner,
        examples / "obama.jpg",
        "reg-spoof",
        user_id="taiwo",
        before_processing=as_v3(
            runtime, "reg-spoof", v3_request(JobType.SMART_SELFIE_REGISTRATION, "Masquero")
        ),
    )
    job = stored(runtime, smile_job_id)
    assert job.result is not None and job.result["ResultCode"] == "0841"
    assert job.result["Actions"]["Liveness_Check"] == "Failed"
    assert_documented(runtime, job, "Masquero")
    with transaction(runtime.sessions) as session:
        assert (
            users.find_user(
                db_session=session, partner_id=partner.partner_id, environment="sandbox", user_id="taiwo"
            )
            is None
        )


@pytest.mark.slow
def test_a_sandbox_result_code_puts_the_job_in_review_as_that_row_would(
    runtime: Runtime, partner: PartnerCreds, faces_dir: Path
) -> None:
    examples = faces_dir / "ageitgey+face_recognition" / "examples"
    request = v3_request(JobType.SMART_SELFIE_REGISTRATION, "Clearwater", sandbox_result="844")
    smile_job_id = submit_and_process(
        runtime,
        partner,
        examples / "obama.jpg",
        "reg-844",
        before_processing=as_v3(runtime, "reg-844", request),
    )
    job = stored(runtime, smile_job_id)
    assert job.state == JobState.REVIEW and job.result is not None
    assert job.result["ResultCode"] == "0844"
    assert job.result["_decision"]["reasons"] == ["sandbox.v3_sandbox_result.0844"]
    assert v3_results.outcome(job).status is v3_results.V3Status.PROCESSING
    assert deliveries(runtime, smile_job_id) == []  # V3 calls back once final


@pytest.mark.slow
@pytest.mark.parametrize(
    ("last_name", "code"),
    [("Ghostwell", "1013"), ("Downsworth", "1015"), ("Dangerfield", "0871")],
)
def test_a_biometric_kyc_look_up_answers_for_the_identity(
    runtime: Runtime, partner: PartnerCreds, faces_dir: Path, last_name: str, code: str
) -> None:
    examples = faces_dir / "ageitgey+face_recognition" / "examples"
    job_id = f"bkyc-{last_name}"
    smile_job_id = submit_and_process(
        runtime,
        partner,
        examples / "obama.jpg",
        job_id,
        job_type=JobType.BIOMETRIC_KYC,
        id_info=ID_INFO,
        before_processing=as_v3(runtime, job_id, v3_request(JobType.BIOMETRIC_KYC, last_name)),
    )
    job = stored(runtime, smile_job_id)
    assert job.result is not None and job.result["ResultCode"] == code
    assert_documented(runtime, job, last_name)


@pytest.mark.slow
def test_a_biometric_kyc_of_the_clear_identity_returns_the_names_it_was_sent(
    runtime: Runtime, partner: PartnerCreds, faces_dir: Path
) -> None:
    examples = faces_dir / "ageitgey+face_recognition" / "examples"
    smile_job_id = submit_and_process(
        runtime,
        partner,
        examples / "obama.jpg",
        "bkyc-clear",
        job_type=JobType.BIOMETRIC_KYC,
        id_info=ID_INFO,
        user_id="amina-b",
        before_processing=as_v3(runtime, "bkyc-clear", v3_request(JobType.BIOMETRIC_KYC, "Clearwater")),
    )
    job = stored(runtime, smile_job_id)
    assert job.result is not None
    assert (job.result["ResultCode"], job.result["FullName"]) == ("0810", "Amina Fatou Clearwater")
    assert job.result["Actions"]["Verify_ID_Number"] == "Verified"
    assert_documented(runtime, job, "Clearwater")


@pytest.mark.slow
def test_production_and_v1_sandbox_jobs_are_left_to_the_engine(
    runtime: Runtime, partner: PartnerCreds, faces_dir: Path
) -> None:
    examples = faces_dir / "ageitgey+face_recognition" / "examples"
    # A v1 sandbox job naming a test identity in partner_params: no V3 request, no verdict.
    v1 = submit_and_process(runtime, partner, examples / "obama.jpg", "v1-job", given_names="Rashid Omar")
    job = stored(runtime, v1)
    assert v3_sandbox.verdict_for(job) is None
    assert job.result is not None
    assert not any(reason.startswith("sandbox.") for reason in job.result["_decision"]["reasons"])
    # The same job as V3 production: the engine decides.
    assert (
        v3_sandbox.verdict(
            api_version="v3",
            environment="production",
            job_type=JobType.SMART_SELFIE_REGISTRATION,
            v3_request=v3_request(JobType.SMART_SELFIE_REGISTRATION, "Masquero"),
        )
        is None
    )


# -- Enhanced KYC: the look-up answered within the request (and by the queued V3 worker). ------------


def enhanced_kyc(runtime: Runtime, partner: PartnerCreds, job_id: str, last_name: str) -> dict[str, Any]:
    request = parse_request(
        {
            "partner_params": {"job_id": job_id, "user_id": f"user-{job_id}", "job_type": 5},
            "country": "NG",
            "id_type": "NIN",
            "id_number": "12345678901",
        }
    )
    submitter = Submitter(partner_id=partner.partner_id, environment=Environment.SANDBOX, key_id="k1")
    return id_verification.run(
        runtime,
        submitter,
        request,
        id_verification.ENHANCED_KYC,
        api_version=ApiVersion.V3,
        v3_request=v3_request(JobType.ENHANCED_KYC, last_name),
    )


def job_by_id(runtime: Runtime, job_id: str) -> Job:
    with transaction(runtime.sessions) as session:
        job = session.scalars(select(Job).where(Job.job_id == job_id)).one()
        session.expunge(job)
    return job


@pytest.mark.parametrize(
    ("last_name", "code"),
    [
        ("Clearwater", "1012"),
        ("Dangerfield", "1012"),
        ("Ghostwell", "1013"),
        ("Youngblood", "1012"),
        ("Downsworth", "1015"),
    ],
)
def test_an_enhanced_kyc_answers_for_the_identity(
    runtime: Runtime, partner: PartnerCreds, last_name: str, code: str
) -> None:
    result = enhanced_kyc(runtime, partner, f"ekyc-{last_name}", last_name)
    assert result["ResultCode"] == code
    job = job_by_id(runtime, f"ekyc-{last_name}")
    assert job.result is not None
    assert job.result["_reasons"][0] == f"sandbox.v3_identity.{last_name.lower()}"
    identity = next(i for i in table.IDENTITIES if i.last_name == last_name)
    answer = v3_results.outcome(job)
    assert (answer.status.value, answer.reason) == (identity.status, identity.reason)
    if code == "1012":  # the record holds the names the request gave
        assert result["FullName"] == " ".join([person(last_name)["given_names"], last_name])


def test_an_unknown_person_is_not_found_by_enhanced_kyc(runtime: Runtime, partner: PartnerCreds) -> None:
    request = parse_request(
        {
            "partner_params": {"job_id": "ekyc-stranger", "user_id": "u", "job_type": 5},
            "country": "NG",
            "id_type": "NIN",
            # The sandbox authority's own record: a V3 sandbox job still goes by the identity.
            "id_number": "00000000000",
        }
    )
    submitter = Submitter(partner_id=partner.partner_id, environment=Environment.SANDBOX, key_id="k1")
    stranger = {
        **v3_request(JobType.ENHANCED_KYC, "Clearwater"),
        "user_details": {"given_names": "Jo", "last_name": "Bloggs", "email": "jo@example.com"},
    }
    result = id_verification.run(
        runtime,
        submitter,
        request,
        id_verification.ENHANCED_KYC,
        api_version=ApiVersion.V3,
        v3_request=stranger,
    )
    assert result["ResultCode"] == "1013"
    job = job_by_id(runtime, "ekyc-stranger")
    assert v3_results.outcome(job).status is v3_results.V3Status.BLOCK
    assert job.result is not None and job.result["_reasons"] == ["sandbox.v3_identity.unrecognised"]


# -- The identity table against the V3 mapping (no engine: the rows alone) --------------------------


def test_the_signals_are_the_ones_the_v3_mapping_reads() -> None:
    assert table.HIGH_RISK_SIGNAL == v3_results.Signal.HIGH_RISK
    assert table.UNDER_AGE_SIGNAL == v3_results.Signal.UNDER_AGE
    assert table.ACCOUNT_LOCKED_SIGNAL == v3_results.Signal.ACCOUNT_LOCKED


def stored_result(verdict: table.Verdict, user_details: dict[str, Any]) -> dict[str, Any]:
    """The result a job with ``verdict`` stores, as flows (and id_verification for Enhanced KYC) store it."""
    product = table.PRODUCT_OF_FAMILY[verdict.family]
    if product is None:
        failure = verdict.lookup_failure
        record = None if failure else table.identity_record(verdict, user_details, today=date(2026, 10, 5))
        request = parse_request(
            {
                "partner_params": {"job_id": "j", "user_id": "u", "job_type": 5},
                "country": "NG",
                "id_type": "NIN",
                "id_number": "12345678901",
            }
        )
        wire, success = id_verification.ENHANCED_KYC.build(
            request, LookupOutcome(record=record, failure=failure)
        )
        return {**wire, "_success": success, "_reasons": verdict.reasons}
    passed = table.forced_actions(product, table.IDENTITY_ROWS[None][verdict.family].entry, Scenario.PASSED)
    engine = build_result(
        product, table.IDENTITY_ROWS[None][verdict.family].entry, actions=passed, reasons=["engine.reason"]
    )
    forced = table.forced_result(verdict, engine)
    return {**forced.wire(), "_success": forced.approved, "_decision": forced.to_record()}


CASES = [(identity, family) for identity in table.IDENTITIES for family in sorted(identity.families)]


@pytest.mark.parametrize(("identity", "family"), CASES, ids=[f"{i.last_name}-{f.value}" for i, f in CASES])
def test_every_identity_gets_its_documented_outcome_from_the_v3_mapping(
    identity: table.Identity, family: table.Family
) -> None:
    job_type = next(job_type for job_type, found in table.FAMILY_OF_JOB_TYPE.items() if found is family)
    sent = person(identity.last_name)
    verdict = table.resolve(job_type, sent)
    assert verdict is not None and verdict.identity is identity
    answer = v3_results.outcome_of_result(family.value, stored_result(verdict, sent))
    assert (answer.status.value, answer.reason) == (identity.status, identity.reason)


@pytest.mark.parametrize("family", list(table.Family))
def test_an_unrecognised_person_is_blocked_by_every_product(family: table.Family) -> None:
    job_type = next(job_type for job_type, found in table.FAMILY_OF_JOB_TYPE.items() if found is family)
    stranger = {"given_names": "Jo", "last_name": "Bloggs", "email": "jo.bloggs@example.com"}
    verdict = table.resolve(job_type, stranger)
    assert verdict is not None
    answer = v3_results.outcome_of_result(family.value, stored_result(verdict, stranger))
    assert answer.status is v3_results.V3Status.BLOCK


# -- Through the V3 front door, as the official SDKs' own end-to-end test does -----------------------


@pytest.mark.parametrize(("last_name", "status"), [("Clearwater", "clear"), ("Ghostwell", "block")])
def test_the_sdks_end_to_end_enhanced_kyc_gets_its_identitys_status(
    client: TestClient, runtime: Runtime, partner: PartnerCreds, last_name: str, status: str
) -> None:
    auth = {"SmileID-Token": token_for(client, partner)}
    answer = post(
        client,
        "/v3/enhanced_kyc",
        auth,
        country="NG",
        id_type="NIN",
        id_number="12345678901",  # the SDKs' number: no test number of the sandbox authority
        user_details=person(last_name),
    )
    assert answer.status_code == 202, answer.text
    job = job_by_id(runtime, answer.json()["job_id"])
    assert verify_job(runtime, job.smile_job_id) == "done"
    polled = client.get(f"/v3/status/{job.job_id}", headers=auth)
    assert polled.status_code == 200, polled.text
    assert polled.json()["status"] == status


@pytest.mark.slow
def test_an_enhanced_document_verification_answers_for_the_identity(
    runtime: Runtime, partner: PartnerCreds, faces_dir: Path, docs_dir: Path
) -> None:
    """The document engine runs (its decision kept as evidence); the look-up answers for Badnumber."""
    examples = faces_dir / "ageitgey+face_recognition" / "examples"
    request = {
        **v3_request(JobType.SMART_SELFIE_REGISTRATION, "Badnumber"),
        "product": "enhanced_document_verification",
    }
    smile_job_id = submit_and_process(
        runtime,
        partner,
        examples / "obama.jpg",
        "edv-badnumber",
        job_type=JobType.ENHANCED_DOCUMENT_VERIFICATION,
        id_card=docs_dir / "konstantint+PassportEye" / "tests" / "data" / "passport-td3.jpg",
        id_info={"country": "NG", "id_type": "PASSPORT", "id_number": "A00000000", "entered": True},
        before_processing=as_v3(runtime, "edv-badnumber", request),
    )
    job = stored(runtime, smile_job_id)
    assert job.result is not None and job.result["ResultCode"] == "1014"
    sandbox = job.result["_decision"]["evidence"]["sandbox"]
    assert sandbox["identity"] == "Badnumber" and sandbox["engine"]["result_code"]
    assert_documented(runtime, job, "Badnumber")
