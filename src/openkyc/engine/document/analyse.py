"""The document-verification evidence: one entry point over the checks of this package.

Order matters for speed: the document is cut out first, OCR runs once on that crop (at a bounded
size) and its lines serve the MRZ reader, the visual zone and the classifier; turning the crop
upright moves the OCR boxes instead of reading again. The portrait's face detection is shared
with the orientation fallback and the selfie comparison.

The engine knows no result codes: the decision comes with machine-readable reasons, and products
map those to their codes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
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
    judge_dates,
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
    keep_whole_image,
    locate_document,
    reshape_to_format,
    rotate_lines,
    text_is_vertical,
)
from openkyc.engine.document.mrz.decode import REPAIR_REASONS
from openkyc.engine.document.mrz.parse import MrzResult
from openkyc.engine.document.mrz.read import MrzReading, read_mrz
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

# OCR reads the crop at this long side for the visual zone (the MRZ has its own recogniser): on the
# 56 real documents of benchmarks/data the surname and document number are found as often at 960
# as at 1280 px (54 and 52), and OCR time grows with pixels (a 2200 px passport page: ~740 ms at
# 1280, ~500 ms at 960).
OCR_LONG_SIDE = 960
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
    "document.mrz_doubtful": Decision.REVIEW,
    "document.mrz_repaired": Decision.REVIEW,
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
    # How the MRZ was read: the recogniser's confidence and every change made to what it read.
    mrz_reading: MrzReading | None = None
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


def _read_side(image: NDArray[Any], today: date) -> tuple[LocateEvidence, list[OcrLine], MrzReading | None]:
    """Locate, read the MRZ and OCR once, on one side; turns the crop upright where the MRZ (it
    knows which way up it reads) or else the text direction says how."""
    located = locate_document(image)
    reading = read_mrz(located.image, today=today)
    if reading.result is None and located.found:
        # An outline that cut the MRZ off (or a frame mistaken for the document): the whole image.
        whole = read_mrz(image, today=today)
        if whole.result is not None:
            located, reading = keep_whole_image(image), whole
    result = reading.result
    turns = (reading.rotation // 90) % 4 if result is not None else 0
    if turns:
        located = located.turned(turns, "mrz")
    elif result is not None:
        located = located.model_copy(update={"orientation_source": "mrz"}).with_image(located.image)
    lines = _ocr(located.image)
    if result is None and text_is_vertical(lines):
        shape = located.image.shape[:2]
        located = located.turned(1, "text")
        lines = rotate_lines(lines, 1, (shape[0], shape[1]))
    if result is not None and located.found:
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
    return located, lines, reading if result is not None else None


def _mrz_reasons(reading: MrzReading | None) -> list[Reason]:
    """Why an MRZ read needs a person: check digits that do not hold (a misprint, a misread or a
    forgery), or holding check digits the reading cannot vouch for (an impossible structure,
    characters no check digit covers read with low confidence), or a reading that holds only
    because doubtful cells were changed."""
    result = reading.result if reading is not None else None
    if reading is None or result is None:
        return []
    failed = [name for name, ok in result.checks.items() if not ok]
    if failed:
        return [
            Reason(code="document.mrz_invalid", message=f"MRZ check digits do not hold: {', '.join(failed)}")
        ]
    reasons = []
    if result.problems:
        reasons.append(Reason(code="document.mrz_doubtful", message="; ".join(result.problems)))
    if reading.repaired:
        changed = ", ".join(
            f"line {r.line} position {r.position} read '{r.read}' ({r.p_read:.2f}) reported '{r.reported}' ({r.p_reported:.2f})"
            for r in reading.repairs
            if r.reason in REPAIR_REASONS
        )
        reasons.append(
            Reason(code="document.mrz_repaired", message=f"doubtful MRZ characters were changed: {changed}")
        )
    return reasons


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
    today = today or datetime.now(UTC).date()
    timer = StageTimer()

    located, lines, reading = _read_side(front.bgr, today)
    timer.lap("locate_ocr_mrz")
    result = reading.result if reading is not None else None
    mrz_side = "front" if result is not None else None
    mrz_lines = reading.lines if reading is not None else []
    mrz_reading = reading
    if result is None and back is not None:
        # ID cards usually print their MRZ on the back.
        _, _, back_reading = _read_side(back.bgr, today)
        if back_reading is not None and back_reading.result is not None:
            result, mrz_side, mrz_lines = back_reading.result, "back", back_reading.lines
            mrz_reading = back_reading
        timer.lap("back")

    # Which way up, when neither the MRZ nor the text settled it: the portrait's face.
    # Only a face found the right way up says which way up the document is (the detector's own
    # fallbacks also find faces turned over).
    upright: list[DetectedFace] = find_portrait(located.image, upright_only=True)
    if not upright and located.orientation_source not in ("mrz",):
        flipped = np.ascontiguousarray(np.rot90(located.image, 2))
        upright = find_portrait(flipped, upright_only=True)
        if upright:
            # The flipped copy is the crop turned half a turn: its faces are the turned crop's.
            shape = located.image.shape[:2]
            lines = rotate_lines(lines, 2, (shape[0], shape[1]))
            located = located.turned(2, "face")
    faces = upright or find_portrait(located.image)
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
    zone = read_visual_zone(lines, today=today, kind=kind.kind.value)
    consistency = check_consistency(zone, result) if result is not None else None

    # Birth, issue and expiry by meaning: the MRZ where its check digits hold, the print's
    # four-digit years for the century, all three resolved jointly.
    dates = judge_dates(result, zone, today=today, kind=kind.kind.value)
    expiry = check_expiry(dates.expiry, today, source=dates.sources.get("expiry"))
    age = check_age(dates.birth, today, source=dates.sources.get("birth"))
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
    extra.extend(_mrz_reasons(mrz_reading))
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
        mrz_reading=mrz_reading,
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
