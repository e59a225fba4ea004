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
from functools import cache
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


# The recogniser's input height and the width of one output step (its CTC time step), in pixels.
REC_HEIGHT = 48
REC_STEP = 8
# Glyphs in the recogniser's dictionary that are drawings of a chevron; their probability counts
# toward '<' when probabilities are asked for over an alphabet that holds '<'.
_CHEVRON_LOOKALIKES = "〈《"


@dataclass(frozen=True)
class LineProbabilities:
    """Per-time-step character probabilities of one recognised line crop.

    ``probs`` is (steps, 1 + len(alphabet)): column 0 is the CTC blank, column 1 + i is
    ``alphabet[i]``. Step ``t`` looks at crop column ``(t + 0.5) * step_px`` (crop pixels).
    """

    probs: npt.NDArray[np.float32]
    alphabet: str
    step_px: float


# Not ``load_once``: it needs the engine, and ``load_once`` factories share one non-reentrant
# lock, so building the engine from inside another factory would deadlock.
@cache
def _alphabet_columns() -> dict[str, int]:
    characters: list[str] = list(_engine().text_rec.postprocess_op.character)
    return {char: index for index, char in enumerate(characters)}


def recognise_probabilities(crops: Sequence[BGR], alphabet: str) -> list[LineProbabilities]:
    """Run the recogniser on upright single-line crops and keep its per-step probabilities,
    restricted to ``alphabet`` (every character must be in the recogniser's dictionary).

    Unlike :func:`recognise_lines` nothing is decoded: a caller that knows the line's layout (a
    fixed-pitch MRZ) decodes better with it than CTC's greedy collapse does. Each crop is scaled
    to the recogniser's 48-px height keeping its aspect ratio and run on its own, so no padding
    from a wider neighbour in a batch shifts what the model sees.
    """
    columns = _alphabet_columns()
    missing = [c for c in alphabet if c not in columns]
    if missing:
        raise ValueError(f"characters not in the recogniser's dictionary: {missing!r}")
    wanted = [0] + [columns[c] for c in alphabet]
    chevrons = [columns[c] for c in _CHEVRON_LOOKALIKES if c in columns] if "<" in alphabet else []
    session = _engine().text_rec.session.session
    input_name = session.get_inputs()[0].name
    out: list[LineProbabilities] = []
    for crop in crops:
        image = _as_bgr(crop)
        height, width = image.shape[:2]
        scaled_w = max(REC_STEP * 2, round(width * REC_HEIGHT / max(height, 1)))
        shrink = height > REC_HEIGHT
        resized = cv2.resize(
            image, (scaled_w, REC_HEIGHT), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_CUBIC
        )
        # The normalisation RapidOCR's TextRecognizer applies: [0, 255] -> [-1, 1], channels first.
        tensor = (resized.astype(np.float32).transpose(2, 0, 1) / 255.0 - 0.5) / 0.5
        raw = session.run(None, {input_name: tensor[None]})[0][0]
        probs = raw[:, wanted].astype(np.float32)
        if chevrons:
            probs[:, 1 + alphabet.index("<")] += raw[:, chevrons].sum(axis=1)
        steps = probs.shape[0]
        out.append(LineProbabilities(probs=probs, alphabet=alphabet, step_px=width / steps))
    return out
