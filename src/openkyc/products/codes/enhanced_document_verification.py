"""Enhanced Document Verification's result codes (job_type 11): Document Verification's rows, its 0811
with one more reason, and the ID look-up's failures."""

from __future__ import annotations

from enum import StrEnum

from openkyc.products.codes.document_verification import DocumentVerification
from openkyc.products.codes.id_lookup import IdLookup
from openkyc.products.codes.rows import Outcome, ResultEntry


class EdvRejection(StrEnum):
    """Enhanced Document Verification's own reason for 0811: the authority contradicts the document."""

    AUTHORITY_MISMATCH = "The information on document did not match the ID authority record"


class EnhancedDocumentVerification:
    """Enhanced Document Verification (job_type 11): Document Verification's rows, its 0811 with one
    more reason, and the ID look-up's failures."""

    REJECTED = ResultEntry(
        DocumentVerification.REJECTED.code,
        DocumentVerification.REJECTED.text,
        DocumentVerification.REJECTED.description,
        Outcome.REJECTED,
        category="Rejected",
        reasons=(*DocumentVerification.REJECTED.reasons, *EdvRejection),
        origin="Smile ID's documentation Document Verification 0811, with the authority's contradiction as a reason",
    )
    ID_NOT_FOUND = IdLookup.ID_NOT_FOUND
    INVALID_ID_NUMBER = IdLookup.INVALID_ID_NUMBER
    AUTHORITY_UNAVAILABLE = IdLookup.AUTHORITY_UNAVAILABLE
    RATE_LIMITED = IdLookup.RATE_LIMITED
