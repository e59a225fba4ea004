"""The V3 AML operations: One-Time AML (async and sync, with idempotency keys), AML Monitoring and
its news look-up, against small watch lists loaded as `openkyc lists load` loads them."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select

from openkyc.aml.entries import ListSource
from openkyc.aml.models import MonitoredSubject
from openkyc.aml.parsers import parse_ofac_xml, parse_opensanctions
from openkyc.aml.service import load_entries
from openkyc.audit import SYSTEM
from openkyc.callbacks.models import CallbackDelivery
from openkyc.db import transaction, utcnow
from openkyc.job_types import JobType
from openkyc.jobs import service as jobs
from openkyc.jobs.models import Job
from openkyc.partner_input import PartnerParams
from openkyc.partners.models import Partner
from openkyc.retention.purge import purge_job
from openkyc.runtime import Runtime
from openkyc.signing import compute_signature
from openkyc.typeid import is_typeid
from openkyc.users import service as users
from tests.aml.samples import OFAC_XML, opensanctions_lines
from tests.server import PartnerCreds
from tests.v3.conftest import token_for

pytestmark = pytest.mark.usefixtures("conforming")

CONSENT = {
    "granted": True,
    "granted_at": "2026-01-01T00:00:00.000Z",
    "notice_language": "EN",
    "notice_privacy_policy_url": "https://example.com/privacy",
}
DETAILS = {"given_names": "Vladimir", "last_name": "Putin", "email": "v.putin@example.com"}
CALLBACK = "https://partner.example.com/aml"
DEFAULT_CALLBACK = "https://partner.example.com/default"
PERSON_KEYS = {
    "name",
    "addresses",
    "news_summary",
    "aliases",
    "associations",
    "dates_of_birth",
    "enforcement_actions",
    "nationalities",
    "sanctions",
    "pep",
}


@pytest.fixture
def loaded(runtime: Runtime) -> Runtime:
    load_entries(runtime.sessions, ListSource.OFAC_XML, parse_ofac_xml(OFAC_XML))
    load_entries(runtime.sessions, ListSource.OPENSANCTIONS, parse_opensanctions(opensanctions_lines()))
    return runtime


def form(**fields: Any) -> dict[str, tuple[None, str] | tuple[None, str, str]]:
    """Multipart parts as the spec sends them: JSON parts for objects and arrays, text otherwise."""
    parts: dict[str, tuple[None, str] | tuple[None, str, str]] = {}
    for name, value in fields.items():
        if value is None:
            continue
        if isinstance(value, dict | list):
            parts[name] = (None, json.dumps(value), "application/json")
        else:
            parts[name] = (None, str(value))
    return parts


def request(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "countries": ["RU"],
        "full_name": "Vladimir Putin",
        "birth_year": "1952",
        "consent": CONSENT,
        "user_details": DETAILS,
        "callback_url": CALLBACK,
        "partner_params": {"order": "42"},
    }
    fields.update(overrides)
    return fields


def post(client: TestClient, path: str, auth: dict[str, str], **overrides: Any) -> Response:
    answer: Response = client.post(path, headers=auth, files=form(**request(**overrides)))
    return answer


def the_job(runtime: Runtime, job_id: str) -> Job:
    with transaction(runtime.sessions) as session:
        job = session.scalar(select(Job).where(Job.job_id == job_id))
        assert job is not None
        return job


def deliveries(runtime: Runtime, job: Job) -> list[CallbackDelivery]:
    with transaction(runtime.sessions) as session:
        return list(
            session.scalars(
                select(CallbackDelivery)
                .where(CallbackDelivery.smile_job_id == job.smile_job_id)
                .order_by(CallbackDelivery.id)
            )
        )


def set_default_callback(runtime: Runtime, partner: PartnerCreds, url: str | None) -> None:
    with transaction(runtime.sessions) as session:
        row = session.get(Partner, partner.partner_id)
        assert row is not None
        row.sandbox_callback_url = url


# -- One-Time AML, async ------------------------------------------------------------------------


def test_a_listed_person_is_accepted_then_called_back_blocked(
    loaded: Runtime, client: TestClient, auth: dict[str, str]
) -> None:
    answer = post(client, "/v3/aml", auth, aliases=["Vladimir Vladimirovich Putin"])
    assert answer.status_code == 202, answer.text
    body = answer.json()
    assert set(body) == {"status", "message", "job_id", "user_id"}
    assert body["status"] == "accepted" and body["message"] == "Job submitted successfully"
    assert is_typeid(body["job_id"], "job") and is_typeid(body["user_id"], "user")
    job = the_job(loaded, body["job_id"])
    assert job.api_version == "v3" and job.job_type == JobType.AML and job.user_id == body["user_id"]
    assert job.state == "complete" and job.result is not None and job.result["ResultCode"] == "1030"
    request_kept = job.v3_request or {}
    assert request_kept["product"] == "one_time_aml" and request_kept["countries"] == ["RU"]
    assert request_kept["full_name"] == "Vladimir Putin" and request_kept["birth_year"] == 1952
    assert request_kept["aliases"] == ["Vladimir Vladimirovich Putin"]
    assert request_kept["strict_match"] is True and request_kept["user_details"] == {
        **DETAILS,
        "phone_number": None,
    }
    (delivery,) = deliveries(loaded, job)
    assert delivery.url == CALLBACK and delivery.wire == "v3"
    sent = delivery.payload
    assert sent["status"] == "block" and sent["reason"] == "aml_match_found"
    assert sent["message"] == "Screening completed: potential matches identified."
    assert sent["product"] == "one_time_aml" and sent["job_id"] == body["job_id"]
    assert sent["partner_params"] == {"order": "42"} and sent["kyc_receipt"] is None
    assert sent["strict_match"] is True and sent["no_of_persons_found"] == 1
    assert sent["user_provided_info"] == {**DETAILS, "phone_number": None}
    assert sent["consent"]["granted"] is True and sent["antifraud"] is None and sent["device_signals"] is None
    (person,) = sent["people"]
    assert set(person) == PERSON_KEYS
    assert person["name"] == "Vladimir Vladimirovich Putin"
    assert person["aliases"] == [{"name": "Владимир Владимирович Путин"}]
    assert person["dates_of_birth"] == [{"date": "1952-10-07"}]
    assert person["nationalities"] == [{"country_code": "RU"}]
    assert person["pep"]["pep_level"] == 1
    assert person["pep"]["political_positions"] == ["President of the Russian Federation"]
    assert person["sanctions"][0]["list"] == "OpenSanctions"
    assert person["news_summary"] == [] and person["enforcement_actions"] == []


def test_the_partners_default_callback_url_is_used_and_without_one_it_is_a_400(
    loaded: Runtime,
    client: TestClient,
    partner: PartnerCreds,
    auth: dict[str, str],
    production_auth: dict[str, str],
) -> None:
    refused = post(client, "/v3/aml", production_auth, callback_url=None)
    assert refused.status_code == 400
    assert refused.json() == {
        "status": "Bad Request",
        "message": "Required field 'callback_url' is missing or invalid.",
    }
    set_default_callback(loaded, partner, DEFAULT_CALLBACK)
    answer = post(client, "/v3/aml", auth, callback_url=None, full_name="Chidi Okonkwo")
    assert answer.status_code == 202, answer.text
    (delivery,) = deliveries(loaded, the_job(loaded, answer.json()["job_id"]))
    assert delivery.url == DEFAULT_CALLBACK
    assert delivery.payload["status"] == "clear" and delivery.payload["reason"] is None
    assert delivery.payload["message"] == "Screening completed: no matches found."


def test_the_user_id_comes_from_the_header_and_must_agree_with_the_body(
    loaded: Runtime, client: TestClient, auth: dict[str, str]
) -> None:
    answer = client.post("/v3/aml", headers={**auth, "User-ID": "customer-7"}, files=form(**request()))
    assert answer.status_code == 202 and answer.json()["user_id"] == "customer-7"
    clash = client.post(
        "/v3/aml", headers={**auth, "User-ID": "customer-7"}, files=form(**request(user_id="customer-8"))
    )
    assert clash.status_code == 403
    assert clash.json()["message"] == "Token is not authorized for this user ID."


# -- One-Time AML, sync -------------------------------------------------------------------------


def test_sync_answers_the_callback_body_signed_with_the_ids_in_headers(
    loaded: Runtime, client: TestClient, partner: PartnerCreds, auth: dict[str, str]
) -> None:
    answer = post(client, "/v3/aml/sync", auth, full_name="Chidi Okonkwo", callback_url=None)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["status"] == "clear" and body["product"] == "one_time_aml"
    assert body["people"] == [] and body["no_of_persons_found"] == 0
    stamp = answer.headers["Response-Timestamp"]
    assert answer.headers["Response-Signature"] == compute_signature(
        partner.sandbox_key, partner.partner_id, stamp
    )
    assert answer.headers["SmileID-Job-ID"] == body["job_id"]
    assert answer.headers["User-ID"] == body["user_id"]
    job = the_job(loaded, body["job_id"])
    assert deliveries(loaded, job) == []  # no webhook for the sync endpoint
    assert job.callback_url is None


def test_an_idempotency_key_returns_the_first_result_without_screening_again(
    loaded: Runtime, client: TestClient, partner: PartnerCreds, auth: dict[str, str]
) -> None:
    key = {"SmileID-Idempotency-Key": "onboarding-8f14e45fceea167a"}
    first = client.post("/v3/aml/sync", headers={**auth, **key}, files=form(**request()))
    assert first.status_code == 200 and first.json()["status"] == "block"
    # The lists change: a new screening would find nobody, the key's answer stays the first one.
    load_entries(loaded.sessions, ListSource.OPENSANCTIONS, [])
    again = client.post("/v3/aml/sync", headers={**auth, **key}, files=form(**request()))
    assert again.status_code == 200
    assert again.json() == first.json()
    assert again.headers["SmileID-Job-ID"] == first.headers["SmileID-Job-ID"]
    with transaction(loaded.sessions) as session:
        assert session.scalar(select(func.count()).select_from(Job)) == 1
    # The id is derived from the partner, its environment and the key: another key, another job.
    other = client.post(
        "/v3/aml/sync",
        headers={**auth, "SmileID-Idempotency-Key": "onboarding-8f14e45fceea167b"},
        files=form(**request()),
    )
    assert other.status_code == 200 and other.json()["job_id"] != first.json()["job_id"]
    assert other.json()["status"] == "clear"


@pytest.mark.parametrize("key", ["short", "x" * 129, "has space in it!!", "dots.are.not.allowed"])
def test_a_malformed_idempotency_key_is_a_400(
    loaded: Runtime, client: TestClient, auth: dict[str, str], key: str
) -> None:
    answer = client.post(
        "/v3/aml/sync", headers={**auth, "SmileID-Idempotency-Key": key}, files=form(**request())
    )
    assert answer.status_code == 400
    assert answer.json()["message"] == "Field 'SmileID-Idempotency-Key' is invalid."


def test_with_no_list_loaded_a_screening_is_an_error_never_a_clear(
    runtime: Runtime, client: TestClient, auth: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    answer = post(client, "/v3/aml", auth)
    assert answer.status_code == 202
    job = the_job(runtime, answer.json()["job_id"])
    (delivery,) = deliveries(runtime, job)
    assert delivery.payload["status"] == "error" and delivery.payload["reason"] == "service_unavailable"
    assert delivery.payload["message"] == "Error: external service unavailable."
    assert delivery.payload["people"] == [] and delivery.payload["kyc_receipt"] is None
    assert "no sanctions or PEP list is loaded" in caplog.text
    # The sync endpoint reports it as the spec does: a 500 naming the job, never a 200 "error".
    key = {"SmileID-Idempotency-Key": "retry-me-0123456789"}
    failed = client.post("/v3/aml/sync", headers={**auth, **key}, files=form(**request()))
    assert failed.status_code == 500
    assert failed.json()["status"] == "Internal Server Error"
    job_id = failed.headers["SmileID-Job-ID"]
    assert (the_job(runtime, job_id).result or {})["ResultCode"] == "1015"
    # Nothing was screened: the same key, once a list is loaded, screens (the same job, no other).
    load_entries(runtime.sessions, ListSource.OPENSANCTIONS, parse_opensanctions(opensanctions_lines()))
    retried = client.post("/v3/aml/sync", headers={**auth, **key}, files=form(**request()))
    assert retried.status_code == 200, retried.text
    assert retried.json()["job_id"] == job_id and retried.json()["status"] == "block"


def test_a_key_whose_unscreened_job_was_purged_answers_that_job_without_a_500(
    runtime: Runtime, client: TestClient, auth: dict[str, str]
) -> None:
    key = {"SmileID-Idempotency-Key": "purged-key-0123456789"}
    failed = client.post("/v3/aml/sync", headers={**auth, **key}, files=form(**request()))
    assert failed.status_code == 500
    job = the_job(runtime, failed.headers["SmileID-Job-ID"])
    purge_job(runtime, job.smile_job_id, now=utcnow(), reason="retention", actor=SYSTEM, keep_enrolled=True)
    # The purged job kept no subject to screen again: the key still answers with that job, and
    # nothing personal is written back into it.
    load_entries(runtime.sessions, ListSource.OPENSANCTIONS, parse_opensanctions(opensanctions_lines()))
    again = client.post("/v3/aml/sync", headers={**auth, **key}, files=form(**request()))
    assert again.status_code == 500 and again.headers["SmileID-Job-ID"] == job.job_id
    assert (the_job(runtime, job.job_id).result or {}).get("people") is None


# -- Request checks -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"countries": None}, "Required field 'countries' is missing or invalid."),
        ({"countries": "NG"}, "Required field 'countries' is missing or invalid."),
        ({"countries": []}, "Required field 'countries' is missing or invalid."),
        ({"countries": ["NGA"]}, "Required field 'countries' is missing or invalid."),
        ({"full_name": None}, "Required field 'full_name' is missing or invalid."),
        ({"full_name": "   "}, "Required field 'full_name' is missing or invalid."),
        ({"birth_year": "19x0"}, "Field 'birth_year' is invalid."),
        ({"birth_year": "1990-01-01"}, "Field 'birth_year' is invalid."),
        ({"birth_year": "3000"}, "Field 'birth_year' is invalid."),
        ({"birth_year": "0999"}, "Field 'birth_year' is invalid."),
        ({"strict_match": "perhaps"}, "Field 'strict_match' is invalid."),
        ({"aliases": ["a"] * 21}, "Field 'aliases' must contain at most 20 entries."),
        ({"aliases": ["a" * 257]}, "Field 'aliases' entries must be at most 256 characters."),
        ({"aliases": "Johnny"}, "Field 'aliases' is invalid."),
        (
            {"search_existing_user": "true"},
            "Required field 'user_id' is missing or invalid when search_existing_user is true.",
        ),
        ({"consent": None}, "Required field 'consent' is missing or invalid."),
        (
            {"consent": {**CONSENT, "granted": False}},
            "Required field 'consent.granted' is missing or invalid.",
        ),
        (
            {"user_details": {"last_name": "Putin", "email": "v@example.com"}},
            "Required field 'user_details.given_names' is missing or invalid.",
        ),
        (
            {"user_details": {"given_names": "V", "last_name": "Putin"}},
            "Either user_details.email or user_details.phone_number is required.",
        ),
        ({"callback_url": "http://partner.example.com/aml"}, "Field 'callback_url' is invalid."),
    ],
)
def test_bad_requests_get_the_specs_messages(
    loaded: Runtime, client: TestClient, auth: dict[str, str], overrides: dict[str, Any], message: str
) -> None:
    for path in ("/v3/aml", "/v3/aml/sync"):
        answer = post(client, path, auth, **overrides)
        assert answer.status_code == 400, answer.text
        assert answer.json() == {"status": "Bad Request", "message": message}


def test_a_repeated_countries_field_is_refused(
    loaded: Runtime, client: TestClient, auth: dict[str, str]
) -> None:
    parts = [(name, value) for name, value in form(**request(countries=None)).items()]
    parts += [("countries", (None, "NG")), ("countries", (None, "KE"))]
    answer = client.post("/v3/aml", headers=auth, files=parts)
    assert answer.status_code == 400
    assert answer.json()["message"] == "Required field 'countries' is missing or invalid."


def test_lower_case_countries_a_bare_year_and_strict_match_false_are_taken(
    loaded: Runtime, client: TestClient, auth: dict[str, str]
) -> None:
    answer = post(client, "/v3/aml/sync", auth, countries=["ru", "RU"], birth_year=1952, strict_match="false")
    assert answer.status_code == 200, answer.text
    assert answer.json()["strict_match"] is False and answer.json()["status"] == "block"
    kept = the_job(loaded, answer.json()["job_id"]).v3_request or {}
    assert kept["countries"] == ["RU"] and kept["strict_match"] is False


def test_without_a_token_or_multipart_body_the_answer_is_401_or_415(
    loaded: Runtime, client: TestClient, auth: dict[str, str]
) -> None:
    for path in ("/v3/aml", "/v3/aml/sync", "/v3/aml/monitoring"):
        anonymous = client.post(path, files=form(**request()))
        assert anonymous.status_code == 401
        assert anonymous.json() == {
            "status": "Unauthorized",
            "message": "Invalid authentication credentials.",
        }
        as_json = client.post(path, headers=auth, json=request())
        assert as_json.status_code == 415


# -- search_existing_user -----------------------------------------------------------------------


def enrol_with_record(
    runtime: Runtime, partner: PartnerCreds, user_id: str, result: dict[str, Any] | None
) -> None:
    """An enrolled user and, with ``result``, a finished Biometric KYC job of theirs."""
    with transaction(runtime.sessions) as session:
        users.enrol(
            db_session=session,
            box=runtime.box,
            partner_id=partner.partner_id,
            environment="sandbox",
            user_id=user_id,
            embedding=np.linspace(-0.3, 0.3, 128),
            selfie_blob=f"users/{partner.partner_id}/0000000001/selfie",
            smile_job_id="0000000001",
        )
        if result is None:
            return
        params = PartnerParams(
            user_id=user_id, job_id=f"bkyc-{user_id}", job_type=JobType.BIOMETRIC_KYC, raw={}
        )
        job = jobs.create_sync_job(
            db_session=session,
            partner_id=partner.partner_id,
            environment="sandbox",
            api_key_id="k",
            params=params,
            callback_url=None,
        )
        jobs.record_result(db_session=session, job=job, result=result, final=True)


def test_search_existing_user_is_a_gate_on_the_users_prior_record(
    loaded: Runtime, client: TestClient, partner: PartnerCreds, auth: dict[str, str]
) -> None:
    searching = {"search_existing_user": "true"}
    nobody = post(client, "/v3/aml", auth, user_id="ghost", **searching)
    assert nobody.status_code == 404
    assert nobody.json() == {"status": "Not Found", "message": "No enrolled user found for this partner."}
    enrol_with_record(loaded, partner, "no-record", None)
    bare = post(client, "/v3/aml", auth, user_id="no-record", **searching)
    assert bare.status_code == 404
    assert (
        bare.json()["message"]
        == "No prior KYC record with a usable name and country was found for this user."
    )
    enrol_with_record(
        loaded, partner, "kyc-done", {"ResultCode": "1210", "FullName": "Amina Bello", "Country": "NG"}
    )
    found = post(client, "/v3/aml", auth, user_id="kyc-done", **searching)
    assert found.status_code == 202, found.text
    # A gate, not a data source: the request's name is what was screened.
    kept = the_job(loaded, found.json()["job_id"]).v3_request or {}
    assert kept["full_name"] == "Vladimir Putin" and kept["search_existing_user"] is True


# -- AML Monitoring -----------------------------------------------------------------------------


def test_monitoring_screens_at_once_and_enrols_the_person(
    loaded: Runtime, client: TestClient, auth: dict[str, str]
) -> None:
    answer = post(client, "/v3/aml/monitoring", auth)
    assert answer.status_code == 202, answer.text
    body = answer.json()
    assert set(body) == {"status", "message", "job_id", "user_id", "created_at"}
    assert body["status"] == "accepted" and body["message"] == "Request accepted and queued for processing."
    job = the_job(loaded, body["job_id"])
    assert (job.v3_request or {})["product"] == "aml_monitoring"
    (delivery,) = deliveries(loaded, job)
    assert delivery.payload["product"] == "aml_monitoring" and delivery.payload["status"] == "block"
    with transaction(loaded.sessions) as session:
        (monitored,) = session.scalars(select(MonitoredSubject)).all()
        assert monitored.smile_job_id == job.smile_job_id and monitored.active
        assert monitored.subject["full_name"] == "Vladimir Putin" and monitored.subject["countries"] == ["RU"]
        assert monitored.last_screening["code"] == "1030"


def test_monitoring_checks_with_its_own_messages(
    loaded: Runtime,
    client: TestClient,
    partner: PartnerCreds,
    auth: dict[str, str],
    production_auth: dict[str, str],
) -> None:
    year = post(client, "/v3/aml/monitoring", auth, birth_year="90")
    assert year.status_code == 400
    assert year.json()["message"] == "Field 'birth_year' must be a four digit year."
    no_url = post(client, "/v3/aml/monitoring", production_auth, callback_url=None)
    assert no_url.status_code == 400
    assert no_url.json()["message"] == (
        "A valid callback_url is required in the request or a default callback URL must be configured in the portal."
    )


def test_monitoring_an_existing_user_takes_the_name_and_birth_year_of_their_record(
    loaded: Runtime, client: TestClient, partner: PartnerCreds, auth: dict[str, str]
) -> None:
    enrol_with_record(
        loaded,
        partner,
        "kyc-done",
        {"ResultCode": "1210", "FullName": "Amina Bello", "Country": "NG", "DOB": "1971-03-02"},
    )
    answer = client.post(
        "/v3/aml/monitoring",
        headers={**auth, "User-ID": "kyc-done"},
        files=form(**request(full_name=None, birth_year=None, countries=["NG"], search_existing_user="true")),
    )
    assert answer.status_code == 202, answer.text
    kept = the_job(loaded, answer.json()["job_id"]).v3_request or {}
    assert kept["full_name"] == "Amina Bello" and kept["birth_year"] == 1971
    (delivery,) = deliveries(loaded, the_job(loaded, answer.json()["job_id"]))
    assert delivery.payload["people"][0]["name"] == "Amina Bello"


# -- News look-up -------------------------------------------------------------------------------


def news(client: TestClient, auth: dict[str, str], job_id: str, **query: str) -> Response:
    answer: Response = client.get(f"/v3/aml/monitoring/{job_id}/news/ref_001", headers=auth, params=query)
    return answer


def test_news_answers_as_the_spec_does_with_no_news_source(
    loaded: Runtime, client: TestClient, auth: dict[str, str]
) -> None:
    monitored = post(client, "/v3/aml/monitoring", auth).json()["job_id"]
    one_time = post(client, "/v3/aml", auth).json()["job_id"]
    missing = news(client, auth, monitored)
    assert missing.status_code == 400
    assert missing.json() == {"status": "Bad Request", "message": "news_category is required"}
    wrong = news(client, auth, monitored, news_category="gossip")
    assert wrong.status_code == 400 and wrong.json()["message"].startswith(
        "news_category must be one of: arms_trafficking, credit_update, environmental_crime,"
    )
    for bad in ({"page": "0"}, {"page": "101"}, {"limit": "x"}, {"limit": "101"}):
        answer = news(client, auth, monitored, news_category="financial_crime", **bad)
        assert answer.status_code == 400, bad
    for job_id in ("job_01h8x9y2z3a4b5c6d7e8f9g0h1", one_time):
        unknown = news(client, auth, job_id, news_category="financial_crime")
        assert unknown.status_code == 404
        assert unknown.json() == {"status": "Not Found", "message": "No AML job found for this partner"}
    known = news(client, auth, monitored, news_category="financial_crime", page="1", limit="25")
    assert known.status_code == 404
    assert known.json() == {"status": "Not Found", "message": "REF not found for this AML job"}


def test_news_of_another_users_job_is_not_found_with_a_user_bound_token(
    loaded: Runtime, client: TestClient, partner: PartnerCreds, auth: dict[str, str]
) -> None:
    job_id = client.post(
        "/v3/aml/monitoring", headers={**auth, "User-ID": "alice"}, files=form(**request())
    ).json()["job_id"]
    bob = {"SmileID-Token": token_for(client, partner, user_id="bob")}
    answer = news(client, bob, job_id, news_category="terrorism")
    assert answer.status_code == 404 and answer.json()["message"] == "No AML job found for this partner"
    alice = {"SmileID-Token": token_for(client, partner, user_id="alice")}
    assert (
        news(client, alice, job_id, news_category="terrorism").json()["message"]
        == "REF not found for this AML job"
    )


def test_a_token_scoped_to_another_product_is_refused(
    loaded: Runtime, client: TestClient, partner: PartnerCreds
) -> None:
    kyc = {"SmileID-Token": token_for(client, partner, product="enhanced_kyc")}
    refused = post(client, "/v3/aml", kyc)
    assert refused.status_code == 403
    assert refused.json() == {"status": "Forbidden", "message": "Product not enabled for this partner."}
    sync = post(client, "/v3/aml/sync", kyc)
    assert sync.status_code == 403
    assert (
        sync.json()["message"]
        == "This feature requires you to activate ID Validation for your Smile ID account."
    )
    assert post(client, "/v3/aml/monitoring", kyc).status_code == 403
    one_time = {"SmileID-Token": token_for(client, partner, product="one_time_aml")}
    assert post(client, "/v3/aml", one_time).status_code == 202
    assert post(client, "/v3/aml/monitoring", one_time).status_code == 403
    aml = {"SmileID-Token": token_for(client, partner, product="aml")}
    assert post(client, "/v3/aml/monitoring", aml).status_code == 202
    assert post(client, "/v3/aml/sync", aml).status_code == 200


def test_status_and_replay_of_a_screening_give_its_answer_and_body(
    loaded: Runtime, client: TestClient, auth: dict[str, str]
) -> None:
    job_id = post(client, "/v3/aml/sync", auth, callback_url=None).json()["job_id"]
    status = client.get(f"/v3/status/{job_id}", headers=auth)
    assert status.status_code == 200 and status.json()["status"] == "block"
    replayed = client.post(
        f"/v3/replay/{job_id}",
        headers=auth,
        files={"callback_url": (None, "https://partner.example.com/again")},
    )
    assert replayed.status_code == 202, replayed.text
    (delivery,) = deliveries(loaded, the_job(loaded, job_id))
    assert delivery.url == "https://partner.example.com/again" and delivery.wire == "v3"
    assert delivery.payload["product"] == "one_time_aml" and delivery.payload["no_of_persons_found"] == 1
    assert delivery.payload["people"][0]["name"] == "Vladimir Vladimirovich Putin"
