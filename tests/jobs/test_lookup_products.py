"""Biometric KYC (1) and Enhanced Document Verification (11) through /v1/upload, end to end."""

from __future__ import annotations

import base64
from datetime import date
from pathlib import Path
from typing import Any

import cv2
import pytest

from openkyc.authorities.registry import import_csv
from openkyc.db import transaction
from openkyc.jobs.models import Job, JobState
from openkyc.partners import service as partners
from openkyc.ratelimit import service as ratelimit
from openkyc.runtime import Runtime
from openkyc.users import service as users
from testkit.documents import DocumentSpec, render_document
from tests.server import PartnerCreds, submit_and_process, upload_job

pytestmark = pytest.mark.slow

KE_ID = {"country": "KE", "id_type": "NATIONAL_ID", "id_number": "12345678", "entered": True}
NG_TEST = {"country": "NG", "id_type": "BVN", "entered": True}


@pytest.fixture
def production(runtime: Runtime, partner: PartnerCreds, examples: Path, tmp_path: Path) -> str:
    """Production enabled, and the registry holding KE 12345678 with Obama's photo."""
    with transaction(runtime.sessions) as session:
        partners.set_production_enabled(db_session=session, partner_id=partner.partner_id, enabled=True)
    runtime.key_cache.invalidate(partner.partner_id)
    csv = tmp_path / "records.csv"
    csv.write_text(
        "country,id_type,id_number,full_name,dob,gender,photo\n"
        f"KE,NATIONAL_ID,12345678,Barack Hussein Obama,1961-08-04,M,{examples / 'knn_examples' / 'test' / 'obama1.jpg'}\n",
        encoding="utf-8",
    )
    assert import_csv(runtime, csv).imported == 1
    return partner.production_key


def result_of(runtime: Runtime, smile_job_id: str) -> tuple[Job, dict[str, Any]]:
    with transaction(runtime.sessions) as session:
        job = session.get(Job, smile_job_id)
        assert job is not None and job.result is not None
        session.expunge(job)
    return job, job.result


def test_the_holder_is_verified_against_the_authority_photo_and_enrolled(
    runtime: Runtime, partner: PartnerCreds, examples: Path, production: str
) -> None:
    job_id = submit_and_process(
        runtime, partner, examples / "obama2.jpg", "bkyc-1", job_type=1, id_info=KE_ID, key=production
    )
    job, result = result_of(runtime, job_id)
    assert (result["ResultCode"], result["ResultText"], result["ResultType"]) == (
        "0810",
        "Enroll User",
        "DIVA",
    )
    assert result["Actions"]["Selfie_To_ID_Authority_Compare"] == "Completed"
    assert result["Actions"]["Verify_ID_Number"] == "Verified"
    assert (result["FullName"], result["DOB"], result["IDNumber"]) == (
        "Barack Hussein Obama",
        "1961-08-04",
        "12345678",
    )
    assert result["PartnerParams"]["job_type"] == 1 and job.state == JobState.COMPLETE
    with transaction(runtime.sessions) as session:
        user = users.find_user(
            db_session=session, partner_id=partner.partner_id, environment="production", user_id=job.user_id
        )
        assert user is not None and user.selfie_blob  # the selfie is now the user's registered face


def test_another_person_fails(
    runtime: Runtime, partner: PartnerCreds, examples: Path, production: str
) -> None:
    job_id = submit_and_process(
        runtime, partner, examples / "biden.jpg", "bkyc-2", job_type=1, id_info=KE_ID, key=production
    )
    job, result = result_of(runtime, job_id)
    assert (result["ResultCode"], result["ResultText"]) == ("0811", "Failed Enroll")
    assert job.state == JobState.FAILED and result["_success"] is False


def test_an_unknown_number_is_not_found_without_judging_the_selfie(
    runtime: Runtime, partner: PartnerCreds, examples: Path, production: str
) -> None:
    job_id = submit_and_process(
        runtime,
        partner,
        examples / "obama2.jpg",
        "bkyc-3",
        job_type=1,
        id_info={**KE_ID, "id_number": "87654321"},
        key=production,
    )
    _, result = result_of(runtime, job_id)
    assert result["ResultCode"] == "1013"
    assert result["Actions"]["Selfie_To_ID_Authority_Compare"] == "Not Applicable"


def test_sandbox_compares_with_the_id_card_when_the_authority_has_no_photo(
    runtime: Runtime, partner: PartnerCreds, examples: Path
) -> None:
    job_id = submit_and_process(
        runtime,
        partner,
        examples / "obama2.jpg",
        "bkyc-4",
        job_type=1,
        id_card=examples / "knn_examples" / "test" / "obama1.jpg",
        id_info={**NG_TEST, "id_number": "00000000000"},
    )
    _, result = result_of(runtime, job_id)
    assert result["ResultCode"] == "0810" and result["FullName"] == "Joe Leo Doe"
    assert result["Actions"]["Selfie_To_ID_Card_Compare"] == "Completed"
    assert result["Actions"]["Selfie_To_ID_Authority_Compare"] == "ID Authority Photo Not Available"


@pytest.mark.parametrize(("selfie", "code"), [("obama2.jpg", "0810"), ("biden.jpg", "0811")])
def test_sandbox_custom_photo_is_compared_as_the_authority_s(
    runtime: Runtime, partner: PartnerCreds, examples: Path, selfie: str, code: str
) -> None:
    photo = base64.b64encode((examples / "knn_examples" / "test" / "obama1.jpg").read_bytes()).decode()
    job_id = submit_and_process(
        runtime,
        partner,
        examples / selfie,
        f"bkyc-photo-{code}",
        job_type=1,
        id_info={**NG_TEST, "id_number": "00000000004"},
        Photo=photo,
        FullName="Barack Obama",
    )
    _, result = result_of(runtime, job_id)
    assert result["ResultCode"] == code and result["FullName"] == "Barack Obama"
    assert result["Actions"]["Selfie_To_ID_Authority_Compare"] == "Completed"


@pytest.mark.parametrize(("digit", "code"), [("1", "1013"), ("2", "1014"), ("3", "1015")])
def test_sandbox_test_numbers_select_the_look_up_failure(
    runtime: Runtime, partner: PartnerCreds, examples: Path, digit: str, code: str
) -> None:
    job_id = submit_and_process(
        runtime,
        partner,
        examples / "obama2.jpg",
        f"bkyc-digit-{digit}",
        job_type=1,
        id_info={**NG_TEST, "id_number": "0000000000" + digit},
    )
    _, result = result_of(runtime, job_id)
    assert result["ResultCode"] == code and result["_success"] is False


def test_a_malformed_number_is_a_1014_result_and_not_counted(
    runtime: Runtime, partner: PartnerCreds, examples: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ratelimit, "LIMIT", 1)
    bad = {**NG_TEST, "id_number": "12AB"}
    for attempt in range(2):  # the second would be blocked if the first had been counted
        job_id = submit_and_process(
            runtime, partner, examples / "obama2.jpg", f"bkyc-bad-{attempt}", job_type=1, id_info=bad
        )
        assert result_of(runtime, job_id)[1]["ResultCode"] == "1014"


@pytest.mark.parametrize(
    ("id_info", "code"),
    [
        ({"country": "NG", "id_type": "BVN", "entered": True}, "2213"),  # no number
        ({**NG_TEST, "id_type": "NOPE", "id_number": "00000000000"}, "2413"),
        ({}, "2213"),  # the Python SDK's all-null id_info
    ],
    ids=["no number", "unsupported id_type", "no id_info"],
)
def test_an_unusable_id_answers_the_upload(
    runtime: Runtime, partner: PartnerCreds, examples: Path, id_info: dict[str, Any], code: str
) -> None:
    params = {"user_id": "u", "job_id": f"bkyc-put-{code}-{len(id_info)}", "job_type": 1}
    upload = upload_job(runtime, partner, examples / "obama2.jpg", params, id_info=id_info)
    assert upload.put_status == 400 and upload.put_body["code"] == code
    with transaction(runtime.sessions) as session:
        job = session.get(Job, upload.smile_job_id)
        assert job is not None and job.state == JobState.AWAITING_UPLOAD  # not accepted, not lost


def test_the_rate_limit_answers_the_upload_before_any_look_up(
    runtime: Runtime, partner: PartnerCreds, examples: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ratelimit, "LIMIT", 1)
    id_info = {**NG_TEST, "id_number": "00000000000"}
    submit_and_process(runtime, partner, examples / "obama2.jpg", "bkyc-rl-1", job_type=1, id_info=id_info)
    params = {"user_id": "u", "job_id": "bkyc-rl-2", "job_type": 1}
    upload = upload_job(runtime, partner, examples / "obama2.jpg", params, id_info=id_info)
    assert upload.put_status == 429 and upload.put_body["code"] == "2222"


# Enhanced Document Verification (job_type 11): Document Verification, then the authority's record.

KE_PASSPORT = DocumentSpec(
    issuing_country="KEN",
    nationality="KEN",
    document_number="AK1234567",
    surname="OBAMA",
    given_names="BARACK HUSSEIN",
    birth_date=date(1961, 8, 4),
    sex="M",
)


@pytest.fixture
def passport(examples: Path, tmp_path: Path) -> Path:
    path = tmp_path / "passport.jpg"
    portrait = cv2.imread(str(examples / "knn_examples" / "test" / "obama1.jpg"))
    cv2.imwrite(
        str(path), render_document(KE_PASSPORT, portrait_bgr=portrait), [cv2.IMWRITE_JPEG_QUALITY, 92]
    )
    return path


def registry_with(runtime: Runtime, tmp_path: Path, line: str) -> None:
    csv = tmp_path / "passports.csv"
    csv.write_text(f"country,id_type,id_number,full_name,dob,gender\n{line}\n", encoding="utf-8")
    assert import_csv(runtime, csv).imported == 1


def test_edv_checks_the_number_read_from_the_document_against_the_record(
    runtime: Runtime, partner: PartnerCreds, examples: Path, passport: Path, production: str, tmp_path: Path
) -> None:
    registry_with(runtime, tmp_path, "KE,PASSPORT,AK1234567,Barack Hussein Obama,1961-08-04,M")
    job_id = submit_and_process(
        runtime,
        partner,
        examples / "obama2.jpg",
        "edv-1",
        job_type=11,
        id_card=passport,
        id_info={"country": "KE", "id_type": "PASSPORT"},
        key=production,
    )
    _, result = result_of(runtime, job_id)
    assert result["ResultType"] == "Document Verification"
    assert result["Actions"]["Verify_ID_Number"] == "Verified", result
    assert result["IDNumber"] == "AK1234567"
    assert (result["ResultCode"], result["ResultText"]) == ("0810", "Document Verified"), result
    decision = result["_decision"]
    assert {"authority.name.exact", "authority.dob.exact", "authority.id_number.exact"} <= set(
        decision["reasons"]
    )


def test_edv_rejects_a_document_the_record_contradicts(
    runtime: Runtime, partner: PartnerCreds, examples: Path, passport: Path, production: str, tmp_path: Path
) -> None:
    registry_with(runtime, tmp_path, "KE,PASSPORT,AK1234567,Grace Brewster Hopper,1906-12-09,F")
    job_id = submit_and_process(
        runtime,
        partner,
        examples / "obama2.jpg",
        "edv-2",
        job_type=11,
        id_card=passport,
        id_info={"country": "KE", "id_type": "PASSPORT", "id_number": "AK1234567"},
        key=production,
    )
    _, result = result_of(runtime, job_id)
    assert (result["ResultCode"], result["ResultText"]) == (
        "0811",
        "Unable to Verify Document - The information on document did not match the ID authority record",
    )


def test_edv_in_the_sandbox_follows_the_test_number(
    runtime: Runtime, partner: PartnerCreds, examples: Path, passport: Path
) -> None:
    job_id = submit_and_process(
        runtime,
        partner,
        examples / "obama2.jpg",
        "edv-3",
        job_type=11,
        id_card=passport,
        id_info={"country": "NG", "id_type": "PASSPORT", "id_number": "A00000001"},
    )
    _, result = result_of(runtime, job_id)
    assert result["ResultCode"] == "1013" and result["Actions"]["Verify_ID_Number"] == "Not Verified"


def test_an_unavailable_authority_gives_back_the_counted_look_up(
    runtime: Runtime, partner: PartnerCreds, examples: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ratelimit, "LIMIT", 1)
    id_info = {**NG_TEST, "id_number": "00000000003"}
    for attempt in range(2):  # counted at the PUT, given back after the 1015
        job_id = submit_and_process(
            runtime, partner, examples / "obama2.jpg", f"bkyc-down-{attempt}", job_type=1, id_info=id_info
        )
        assert result_of(runtime, job_id)[1]["ResultCode"] == "1015"
