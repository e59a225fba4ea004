"""The holder's portrait on the document, and whether the selfie is the same person.

The portrait is small (a fifth to a third of the document's height), so it is looked for on the
cropped document, where the face detector's upsampling reaches it. Documents often print a second,
smaller "ghost" portrait; the largest face is the portrait.
"""

from __future__ import annotations

from typing import Any

from numpy.typing import NDArray

from openkyc.engine.evidence import Decision, Evidence, Reason
from openkyc.engine.face.analyse import FaceAnalysis, analyse_face
from openkyc.engine.face.compare import FaceMatchEvidence, compare_analyses
from openkyc.engine.face.detect import DetectedFace, detect_faces, primary_face


class PortraitEvidence(Evidence):
    found: bool
    faces: int
    # (left, top, right, bottom) on the cropped document.
    box: tuple[int, int, int, int] | None = None
    # The selfie comparison; None without a selfie or without a portrait.
    match: FaceMatchEvidence | None = None


def find_portrait(document_bgr: NDArray[Any], *, upright_only: bool = False) -> list[DetectedFace]:
    """Faces on the cropped document, largest (the portrait) first, in its coordinates.

    The detector's own working size finds the portrait of a document photographed at the
    specification's resolution; only when it finds none is the (slower) upsampled pass tried, for
    small portraits on small images. ``upright_only``: without the detector's fallbacks (turned
    images, other detectors), so that a face found says the image is the right way up.
    """
    fallbacks = not upright_only
    faces = detect_faces(document_bgr, fallbacks=fallbacks)
    return faces if faces else detect_faces(document_bgr, upsample=1, fallbacks=fallbacks)


def check_portrait(
    document_bgr: NDArray[Any],
    selfie_bgr: NDArray[Any] | None = None,
    *,
    document_faces: list[DetectedFace] | None = None,
    selfie_analysis: FaceAnalysis | None = None,
) -> PortraitEvidence:
    """Find the portrait and, given a selfie, compare the two faces.

    No portrait is its own reason (``document.no_portrait``); a selfie that does not match gives
    the face comparison's reasons (``face.no_match``, ``face.no_face_b``...). A pipeline that has
    already analysed the selfie passes ``selfie_analysis`` so it is not embedded twice.
    """
    faces = find_portrait(document_bgr) if document_faces is None else document_faces
    portrait = primary_face(faces)
    if portrait is None:
        return PortraitEvidence(
            decision=Decision.FAIL,
            reasons=[Reason(code="document.no_portrait", message="no portrait was found on the document")],
            found=False,
            faces=0,
        )
    match = None
    if selfie_analysis is None and selfie_bgr is not None:
        selfie_analysis = analyse_face(selfie_bgr)
    if selfie_analysis is not None:
        match = compare_analyses(analyse_face(document_bgr, faces=faces), selfie_analysis)
    # A second face on a document is its ghost portrait, not a concern: that reason stays in the
    # comparison's own evidence only.
    reasons = [r for r in match.reasons if r.code != "face.multiple_faces"] if match is not None else []
    return PortraitEvidence(
        decision=match.decision if match is not None else Decision.PASS,
        reasons=reasons,
        signals=dict(match.signals) if match is not None else {},
        found=True,
        faces=len(faces),
        box=portrait.box,
        match=match,
    )
