"""Enhanced KYC (job_type 5): the authority's record returned as the job result (compatibility §4.4)."""

from __future__ import annotations

import base64
from typing import Any

from openkyc.idverification.lookup import LookupOutcome
from openkyc.idverification.request import VerificationRequest
from openkyc.idverification.results import (
    NOT_AVAILABLE,
    SOURCE,
    VerifyIdNumber,
    failure_action,
    failure_code,
    result_head,
)
from openkyc.products.authority import AuthorityRecord
from openkyc.products.codes.id_lookup import IdLookup

# Result key -> record field, in the order of the §4.4 sample.
_PERSONAL_FIELDS = (
    ("ExpirationDate", "expiration_date"),
    ("FullName", "full_name"),
    ("FirstName", "first_name"),  # §10.2: derived from FullName, so partners can rely on them
    ("MiddleName", "middle_name"),
    ("LastName", "last_name"),
    ("DOB", "dob"),
    ("PhoneNumber", "phone_number"),
    ("PhoneNumber2", "phone_number2"),
    ("Gender", "gender"),
    ("Address", "address"),
    ("IssuanceDate", "issuance_date"),
    ("SecondaryIDNumber", "secondary_id_number"),
)


def enhanced_kyc_result(request: VerificationRequest, outcome: LookupOutcome) -> tuple[dict[str, Any], bool]:
    """The wire result (less SmileJobID/PartnerParams) and whether the job succeeded."""
    ids = {"Country": request.country, "IDType": request.id_type, "IDNumber": request.id_number}
    if outcome.record is None:
        if outcome.failure is None:
            raise ValueError("a look-up outcome with neither a record nor a failure")
        actions = {
            "Verify_ID_Number": failure_action(outcome.failure).value,
            "Return_Personal_Info": "Not Returned",
        }
        personal: dict[str, Any] = {key: NOT_AVAILABLE for key, _ in _PERSONAL_FIELDS}
        head = result_head(failure_code(outcome.failure), actions)
        return {**head, **ids, **personal, "Photo": NOT_AVAILABLE, "FullData": {}, "Source": SOURCE}, False
    record = outcome.record
    actions = {"Verify_ID_Number": VerifyIdNumber.VERIFIED.value, "Return_Personal_Info": "Returned"}
    personal = personal_fields(record)
    photo = base64.b64encode(record.photo).decode("ascii") if record.photo else NOT_AVAILABLE
    full_data = {**{k: v for k, v in personal.items() if v != NOT_AVAILABLE}, **record.full_data}
    head = result_head(IdLookup.VALIDATED, actions)
    return {**head, **ids, **personal, "Photo": photo, "FullData": full_data, "Source": SOURCE}, True


def personal_fields(record: AuthorityRecord) -> dict[str, str]:
    return {key: getattr(record, name) or NOT_AVAILABLE for key, name in _PERSONAL_FIELDS}
