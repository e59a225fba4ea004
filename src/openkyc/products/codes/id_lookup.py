"""The ID look-up's result codes: one family, answered by Enhanced KYC (job_type 5), Basic KYC
(/v2/verify), and the look-up step of Biometric KYC and Enhanced Document Verification.

Texts: Smile ID's documentation gives no Enhanced/Basic KYC table. 1012 "ID Number Validated" is
the text compatibility §4.4 gives for this endpoint (the documentation's "ID Validated" is a
Biometric KYC history entry); 1014 "Unsupported ID number format" is quoted in §10.2; 1013, 1015
and the Basic KYC family 1020/1021/1022 (§11: "exact/partial/no match") are our own clear wording.
"""

from __future__ import annotations

from openkyc.products.codes.rows import Outcome, inferred

_LOOKUP = (
    "ID look-up codes of compatibility §10.2/§11; texts are openkyc's (Smile ID's documentation gives none)"
)
_ENHANCED_KYC = "compatibility §4.4, the Enhanced KYC result's text"
_BASIC_KYC = "compatibility §11 (exact/partial/no match); texts are openkyc's"


class IdLookup:
    """The ID look-up's rows. Biometric KYC and Enhanced Document Verification answer with its
    failures (1013/1014/1015, 2222); Enhanced KYC with 1012 or a failure; Basic KYC with
    1020/1021/1022 or a failure. Enhanced/Basic KYC results are always final: their outcome only
    says whether the job succeeded (Basic KYC: an exact or partial match)."""

    VALIDATED = inferred(
        "1012",
        "ID Number Validated",
        "The ID authority has a record of the ID number; its details are returned.",
        Outcome.APPROVED,
        _ENHANCED_KYC,
    )
    ID_NOT_FOUND = inferred(
        "1013",
        "ID Number Not Found",
        "The ID authority has no record of the ID number.",
        Outcome.REJECTED,
        _LOOKUP,
    )
    INVALID_ID_NUMBER = inferred(
        "1014",
        "Unsupported ID number format",
        "The ID number is not a valid number of the ID type (or a sandbox test number used in production).",
        Outcome.REJECTED,
        _LOOKUP,
    )
    AUTHORITY_UNAVAILABLE = inferred(
        "1015",
        "ID Authority Unavailable",
        "The ID authority could not be reached. The job is not charged; submit it again with retry.",
        Outcome.REJECTED,
        _LOOKUP,
    )
    RATE_LIMITED = inferred(
        "2222",
        "Error - ID number rate limited",
        "This ID number was looked up too often; the look-up was not made.",
        Outcome.REJECTED,
        "compatibility §11 (2222), as a job result for a look-up a queued job could not make",
    )
    EXACT_MATCH = inferred(
        "1020",
        "Exact Match",
        "Every detail the partner sent matches the ID authority's record.",
        Outcome.APPROVED,
        _BASIC_KYC,
    )
    PARTIAL_MATCH = inferred(
        "1021",
        "Partial Match",
        "Some of the details the partner sent match the ID authority's record.",
        Outcome.APPROVED,
        _BASIC_KYC,
    )
    NO_MATCH = inferred(
        "1022",
        "No Match",
        "None of the details the partner sent match the ID authority's record.",
        Outcome.REJECTED,
        _BASIC_KYC,
    )
