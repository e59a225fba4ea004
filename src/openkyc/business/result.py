"""The job result of a business look-up, as the wire shows it (compatibility §4.5).

Success carries the fixture's codes and the business's data. A failed look-up is still a job
result (HTTP 200), with the ID API's 1013/1014/1015 family (§11) and no business data, as Enhanced
KYC answers for persons. ``_success`` is our bookkeeping for job_status and never leaves the server.
"""

from __future__ import annotations

from typing import Any

from openkyc.business.base import (
    AuthorityUnavailable,
    BusinessRecord,
    InvalidIdNumber,
    LookupFailure,
)

RESULT_TYPE = "Business Verification"
VERIFIED = ("1012", "Business Verified")
NOT_FOUND = ("1013", "Business Not Found")
INVALID_NUMBER = ("1014", "Invalid Business Number")
UNAVAILABLE = ("1015", "Business Registry Unavailable")


def _job_keys(smile_job_id: str, partner_params: dict[str, Any]) -> dict[str, Any]:
    return {"SmileJobID": smile_job_id, "PartnerParams": partner_params, "ResultType": RESULT_TYPE}


def verified_result(
    smile_job_id: str, partner_params: dict[str, Any], record: BusinessRecord
) -> dict[str, Any]:
    code, text = VERIFIED
    return {
        **_job_keys(smile_job_id, partner_params),
        "ResultText": text,
        "ResultCode": code,
        "Actions": {"Verify_Business": "Verified", "Return_Business_Info": "Returned"},
        "company_information": record.company.wire(),
        "fiduciaries": [party.wire() for party in record.fiduciaries],
        "beneficial_owners": [party.wire() for party in record.beneficial_owners],
        "proprietors": [party.wire() for party in record.proprietors],
        "documents": {"search_certificate": record.search_certificate},
        "directors": [party.wire() for party in record.directors],
        "success": True,
        "_success": True,
    }


def failed_result(
    smile_job_id: str, partner_params: dict[str, Any], failure: LookupFailure
) -> dict[str, Any]:
    if isinstance(failure, InvalidIdNumber):
        (code, text), verify = INVALID_NUMBER, "Not Verified"
    elif isinstance(failure, AuthorityUnavailable):
        (code, text), verify = UNAVAILABLE, "Issuer Unavailable"
    else:  # RecordNotFound and any failure a registry adapter adds later
        (code, text), verify = NOT_FOUND, "Not Verified"
    return {
        **_job_keys(smile_job_id, partner_params),
        "ResultText": text,
        "ResultCode": code,
        "Actions": {"Verify_Business": verify, "Return_Business_Info": "Not Returned"},
        "success": False,
        "_success": False,
    }
