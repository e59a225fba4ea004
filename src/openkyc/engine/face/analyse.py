"""Everything the engine needs from one image's face, computed once.

Per face: detection, dlib's aligned chip and 128-d embedding (liveness and same-photo checks), and
the VGGFace2 MobileNet descriptor the match score is computed from (``compare.py``).

A SmartSelfie job compares one selfie with eight liveness frames and maybe a document portrait:
analysing each image once (detection, landmarks, chip, embedding) and then comparing analyses
costs one embedding per image instead of two per pair.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from openkyc.engine.face.detect import DEFAULT_DETECTORS, DetectedFace, detect_faces, primary_face
from openkyc.engine.face.embed import DEFAULT_JITTER, aligned_chip, embed_chip
from openkyc.engine.face.vgg2_mobilenet import embed_mobilenet

# Size the chips are compared at when looking for the same photograph: small enough that a pixel
# of landmark jitter and JPEG noise average out, large enough that two photos of one person differ.
PHOTO_PRINT_SIZE = 32


@dataclass(frozen=True)
class FaceAnalysis:
    """Faces found in one image, and the primary face's aligned chip and embedding."""

    faces: tuple[DetectedFace, ...]
    primary: DetectedFace | None
    chip: NDArray[Any] | None = field(default=None, repr=False)  # 150x150 RGB, aligned
    embedding: NDArray[np.float64] | None = field(default=None, repr=False)  # 128-d dlib ResNet
    # 1024-d VGGFace2 MobileNet descriptor, unit length: what compare.py's match score is made of.
    mobilenet: NDArray[np.float64] | None = field(default=None, repr=False)
    # Hash of the decoded pixels and shape: byte-identical images are caught without any model.
    pixel_digest: bytes = field(default=b"", repr=False)

    @property
    def found(self) -> bool:
        return self.primary is not None and self.embedding is not None and self.mobilenet is not None

    @property
    def face_count(self) -> int:
        return len(self.faces)

    @property
    def multiple_faces(self) -> bool:
        return len(self.faces) > 1

    def photo_print(self) -> NDArray[np.float64] | None:
        """The chip reduced to a small, contrast-normalised grey print (for same-photo checks)."""
        if self.chip is None:
            return None
        grey = cv2.cvtColor(self.chip, cv2.COLOR_RGB2GRAY)
        small = cv2.resize(grey, (PHOTO_PRINT_SIZE, PHOTO_PRINT_SIZE), interpolation=cv2.INTER_AREA).astype(
            np.float64
        )
        # Normalising mean and contrast cancels re-encoding and brightness changes of one photo.
        normalised: NDArray[np.float64] = (small - small.mean()) / (small.std() + 1e-6)
        return normalised


def analyse_face(
    bgr: NDArray[Any],
    *,
    faces: Sequence[DetectedFace] | None = None,
    detectors: Sequence[str] = DEFAULT_DETECTORS,
    jitter: int = DEFAULT_JITTER,
) -> FaceAnalysis:
    """Detect the faces in ``bgr`` (unless ``faces`` are given) and embed the primary one."""
    found = tuple(detect_faces(bgr, detectors=detectors) if faces is None else faces)
    primary = primary_face(list(found))
    digest = hashlib.sha256(str(bgr.shape).encode() + np.ascontiguousarray(bgr).tobytes()).digest()
    if primary is None:
        return FaceAnalysis(faces=found, primary=None, pixel_digest=digest)
    chip = aligned_chip(bgr, primary)
    return FaceAnalysis(
        faces=found,
        primary=primary,
        chip=chip,
        embedding=embed_chip(chip, jitter=jitter),
        mobilenet=embed_mobilenet(bgr, primary),
        pixel_digest=digest,
    )
