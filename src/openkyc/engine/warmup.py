"""Loading every model a job needs before the first job arrives.

A worker that loads lazily makes its first partner wait ~2 s more (measured by
benchmarks/api_bench.py: the first registration's callback came after 2.6 s, the rest after ~0.8 s).
"""

from __future__ import annotations

from openkyc.engine.document.ocr import load_ocr
from openkyc.engine.face.detect import landmark_predictor
from openkyc.engine.face.detectors import hog_detector
from openkyc.engine.face.embed import embedding_session
from openkyc.engine.liveness.mesh import face_mesh


def load_models() -> None:
    """Build the default detector, landmarks, embedding, face mesh and OCR (each once per process)."""
    hog_detector()
    landmark_predictor()
    embedding_session()
    face_mesh()
    load_ocr()
