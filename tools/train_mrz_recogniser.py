"""Train the MRZ character recogniser (``src/openkyc/engine/document/mrz/recogniser.onnx``).

Reproducible on CPU: fixed seeds, a fixed number of threads. Training material is rendered from
the real MRZ typeface (Debian's ``fonts-ocr-b``, public domain) by :mod:`tools.mrz_render`: whole
MRZ-like lines, heavily degraded. Each line goes through the recogniser's own preprocessing
(:func:`~openkyc.engine.document.mrz.recognise.analyse_line`, then
:func:`~openkyc.engine.document.mrz.recognise.cut_cells`), so the classifier learns from exactly
what it sees at inference: half the lines are cut on the grid the recogniser fits itself (where
that grid is right), the others on the true grid with per-cell jitter of up to a quarter pitch, so
that it tolerates a misfit grid.

Validation runs the whole line reader (:func:`~openkyc.engine.document.mrz.recognise.read_line`,
grid fit included) with the exported model on lines from a seed never used in training, and
reports per-character accuracy overall, per cap-height bucket and per degradation family.

Usage::

    .venv/bin/python -m tools.train_mrz_recogniser              # the shipped model (minutes)
    .venv/bin/python -m tools.train_mrz_recogniser --tiny --out-dir /tmp/m   # < 60 s

Writes ``recogniser.onnx`` and ``MODEL.md`` (provenance: font, configuration, seeds, date,
training-set size, validation accuracy) into ``--out-dir``.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import multiprocessing
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import numpy.typing as npt

from openkyc.engine.document.mrz.recognise import (
    ALPHABET,
    CELL_H,
    CELL_W,
    LineLayout,
    analyse_line,
    cut_cells,
    fit_grid,
    read_line,
)
from tools import mrz_render

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO_ROOT / "src" / "openkyc" / "engine" / "document" / "mrz"
# Seeds of the rendered material: training lines and validation lines never share one. Tests and
# benchmarks use others (see tests/engine/document/mrz/test_recognise.py, benchmarks/).
TRAIN_SEED = 1
VAL_SEED = 2
CAP_BUCKETS = ((5.0, 7.0), (7.0, 10.0), (10.0, 16.0), (16.0, 31.0), (31.0, 1e9))


@dataclasses.dataclass(frozen=True)
class Config:
    lines: int = 5000
    val_lines: int = 200
    epochs: int = 5
    batch: int = 256
    lr: float = 3e-3
    weight_decay: float = 1e-4
    label_smoothing: float = 0.05
    seed: int = 0
    workers: int = 2
    threads: int = 2


TINY = Config(lines=100, val_lines=20, epochs=3, workers=1, threads=1)


def bucket_name(cap: float) -> str:
    for low, high in CAP_BUCKETS:
        if low <= cap < high:
            return f"{low:.0f}-{high - 1:.0f}px" if high < 1e8 else f"{low:.0f}+px"
    return "<5px"


# ---------------------------------------------------------------------------------------------
# Training cells


def line_cells(seed: int, index: int) -> tuple[npt.NDArray[np.float16], npt.NDArray[np.int64]]:
    """The classifier inputs and labels of one rendered line, cut by the recogniser's own code."""
    sample = mrz_render.render_line(seed, index)
    rng = np.random.default_rng([seed, index, 7])
    layout = analyse_line(sample.gray)
    n = len(sample.text)
    true_centres = sample.cells.mean(axis=1).astype(np.float64) * layout.scale
    true_pitch = float(np.mean(sample.cells[:, 1] - sample.cells[:, 0])) * layout.scale
    true_cap = sample.cap_height * layout.scale
    true_mid = sample.centre_y * layout.scale
    mid = (layout.top + layout.bottom) / 2.0
    if not (0.75 < layout.cap / true_cap < 1.33 and abs(mid - true_mid) < 0.25 * true_cap):
        # The band was not found (a neighbouring line taken for it, a sliver merged in): such a line
        # is misread at inference too, but its glyphs still teach the classifier. Cut them on the
        # true band, a little off as a fit would be.
        cap = true_cap * rng.uniform(0.9, 1.1)
        shift = rng.uniform(-0.08, 0.08) * true_cap
        layout = dataclasses.replace(
            layout, top=true_mid + shift - cap / 2, bottom=true_mid + shift + cap / 2
        )
    centres, pitch = true_centres, true_pitch
    if rng.random() < 0.5:
        grid = fit_grid(layout, n)
        if np.abs(grid.centres - true_centres).max() < 0.3 * true_pitch:
            centres, pitch = grid.centres, grid.pitch
    if centres is true_centres:
        # A misfit grid: one offset for the line, a little more per cell, a slightly wrong pitch.
        jitter = rng.uniform(-0.12, 0.12) + np.clip(rng.normal(0.0, 0.08, size=n), -0.2, 0.2)
        centres = true_centres + jitter * true_pitch
        pitch = true_pitch * rng.uniform(0.96, 1.04)
    cells = cut_cells(layout, centres, pitch)
    labels = np.array([ALPHABET.index(c) for c in sample.text], np.int64)
    return cells.astype(np.float16), labels


def _line_cells_job(args: tuple[int, int]) -> tuple[npt.NDArray[np.float16], npt.NDArray[np.int64]]:
    return line_cells(*args)


def training_set(config: Config) -> tuple[npt.NDArray[np.float16], npt.NDArray[np.int64]]:
    jobs = [(TRAIN_SEED, i) for i in range(config.lines)]
    if config.workers > 1:
        with multiprocessing.get_context("fork").Pool(config.workers, initializer=_one_thread) as pool:
            parts = list(pool.imap(_line_cells_job, jobs, chunksize=16))
    else:
        parts = [_line_cells_job(job) for job in jobs]
    x = np.concatenate([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts])
    return x, y


def _one_thread() -> None:
    import cv2

    cv2.setNumThreads(1)


# ---------------------------------------------------------------------------------------------
# The network and its ONNX export


def build_model():  # type: ignore[no-untyped-def]
    """A small CNN over one CELL_H x CELL_W cell: three strided 3x3 convolutions (32 -> 16 -> 8 -> 4
    px), one more at 4 x 4, two dense layers; about 200k weights and 1.4M multiply-adds a cell
    (strided convolutions rather than pooling: several times cheaper to train on two cores)."""
    import torch
    from torch import nn

    def block(cin: int, cout: int, stride: int) -> list[nn.Module]:
        return [
            nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU(),
        ]

    torch.manual_seed(0)
    return nn.Sequential(
        *block(1, 16, 2),  # 16 x 16
        *block(16, 32, 2),  # 8 x 8
        *block(32, 64, 2),  # 4 x 4
        *block(64, 64, 1),
        nn.Flatten(),
        nn.Dropout(0.2),
        nn.Linear(64 * (CELL_H // 8) * (CELL_W // 8), 128),
        nn.ReLU(),
        nn.Linear(128, len(ALPHABET)),
    )


def export_onnx(model, path: Path) -> None:  # type: ignore[no-untyped-def]
    """The trained network as a plain ONNX graph (batch-norm folded into the convolutions), built
    with ``onnx.helper`` from the weights: no exporter quirks, opset 13 operators only."""
    import onnx
    import torch
    from onnx import TensorProto, helper, numpy_helper
    from torch import nn

    model.eval()
    nodes, inits = [], []
    current = "cells"
    layers = list(model)
    i = 0
    counter = 0

    def name(prefix: str) -> str:
        nonlocal counter
        counter += 1
        return f"{prefix}{counter}"

    while i < len(layers):
        layer = layers[i]
        if isinstance(layer, nn.Conv2d):
            bn = layers[i + 1]
            assert isinstance(bn, nn.BatchNorm2d)
            with torch.no_grad():
                scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
                weight = layer.weight * scale[:, None, None, None]
                bias = bn.bias - bn.running_mean * scale
            w_name, b_name, out = name("w"), name("b"), name("conv")
            inits += [numpy_helper.from_array(weight.numpy().astype(np.float32), w_name),
                      numpy_helper.from_array(bias.numpy().astype(np.float32), b_name)]  # fmt: skip
            stride = int(layer.stride[0])
            nodes.append(
                helper.make_node(
                    "Conv",
                    [current, w_name, b_name],
                    [out],
                    kernel_shape=[3, 3],
                    pads=[1, 1, 1, 1],
                    strides=[stride, stride],
                )
            )
            current = out
            i += 2
            continue
        if isinstance(layer, nn.ReLU):
            out = name("relu")
            nodes.append(helper.make_node("Relu", [current], [out]))
        elif isinstance(layer, nn.MaxPool2d):
            out = name("pool")
            nodes.append(helper.make_node("MaxPool", [current], [out], kernel_shape=[2, 2], strides=[2, 2]))
        elif isinstance(layer, nn.Flatten):
            out = name("flat")
            nodes.append(helper.make_node("Flatten", [current], [out], axis=1))
        elif isinstance(layer, nn.Linear):
            w_name, b_name = name("w"), name("b")
            out = "logits" if layer is layers[-1] else name("fc")
            inits += [numpy_helper.from_array(layer.weight.detach().numpy().astype(np.float32), w_name),
                      numpy_helper.from_array(layer.bias.detach().numpy().astype(np.float32), b_name)]  # fmt: skip
            nodes.append(helper.make_node("Gemm", [current, w_name, b_name], [out], transB=1))
        elif isinstance(layer, nn.Dropout):
            i += 1
            continue
        else:
            raise TypeError(f"cannot export {layer!r}")
        current = out
        i += 1
    graph = helper.make_graph(
        nodes,
        "mrz_ocrb_cells",
        [helper.make_tensor_value_info("cells", TensorProto.FLOAT, ["batch", 1, CELL_H, CELL_W])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", len(ALPHABET)])],
        inits,
    )
    onnx_model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="openkyc"
    )
    onnx_model.ir_version = 8
    onnx.checker.check_model(onnx_model)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(onnx_model, str(path))


# ---------------------------------------------------------------------------------------------
# Training and validation


def train(config: Config, out_dir: Path, log=print, cache: Path | None = None) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """Render the training cells (or load them from ``cache``, written on first use), train, export
    ``recogniser.onnx`` and ``MODEL.md`` into ``out_dir``, validate; the validation report."""
    import torch
    from torch import nn

    torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    started = time.time()
    if cache is not None and cache.is_file():
        data = np.load(cache)
        x, y = data["x"], data["y"]
    else:
        x, y = training_set(config)
        if cache is not None:
            np.savez(cache, x=x, y=y)
    log(f"training cells: {len(y)} from {config.lines} lines ({time.time() - started:.0f} s)")
    model = build_model()
    optimiser = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    steps = config.epochs * int(np.ceil(len(y) / config.batch))
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimiser, max_lr=config.lr, total_steps=steps, pct_start=0.15
    )
    loss_fn = nn.CrossEntropyLoss(label_smoothing=config.label_smoothing)
    generator = np.random.default_rng(config.seed)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    for epoch in range(config.epochs):
        model.train()
        order = torch.from_numpy(generator.permutation(len(y)))
        total, correct, seen = 0.0, 0, 0
        for start in range(0, len(y), config.batch):
            idx = order[start : start + config.batch]
            batch, labels = xt[idx].float(), yt[idx]
            # Contrast and polarity-preserving brightness jitter on top of the rendered variety.
            batch = batch * torch.empty(len(idx), 1, 1, 1).uniform_(0.8, 1.15)
            logits = model(batch)
            loss = loss_fn(logits, labels)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            total += float(loss.detach()) * len(idx)
            correct += int((logits.argmax(1) == labels).sum())
            seen += len(idx)
        log(
            f"epoch {epoch + 1}/{config.epochs}: loss {total / seen:.3f}, train cell accuracy {correct / seen:.4f} ({time.time() - started:.0f} s)"
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    model_path = out_dir / "recogniser.onnx"
    export_onnx(model, model_path)
    report = validate(model_path, config.val_lines)
    report.update(
        train_cells=len(y),
        train_lines=config.lines,
        seconds=round(time.time() - started, 1),
        model_bytes=model_path.stat().st_size,
    )
    log(format_report(report))
    write_model_card(out_dir / "MODEL.md", config, report)
    return report


def validate(model_path: Path, lines: int, seed: int = VAL_SEED) -> dict[str, object]:
    """Per-character and whole-line accuracy of :func:`read_line` (grid fit included) with the model
    at ``model_path`` on ``lines`` rendered lines of ``seed``; overall, per cap-height bucket and per
    degradation family."""
    chars: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    exact: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for index in range(lines):
        sample = mrz_render.render_line(seed, index)
        read = read_line(sample.gray, len(sample.text), model=model_path)
        right = sum(a == b for a, b in zip(read.text, sample.text, strict=True))
        keys = ["all", "cap " + bucket_name(sample.cap_height)] + ["family " + f for f in sample.families]
        for key in keys:
            chars[key][0] += right
            chars[key][1] += len(sample.text)
            exact[key][0] += int(read.text == sample.text)
            exact[key][1] += 1
    return {
        "val_seed": seed,
        "val_lines": lines,
        "char_accuracy": {k: round(v[0] / v[1], 4) for k, v in sorted(chars.items())},
        "line_exact": {k: round(v[0] / v[1], 4) for k, v in sorted(exact.items())},
        "counts": {k: v[1] for k, v in sorted(exact.items())},
    }


def format_report(report: dict[str, object]) -> str:
    chars = report["char_accuracy"]
    exact = report["line_exact"]
    counts = report["counts"]
    assert isinstance(chars, dict) and isinstance(exact, dict) and isinstance(counts, dict)
    rows = [f"{'':28s} {'lines':>6s} {'chars':>7s} {'exact lines':>11s}"]
    for key in chars:
        rows.append(f"{key:28s} {counts[key]:6d} {chars[key]:7.2%} {exact[key]:11.2%}")
    return "\n".join(rows)


def write_model_card(path: Path, config: Config, report: dict[str, object]) -> None:
    from PIL import ImageFont

    font = ImageFont.truetype(str(mrz_render.FONT_PATH), 20)
    text = f"""# MRZ character recogniser (`recogniser.onnx`)

A per-cell classifier over the 37 MRZ characters (`{ALPHABET}`) for
`openkyc.engine.document.mrz.recognise`. Input: one cell with half a pitch of each neighbour,
{CELL_H}x{CELL_W} px (cap height 20 px, pitch 18 px), ink scaled to its contrast; output: logits
in that alphabet's order.

- Trained by `tools/train_mrz_recogniser.py` (PyTorch {_torch_version()}, CPU, {config.threads} threads),
  exported as a plain ONNX graph (opset 13), {report["model_bytes"]} bytes.
- Training material: {report["train_lines"]} MRZ-like lines ({report["train_cells"]} cells) rendered by
  `tools/mrz_render.py` with seed {TRAIN_SEED}, from the OCR-B typeface of Debian's `fonts-ocr-b`
  (`{mrz_render.FONT_PATH}`, "{" ".join(font.getname())}"): public domain (Matthew Skala), glyph
  sources under a permissive licence (Norbert Schwarz: "You may freely use, modify and/or
  distribute this file, without limitation"). No real document images were used.
- Configuration: {json.dumps(dataclasses.asdict(config))}
- Trained on {datetime.datetime.now(datetime.UTC).date().isoformat()} in {report["seconds"]} s.

## Validation (rendered lines from seed {report["val_seed"]}, never used in training; whole reader, grid fit included)

```
{format_report(report)}
```

Reproduce: `.venv/bin/python -m tools.train_mrz_recogniser` (fixed seeds; the same figures up to
floating-point differences between machines).
"""
    path.write_text(text)


def _torch_version() -> str:
    import torch

    return str(torch.__version__)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out-dir", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--tiny", action="store_true", help="a configuration that runs in under a minute")
    parser.add_argument("--lines", type=int)
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--val-lines", type=int)
    parser.add_argument("--threads", type=int)
    parser.add_argument("--workers", type=int)
    parser.add_argument(
        "--cache", type=Path, help="an .npz to keep the rendered training cells in (same config only)"
    )
    args = parser.parse_args(argv)
    config = TINY if args.tiny else Config()
    overrides = {
        k: v
        for k, v in vars(args).items()
        if k in {f.name for f in dataclasses.fields(Config)} and v is not None
    }
    config = dataclasses.replace(config, **overrides)
    os.environ.setdefault("OMP_NUM_THREADS", str(config.threads))
    train(config, args.out_dir, cache=args.cache)
    return 0


if __name__ == "__main__":
    sys.exit(main())


__all__ = [
    "TINY",
    "Config",
    "LineLayout",
    "build_model",
    "export_onnx",
    "line_cells",
    "main",
    "train",
    "validate",
]
