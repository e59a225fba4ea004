"""Engine evidence built by hand, combined the way the engine combines it.

Each builder takes the outcome a test wants (a liveness verdict, a face outcome, an expired
document) and fills the rest with the values a clean capture gives, so that a test states only
what it is about.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Literal

from openkyc.engine.document.analyse import DocumentEvidence, _weigh
from openkyc.engine.document.checks import (
    PhotocopyEvidence,
    check_age,
    check_expiry,
    check_image_spec,
)
from openkyc.engine.document.classify import DocumentKind, KindEvidence
from openkyc.engine.document.locate import LocateEvidence
from openkyc.engine.document.mrz.parse import MrzFields, MrzResult
from openkyc.engine.document.portrait import PortraitEvidence
from openkyc.engine.document.visual_zone import VisualZone, VizField
from openkyc.engine.document_verification import DocumentVerificationEvidence
from openkyc.engine.evidence import Decision, Evidence, Reason, worst
from openkyc.engine.face.compare import OPERATING_POINTS, REVIEW_FLOOR, FaceMatchEvidence, FaceOutcome
from openkyc.engine.images.quality import QualityEvidence
from openkyc.engine.liveness import LivenessEvidence
from openkyc.engine.smart_selfie import SelfieFace, SmartSelfieEvidence
from openkyc.products import ACTION_KEYS, RESULT_TYPES, ActionValue, ProductResult, find_entry

TODAY = date(2026, 5, 1)


def reasons(codes: Iterable[str]) -> list[Reason]:
    return [Reason(code=code, message=code.replace(".", ": ").replace("_", " ")) for code in codes]


def quality(decision: Decision = Decision.PASS, codes: Sequence[str] = ()) -> QualityEvidence:
    return QualityEvidence(
        decision=decision,
        reasons=reasons(codes),
        width=640,
        height=480,
        megapixels=0.307,
        sharpness=35.0 if codes else 140.0,
        brightness=118.0,
        underexposed_fraction=0.01,
        overexposed_fraction=0.0,
        glare_fraction=0.0,
        colourfulness=24.0,
        grayscale=False,
    )


def liveness(
    decision: Decision = Decision.PASS,
    codes: Sequence[str] = (),
    *,
    mode: Literal["active", "passive"] = "active",
) -> LivenessEvidence:
    frames = 8 if mode == "active" else 0
    return LivenessEvidence(
        decision=decision,
        reasons=reasons(codes),
        mode=mode,
        frames_received=frames,
        frames_with_face=frames,
        frame_similarities=[0.81] * frames,
        face_box=(210, 120, 430, 340),
    )


_MATCH_REASONS = {
    FaceOutcome.MATCH: [],
    FaceOutcome.UNSURE: ["face.unsure"],
    FaceOutcome.NO_MATCH: ["face.no_match"],
    FaceOutcome.NO_FACE_A: ["face.no_face_a"],
    FaceOutcome.NO_FACE_B: ["face.no_face_b"],
    FaceOutcome.IDENTICAL_IMAGES: ["face.identical_images"],
}
_TYPICAL_SCORES = {
    FaceOutcome.MATCH: 0.88,
    FaceOutcome.UNSURE: 0.70,
    FaceOutcome.NO_MATCH: 0.40,
    FaceOutcome.NO_FACE_A: None,
    FaceOutcome.NO_FACE_B: None,
    FaceOutcome.IDENTICAL_IMAGES: 0.97,
}


def match(
    outcome: FaceOutcome = FaceOutcome.MATCH, *, score: float | None = -1.0, multiple_faces: bool = False
) -> FaceMatchEvidence:
    """A comparison at the engine's default operating point; ``score`` -1: typical for the outcome."""
    if score == -1.0:
        score = _TYPICAL_SCORES[outcome]
    codes = list(_MATCH_REASONS[outcome])
    if multiple_faces and outcome in (FaceOutcome.MATCH, FaceOutcome.NO_MATCH):
        codes.append("face.multiple_faces")
    faces = (0 if outcome is FaceOutcome.NO_FACE_A else 1, 0 if outcome is FaceOutcome.NO_FACE_B else 1)
    return FaceMatchEvidence(
        decision={FaceOutcome.MATCH: Decision.PASS, FaceOutcome.UNSURE: Decision.REVIEW}.get(
            outcome, Decision.FAIL
        ),
        reasons=reasons(codes),
        outcome=outcome,
        score=score,
        operating_point="far_1e-3",
        threshold=OPERATING_POINTS["far_1e-3"],
        faces=faces,
        multiple_faces=multiple_faces,
        thresholds={**OPERATING_POINTS, "review_floor": REVIEW_FLOOR},
    )


def selfie(
    *,
    faces: int = 1,
    image_quality: QualityEvidence | None = None,
    live: LivenessEvidence | Literal["default"] | None = "default",
    compared: FaceMatchEvidence | None = None,
) -> SmartSelfieEvidence:
    """A SmartSelfie job's evidence, combined as ``assess_smart_selfie`` combines it."""
    image_quality = image_quality or quality()
    found = faces > 0
    face = SelfieFace(
        decision=Decision.PASS if found else Decision.FAIL,
        reasons=[] if found else reasons(["face.no_face_selfie"]),
        faces=faces,
        box=(210, 120, 430, 340) if found else None,
    )
    if live == "default":
        live = liveness() if found else None
    if not found:
        live, compared = None, None
    all_reasons = list(face.reasons)
    decisions = [face.decision]
    if image_quality.decision is Decision.FAIL:
        all_reasons += image_quality.reasons
        decisions.append(Decision.FAIL)
    for part in (live, compared):
        if part is not None:
            all_reasons += part.reasons
            decisions.append(part.decision)
    return SmartSelfieEvidence(
        decision=worst(decisions),
        reasons=all_reasons,
        face=face,
        quality=image_quality,
        liveness=live,
        match=compared,
    )


def mrz(
    *,
    valid: bool = True,
    number: str = "B00123456",
    surname: str = "DOE",
    given_names: str = "JOE LEO",
    sex: str = "M",
    birth: date | None = date(2000, 9, 20),
    expiry: date | None = date(2030, 9, 20),
    code: str = "P",
    country: str = "NGA",
) -> MrzResult:
    checks = {"number": True, "birth": True, "expiry": True, "personal": True, "composite": valid}
    return MrzResult(
        type="TD3",
        lines=["P<NGADOE<<JOE<LEO" + "<" * 27, "B00123456" + "0" * 35],
        valid=valid,
        checks=checks,
        fields=MrzFields(
            document_code=code,
            issuing_country=country,
            document_number=number,
            surname=surname,
            given_names=given_names,
            nationality=country,
            birth_date=birth.isoformat() if birth else None,
            expiry_date=expiry.isoformat() if expiry else None,
            sex=sex,
            optional_data="",
        ),
    )


def document(
    *,
    kind: DocumentKind = DocumentKind.PASSPORT,
    declared_id_type: str | None = "PASSPORT",
    declared_country: str | None = "NG",
    kind_matches: bool | None = True,
    machine_zone: MrzResult | Literal["default"] | None = "default",
    expiry: date | None = date(2030, 9, 20),
    birth: date | None = date(2000, 9, 20),
    photocopied: bool = False,
    image_quality: QualityEvidence | None = None,
    located: bool = True,
    portrait_found: bool = True,
    portrait_match: FaceMatchEvidence | Literal["default"] | None = "default",
    issue_date: str | None = "2020-09-20",
    consistency_codes: Sequence[str] = (),
) -> DocumentEvidence:
    """A document's evidence, weighed as ``analyse_document`` weighs it."""
    result = mrz(birth=birth, expiry=expiry) if machine_zone == "default" else machine_zone
    image_quality = image_quality or quality()
    kind_evidence = KindEvidence(
        decision=Decision.REVIEW if kind is DocumentKind.UNKNOWN else Decision.PASS,
        reasons=reasons(["document.kind_unknown"]) if kind is DocumentKind.UNKNOWN else [],
        kind=kind,
        confidence=0.95 if result is not None else 0.8,
        source="mrz" if result is not None else "keyword",
    )
    expiry_evidence = check_expiry(expiry, TODAY, source="mrz")
    age_evidence = check_age(birth, TODAY, source="mrz")
    photocopy = PhotocopyEvidence(
        decision=Decision.REVIEW if photocopied else Decision.PASS,
        reasons=reasons(["document.photocopy"]) if photocopied else [],
        photocopy=photocopied,
        colourfulness=2.0 if photocopied else 25.0,
        stored_grayscale=False,
        halftone=0.02,
        washed_out=0.01,
    )
    image_spec = check_image_spec(2400, 1700, 900_000, passport=kind is DocumentKind.PASSPORT)
    if portrait_match == "default":
        portrait_match = match() if portrait_found else None
    if portrait_found:
        assert portrait_match is None or isinstance(portrait_match, FaceMatchEvidence)
        portrait = PortraitEvidence(
            decision=portrait_match.decision if portrait_match is not None else Decision.PASS,
            reasons=[r for r in portrait_match.reasons if r.code != "face.multiple_faces"]
            if portrait_match
            else [],
            found=True,
            faces=1,
            box=(40, 120, 300, 420),
            match=portrait_match,
        )
    else:
        portrait = PortraitEvidence(
            decision=Decision.FAIL, reasons=reasons(["document.no_portrait"]), found=False, faces=0
        )
    locate = LocateEvidence(
        decision=Decision.PASS if located else Decision.REVIEW,
        reasons=[] if located else reasons(["document.not_found"]),
        found=located,
        method="edges" if located else "none",
        aspect_ratio=1.42,
        width=1600,
        height=1126,
    )
    fields = {}
    if issue_date:
        fields["issue_date"] = VizField(
            name="issue_date", value=issue_date, method="below", dates=[issue_date]
        )
    zone = VisualZone(fields=fields)
    weighed: list[Evidence] = [
        kind_evidence,
        expiry_evidence,
        age_evidence,
        photocopy,
        image_quality,
        portrait,
    ]
    weighed.append(image_spec)
    if consistency_codes:
        weighed.append(Evidence(decision=Decision.REVIEW, reasons=reasons(consistency_codes)))
    if not located and not (result is not None and result.valid):
        weighed.append(locate)
    extra = []
    if kind_matches is False:
        extra += reasons(["document.kind_mismatch"])
    if result is not None and not result.valid:
        extra += reasons(["document.mrz_invalid"])
    if result is None and kind is DocumentKind.PASSPORT:
        extra += reasons(["document.mrz_missing"])
    decision, all_reasons = _weigh(weighed, extra)
    if not located and locate.reasons[0] not in all_reasons:
        all_reasons.append(locate.reasons[0])
    return DocumentEvidence(
        decision=decision,
        reasons=all_reasons,
        locate=locate,
        kind=kind_evidence,
        declared_id_type=declared_id_type,
        declared_country=declared_country,
        kind_matches_declared=kind_matches,
        mrz=result,
        visual_zone=zone,
        expiry=expiry_evidence,
        age=age_evidence,
        photocopy=photocopy,
        image_spec=image_spec,
        quality=image_quality,
        portrait=portrait,
    )


def document_verification(
    doc: DocumentEvidence | None = None, person: SmartSelfieEvidence | None = None
) -> DocumentVerificationEvidence:
    """A DocV job's evidence, combined as ``assess_document_verification`` combines it."""
    doc = doc or document()
    person = person or selfie()
    return DocumentVerificationEvidence(
        decision=worst([doc.decision, person.decision]),
        reasons=[*doc.reasons, *person.reasons],
        document=doc,
        selfie=person,
    )


def assert_well_formed(result: ProductResult) -> None:
    """What every result must be: a catalogue row, the product's Actions in order, wire values."""
    entry = find_entry(result.product, result.result_code, result.result_text)
    assert entry.outcome is result.outcome
    assert entry.is_final is result.is_final
    assert list(result.actions) == [key.value for key in ACTION_KEYS[result.product]]
    assert set(result.actions.values()) <= {value.value for value in ActionValue}
    assert result.result_type == RESULT_TYPES[result.product]
    if not result.is_final:
        assert not result.enrols_selfie
        assert ActionValue.UNDER_REVIEW.value in result.actions.values() or (
            result.actions.get("Register_Selfie") == ActionValue.PROVISIONALLY_APPROVED.value
        )
    else:
        # Nothing is left under review in a final result.
        assert ActionValue.UNDER_REVIEW.value not in result.actions.values()
