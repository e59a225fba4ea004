"""Evidence for a SmartSelfie job: a selfie, its liveness frames and, optionally, a reference face.

This is the engine's whole answer for SmartSelfie registration (selfie + frames), authentication
and compare (the same plus a reference: the enrolled face or a partner-supplied image). Every image
is decoded and embedded once; the liveness check reuses the selfie's analysis.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from numpy.typing import NDArray
from pydantic import Field, PrivateAttr

from openkyc.engine.evidence import Decision, Evidence, Reason, worst
from openkyc.engine.face.analyse import FaceAnalysis, analyse_face
from openkyc.engine.face.compare import (
    DEFAULT_OPERATING_POINT,
    FaceMatchEvidence,
    compare_analyses,
    compare_with_enrolled_embedding,
)
from openkyc.engine.images.decode import DecodedImage
from openkyc.engine.images.quality import QualityEvidence, QualityThresholds, assess_quality
from openkyc.engine.liveness import (
    LivenessConfig,
    LivenessEvidence,
    SelfieCheckConfig,
    check_liveness,
    check_selfie,
)
from openkyc.engine.liveness.active import prefetch_frame_faces
from openkyc.engine.timing import StageTimer

# Selfies from the SDKs are small (the web SDK sends 640x480 or less): hold them to that.
SELFIE_QUALITY = QualityThresholds(min_long_side=240, min_short_side=180)


class SelfieFace(Evidence):
    """The face found in the selfie."""

    faces: int
    box: tuple[int, int, int, int] | None = None


class SmartSelfieEvidence(Evidence):
    face: SelfieFace
    quality: QualityEvidence
    # Active when liveness frames were sent, passive (the documentation's Selfie_Check) on a lone selfie;
    # None when there was no face to check.
    liveness: LivenessEvidence | None = None
    # The comparison with the reference face (authentication / compare); None without a reference.
    match: FaceMatchEvidence | None = None
    timings_ms: dict[str, float] = Field(default_factory=dict)
    _selfie: FaceAnalysis = PrivateAttr()

    @property
    def selfie_analysis(self) -> FaceAnalysis:
        """The selfie's faces, chip and embedding (what an enrolment stores); never serialised."""
        return self._selfie


def assess_smart_selfie(
    selfie: DecodedImage,
    frames: Sequence[DecodedImage] = (),
    *,
    reference: FaceAnalysis | NDArray[Any] | None = None,
    operating_point: str = DEFAULT_OPERATING_POINT,
    liveness_config: LivenessConfig | None = None,
    selfie_config: SelfieCheckConfig | None = None,
    selfie_analysis: FaceAnalysis | None = None,
    enrolled_embedding: NDArray[Any] | None = None,
) -> SmartSelfieEvidence:
    """Judge a selfie (and its liveness frames) and compare it with ``reference`` when given.

    ``enrolled_embedding`` (instead of ``reference``): the selfie is the user's enrolled selfie
    itself, compared with the embedding stored at its enrolment
    (:func:`~openkyc.engine.face.compare.compare_with_enrolled_embedding`, no same-photograph check).
    """
    if reference is not None and enrolled_embedding is not None:
        raise ValueError("compare with a reference image or an enrolled embedding, not both")
    timer = StageTimer()
    # The frames' faces are found in the background while the selfie is analysed (same work, sooner).
    frames_bgr = [f.bgr for f in frames]
    prefetch = prefetch_frame_faces(frames_bgr, liveness_config) if frames else None
    try:
        analysis = selfie_analysis or analyse_face(selfie.bgr)
    finally:
        frame_faces = prefetch.result() if prefetch is not None else None
    timer.lap("selfie_face")
    # Sharpness of the face, at the scale it is matched at (the whole photo when there is none).
    quality = assess_quality(
        selfie.bgr,
        thresholds=SELFIE_QUALITY,
        stored_grayscale=selfie.stored_grayscale,
        face_box=analysis.primary.box if analysis.primary is not None else None,
    )
    timer.lap("quality")
    face = SelfieFace(
        decision=Decision.PASS if analysis.found else Decision.FAIL,
        reasons=[]
        if analysis.found
        else [Reason(code="face.no_face_selfie", message="no face found in the selfie")],
        faces=analysis.face_count,
        box=analysis.primary.box if analysis.primary else None,
    )
    liveness: LivenessEvidence | None = None
    if analysis.found:
        if frames:
            liveness = check_liveness(
                selfie.bgr, frames_bgr, config=liveness_config, analyses=[analysis], frame_faces=frame_faces
            )
        else:
            liveness = check_selfie(selfie.bgr, config=selfie_config, analysis=analysis)
        timer.lap("liveness")
    match: FaceMatchEvidence | None = None
    if reference is not None and analysis.found:
        reference_analysis = reference if isinstance(reference, FaceAnalysis) else analyse_face(reference)
        match = compare_analyses(analysis, reference_analysis, operating_point=operating_point)
        timer.lap("compare")
    elif enrolled_embedding is not None and analysis.found:
        match = compare_with_enrolled_embedding(analysis, enrolled_embedding)
        timer.lap("compare")

    reasons = list(face.reasons)
    decisions = [face.decision]
    # Only an unusable selfie decides on quality; lesser quality problems stay in the evidence.
    if quality.decision is Decision.FAIL:
        reasons += quality.reasons
        decisions.append(Decision.FAIL)
    for part in (liveness, match):
        if part is not None:
            reasons += part.reasons
            decisions.append(part.decision)
    evidence = SmartSelfieEvidence(
        decision=worst(decisions),
        reasons=reasons,
        face=face,
        quality=quality,
        liveness=liveness,
        match=match,
        timings_ms=timer.timings_ms,
    )
    evidence._selfie = analysis
    return evidence
