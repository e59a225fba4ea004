"""Text reading with RapidOCR (PP-OCRv4 detection and recognition, ONNX, shipped inside its wheel).

One full pass over a document image gives every text line with its box, so the MRZ reader and the
visual-zone reader share it: call :func:`run_ocr` once and hand the lines to both. Where a reader
has already cut out a single line (a re-read of the MRZ band, say), :func:`recognise_lines` skips
detection and only recognises.

The engine is built once per process. It is not given per-call options: RapidOCR stores those on
the shared instance, which would race between threads.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from openkyc.engine.models import load_once

BGR = npt.NDArray[Any]

# Recognitions below this score are dropped by RapidOCR itself. Its default (0.5) throws away MRZ
# lines on small or blurred specimens that the check digits would still vouch for, so keep more
# and let callers decide.
_MIN_TEXT_SCORE = 0.2
# RapidOCR's own limit on the long side before detection (it downscales beyond it).
_MAX_SIDE = 2000
# Our default: larger images only cost time, and very long text rows (a 44-character MRZ line
# at 2000+ px) recognise worse than the same row a little smaller.
DEFAULT_MAX_SIDE = 1600


@dataclass(frozen=True)
class OcrLine:
    """One line of text as read: the text, its box in the image and the recogniser's confidence.

    ``box`` is float32 (4, 2), corners clockwise from the detector (x, y in image pixels).
    """

    text: str
    box: npt.NDArray[np.float32]
    confidence: float

    @property
    def centre(self) -> tuple[float, float]:
        cx, cy = self.box.mean(axis=0)
        return float(cx), float(cy)

    @property
    def width(self) -> float:
        """Length of the box's long side (the reading direction, whatever the box's rotation)."""
        return float(
            max(np.linalg.norm(self.box[1] - self.box[0]), np.linalg.norm(self.box[2] - self.box[1]))
        )

    @property
    def height(self) -> float:
        """Length of the box's short side (the text height)."""
        return float(
            min(np.linalg.norm(self.box[1] - self.box[0]), np.linalg.norm(self.box[2] - self.box[1]))
        )


@load_once
def _engine() -> Any:
    """The RapidOCR pipeline (three ONNX sessions); slow to build, so built once."""
    from rapidocr_onnxruntime import RapidOCR

    # By default each ONNX session spreads over every core. Several verification processes on one
    # machine (`openkyc worker --concurrency N`) then oversubscribe it: measured on 2 cores, two
    # processes ran a Document Verification in 9.3 s instead of 3.75 s. The worker sets
    # OPENKYC_OCR_THREADS to cores / processes.
    threads = int(os.environ.get("OPENKYC_OCR_THREADS", "0") or 0)
    options = {"intra_op_num_threads": threads} if threads > 0 else {}
    return RapidOCR(text_score=_MIN_TEXT_SCORE, max_side_len=_MAX_SIDE, print_verbose=False, **options)


def load_ocr() -> None:
    """Build the OCR pipeline now (see engine/warmup.py)."""
    _engine()


def _as_bgr(image: BGR) -> BGR:
    if image.ndim == 2:
        return np.asarray(cv2.cvtColor(image, cv2.COLOR_GRAY2BGR))
    if image.ndim == 3 and image.shape[2] == 4:
        return np.asarray(cv2.cvtColor(image, cv2.COLOR_BGRA2BGR))
    return np.ascontiguousarray(image)


def run_ocr(bgr: BGR, *, max_side: int = DEFAULT_MAX_SIDE) -> list[OcrLine]:
    """Detect and read every text line of an image (BGR or grey), top to bottom.

    Images whose long side exceeds ``max_side`` are read downscaled; boxes are always in the
    coordinates of the image given. Each detected line is also checked for upside-down text by
    RapidOCR's angle classifier, so a document turned 180 degrees reads correctly.
    """
    image = _as_bgr(bgr)
    scale = 1.0
    if max(image.shape[:2]) > max_side:
        scale = max_side / max(image.shape[:2])
        size = (max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale)))
        image = np.asarray(cv2.resize(image, size, interpolation=cv2.INTER_AREA))
    result, _ = _engine()(image)
    if not result:
        return []
    lines = [
        OcrLine(
            text=str(text),
            box=np.asarray(box, dtype=np.float32).reshape(4, 2) / scale,
            confidence=float(score),
        )
        for box, text, score in result
    ]
    lines.sort(key=lambda line: (line.centre[1], line.centre[0]))
    return lines


def recognise_lines(crops: Sequence[BGR]) -> list[tuple[str, float]]:
    """Recognise already-cropped, upright single-line images: (text, confidence) for each, in order.

    No detection and no angle classification: the caller knows where the line is and which way up.
    """
    if not crops:
        return []
    results, _ = _engine().text_rec([_as_bgr(crop) for crop in crops])
    return [(str(text), float(score)) for text, score, *_ in results]
