"""Biometric KYC (job_type 1): an ID look-up, and the selfie compared with the holder's ID photo.

The selfie is compared with the authority's photo of the holder when the authority has one, else
with the ID card image the partner sent (compatibility §3.2, image_type_id 1/3). The evidence
must come from ``assess_smart_selfie(..., reference=<that photo>)``. First match wins:

* the look-up failed: ID Number Not Found (1013), Unsupported ID number format (1014) or ID
  Authority Unavailable (1015, not charged, submit again with ``retry``); the selfie is not judged;
* wrong number of liveness frames: Data Invalid (0001);
* no face in the selfie: FAIL - No Face Found (0911);
* selfie unusable (resolution, blur): FAIL - Image Quality Judged Too Poor (0912);
* no photo to compare with (neither the authority's nor an ID card): ID Authority image not
  available (0001); in the sandbox, whose authority holds no photographs, the job is decided on
  the look-up and the selfie's own checks, and the comparison is reported "ID Authority Photo Not
  Available";
* another person, the ID photo itself sent as the selfie, or failed liveness: Failed Enroll (0811);
* liveness unsure, several faces in the selfie, no face in the ID photo, or a match that the
  stricter operating point does not confirm: Provisional Enroll - Under Review (0814), for a
  reviewer;
* otherwise: Enroll User (0810), and the selfie becomes the user's registered face.

``sandbox_result`` (sandbox only) forces the biometric outcome of a job whose look-up succeeded;
the look-up's own test outcomes (the test number's final digit) still apply.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from enum import StrEnum

from openkyc.engine.document.dates import resolve_dates
from openkyc.engine.evidence import Decision
from openkyc.engine.face.compare import FaceOutcome
from openkyc.engine.smart_selfie import SmartSelfieEvidence
from openkyc.products._lookup import failure_entry, verify_value
from openkyc.products._selfie import (
    SEVERAL_FACES_REASON,
    UNSURE_MATCH_REASON,
    SelfieFinding,
    check_value,
    examine_selfie,
    match_confidence,
    reason_codes,
    selfie_provided,
    unsure_match,
)
from openkyc.products.authority import AuthorityRecord, LookupFailure
from openkyc.products.catalogue import NOT_AVAILABLE, Action, ActionValue, IdField, Product
from openkyc.products.codes.biometric_kyc import BiometricKyc as Codes
from openkyc.products.codes.rows import ResultEntry
from openkyc.products.result import ProductResult, build_result
from openkyc.products.sandbox import SandboxResult, forced_reason, parse_sandbox_result

PRODUCT = Product.BIOMETRIC_KYC
NO_PHOTO_REASON = "product.no_id_photo_to_compare"


class Reference(StrEnum):
    """What the selfie was compared with."""

    AUTHORITY_PHOTO = "authority_photo"
    ID_CARD = "id_card"
    NONE = "none"


def lookup_failed(failure: LookupFailure, *, country: str, id_type: str, id_number: str) -> ProductResult:
    """The result of a job whose ID look-up failed: nothing else was checked."""
    entry = failure_entry(failure)
    verify = verify_value(failure)
    actions = {Action.VERIFY_ID_NUMBER: verify, Action.RETURN_PERSONAL_INFO: ActionValue.NOT_RETURNED}
    return build_result(
        PRODUCT,
        entry,
        actions=actions,
        reasons=[f"authority.{type(failure).__name__}"],
        id_fields=id_fields_of(None, country=country, id_type=id_type, id_number=id_number),
    )


def rate_limited(*, country: str, id_type: str, id_number: str) -> ProductResult:
    """The result of a job whose look-up the per-number rate limit refused."""
    actions = {
        Action.VERIFY_ID_NUMBER: ActionValue.NOT_DONE,
        Action.RETURN_PERSONAL_INFO: ActionValue.NOT_RETURNED,
    }
    return build_result(
        PRODUCT,
        Codes.RATE_LIMITED,
        actions=actions,
        reasons=["ratelimit.id_number"],
        id_fields=id_fields_of(None, country=country, id_type=id_type, id_number=id_number),
    )


def decide(
    evidence: SmartSelfieEvidence,
    record: AuthorityRecord,
    *,
    reference: Reference,
    sandbox: bool,
    sandbox_result: str | None,
    country: str,
    id_type: str,
    id_number: str,
) -> ProductResult:
    """Decide a Biometric KYC job whose look-up returned ``record``."""
    id_fields = id_fields_of(record, country=country, id_type=id_type, id_number=id_number)
    forced = parse_sandbox_result(sandbox_result) if sandbox else None
    if forced is not None:
        return _forced(evidence, forced, reference, id_fields)
    return _Decision(evidence, reference, sandbox=sandbox, id_fields=id_fields).result()


class _Decision:
    def __init__(
        self, evidence: SmartSelfieEvidence, reference: Reference, *, sandbox: bool, id_fields: dict[str, str]
    ) -> None:
        self.evidence = evidence
        self.reference = reference
        self.sandbox = sandbox
        self.id_fields = id_fields
        self.finding = examine_selfie(evidence)
        self.match = evidence.match
        self.reasons = reason_codes(evidence)
        liveness = evidence.liveness
        self.live = check_value(liveness.decision) if liveness is not None else ActionValue.NOT_APPLICABLE
        self.compare = ActionValue.COMPLETED if self.match is not None else ActionValue.NOT_APPLICABLE
        self.human_liveness: ActionValue | None = None
        self.human_compare: ActionValue | None = None

    def result(self) -> ProductResult:
        entry = self._entry()
        if entry in (Codes.DATA_INVALID, Codes.NO_FACE, Codes.NO_AUTHORITY_PHOTO):
            self.compare = ActionValue.NOT_APPLICABLE
        authority_compare, card_compare = self._comparisons()
        actions = {
            Action.LIVENESS_CHECK: self.live,
            Action.REGISTER_SELFIE: _register_value(entry),
            Action.SELFIE_PROVIDED: selfie_provided(self.evidence),
            Action.VERIFY_ID_NUMBER: ActionValue.VERIFIED,
            Action.RETURN_PERSONAL_INFO: returned(self.id_fields),
            Action.SELFIE_TO_ID_AUTHORITY_COMPARE: authority_compare,
            Action.SELFIE_TO_ID_CARD_COMPARE: card_compare,
        }
        if self.human_liveness is not None:
            actions[Action.HUMAN_REVIEW_LIVENESS_CHECK] = self.human_liveness
        if self.human_compare is not None:
            actions[Action.HUMAN_REVIEW_COMPARE] = self.human_compare
        return build_result(
            PRODUCT,
            entry,
            actions=actions,
            reasons=self.reasons,
            confidence_value=match_confidence(self.match),
            id_fields=self.id_fields,
            enrols_selfie=self.evidence.face.decision is Decision.PASS,
        )

    def _comparisons(self) -> tuple[ActionValue, ActionValue]:
        """(Selfie_To_ID_Authority_Compare, Selfie_To_ID_Card_Compare)."""
        if self.reference is Reference.AUTHORITY_PHOTO:
            return self.compare, ActionValue.NOT_APPLICABLE
        # No authority photo: that comparison could not be made, whatever replaced it.
        return ActionValue.ID_AUTHORITY_PHOTO_NOT_AVAILABLE, (
            self.compare if self.reference is Reference.ID_CARD else ActionValue.NOT_APPLICABLE
        )

    def _entry(self) -> ResultEntry:
        finding, match = self.finding, self.match
        if finding is SelfieFinding.DATA_INVALID:
            return Codes.DATA_INVALID
        if finding is SelfieFinding.NO_FACE or (match is not None and match.outcome is FaceOutcome.NO_FACE_A):
            return Codes.NO_FACE
        if finding is SelfieFinding.POOR_QUALITY:
            return Codes.POOR_QUALITY
        if self.reference is Reference.NONE and not self.sandbox:
            self.reasons.append(NO_PHOTO_REASON)
            return Codes.NO_AUTHORITY_PHOTO
        if match is not None and match.outcome in (FaceOutcome.NO_MATCH, FaceOutcome.IDENTICAL_IMAGES):
            # Another person; or the ID photo itself sent back as the selfie, which proves nothing
            # about a live person holding that ID.
            return Codes.MACHINE_FAIL
        if finding is SelfieFinding.SPOOF:
            return Codes.MACHINE_FAIL
        if finding in (SelfieFinding.SUSPECTED_SPOOF, SelfieFinding.SEVERAL_FACES):
            if finding is SelfieFinding.SEVERAL_FACES:
                self.reasons.append(SEVERAL_FACES_REASON)
            self.live = self.human_liveness = ActionValue.UNDER_REVIEW
            return Codes.UNDER_REVIEW
        if match is not None and (match.outcome is FaceOutcome.NO_FACE_B or unsure_match(match)):
            # No face on the ID photo is no fault of the user's; a reviewer compares.
            if match.outcome is FaceOutcome.UNSURE:
                self.reasons.append(UNSURE_MATCH_REASON)
            self.compare = self.human_compare = ActionValue.UNDER_REVIEW
            return Codes.UNDER_REVIEW
        if self.evidence.decision is not Decision.PASS:
            # A failure no rule here names: a reviewer, never a silent approval.
            self.compare = self.human_compare = (
                ActionValue.UNDER_REVIEW if match is not None else ActionValue.NOT_APPLICABLE
            )
            return Codes.UNDER_REVIEW
        return Codes.MACHINE_PASS


def _register_value(entry: ResultEntry) -> ActionValue:
    if entry is Codes.MACHINE_PASS:
        return ActionValue.APPROVED
    if entry is Codes.UNDER_REVIEW:
        return ActionValue.PROVISIONALLY_APPROVED
    return ActionValue.REJECTED


def _forced(
    evidence: SmartSelfieEvidence, forced: SandboxResult, reference: Reference, id_fields: dict[str, str]
) -> ProductResult:
    entry, live, compare = {
        SandboxResult.APPROVE: (Codes.MACHINE_PASS, ActionValue.PASSED, ActionValue.COMPLETED),
        SandboxResult.REJECT: (Codes.MACHINE_FAIL, ActionValue.PASSED, ActionValue.COMPLETED),
        SandboxResult.PROVISIONAL: (Codes.UNDER_REVIEW, ActionValue.PASSED, ActionValue.UNDER_REVIEW),
    }[forced]
    actions = {
        Action.LIVENESS_CHECK: live,
        Action.REGISTER_SELFIE: _register_value(entry),
        Action.SELFIE_PROVIDED: ActionValue.PASSED,
        Action.VERIFY_ID_NUMBER: ActionValue.VERIFIED,
        Action.RETURN_PERSONAL_INFO: returned(id_fields),
        Action.SELFIE_TO_ID_AUTHORITY_COMPARE: (
            compare
            if reference is Reference.AUTHORITY_PHOTO
            else ActionValue.ID_AUTHORITY_PHOTO_NOT_AVAILABLE
        ),
        Action.SELFIE_TO_ID_CARD_COMPARE: compare
        if reference is Reference.ID_CARD
        else ActionValue.NOT_APPLICABLE,
    }
    if entry is Codes.UNDER_REVIEW:
        actions[Action.HUMAN_REVIEW_COMPARE] = ActionValue.UNDER_REVIEW
    return build_result(
        PRODUCT,
        entry,
        actions=actions,
        reasons=[forced_reason(forced), *reason_codes(evidence)],
        confidence_value=match_confidence(evidence.match),
        id_fields=id_fields,
        # A selfie without a face cannot serve as anyone's reference face, forced or not.
        enrols_selfie=evidence.face.decision is Decision.PASS,
    )


def returned(id_fields: dict[str, str]) -> ActionValue:
    personal = (IdField.FULL_NAME, IdField.DOB, IdField.GENDER, IdField.PHONE_NUMBER, IdField.ADDRESS)
    read = any(id_fields.get(name, NOT_AVAILABLE) != NOT_AVAILABLE for name in personal)
    return ActionValue.RETURNED if read else ActionValue.NOT_RETURNED


_ISO_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:$|T)")


def _iso_day(value: str | None) -> date | str | None:
    """The calendar day of an ISO date (or date-time) string; None for nothing; the text itself
    when it is not ISO-shaped (an authority's own format is passed on as it wrote it)."""
    text = (value or "").strip()
    if not text:
        return None
    match = _ISO_DATE.match(text)
    if match is None:
        return text
    try:
        return date.fromisoformat(match[1])
    except ValueError:
        return None  # ISO-shaped but no calendar day ("2000-02-30"): means nothing


def record_dates(record: AuthorityRecord, *, today: date) -> tuple[str | None, str | None, str | None]:
    """The record's birth, issue and expiry dates, each reported only if it means something
    together with the others (:func:`openkyc.engine.document.dates.resolve_dates`: birth in the
    past, issue between birth and today, expiry after issue within a document's validity)."""
    texts = (record.dob, record.issuance_date, record.expiration_date)
    days = [_iso_day(value) for value in texts]
    birth, issue, expiry = (day if isinstance(day, date) else None for day in days)
    resolved = resolve_dates(
        birth=[birth] if birth else [],
        issue=[issue] if issue else [],
        expiry=[expiry] if expiry else [],
        today=today,
    )
    kept = (resolved.birth, resolved.issue, resolved.expiry)
    # The authority's own text where it is kept (or not a date this can judge), else nothing.
    dob, issued, expires = (
        text if isinstance(day, str) or (day is not None and meant is not None) else None
        for text, day, meant in zip(texts, days, kept, strict=True)
    )
    return dob, issued, expires


def id_fields_of(
    record: AuthorityRecord | None,
    *,
    country: str,
    id_type: str,
    id_number: str,
    today: date | None = None,
) -> dict[str, str]:
    """The ID's fields under their wire names: what was looked up, and the authority's record
    ("Not Available" where it holds nothing, or a date that means nothing: see
    :func:`record_dates`). The authority's photo is not put on the wire: it is the holder's
    biometric data, kept only as long as the comparison needs it."""
    values: dict[IdField, str | None] = {
        IdField.COUNTRY: country,
        IdField.ID_TYPE: id_type,
        IdField.ID_NUMBER: id_number,
    }
    if record is not None:
        full_name = record.full_name or " ".join(
            part for part in (record.first_name, record.middle_name, record.last_name) if part
        )
        dob, issued, expires = record_dates(record, today=today or datetime.now(UTC).date())
        values.update(
            {
                IdField.FULL_NAME: full_name,
                IdField.DOB: dob,
                IdField.GENDER: record.gender,
                IdField.EXPIRATION_DATE: expires,
                IdField.ISSUANCE_DATE: issued,
                IdField.SECONDARY_ID_NUMBER: record.secondary_id_number,
                IdField.PHONE_NUMBER: record.phone_number,
                IdField.PHONE_NUMBER_2: record.phone_number2,
                IdField.ADDRESS: record.address,
            }
        )
    return {key.value: (values.get(key) or "").strip() or NOT_AVAILABLE for key in IdField}
