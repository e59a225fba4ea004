"""Finding the face in one liveness image: mesh, dlib-style landmarks, aligned chip and embedding.

The mesh finds the face and places its landmarks in one ~10 ms call, so dlib's HOG detector runs
only as a fall-back (a face too small for MediaPipe's short-range detector). A pipeline that has
already analysed the selfie with :mod:`openkyc.engine.face` passes that analysis in, and its chip
and embedding are reused rather than computed twice; the frames' chips are embedded as one batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from openkyc.engine.face.detect import DetectedFace, detect_faces, primary_face
from openkyc.engine.face.embed import aligned_chip, embed_chips
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
    return analyse_frames([bgr], [precomputed])[0]


def analyse_frames(
    images: Sequence[NDArray[Any]], precomputed: Sequence[PrecomputedFace | None] = ()
) -> list[FrameFace | None]:
    """The face of each image (None where none is found), ``precomputed[i]`` reused for image i.

    The chips that need an embedding are embedded as one batch: the network's per-call overhead
    is paid once per sequence, and the descriptors are bit-identical to one call per chip.
    """
    known = list(precomputed)[: len(images)]
    known += [None] * (len(images) - len(known))
    meshes = [locate_face(bgr, pre) for bgr, pre in zip(images, known, strict=True)]
    chips: dict[int, NDArray[Any]] = {}
    embeddings: dict[int, NDArray[Any]] = {}
    for index, (bgr, mesh, pre) in enumerate(zip(images, meshes, known, strict=True)):
        if mesh is None:
            continue
        if pre is not None and pre.chip is not None and pre.embedding is not None:
            chips[index], embeddings[index] = pre.chip, pre.embedding
            continue
        height, width = bgr.shape[:2]
        face = DetectedFace(box=mesh_box(mesh, width, height), score=1.0, landmarks=dlib_five_points(mesh))
        chips[index] = aligned_chip(bgr, face)
    missing = [index for index in chips if index not in embeddings]
    for index, embedding in zip(missing, embed_chips([chips[i] for i in missing]), strict=True):
        embeddings[index] = embedding
    faces: list[FrameFace | None] = []
    for index, (bgr, mesh) in enumerate(zip(images, meshes, strict=True)):
        if mesh is None:
            faces.append(None)
            continue
        height, width = bgr.shape[:2]
        faces.append(
            FrameFace(
                box=mesh_box(mesh, width, height), mesh=mesh, chip=chips[index], embedding=embeddings[index]
            )
        )
    return faces


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
