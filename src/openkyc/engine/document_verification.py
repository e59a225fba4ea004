"""Evidence for a Document Verification job: the document, the selfie, and the two compared.

The selfie gets the same checks as in a SmartSelfie job (face, quality, liveness), and the document
analysis compares it with the document's portrait. With ``use_enrolled_image`` the product passes
the enrolled face as ``reference`` and the selfie is compared with it too.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from pydantic import Field

from openkyc.engine.document.analyse import DocumentEvidence, analyse_document
from openkyc.engine.evidence import Evidence, worst
from openkyc.engine.face.analyse import FaceAnalysis
from openkyc.engine.images.decode import DecodedImage
from openkyc.engine.liveness import LivenessConfig, SelfieCheckConfig
from openkyc.engine.smart_selfie import SmartSelfieEvidence, assess_smart_selfie
from openkyc.engine.timing import StageTimer


class DocumentVerificationEvidence(Evidence):
    document: DocumentEvidence
    selfie: SmartSelfieEvidence
    timings_ms: dict[str, float] = Field(default_factory=dict)


def assess_document_verification(
    front: DecodedImage,
    selfie: DecodedImage,
    *,
    frames: Sequence[DecodedImage] = (),
    back: DecodedImage | None = None,
    declared_id_type: str | None = None,
    declared_country: str | None = None,
    reference: FaceAnalysis | None = None,
    today: date | None = None,
    liveness_config: LivenessConfig | None = None,
    selfie_config: SelfieCheckConfig | None = None,
) -> DocumentVerificationEvidence:
    """Judge an identity document and the selfie of the person presenting it."""
    timer = StageTimer()
    selfie_evidence = assess_smart_selfie(
        selfie, frames, reference=reference, liveness_config=liveness_config, selfie_config=selfie_config
    )
    timer.lap("selfie")
    document = analyse_document(
        front,
        back=back,
        selfie_bgr=selfie.bgr,
        selfie_analysis=selfie_evidence.selfie_analysis,
        declared_id_type=declared_id_type,
        declared_country=declared_country,
        today=today,
    )
    timer.lap("document")
    return DocumentVerificationEvidence(
        decision=worst([document.decision, selfie_evidence.decision]),
        reasons=[*document.reasons, *selfie_evidence.reasons],
        document=document,
        selfie=selfie_evidence,
        timings_ms=timer.timings_ms,
    )
