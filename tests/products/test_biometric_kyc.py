from __future__ import annotations

from datetime import date

import pytest

from openkyc.engine.evidence import Decision
from openkyc.engine.face.compare import FaceOutcome
from openkyc.engine.smart_selfie import SmartSelfieEvidence
from openkyc.products import Outcome, ProductResult, biometric_kyc, resolve_review
from openkyc.products.authority import AuthorityRecord, AuthorityUnavailable, InvalidIdNumber, RecordNotFound
from openkyc.products.biometric_kyc import Reference
from tests.products.factories import assert_well_formed, liveness, match, quality, selfie

RECORD = AuthorityRecord(full_name="Ada Obi Eze", dob="1990-04-02", gender="F", photo=b"\xff\xd8photo")
IDS = {"country": "NG", "id_type": "NIN", "id_number": "12345678901"}


def decide(
    evidence: SmartSelfieEvidence,
    *,
    reference: Reference = Reference.AUTHORITY_PHOTO,
    sandbox: bool = False,
    sandbox_result: str | None = None,
    record: AuthorityRecord = RECORD,
) -> ProductResult:
    result = biometric_kyc.decide(
        evidence, record, reference=reference, sandbox=sandbox, sandbox_result=sandbox_result, **IDS
    )
    assert_well_formed(result)
    return result


def test_the_holder_live_is_enrolled_with_the_authority_record() -> None:
    result = decide(selfie(compared=match()))
    assert (result.result_code, result.result_text, result.result_type) == ("0810", "Enroll User", "DIVA")
    assert result.outcome is Outcome.APPROVED and result.enrols_selfie
    assert result.actions["Verify_ID_Number"] == "Verified"
    assert result.actions["Return_Personal_Info"] == "Returned"
    assert result.actions["Selfie_To_ID_Authority_Compare"] == "Completed"
    assert result.actions["Selfie_To_ID_Card_Compare"] == "Not Applicable"
    assert result.actions["Liveness_Check"] == "Passed"
    assert result.actions["Register_Selfie"] == "Approved"
    wire = result.wire()
    assert (wire["FullName"], wire["DOB"], wire["Gender"]) == ("Ada Obi Eze", "1990-04-02", "F")
    assert (wire["Country"], wire["IDType"], wire["IDNumber"]) == ("NG", "NIN", "12345678901")
    assert wire["Address"] == "Not Available"
    assert "Photo" not in wire  # the authority's photo is biometric data: never on the wire


def test_another_person_fails() -> None:
    result = decide(selfie(compared=match(FaceOutcome.NO_MATCH)))
    assert (result.result_code, result.result_text) == ("0811", "Failed Enroll")
    assert result.actions["Selfie_To_ID_Authority_Compare"] == "Completed"
    assert result.actions["Register_Selfie"] == "Rejected" and not result.enrols_selfie
    assert result.confidence_value is not None and int(result.confidence_value) < 50


def test_the_id_photo_sent_as_the_selfie_fails() -> None:
    assert decide(selfie(compared=match(FaceOutcome.IDENTICAL_IMAGES))).result_code == "0811"


def test_failed_liveness_fails() -> None:
    result = decide(selfie(live=liveness(Decision.FAIL, ["liveness.replay"]), compared=match()))
    assert result.result_code == "0811" and result.actions["Liveness_Check"] == "Failed"


@pytest.mark.parametrize(
    ("evidence", "human_key"),
    [
        (
            selfie(live=liveness(Decision.REVIEW, ["liveness.unsure"]), compared=match()),
            "Human_Review_Liveness_Check",
        ),
        (selfie(faces=2, compared=match()), "Human_Review_Liveness_Check"),
        (selfie(compared=match(FaceOutcome.NO_FACE_B)), "Human_Review_Compare"),
        (selfie(compared=match(FaceOutcome.UNSURE)), "Human_Review_Compare"),
    ],
    ids=["liveness unsure", "several faces", "no face on the ID photo", "unsure match"],
)
def test_what_the_machine_cannot_settle_goes_to_a_reviewer(
    evidence: SmartSelfieEvidence, human_key: str
) -> None:
    result = decide(evidence)
    assert (result.result_code, result.result_text) == ("0814", "Provisional Enroll - Under Review")
    assert not result.is_final and result.actions[human_key] == "Under Review"
    assert result.actions["Register_Selfie"] == "Provisionally Approved"


def test_unusable_selfies() -> None:
    assert decide(selfie(faces=0)).result_code == "0911"
    poor = selfie(image_quality=quality(Decision.FAIL, ["quality.too_small"]), compared=match())
    assert decide(poor).result_code == "0912"


def test_the_id_card_stands_in_for_a_missing_authority_photo() -> None:
    result = decide(selfie(compared=match()), reference=Reference.ID_CARD)
    assert result.result_code == "0810"
    assert result.actions["Selfie_To_ID_Card_Compare"] == "Completed"
    assert result.actions["Selfie_To_ID_Authority_Compare"] == "ID Authority Photo Not Available"


def test_no_photo_at_all_cannot_be_verified_in_production() -> None:
    result = decide(selfie(), reference=Reference.NONE)
    assert (result.result_code, result.result_text) == ("0001", "ID Authority image not available")
    assert result.actions["Selfie_To_ID_Authority_Compare"] == "ID Authority Photo Not Available"
    assert not result.enrols_selfie


def test_the_sandbox_without_photos_decides_on_the_look_up_and_the_selfie() -> None:
    assert decide(selfie(), reference=Reference.NONE, sandbox=True).result_code == "0810"
    spoof = selfie(live=liveness(Decision.FAIL, ["liveness.replay"]))
    assert decide(spoof, reference=Reference.NONE, sandbox=True).result_code == "0811"


@pytest.mark.parametrize(("forced", "code"), [("0", "0810"), ("1", "0811"), ("2", "0814")])
def test_sandbox_result_forces_the_biometric_outcome(forced: str, code: str) -> None:
    evidence = selfie(compared=match(FaceOutcome.NO_MATCH))
    assert decide(evidence, sandbox=True, sandbox_result=forced).result_code == code
    # Production ignores it.
    assert decide(evidence, sandbox=False, sandbox_result="0").result_code == "0811"


@pytest.mark.parametrize(
    ("failure", "code", "verify"),
    [
        (RecordNotFound("x"), "1013", "Not Verified"),
        (InvalidIdNumber("x"), "1014", "Not Verified"),
        (AuthorityUnavailable("x"), "1015", "Issuer Unavailable"),
    ],
)
def test_look_up_failures(failure: Exception, code: str, verify: str) -> None:
    assert isinstance(failure, RecordNotFound | InvalidIdNumber | AuthorityUnavailable)
    result = biometric_kyc.lookup_failed(failure, **IDS)
    assert_well_formed(result)
    assert result.result_code == code and result.failed and result.is_final
    assert result.actions["Verify_ID_Number"] == verify
    assert result.actions["Return_Personal_Info"] == "Not Returned"
    assert result.wire()["FullName"] == "Not Available"


def test_rate_limited_look_up() -> None:
    result = biometric_kyc.rate_limited(**IDS)
    assert_well_formed(result)
    assert result.result_code == "2222" and result.actions["Verify_ID_Number"] == "Not Done"


def test_a_reviewer_settles_a_provisional_job() -> None:
    provisional = decide(selfie(compared=match(FaceOutcome.UNSURE)))
    approved = resolve_review(provisional, approve=True, reason=None)
    assert_well_formed(approved)
    assert (approved.result_code, approved.result_text) == ("1210", "Enroll User")
    assert approved.actions["Human_Review_Compare"] == "Passed" and approved.enrols_selfie
    assert approved.actions["Selfie_To_ID_Authority_Compare"] == "Completed"
    rejected = resolve_review(provisional, approve=False, reason=None)
    assert (rejected.result_code, rejected.result_text) == ("1211", "Failed Enroll")
    assert rejected.actions["Human_Review_Compare"] == "Failed" and not rejected.enrols_selfie


def test_a_reviewer_rejects_a_suspected_spoof() -> None:
    provisional = decide(selfie(live=liveness(Decision.REVIEW, ["liveness.unsure"]), compared=match()))
    rejected = resolve_review(provisional, approve=False, reason=None)
    assert rejected.result_code == "1212"
    assert rejected.actions["Human_Review_Liveness_Check"] == "Failed"


def test_a_review_keeps_the_missing_authority_photo() -> None:
    provisional = decide(selfie(compared=match(FaceOutcome.UNSURE)), reference=Reference.ID_CARD)
    rejected = resolve_review(provisional, approve=False, reason="no_match")
    assert rejected.actions["Selfie_To_ID_Authority_Compare"] == "ID Authority Photo Not Available"
    assert rejected.actions["Selfie_To_ID_Card_Compare"] == "Completed"


def test_record_dates_are_reported_only_where_they_mean_something() -> None:
    today = date(2026, 12, 3)

    def fields(**dates: str | None) -> tuple[str, str, str]:
        record = AuthorityRecord(full_name="Ada Obi Eze", **dates)  # type: ignore[arg-type]
        values = biometric_kyc.id_fields_of(record, **IDS, today=today)
        return values["DOB"], values["IssuanceDate"], values["ExpirationDate"]

    plausible = {"dob": "1990-04-02", "issuance_date": "2020-01-01", "expiration_date": "2030-01-01"}
    assert fields(**plausible) == ("1990-04-02", "2020-01-01", "2030-01-01")
    # Born in the future, or on a day no calendar has.
    assert fields(**{**plausible, "dob": "2027-01-01"})[0] == "Not Available"
    assert fields(**{**plausible, "dob": "1990-02-30"})[0] == "Not Available"
    # Issued before birth, and 50 years before expiry: the issue date is the odd one out.
    assert fields(**{**plausible, "issuance_date": "1980-01-01"}) == (
        "1990-04-02",
        "Not Available",
        "2030-01-01",
    )
    # Issued before birth, nothing else to tell which is wrong: neither is reported.
    assert fields(dob="1990-04-02", issuance_date="1980-01-01")[:2] == ("Not Available", "Not Available")
    # Expiring before issue.
    assert fields(**{**plausible, "expiration_date": "2019-01-01"}) == (
        "1990-04-02",
        "Not Available",
        "Not Available",
    )
    # The authority's own formats are passed on as it wrote them; ISO date-times keep their text.
    assert fields(dob="02/04/1990") == ("02/04/1990", "Not Available", "Not Available")
    assert fields(dob="1990-04-02T00:00:00Z")[0] == "1990-04-02T00:00:00Z"
