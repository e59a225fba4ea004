"""Finding the face in one liveness image: mesh, dlib-style landmarks, aligned chip and embedding.

The mesh finds the face and places its landmarks in one ~10 ms call, so dlib's HOG detector runs
only as a fall-back (a face too small for MediaPipe's short-range detector). A pipeline that has
already analysed the selfie with :mod:`openkyc.engine.face` passes that analysis in, and its chip
and embedding are reused rather than computed twice (an embedding costs ~100 ms on CPU).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from openkyc.engine.face.detect import DetectedFace, detect_faces, primary_face
from openkyc.engine.face.embed import aligned_chip, embed_chip
from openkyc.engine.liveness.mesh import dlib_five_points, inter_ocular, mesh_box, mesh_landmarks

# When the mesh misses the face, the dlib box is grown by this factor and meshed again as a crop.
FALLBACK_CROP = 2.2


class PrecomputedFace(Protocol):
    """What a pipeline may already know about an image (``openkyc.engine.face`` analyses fit)."""

    @property
    def primary(self) -> DetectedFace | None: ...

    @property
    def chip(self) -> NDArray[Any] | None: ...

    @property
    def embedding(self) -> NDArray[Any] | None: ...


@dataclass(frozen=True)
class FrameFace:
    """The face of one liveness image, in that image's pixel coordinates."""

    box: tuple[int, int, int, int]
    mesh: NDArray[Any] = field(repr=False)  # (478, 2)
    chip: NDArray[Any] = field(repr=False)  # 150x150 RGB, aligned on the 5 points
    embedding: NDArray[Any] = field(repr=False)  # 128-d

    @property
    def inter_ocular(self) -> float:
        return inter_ocular(self.mesh)


def analyse_frame(bgr: NDArray[Any], precomputed: PrecomputedFace | None = None) -> FrameFace | None:
    """The face of one image, or None when no face is found."""
    mesh = locate_face(bgr, precomputed)
    if mesh is None:
        return None
    height, width = bgr.shape[:2]
    if precomputed is not None and precomputed.chip is not None and precomputed.embedding is not None:
        chip, embedding = precomputed.chip, precomputed.embedding
    else:
        face = DetectedFace(box=mesh_box(mesh, width, height), score=1.0, landmarks=dlib_five_points(mesh))
        chip = aligned_chip(bgr, face)
        embedding = embed_chip(chip)
    return FrameFace(box=mesh_box(mesh, width, height), mesh=mesh, chip=chip, embedding=embedding)


def locate_face(bgr: NDArray[Any], precomputed: PrecomputedFace | None = None) -> NDArray[Any] | None:
    """The (478, 2) face mesh of the image's face (no chip, no embedding), or None."""
    mesh = mesh_landmarks(bgr)
    return _mesh_via_dlib(bgr, precomputed) if mesh is None else mesh


def _mesh_via_dlib(bgr: NDArray[Any], precomputed: PrecomputedFace | None) -> NDArray[Any] | None:
    """Mesh a crop around dlib's face box (small or distant faces the mesh detector misses)."""
    face = precomputed.primary if precomputed is not None else None
    if face is None:
        face = primary_face(detect_faces(bgr))
    if face is None:
        return None
    height, width = bgr.shape[:2]
    cx, cy = (face.box[0] + face.box[2]) / 2, (face.box[1] + face.box[3]) / 2
    half = max(face.width, face.height) * FALLBACK_CROP / 2
    left, top = max(0, int(cx - half)), max(0, int(cy - half))
    right, bottom = min(width, int(cx + half)), min(height, int(cy + half))
    if right - left < 8 or bottom - top < 8:
        return None
    mesh = mesh_landmarks(bgr[top:bottom, left:right])
    if mesh is None:
        return None
    return mesh + np.array([left, top], dtype=np.float64)
