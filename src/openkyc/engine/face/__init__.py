"""Face detection, alignment, embedding and 1:1 comparison."""

from openkyc.engine.face.analyse import FaceAnalysis, analyse_face
from openkyc.engine.face.compare import (
    DEFAULT_OPERATING_POINT,
    OPERATING_POINTS,
    FaceMatchEvidence,
    FaceOutcome,
    compare_analyses,
    compare_faces,
    similarity,
)
from openkyc.engine.face.detect import DEFAULT_DETECTORS, DetectedFace, detect_faces, primary_face
from openkyc.engine.face.embed import aligned_chip, embed_chip, embed_face

__all__ = [
    "DEFAULT_DETECTORS",
    "DEFAULT_OPERATING_POINT",
    "OPERATING_POINTS",
    "DetectedFace",
    "FaceAnalysis",
    "FaceMatchEvidence",
    "FaceOutcome",
    "aligned_chip",
    "analyse_face",
    "compare_analyses",
    "compare_faces",
    "detect_faces",
    "embed_chip",
    "embed_face",
    "primary_face",
    "similarity",
]
