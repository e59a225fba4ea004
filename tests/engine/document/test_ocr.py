"""The RapidOCR wrapper: lines with boxes in input coordinates, recognition-only, grey input."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from openkyc.engine.document.ocr import OcrLine, recognise_lines, run_ocr


def _text_image(text: str, *, width: int = 900, height: int = 120) -> npt.NDArray[Any]:
    img = np.full((height, width, 3), 255, np.uint8)
    cv2.putText(img, text, (20, 80), cv2.FONT_HERSHEY_SIMPLEX, 2.0, (0, 0, 0), 4, cv2.LINE_AA)
    return img


def test_run_ocr_reads_a_line_with_its_box() -> None:
    img = np.full((400, 1000, 3), 255, np.uint8)
    img[200:320, 50:950] = _text_image("SURNAME")
    lines = run_ocr(img)
    assert lines, "no text found"
    line = max(lines, key=lambda item: item.confidence)
    assert isinstance(line, OcrLine)
    assert line.text == "SURNAME"
    assert line.box.shape == (4, 2)
    cx, cy = line.centre
    assert 200 < cy < 320 and 50 < cx < 950
    assert 0.5 < line.confidence <= 1.0


def test_boxes_are_in_input_coordinates_when_downscaled() -> None:
    img = np.full((800, 2400, 3), 255, np.uint8)
    img[500:620, 1200:2100] = _text_image("SURNAME")
    lines = run_ocr(img, max_side=1200)
    assert lines
    cx, cy = max(lines, key=lambda item: item.width).centre
    assert 500 < cy < 620 and 1200 < cx < 2100


def test_grey_and_blank_images() -> None:
    grey = cv2.cvtColor(_text_image("SURNAME"), cv2.COLOR_BGR2GRAY)
    assert any("SURNAME" in line.text for line in run_ocr(grey))
    assert run_ocr(np.full((200, 300, 3), 255, np.uint8)) == []


def test_recognise_lines_without_detection() -> None:
    crops = [_text_image("P<UTO1234"), _text_image("ABC<<<<")]
    texts = recognise_lines(crops)
    assert [text for text, _ in texts] == ["P<UTO1234", "ABC<<<<"]
    assert recognise_lines([]) == []
