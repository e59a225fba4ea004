"""The evidence both liveness checks return."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from openkyc.engine.evidence import Evidence


class LivenessEvidence(Evidence):
    """Decision, reasons and per-signal scores of an active (selfie + frames) or passive check."""

    mode: Literal["active", "passive"]
    frames_received: int = 0
    # Frames in which a face was found (the selfie is not counted).
    frames_with_face: int = 0
    # Similarity of each frame's face to the selfie's, in frame order (None: no face in that frame).
    frame_similarities: list[float | None] = Field(default_factory=list)
    face_box: tuple[int, int, int, int] | None = None
