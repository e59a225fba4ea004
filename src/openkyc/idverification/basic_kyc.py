"""Basic KYC: the partner's details matched against the record; no personal data is returned."""

from __future__ import annotations

from typing import Any

from openkyc.idverification.lookup import LookupOutcome
from openkyc.idverification.request import VerificationRequest
from openkyc.idverification.results import SOURCE, VerifyIdNumber, failure_action, failure_code, result_head
from openkyc.products.codes.id_lookup import IdLookup
from openkyc.products.codes.rows import ResultEntry
from openkyc.products.matching import FieldMatches, Match, match_person

_OVERALL: dict[Match, ResultEntry] = {
    Match.EXACT: IdLookup.EXACT_MATCH,
    Match.PARTIAL: IdLookup.PARTIAL_MATCH,
    Match.NONE: IdLookup.NO_MATCH,
}


def basic_kyc_result(request: VerificationRequest, outcome: LookupOutcome) -> tuple[dict[str, Any], bool]:
    """The wire result (less SmileJobID/PartnerParams) and whether the job succeeded (1020/1021)."""
    ids = {"Country": request.country, "IDType": request.id_type, "IDNumber": request.id_number}
    if outcome.record is None:
        if outcome.failure is None:
            raise ValueError("a look-up outcome with neither a record nor a failure")
        unknown = Match.UNABLE_TO_DETERMINE.value
        actions = {
            "Verify_ID_Number": failure_action(outcome.failure).value,
            "Names": unknown,
            "DOB": unknown,
            "Gender": unknown,
            "Phone_Number": unknown,
            "ID_Verification": unknown,
        }
        return {**result_head(failure_code(outcome.failure), actions), **ids, "Source": SOURCE}, False
    matches = match_person(request.person, outcome.record)
    overall = matches.overall
    head = result_head(_OVERALL[overall], match_actions(matches))
    return {**head, **ids, "Source": SOURCE}, overall is not Match.NONE


def match_actions(matches: FieldMatches) -> dict[str, str]:
    return {
        "Verify_ID_Number": VerifyIdNumber.VERIFIED.value,
        "Names": matches.names.value,
        "DOB": matches.dob.value,
        "Gender": matches.gender.value,
        "Phone_Number": matches.phone_number.value,
        "ID_Verification": matches.overall.value,
    }
