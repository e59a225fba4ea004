"""The MRZ recogniser's training script, run on its tiny configuration: it trains, exports an ONNX
model that onnxruntime loads, and that model already reads fresh rendered glyphs far better than
chance (1 in 37)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort

from openkyc.engine.document.mrz.recognise import ALPHABET, analyse_line, classify_cells, cut_cells
from tools import mrz_render, train_mrz_recogniser


def test_tiny_training_run_exports_a_model_that_reads_glyphs(tmp_path: Path) -> None:
    assert train_mrz_recogniser.main(["--tiny", "--out-dir", str(tmp_path)]) == 0
    model = tmp_path / "recogniser.onnx"
    card = (tmp_path / "MODEL.md").read_text()
    assert "fonts-ocr-b" in card and "public domain" in card
    session = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    assert session.get_inputs()[0].shape[1:] == [1, 32, 32]
    # Fresh lines (a seed training never used), cut on their true grid.
    right = total = 0
    for index in range(6):
        sample = mrz_render.render_line(21, index, cap_height=12.0, severity=0.4)
        layout = analyse_line(sample.gray)
        centres = sample.cells.mean(axis=1).astype(np.float64) * layout.scale
        pitch = float(np.mean(sample.cells[:, 1] - sample.cells[:, 0])) * layout.scale
        probs = classify_cells(cut_cells(layout, centres, pitch), model)
        np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-4)
        right += sum(ALPHABET[i] == c for i, c in zip(probs.argmax(axis=1), sample.text, strict=True))
        total += len(sample.text)
    assert right / total > 0.4
