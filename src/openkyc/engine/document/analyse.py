"""The document-verification evidence: one entry point over the checks of this package.

Order matters for speed: the document is cut out first, OCR runs once on that crop (at a bounded
size) and its lines serve the MRZ reader, the visual zone and the classifier; turning the crop
upright moves the OCR boxes instead of reading again. The portrait's face detection is shared
with the orientation fallback and the selfie comparison.

The engine knows no result codes: the decision comes with machine-readable reasons, and products
map those to their codes.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pydantic import Field

from openkyc.engine.document.checks import (
    AgeEvidence,
    ExpiryEvidence,
    ImageSpecEvidence,
    PhotocopyEvidence,
    check_age,
    check_expiry,
    check_image_spec,
    check_photocopy,
)
from openkyc.engine.document.classify import (
    DocumentKind,
    KindEvidence,
    classify_document,
    kind_matches_id_type,
)
from openkyc.engine.document.consistency import ConsistencyEvidence, check_consistency
from openkyc.engine.document.locate import (
    LocateEvidence,
    locate_document,
    reshape_to_format,
    rotate_lines,
    text_is_vertical,
)
from openkyc.engine.document.mrz.parse import MrzResult
from openkyc.engine.document.mrz.read import MrzReading, normalise_text, read_mrz
from openkyc.engine.document.ocr import OcrLine, run_ocr
from openkyc.engine.document.portrait import PortraitEvidence, check_portrait, find_portrait
from openkyc.engine.document.visual_zone import VisualZone, is_mrz_line, read_visual_zone
from openkyc.engine.evidence import Decision, Evidence, Reason, worst
from openkyc.engine.face.analyse import FaceAnalysis
from openkyc.engine.face.compare import FaceMatchEvidence
from openkyc.engine.face.detect import DetectedFace
from openkyc.engine.images.decode import DecodedImage
from openkyc.engine.images.quality import QualityEvidence, QualityThresholds, assess_quality
from openkyc.engine.images.resize import fit_long_side
from openkyc.engine.timing import StageTimer

# OCR reads the crop at this long side: enough for visual-zone print and the MRZ on ID-1 cards,
# and OCR time grows with pixels.
OCR_LONG_SIDE = 1280
# Documents are photographed, not scanned: hold them to a lower sharpness bar than selfies.
DOCUMENT_QUALITY = QualityThresholds(min_long_side=400, min_short_side=250, min_sharpness=25.0)

# How much each reason weighs in the overall decision. Reasons not listed take the decision of the
# evidence they came from. ``None``: reported, never decisive (the capture specification).
REASON_WEIGHT: dict[str, Decision | None] = {
    "document.under_18": Decision.FAIL,
    "document.kind_mismatch": Decision.FAIL,
    "document.no_portrait": Decision.FAIL,
    "face.no_match": Decision.FAIL,
    "face.no_face_b": Decision.FAIL,
    "face.identical_images": Decision.FAIL,
    "document.expired": Decision.REVIEW,
    "document.expiry_unknown": Decision.REVIEW,
    "document.birth_date_unknown": Decision.REVIEW,
    "document.birth_date_invalid": Decision.REVIEW,
    "document.photocopy": Decision.REVIEW,
    "document.mrz_invalid": Decision.REVIEW,
    "document.mrz_missing": Decision.REVIEW,
    "document.mrz_viz_mismatch": Decision.REVIEW,
    "document.not_found": Decision.REVIEW,
    "document.kind_unknown": Decision.REVIEW,
    "quality.grayscale": None,  # judged by the photocopy check, on the document alone
    "document.image_resolution_below_spec": None,
    "document.image_size_outside_spec": None,
}


class DocumentEvidence(Evidence):
    """Everything learnt about one identity document (and the selfie against its portrait).

    The cropped, upright document image is not serialised: read it from :attr:`image`.
    """

    locate: LocateEvidence
    kind: KindEvidence
    declared_id_type: str | None = None
    declared_country: str | None = None
    # None when it cannot be judged (no declared type, unknown kind, low confidence).
    kind_matches_declared: bool | None = None
    mrz: MrzResult | None = None
    # The MRZ lines as read (after repair), and which image they came from ("front" or "back").
    mrz_lines: list[str] = Field(default_factory=list)
    mrz_side: str | None = None
    visual_zone: VisualZone
    consistency: ConsistencyEvidence | None = None
    expiry: ExpiryEvidence
    age: AgeEvidence
    photocopy: PhotocopyEvidence
    image_spec: ImageSpecEvidence
    quality: QualityEvidence
    portrait: PortraitEvidence
    timings_ms: dict[str, float] = Field(default_factory=dict)

    @property
    def image(self) -> NDArray[Any]:
        """The cropped, upright document (BGR): the ``Document`` image returned to partners."""
        return self.locate.image

    @property
    def face_match(self) -> FaceMatchEvidence | None:
        return self.portrait.match


def _ocr(image: NDArray[Any]) -> list[OcrLine]:
    """One OCR pass at :data:`OCR_LONG_SIDE`, boxes in ``image``'s own coordinates."""
    small, scale = fit_long_side(image, OCR_LONG_SIDE)
    if scale == 1.0:
        return run_ocr(image)
    return [
        OcrLine(text=line.text, box=(line.box / scale).astype(np.float32), confidence=line.confidence)
        for line in run_ocr(small)
    ]


def has_mrz_text(lines: list[OcrLine]) -> bool:
    """Whether any line could be an MRZ line (then the MRZ reader needs no extra OCR passes)."""
    for line in lines:
        clean = normalise_text(line.text)
        raw = "".join(line.text.split())
        lower = sum(c.islower() for c in raw if c.isascii())
        mostly_mrz = len(clean) >= 0.8 * len(raw) and lower <= max(1, len(raw) // 10)
        # A filler run marks an MRZ row even when the OCR cut it short ("P<AUSCITIZEN<<").
        if mostly_mrz and (
            (len(clean) >= 12 and "<<" in clean)
            or (len(clean) >= 20 and sum(c.isdigit() for c in clean) >= 8)
        ):
            return True
    return False


def _read_side(image: NDArray[Any]) -> tuple[LocateEvidence, list[OcrLine], MrzReading | None]:
    """Locate, OCR once and read the MRZ of one side; turns the crop upright where the MRZ or the
    text direction says how."""
    located = locate_document(image)
    lines = _ocr(located.image)
    if text_is_vertical(lines):
        shape = located.image.shape[:2]
        located = located.turned(1, "text")
        lines = rotate_lines(lines, 1, (shape[0], shape[1]))
    reading = read_mrz(located.image, ocr_lines=lines) if has_mrz_text(lines) else None
    result = reading.result if reading is not None else None
    if reading is not None and result is not None:
        turns = mrz_turns(reading, located)
        if turns:
            shape = located.image.shape[:2]
            lines = rotate_lines(lines, turns, (shape[0], shape[1]))
            located = located.turned(turns, "mrz")
            if not result.valid:
                # The MRZ reader re-reads a doubtful band from the image; give it the upright one.
                again = read_mrz(located.image, ocr_lines=lines)
                if again.result is not None and sum(again.result.checks.values()) >= sum(
                    result.checks.values()
                ):
                    reading, result = again, again.result
        else:
            located = located.model_copy(update={"orientation_source": "mrz"}).with_image(located.image)
        if located.found:
            wanted = "ID-1" if result.type == "TD1" else "TD3"
            reshaped, factor = reshape_to_format(located.image, wanted)
            if factor != 1.0:
                lines = [
                    OcrLine(
                        text=line.text,
                        box=(line.box * np.array([1.0, factor], np.float32)).astype(np.float32),
                        confidence=line.confidence,
                    )
                    for line in lines
                ]
                located = located.model_copy(
                    update={
                        "document_format": wanted,
                        "height": int(reshaped.shape[0]),
                        "aspect_ratio": round(reshaped.shape[1] / reshaped.shape[0], 4),
                    }
                ).with_image(reshaped)
    return located, lines, reading


def mrz_turns(reading: MrzReading, located: LocateEvidence) -> int:
    """Quarter turns (np.rot90) that put the MRZ where ICAO 9303 prints it: along the bottom.

    On a located (landscape) document the MRZ band's position decides; on a whole photo, where the
    document may sit anywhere, the reader's own line order does.
    """
    if located.found and reading.region:
        centre_y = float(np.mean([y for _, y in reading.region]))
        return 2 if centre_y < located.image.shape[0] / 2 else 0
    return (reading.rotation // 90) % 4


def _pick_date(
    mrz_value: str | None, mrz_checked: bool, viz_dates: list[str]
) -> tuple[date | None, str | None]:
    """The date to judge on: the MRZ's when its check digit holds, else the printed one, else the
    MRZ's unchecked."""
    if mrz_value and mrz_checked:
        return date.fromisoformat(mrz_value), "mrz"
    if viz_dates:
        return date.fromisoformat(viz_dates[0]), "visual_zone"
    if mrz_value:
        return date.fromisoformat(mrz_value), "mrz_unchecked"
    return None, None


def _weigh(evidence: list[Evidence], extra: list[Reason]) -> tuple[Decision, list[Reason]]:
    decisions: list[Decision] = []
    reasons: list[Reason] = []
    for item in evidence:
        if not item.reasons and item.decision is not Decision.PASS:
            decisions.append(item.decision)
        for reason in item.reasons:
            weight = REASON_WEIGHT.get(reason.code, item.decision)
            if weight is not None:
                decisions.append(weight)
            if reason not in reasons:
                reasons.append(reason)
    for reason in extra:
        decisions.append(REASON_WEIGHT.get(reason.code) or Decision.REVIEW)
        reasons.append(reason)
    return worst(decisions), reasons


def analyse_document(
    front: DecodedImage,
    *,
    back: DecodedImage | None = None,
    selfie_bgr: NDArray[Any] | None = None,
    declared_id_type: str | None = None,
    declared_country: str | None = None,
    today: date | None = None,
    selfie_analysis: FaceAnalysis | None = None,
) -> DocumentEvidence:
    """Analyse an identity document (and a selfie against its portrait) into evidence."""
    today = today or date.today()
    timer = StageTimer()

    located, lines, reading = _read_side(front.bgr)
    timer.lap("locate_ocr_mrz")
    result = reading.result if reading is not None else None
    mrz_side = "front" if result is not None else None
    mrz_lines = reading.lines if reading is not None else []
    if result is None and back is not None:
        # ID cards usually print their MRZ on the back.
        _, _, back_reading = _read_side(back.bgr)
        if back_reading is not None and back_reading.result is not None:
            result, mrz_side, mrz_lines = back_reading.result, "back", back_reading.lines
        timer.lap("back")

    # Which way up, when neither the MRZ nor the text settled it: the portrait's face.
    faces: list[DetectedFace] = find_portrait(located.image)
    if not faces and located.orientation_source not in ("mrz",):
        flipped = np.ascontiguousarray(np.rot90(located.image, 2))
        flipped_faces = find_portrait(flipped)
        if flipped_faces:
            shape = located.image.shape[:2]
            lines = rotate_lines(lines, 2, (shape[0], shape[1]))
            located = located.turned(2, "face")
            faces = flipped_faces
    timer.lap("faces")

    texts = [line.text for line in lines if not is_mrz_line(line.text)]
    kind = classify_document(
        mrz_code=result.fields.document_code if result is not None else None,
        mrz_valid=result.valid if result is not None else True,
        ocr_texts=texts,
        aspect_ratio=located.aspect_ratio if located.found else None,
    )
    matches = (
        kind_matches_id_type(kind.kind, declared_id_type, confidence=kind.confidence)
        if declared_id_type
        else None
    )
    zone = read_visual_zone(lines)
    consistency = check_consistency(zone, result) if result is not None else None

    expiry_field = zone.fields.get("expiry_date")
    birth_field = zone.fields.get("birth_date")
    checks = result.checks if result is not None else {}
    expiry_date, expiry_source = _pick_date(
        result.fields.expiry_date if result else None,
        checks.get("expiry", False),
        expiry_field.dates if expiry_field else [],
    )
    birth_date, birth_source = _pick_date(
        result.fields.birth_date if result else None,
        checks.get("birth", False),
        birth_field.dates if birth_field else [],
    )
    expiry = check_expiry(expiry_date, today, source=expiry_source)
    age = check_age(birth_date, today, source=birth_source)
    timer.lap("fields")

    crop = located.image
    photocopy = check_photocopy(crop, stored_grayscale=front.stored_grayscale)
    quality = assess_quality(crop, thresholds=DOCUMENT_QUALITY, stored_grayscale=front.stored_grayscale)
    image_spec = check_image_spec(
        front.width, front.height, front.byte_size, passport=kind.kind is DocumentKind.PASSPORT
    )
    timer.lap("image_checks")
    portrait = check_portrait(crop, selfie_bgr, document_faces=faces, selfie_analysis=selfie_analysis)
    timer.lap("portrait_match")

    extra: list[Reason] = []
    if matches is False:
        extra.append(
            Reason(
                code="document.kind_mismatch",
                message=f"the document looks like a {kind.kind.value}, not the declared {declared_id_type}",
            )
        )
    if result is not None and not result.valid:
        failed = ", ".join(name for name, ok in result.checks.items() if not ok)
        extra.append(Reason(code="document.mrz_invalid", message=f"MRZ check digits do not hold: {failed}"))
    if result is None and kind.kind is DocumentKind.PASSPORT:
        extra.append(Reason(code="document.mrz_missing", message="a passport without a readable MRZ"))

    weighed: list[Evidence] = [kind, expiry, age, photocopy, quality, portrait, image_spec]
    if consistency is not None:
        weighed.append(consistency)
    # An outline that was not found matters only when nothing else vouches for the document.
    if not located.found and not (result is not None and result.valid):
        weighed.append(located)
    decision, reasons = _weigh(weighed, extra)
    if not located.found and located.reasons[0] not in reasons:
        reasons.append(located.reasons[0])  # reported either way

    return DocumentEvidence(
        decision=decision,
        reasons=reasons,
        signals={f"kind.{k}": v for k, v in kind.signals.items()},
        locate=located,
        kind=kind,
        declared_id_type=declared_id_type,
        declared_country=declared_country,
        kind_matches_declared=matches,
        mrz=result,
        mrz_lines=mrz_lines,
        mrz_side=mrz_side,
        visual_zone=zone,
        consistency=consistency,
        expiry=expiry,
        age=age,
        photocopy=photocopy,
        image_spec=image_spec,
        quality=quality,
        portrait=portrait,
        timings_ms=timer.timings_ms,
    )
