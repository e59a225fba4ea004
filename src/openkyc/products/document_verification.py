"""Document Verification (job_type 6): an identity document, and the selfie of who presents it.

First match wins:

* wrong number of liveness frames: Data Invalid (0001);
* no face in the selfie, or an unusable selfie: Unable to Verify Document - Selfie unusable (0001);
* an unusable document image: Unable to Verify Document - ID Card image unusable (0001);
* a visa (a travel permission, not an identity document): Unsupported Document (0816);
* another kind of document than the partner declared: 0811, A wrong document type was uploaded;
* no portrait on the document: 0812, not classified / an invalid document image;
* a holder under 18: 0811, Based on the Date of Birth ...;
* the selfie is a copy of the portrait, or liveness fails: 0811, Selfie failed liveness checks;
* the selfie is another person: 0811, The selfie did not match the photo on document;
* anything the machine cannot settle (MRZ check digits, printed fields against the MRZ, unread
  dates, unknown document kind, an unsure liveness check, several faces): Provisional Enroll -
  Under Review (0814), for a reviewer;
* expired, or a photocopy, and nothing else: Approved with Attention (0817);
* otherwise: Document Verified (0810), and the selfie is enrolled.

In the sandbox the document's authenticity is not checked and it is always valid (Smile ID's documentation,
"Running in Sandbox"); the selfie is still compared with its portrait, and everything the page
does not exempt (the selfie's own checks) still applies.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from openkyc.engine.document.analyse import REASON_WEIGHT, DocumentEvidence
from openkyc.engine.document.classify import DocumentKind
from openkyc.engine.document.dates import resolve_dates
from openkyc.engine.document_verification import DocumentVerificationEvidence
from openkyc.engine.evidence import Decision
from openkyc.engine.face.compare import FaceOutcome
from openkyc.products._selfie import SEVERAL_FACES_REASON, SelfieFinding, check_value, examine_selfie
from openkyc.products.catalogue import NOT_AVAILABLE, Action, ActionValue, IdField, Product
from openkyc.products.codes.document_verification import DocumentVerification as Codes
from openkyc.products.codes.document_verification import DocvRejection, DocvUnverified
from openkyc.products.codes.rows import Outcome, ResultEntry
from openkyc.products.result import ProductResult, build_result
from openkyc.products.sandbox import SandboxResult, forced_reason, parse_sandbox_result

PRODUCT = Product.DOCUMENT_VERIFICATION

# Found on a document and valid, but worth a partner's attention (0817) rather than a rejection.
ATTENTION: dict[str, ResultEntry] = {
    "document.expired": Codes.EXPIRED,
    "document.photocopy": Codes.PHOTOCOPIED,
}
# Review reasons about the image as a document (Document_Check) rather than what it says
# (Verify_Document).
DOCUMENT_CHECK_REASONS = frozenset({"document.not_found", "document.kind_unknown"})
# Decisive reasons with a rule of their own below (a rejection code, or the selfie comparison).
SETTLED_REASONS = frozenset({"document.no_portrait", "document.kind_mismatch", "document.under_18"})
NOT_FOUND = "document.not_found"
PORTRAIT_MISSING_REASON = "product.no_usable_portrait"


def decide(
    evidence: DocumentVerificationEvidence,
    *,
    sandbox: bool,
    sandbox_result: str | None,
    use_enrolled_image: bool,
) -> ProductResult:
    """Decide a document verification.

    ``sandbox_result`` forces the outcome only when ``sandbox``. With ``use_enrolled_image`` the
    evidence's selfie is the user's enrolled one: its liveness was judged at enrolment, it is not
    enrolled again, and, where it was also assessed against the enrolled face (``reference``), its
    being that very photo (identical images) is expected while another person still rejects.
    """
    forced = parse_sandbox_result(sandbox_result) if sandbox else None
    if forced is not None:
        return _forced(evidence, forced, use_enrolled_image=use_enrolled_image)
    return _Decision(evidence, sandbox=sandbox, use_enrolled_image=use_enrolled_image).result()


class _Decision:
    """One job's decision; the checks are computed once and shared by the code and the Actions."""

    def __init__(self, evidence: DocumentVerificationEvidence, *, sandbox: bool, use_enrolled_image: bool):
        self.evidence = evidence
        self.document = evidence.document
        self.sandbox = sandbox
        self.enrolled = use_enrolled_image
        self.reasons = [reason.code for reason in evidence.reasons]
        self.finding = examine_selfie(evidence.selfie)
        portrait = self.document.portrait
        self.portrait_outcome = portrait.match.outcome if portrait.match is not None else None
        self.portrait_usable = portrait.found and self.portrait_outcome is not FaceOutcome.NO_FACE_A
        reference = evidence.selfie.match
        self.reference_outcome = reference.outcome if reference is not None else None
        # Liveness of an enrolled selfie was settled when it was enrolled.
        liveness = evidence.selfie.liveness
        self.liveness = None if self.enrolled or liveness is None else liveness.decision
        self.several_faces = not self.enrolled and self.finding is SelfieFinding.SEVERAL_FACES
        if self.several_faces:
            self.reasons.append(SEVERAL_FACES_REASON)

    def result(self) -> ProductResult:
        entry, reason_text = self._entry()
        document_check, verify_document = self._document_actions()
        id_fields = id_fields_of(self.document)
        live = check_value(self.liveness) if self.liveness is not None else ActionValue.NOT_APPLICABLE
        if self.several_faces and entry is Codes.UNDER_REVIEW:
            live = ActionValue.UNDER_REVIEW  # a second face is a presentation cue, as in SmartSelfie
        actions = {
            Action.DOCUMENT_CHECK: document_check,
            Action.LIVENESS_CHECK: live,
            Action.REGISTER_SELFIE: register_value(entry, enrolled=self.enrolled),
            Action.RETURN_PERSONAL_INFO: returned(id_fields),
            Action.SELFIE_TO_ID_CARD_COMPARE: (
                ActionValue.COMPLETED if self.portrait_outcome is not None else ActionValue.NOT_APPLICABLE
            ),
            Action.VERIFY_DOCUMENT: verify_document,
        }
        return build_result(
            PRODUCT,
            entry,
            actions=actions,
            reasons=self.reasons,
            reason_text=reason_text,
            id_fields=id_fields,
            enrols_selfie=not self.enrolled and self.evidence.selfie.face.decision is Decision.PASS,
        )

    def _entry(self) -> tuple[ResultEntry, str | None]:
        selfie = self._selfie_entry()
        if selfie is not None:
            return selfie
        if self.sandbox:
            return self._sandbox_entry()
        document = self.document
        if document.quality.decision is Decision.FAIL:
            return Codes.ID_CARD_UNUSABLE, None
        if document.kind.kind is DocumentKind.VISA:
            return Codes.UNSUPPORTED_DOCUMENT, None
        if document.kind_matches_declared is False:
            return Codes.REJECTED, DocvRejection.WRONG_DOCUMENT_TYPE
        if not self.portrait_usable:
            # Without a portrait there is no photo identity document to verify against the selfie.
            self.reasons.append(PORTRAIT_MISSING_REASON)
            unclassified = document.kind.kind is DocumentKind.UNKNOWN
            return Codes.UNVERIFIED, (
                DocvUnverified.NOT_CLASSIFIED if unclassified else DocvUnverified.INVALID_DOCUMENT_IMAGE
            )
        if document.age.decision is Decision.FAIL:
            return Codes.REJECTED, DocvRejection.UNDER_18
        face = self._face_entry()
        if face is not None:
            return face
        if self._selfie_needs_review() or self.open_document_reasons():
            return Codes.UNDER_REVIEW, None
        for code, entry in ATTENTION.items():
            if code in self.reasons:
                return entry, None
        return Codes.VERIFIED, None

    def _selfie_entry(self) -> tuple[ResultEntry, str | None] | None:
        if self.finding is SelfieFinding.DATA_INVALID:
            return Codes.DATA_INVALID, None
        if self.finding in (SelfieFinding.NO_FACE, SelfieFinding.POOR_QUALITY):
            # The general failure's own words: "Selfie image quality too poor and couldn't be
            # processed by system". A selfie with no face cannot be processed either.
            return Codes.SELFIE_UNUSABLE, None
        return None

    def _face_entry(self) -> tuple[ResultEntry, str | None] | None:
        """The selfie against the portrait (and the enrolled face): a spoof, or another person."""
        copied = self.portrait_outcome is FaceOutcome.IDENTICAL_IMAGES or (
            not self.enrolled and self.reference_outcome is FaceOutcome.IDENTICAL_IMAGES
        )
        # "A spoof was detected on the submitted selfie - if we believe the selfie has been tampered
        # with or is a picture of a picture": the portrait itself sent as the selfie is one.
        if copied or self.liveness is Decision.FAIL:
            return Codes.REJECTED, DocvRejection.LIVENESS
        if FaceOutcome.NO_MATCH in (self.portrait_outcome, self.reference_outcome):
            return Codes.REJECTED, DocvRejection.SELFIE_MISMATCH
        return None

    def _selfie_needs_review(self) -> bool:
        # No face in the enrolled image is no fault of the user's, and a comparison the engine is
        # unsure of is no verdict: a reviewer compares.
        return (
            self.liveness is Decision.REVIEW
            or self.several_faces
            or self.reference_outcome is FaceOutcome.NO_FACE_B
            or FaceOutcome.UNSURE in (self.portrait_outcome, self.reference_outcome)
        )

    def _sandbox_entry(self) -> tuple[ResultEntry, str | None]:
        # Only the selfie is judged: with the portrait (a document without one cannot match it),
        # and on its own.
        if self.portrait_outcome is FaceOutcome.IDENTICAL_IMAGES or self.liveness is Decision.FAIL:
            return Codes.REJECTED, DocvRejection.LIVENESS
        if not self.portrait_usable or FaceOutcome.NO_MATCH in (
            self.portrait_outcome,
            self.reference_outcome,
        ):
            return Codes.REJECTED, DocvRejection.SELFIE_MISMATCH
        if self._selfie_needs_review():
            return Codes.UNDER_REVIEW, None
        return Codes.VERIFIED, None

    def open_document_reasons(self) -> list[str]:
        """The document's decisive reasons that no rule settles: a reviewer's to settle.

        Not the ones with a rule of their own, nor the portrait comparison's (``face.*``, the
        selfie's business), nor an unusable image's quality reasons, nor mere attention.
        """
        if self.sandbox:
            return []
        unusable_image = self.document.quality.decision is Decision.FAIL
        return [
            code
            for code in decisive_reasons(self.document)
            if code not in ATTENTION
            and code not in SETTLED_REASONS
            and not code.startswith("face.")
            and not (unusable_image and code.startswith("quality."))
        ]

    def _document_actions(self) -> tuple[ActionValue, ActionValue]:
        """Document_Check (is this a usable identity document?) and Verify_Document (is it valid?)."""
        if self.sandbox:
            return ActionValue.PASSED, ActionValue.PASSED
        document = self.document
        unusable = (
            document.quality.decision is Decision.FAIL
            or document.kind.kind is DocumentKind.VISA
            or not self.portrait_usable
        )
        invalid = (
            unusable or document.kind_matches_declared is False or document.age.decision is Decision.FAIL
        )
        open_reasons = self.open_document_reasons()
        check_open = any(
            code in DOCUMENT_CHECK_REASONS or code.startswith("quality.") for code in open_reasons
        )
        document_check = (
            ActionValue.FAILED if unusable else ActionValue.UNDER_REVIEW if check_open else ActionValue.PASSED
        )
        verify = (
            ActionValue.FAILED
            if invalid
            else ActionValue.UNDER_REVIEW
            if open_reasons
            else ActionValue.PASSED
        )
        return document_check, verify


def decisive_reasons(document: DocumentEvidence) -> list[str]:
    """The document's reasons that weighed in its decision (fail or review), in its order.

    Weights are the engine's own (REASON_WEIGHT); a reason it does not list weighs what the
    evidence it came from decided (quality reasons: the quality check's decision).
    """
    not_found_weighed = not document.locate.found and not (document.mrz is not None and document.mrz.valid)
    decisive = []
    for reason in document.reasons:
        if reason.code == NOT_FOUND and not not_found_weighed:
            continue  # reported either way, decisive only when nothing else vouches for the document
        if reason.code in REASON_WEIGHT:
            weight = REASON_WEIGHT[reason.code]
        elif reason.code.startswith("quality."):
            weight = document.quality.decision
        else:
            weight = document.decision
        if weight is not None and weight is not Decision.PASS:
            decisive.append(reason.code)
    if not decisive and document.decision is not Decision.PASS:
        # The engine's decision without a reason behind it (an item that decided with none).
        decisive.append(f"document.{document.decision.value}")
    return list(dict.fromkeys(decisive))


def register_value(entry: ResultEntry, *, enrolled: bool) -> ActionValue:
    if enrolled:
        return ActionValue.NOT_APPLICABLE  # already the user's registered selfie
    if entry.outcome is Outcome.REJECTED:
        return ActionValue.REJECTED
    if entry.outcome is Outcome.PROVISIONAL:
        return ActionValue.PROVISIONALLY_APPROVED
    return ActionValue.APPROVED


def returned(id_fields: dict[str, str]) -> ActionValue:
    personal = (IdField.ID_NUMBER, IdField.FULL_NAME, IdField.DOB)
    read = any(id_fields.get(name, NOT_AVAILABLE) != NOT_AVAILABLE for name in personal)
    return ActionValue.RETURNED if read else ActionValue.NOT_RETURNED


def reported_dates(document: DocumentEvidence) -> tuple[date | None, date | None, date | None]:
    """Birth, issue and expiry dates as reported: the birth and expiry dates the engine judged the
    document on, and the printed issue date's reading that fits them, all three jointly plausible
    (birth in the past, issue between birth and that day, expiry after issue within the
    document's validity). A date that fits none of that is not reported: an issue date that
    contradicts the judged dates, or judged dates that contradict each other."""
    on = document.age.on or document.expiry.on or datetime.now(UTC).date()
    issue = document.visual_zone.fields.get("issue_date")
    resolved = resolve_dates(
        birth=[document.age.birth_date] if document.age.birth_date else [],
        issue=(issue.dates or issue.printed) if issue is not None else [],
        expiry=[document.expiry.expiry_date] if document.expiry.expiry_date else [],
        today=on,
        kind=None if document.kind.kind is DocumentKind.UNKNOWN else document.kind.kind.value,
        # What the engine judged on stands; the issue date must fit it.
        trusted=("birth", "expiry"),
    )
    return resolved.birth, resolved.issue, resolved.expiry


def id_fields_of(document: DocumentEvidence) -> dict[str, str]:
    """The document's fields under their wire names; "Not Available" for what was not read.

    The MRZ is preferred where its check digit vouches for the value; the printed field otherwise;
    an unchecked MRZ value last. Dates are the ones the engine judged the document on.
    """
    mrz = document.mrz
    zone = document.visual_zone
    checks = mrz.checks if mrz is not None else {}

    number = None
    if mrz is not None and checks.get("number") and mrz.fields.document_number:
        number = mrz.fields.document_number
    number = number or zone.value("document_number") or (mrz.fields.document_number if mrz else None)

    name = None
    if mrz is not None:
        name = " ".join(part for part in (mrz.fields.given_names, mrz.fields.surname) if part)
    if not name:
        name = zone.value("full_name") or " ".join(
            part for part in (zone.value("given_names"), zone.value("surname")) if part
        )

    gender = mrz.fields.sex if mrz is not None else None
    if gender not in ("M", "F"):
        printed = (zone.value("sex") or "").strip().upper()
        gender = printed if printed in ("M", "F") else None

    birth, issue, expiry = reported_dates(document)
    values: dict[IdField, str | None] = {
        IdField.COUNTRY: document.declared_country or (mrz.fields.issuing_country if mrz else None),
        IdField.ID_TYPE: document.declared_id_type,
        IdField.ID_NUMBER: number,
        IdField.FULL_NAME: name,
        IdField.DOB: birth.isoformat() if birth else None,
        IdField.GENDER: gender,
        IdField.EXPIRATION_DATE: expiry.isoformat() if expiry else None,
        IdField.ISSUANCE_DATE: issue.isoformat() if issue else None,
        # Not read by the engine: secondary numbers, phone numbers and addresses.
        IdField.SECONDARY_ID_NUMBER: None,
        IdField.PHONE_NUMBER: None,
        IdField.PHONE_NUMBER_2: None,
        IdField.ADDRESS: None,
    }
    return {
        key.value: (value.strip() if value and value.strip() else NOT_AVAILABLE)
        for key, value in values.items()
    }


def _forced(
    evidence: DocumentVerificationEvidence, forced: SandboxResult, *, use_enrolled_image: bool
) -> ProductResult:
    entry: ResultEntry
    reason_text: str | None = None
    compare = ActionValue.COMPLETED
    document = ActionValue.PASSED
    if forced is SandboxResult.APPROVE:
        entry = Codes.VERIFIED
    elif forced is SandboxResult.REJECT:
        # The sandbox judges the selfie against the portrait only, so that is its rejection.
        entry, reason_text = Codes.REJECTED, DocvRejection.SELFIE_MISMATCH
    else:
        entry = Codes.UNDER_REVIEW
        document = ActionValue.UNDER_REVIEW
    id_fields = id_fields_of(evidence.document)
    actions = {
        Action.DOCUMENT_CHECK: ActionValue.PASSED,
        Action.LIVENESS_CHECK: ActionValue.NOT_APPLICABLE if use_enrolled_image else ActionValue.PASSED,
        Action.REGISTER_SELFIE: register_value(entry, enrolled=use_enrolled_image),
        Action.RETURN_PERSONAL_INFO: returned(id_fields),
        Action.SELFIE_TO_ID_CARD_COMPARE: compare,
        Action.VERIFY_DOCUMENT: document,
    }
    return build_result(
        PRODUCT,
        entry,
        actions=actions,
        reasons=[forced_reason(forced), *(reason.code for reason in evidence.reasons)],
        reason_text=reason_text,
        id_fields=id_fields,
        enrols_selfie=not use_enrolled_image and evidence.selfie.face.decision is Decision.PASS,
    )
