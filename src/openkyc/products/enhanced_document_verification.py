"""Enhanced Document Verification (job_type 11): Document Verification, and the document's data
checked against the ID authority's record of its number.

The job is first decided as a Document Verification (:mod:`.document_verification`); this module
relabels that result as this product and adds the look-up. The number looked up is the partner's
``id_info.id_number``, else the one read from the document. First match wins:

* the Document Verification result is a rejection: that result (code, text, Actions), relabelled
  (its "Unable to Verify Document - reason" row becomes this product's, with the same reason;
  every other row is shared), Verify_ID_Number "Not Done": no look-up is made
  (:func:`needs_lookup` is False);
* no number to look up (neither the partner nor the document gave one): Unsupported ID number
  format (1014), Verify_ID_Number "Not Done", reason ``product.no_id_number``. Document
  Verification's 0812 would say the document is unclassified or invalid, which it need not be;
  the job lacks the number the enhanced check is about;
* the look-up failed: ID Number Not Found (1013) for no record (and for a refusal no adapter names),
  Unsupported ID number format (1014) for a number the authority refuses, both Verify_ID_Number
  "Not Verified"; ID Authority Unavailable (1015, retryable, not charged), "Issuer Unavailable";
* the record was found: the document's FullName, DOB and Gender, and its IDNumber against the
  number looked up (upper-cased, without spaces and dashes), are compared with the record under
  Basic KYC's rules (:mod:`openkyc.products.matching`). "Not Available" on the document is
  Not Provided, nothing on record is Unable To Determine; neither decides. Each field gives a
  reason ``authority.<name|dob|gender|id_number>.<exact|partial|no_match|not_provided|
  unable_to_determine>``. Then:

  * in the sandbox the record is the authority's fixed test record, which never matches a real
    document: the comparison is reported (reasons) but does not decide, as the sandbox does not
    decide on the document's authenticity either (reason ``product.sandbox_authority_record``);
  * No Match on the name or the DOB: Unable to Verify Document - The information on document did
    not match the ID authority record (0811), Verify_ID_Number "Verified" (the number exists; the
    document contradicts its record);
  * Partial Match on the name or the DOB, or No Match on the gender (a marker that records may
    hold differently, or that may have been changed) or on the ID number (an ID card's MRZ may
    carry the card's serial number rather than the holder's ID number): Provisional Enroll -
    Under Review (0814), Verify_ID_Number and Human_Review_Document_Check "Under Review", for a
    reviewer;
  * otherwise: the Document Verification result's row as it was (0810, 0817, or 0814 still
    waiting for its own reviewer), Verify_ID_Number "Verified".

Return_Personal_Info, the other Actions, ``id_fields`` (the document's data, never the record's),
``confidence_value`` and the Document Verification reasons are carried over; Register_Selfie
follows the new row when the row changes. Only a final approval enrols the selfie (the caller
adds the embedding with :meth:`ProductResult.with_enrolment`).

:func:`rate_limited`: the per-number rate limit refused the look-up: Error - ID number rate
limited (2222), Verify_ID_Number "Not Done".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from enum import StrEnum

from openkyc.products._lookup import failure_entry, verify_value
from openkyc.products.authority import AuthorityRecord, LookupFailure
from openkyc.products.catalogue import NOT_AVAILABLE, Action, ActionValue, IdField, Product, find_entry
from openkyc.products.codes.document_verification import DocumentVerification as Docv
from openkyc.products.codes.enhanced_document_verification import EdvRejection
from openkyc.products.codes.enhanced_document_verification import EnhancedDocumentVerification as Codes
from openkyc.products.codes.rows import ResultEntry
from openkyc.products.document_verification import register_value
from openkyc.products.matching import Match, match_dob, match_gender, match_names
from openkyc.products.result import ProductResult, build_result

PRODUCT = Product.ENHANCED_DOCUMENT_VERIFICATION
NO_ID_NUMBER_REASON = "product.no_id_number"
SANDBOX_RECORD_REASON = "product.sandbox_authority_record"
RATE_LIMITED_REASON = "ratelimit.id_number"


class Compared(StrEnum):
    """The fields of the document compared with the authority's record (reason code names)."""

    NAME = "name"
    DOB = "dob"
    GENDER = "gender"
    ID_NUMBER = "id_number"


# A No Match on these rejects. The gender and the number only ask a reviewer: gender markers are
# recorded differently or changed, and the number an ID card prints in its MRZ can be the card's
# serial rather than the holder's ID number, which a reviewer tells apart.
_DECISIVE = (Compared.NAME, Compared.DOB)
_REVIEWED_WHEN_DIFFERENT = (Compared.GENDER, Compared.ID_NUMBER)
# A Partial Match on these asks a reviewer.
_REVIEWED = (Compared.NAME, Compared.DOB)
_SLUGS = {
    Match.EXACT: "exact",
    Match.PARTIAL: "partial",
    Match.NONE: "no_match",
    Match.NOT_PROVIDED: "not_provided",
    Match.UNABLE_TO_DETERMINE: "unable_to_determine",
}
_NOT_NUMBER = re.compile(r"[\s\-]+")


def needs_lookup(docv: ProductResult) -> bool:
    """False when the Document Verification result already rejects the job (nothing to look up for)."""
    _check_docv(docv)
    return not docv.failed


def decide(
    docv: ProductResult,
    *,
    authority: AuthorityRecord | LookupFailure | None,
    looked_up_number: str | None,
    sandbox: bool,
) -> ProductResult:
    """Decide an enhanced document verification from its Document Verification result ``docv``.

    ``authority``: the record or the failure of the look-up of ``looked_up_number``; None when no
    look-up was made (``docv`` rejected, or no number to look up). Raises ValueError for a look-up
    result without the number it was made for, or for a ``docv`` of another product.
    """
    _check_docv(docv)
    if docv.failed:
        return _relabelled(docv)
    if authority is None:
        if looked_up_number is not None:
            raise ValueError("a number was looked up but the look-up gave neither a record nor a failure")
        return _derived(
            docv,
            Codes.INVALID_ID_NUMBER,
            verify=ActionValue.NOT_DONE,
            reasons=[NO_ID_NUMBER_REASON],
        )
    if isinstance(authority, LookupFailure):
        return _derived(
            docv,
            failure_entry(authority),
            verify=verify_value(authority),
            reasons=[f"authority.{type(authority).__name__}"],
        )
    return _compared(docv, authority, looked_up_number, sandbox=sandbox)


def rate_limited(docv: ProductResult) -> ProductResult:
    """The result of a job whose look-up the per-number rate limit refused.

    A Document Verification rejection still stands as it is (no look-up was due for it).
    """
    _check_docv(docv)
    if docv.failed:
        return _relabelled(docv)
    return _derived(docv, Codes.RATE_LIMITED, verify=ActionValue.NOT_DONE, reasons=[RATE_LIMITED_REASON])


def compare_with_record(
    id_fields: dict[str, str], record: AuthorityRecord, looked_up_number: str | None
) -> dict[Compared, Match]:
    """Each compared field of the document (``id_fields``, as Document Verification reads them)
    against the authority's ``record`` and the number looked up."""
    name = _read(id_fields, IdField.FULL_NAME)
    if record.first_name or record.last_name:
        on_record = [record.first_name, record.middle_name, record.last_name]
    else:
        on_record = [record.full_name]
    return {
        Compared.NAME: match_names([name], on_record),
        Compared.DOB: _compare(_read(id_fields, IdField.DOB), record.dob, match_dob),
        Compared.GENDER: _compare(_read(id_fields, IdField.GENDER), record.gender, match_gender),
        Compared.ID_NUMBER: _compare(_read(id_fields, IdField.ID_NUMBER), looked_up_number, _match_number),
    }


def _compared(
    docv: ProductResult, record: AuthorityRecord, looked_up_number: str | None, *, sandbox: bool
) -> ProductResult:
    matches = compare_with_record(docv.id_fields, record, looked_up_number)
    reasons = [f"authority.{field.value}.{_SLUGS[match]}" for field, match in matches.items()]
    entry, reason_text = _docv_entry(docv)
    verify = ActionValue.VERIFIED
    human_document: ActionValue | None = None
    if sandbox:
        reasons.append(SANDBOX_RECORD_REASON)
    elif any(matches[field] is Match.NONE for field in _DECISIVE):
        entry, reason_text = Codes.REJECTED, EdvRejection.AUTHORITY_MISMATCH
    elif any(matches[field] is Match.PARTIAL for field in _REVIEWED) or any(
        matches[field] is Match.NONE for field in _REVIEWED_WHEN_DIFFERENT
    ):
        entry, reason_text = Docv.UNDER_REVIEW, None
        verify = human_document = ActionValue.UNDER_REVIEW
    return _derived(
        docv,
        entry,
        verify=verify,
        reasons=reasons,
        reason_text=reason_text,
        human_document=human_document,
    )


def _derived(
    docv: ProductResult,
    entry: ResultEntry,
    *,
    verify: ActionValue,
    reasons: list[str],
    reason_text: str | None = None,
    human_document: ActionValue | None = None,
) -> ProductResult:
    """A result on ``entry`` carrying the Document Verification result's Actions, fields and reasons."""
    actions = _actions(docv)
    actions[Action.VERIFY_ID_NUMBER] = verify
    if human_document is not None:
        actions[Action.HUMAN_REVIEW_DOCUMENT_CHECK] = human_document
    register = actions.get(Action.REGISTER_SELFIE, ActionValue.NOT_APPLICABLE)
    if register is not ActionValue.NOT_APPLICABLE:  # "Not Applicable": the enrolled selfie was used
        actions[Action.REGISTER_SELFIE] = register_value(entry, enrolled=False)
    return build_result(
        PRODUCT,
        entry,
        actions=actions,
        reasons=[*docv.reasons, *reasons],
        reason_text=reason_text,
        confidence_value=docv.confidence_value,
        id_fields=docv.id_fields,
        enrols_selfie=docv.enrols_selfie,
    )


def _relabelled(docv: ProductResult) -> ProductResult:
    """The Document Verification rejection as this product's result; no look-up was made."""
    entry, reason_text = _docv_entry(docv)
    if entry is Docv.REJECTED:
        entry = Codes.REJECTED
    actions = _actions(docv)
    actions[Action.VERIFY_ID_NUMBER] = ActionValue.NOT_DONE
    return build_result(
        PRODUCT,
        entry,
        actions=actions,
        reasons=list(docv.reasons),
        reason_text=reason_text,
        confidence_value=docv.confidence_value,
        id_fields=docv.id_fields,
        enrols_selfie=docv.enrols_selfie,
        human_review=not docv.is_machine_result,
    )


def _docv_entry(docv: ProductResult) -> tuple[ResultEntry, str | None]:
    """The Document Verification row of ``docv`` and the reason its text was completed with."""
    entry = find_entry(Product.DOCUMENT_VERIFICATION, docv.result_code, docv.result_text)
    if not entry.takes_reason:
        return entry, None
    reason = next(reason for reason in entry.reasons if entry.text_with(reason) == docv.result_text)
    return entry, reason


def _actions(docv: ProductResult) -> dict[Action, ActionValue]:
    return {Action(key): ActionValue(value) for key, value in docv.actions.items()}


def _check_docv(docv: ProductResult) -> None:
    if docv.product is not Product.DOCUMENT_VERIFICATION:
        raise ValueError(f"expected a document_verification result, got {docv.product.value}")


def _read(id_fields: dict[str, str], name: IdField) -> str | None:
    value = id_fields.get(name.value, NOT_AVAILABLE).strip()
    return None if value in ("", NOT_AVAILABLE) else value


def _compare(on_document: str | None, reference: str | None, matcher: Callable[[str, str], Match]) -> Match:
    if not on_document:
        return Match.NOT_PROVIDED
    if not reference:
        return Match.UNABLE_TO_DETERMINE
    return matcher(on_document, reference)


def _match_number(on_document: str, looked_up: str) -> Match:
    ours, theirs = (_NOT_NUMBER.sub("", number).upper() for number in (on_document, looked_up))
    return Match.EXACT if ours == theirs else Match.NONE
