"""Benchmark of the OCR-B MRZ line recogniser (:mod:`openkyc.engine.document.mrz.recognise`).

Prints:

1. Held-out rendered lines (seed 3; training used seed 1 and validation seed 2): per-character and
   exact-line accuracy of :func:`read_line` (grid fit included), per cap-height bucket and per
   degradation family; how often the grid lands within a quarter pitch of the truth (grid ok) and
   the character accuracy on those lines (chars|grid ok: the classifier's share); how often
   ``fit`` ranks the true line length first among 30/36/44.
2. Real document images (out of distribution: the recogniser learnt from the font only, so every
   real source is held out by construction and the pooled figure is the leave-one-source-out
   figure): the MRZ lines are cut by the band locator
   (:func:`openkyc.engine.document.mrz.band.find_bands`, the block with the truth's line count);
   each line is read with n taken from the truth's format. Per-character and exact-line accuracy per source and pooled; documents with
   every line exact; lines whose fit alone ranks their true length first (fit: n).
3. Latency: median time of :func:`read_line` per line on one thread, per line length.

Run: ``.venv/bin/python -m benchmarks.mrz_recogniser_bench [--lines 600] [--quick]``. Writes
``benchmarks/out/mrz_recogniser_real.csv`` (each real line: truth and read).
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import time
from collections import defaultdict
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")

import cv2
import numpy as np
from tools.mrz_render import render_line
from tools.train_mrz_recogniser import bucket_name

from benchmarks.common import out_path
from benchmarks.doc_material import MRZ_SHAPES, DocSample, iter_documents
from openkyc.engine.document.mrz.band import find_bands
from openkyc.engine.document.mrz.recognise import LineRead, analyse_line, fit_grid, read_line

BENCH_SEED = 3


def _count(table: dict[str, list[int]], key: str, right: int, total: int) -> None:
    table[key][0] += right
    table[key][1] += total


def rendered(lines: int) -> None:
    chars: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    exact: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    placed: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    placed_chars: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # characters of well-placed lines
    ranked = [0, 0]
    for index in range(lines):
        sample = render_line(BENCH_SEED, index)
        n = len(sample.text)
        read = read_line(sample.gray, n)
        right = sum(a == b for a, b in zip(read.text, sample.text, strict=True))
        pitch = float(np.mean(sample.cells[:, 1] - sample.cells[:, 0]))
        on_grid = float(np.abs(read.cells.mean(axis=1) - sample.cells.mean(axis=1)).max()) < 0.25 * pitch
        keys = ["all", "cap " + bucket_name(sample.cap_height)] + ["family " + f for f in sample.families]
        for key in keys:
            _count(chars, key, right, n)
            _count(exact, key, int(read.text == sample.text), 1)
            _count(placed, key, int(on_grid), 1)
            if on_grid:
                _count(placed_chars, key, right, n)
        layout = analyse_line(sample.gray)
        fits = {width: fit_grid(layout, width).fit for width in (30, 36, 44)}
        ranked[0] += int(max(fits, key=lambda w: fits[w]) == n)
        ranked[1] += 1
    print(f"\n== Held-out rendered lines (seed {BENCH_SEED}, {lines} lines) ==")
    print(f"{'':26s} {'lines':>6s} {'chars':>8s} {'exact':>8s} {'grid ok':>8s} {'chars|grid ok':>14s}")
    order = sorted(chars, key=lambda k: (not k.startswith("all"), not k.startswith("cap"), k))
    for key in order:
        c, e, p, pc = chars[key], exact[key], placed[key], placed_chars[key]
        given = pc[0] / pc[1] if pc[1] else float("nan")
        print(f"{key:26s} {e[1]:6d} {c[0] / c[1]:8.2%} {e[0] / e[1]:8.2%} {p[0] / p[1]:8.2%} {given:14.2%}")
    print(
        f"fit ranks the true length (30/36/44) first: {ranked[0]}/{ranked[1]} ({ranked[0] / ranked[1]:.1%})"
    )


def _cut_lines(sample: DocSample) -> list[Any]:
    """The sample's MRZ line crops (grey), cut by the band locator
    (:func:`openkyc.engine.document.mrz.band.find_bands`): the most regular block with as many lines
    as the truth's format has (the count is the only thing taken from the truth)."""
    bgr = cv2.imread(str(sample.path), cv2.IMREAD_COLOR)
    if bgr is None:
        return []
    count, _ = MRZ_SHAPES[sample.truth["mrz_type"]]
    for band in find_bands(bgr):
        if len(band.lines) == count:
            return [line.crop for line in band.lines]
    return []


def _read_lines(sample: DocSample) -> list[tuple[LineRead, Any]] | None:
    """The sample's MRZ lines read with n from its truth format, each with its crop (None: too few
    lines cut)."""
    crops = _cut_lines(sample)
    count, n = MRZ_SHAPES[sample.truth["mrz_type"]]
    if len(crops) < count:
        return None
    upright = [(read_line(crop, n), crop) for crop in crops]
    turned_crops = [np.ascontiguousarray(crop[::-1, ::-1]) for crop in reversed(crops)]
    turned = [(read_line(crop, n), crop) for crop in turned_crops]
    # Which way up: the reading the recogniser is surer of (no truth involved); which lines: the
    # consecutive ones whose n-cell grids fit best.
    confidence = [
        float(np.mean([r.probs.max(axis=1).mean() for r, _ in reads])) for reads in (upright, turned)
    ]
    reads = upright if confidence[0] >= confidence[1] else turned
    windows = [reads[i : i + count] for i in range(len(reads) - count + 1)]
    return max(windows, key=lambda w: sum(r.fit for r, _ in w))


def real() -> None:
    samples = [s for s in iter_documents() if s.readable]
    per_source: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    rows = []
    for sample in samples:
        stats = per_source[sample.source]
        stats["documents"] += 1
        reads = _read_lines(sample)
        if reads is None:
            stats["not cut"] += 1
            continue
        for truth, (read, crop) in zip(sample.lines, reads, strict=True):
            right = sum(a == b for a, b in zip(read.text, truth, strict=True))
            # Would the fit alone pick the line's true length among 30/36/44?
            layout = analyse_line(crop)
            fits = {width: fit_grid(layout, width).fit for width in (30, 36, 44)}
            stats["length right"] += int(max(fits, key=lambda w: fits[w]) == len(truth))
            stats["lines"] += 1
            stats["chars"] += len(truth)
            stats["right"] += right
            stats["exact"] += int(read.text == truth)
            rows.append(
                [sample.source, sample.path.name, truth, read.text, right, len(truth), f"{read.fit:.2f}"]
            )
        stats["all lines exact"] += int(
            all(r.text == t for (r, _), t in zip(reads, sample.lines, strict=True))
        )
    with out_path("mrz_recogniser_real.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["source", "image", "truth", "read", "right", "chars", "fit"])
        writer.writerows(rows)
    print("\n== Real document images (never trained or tuned on: each source held out) ==")
    print(
        f"{'source':34s} {'docs':>5s} {'cut':>5s} {'lines':>6s} {'chars':>8s} {'exact lines':>12s} {'exact docs':>11s} {'fit: n':>9s}"
    )
    total: dict[str, int] = defaultdict(int)
    for source in sorted(per_source):
        stats = per_source[source]
        for key, value in stats.items():
            total[key] += value
        _print_real(source, stats)
    _print_real("pooled (= leave-one-source-out)", total)
    print(f"(lines read: {out_path('mrz_recogniser_real.csv')})")


def _print_real(name: str, stats: dict[str, int]) -> None:
    cut = stats["documents"] - stats["not cut"]
    chars = stats["right"] / stats["chars"] if stats["chars"] else float("nan")
    exact = stats["exact"] / stats["lines"] if stats["lines"] else float("nan")
    docs = f"{stats['all lines exact']}/{cut}"
    ranked = f"{stats['length right']}/{stats['lines']}"
    print(
        f"{name:34s} {stats['documents']:5d} {cut:5d} {stats['lines']:6d} {chars:8.2%} {exact:12.2%} {docs:>11s} {ranked:>9s}"
    )


def latency() -> None:
    cv2.setNumThreads(1)
    print("\n== Latency of read_line (one thread; median over lines) ==")
    for n in (30, 36, 44):
        times = []
        for index in range(30):
            sample = render_line(BENCH_SEED + 1, index, n=n)
            read_line(sample.gray, n)  # warm
            start = time.perf_counter()
            for _ in range(3):
                read_line(sample.gray, n)
            times.append((time.perf_counter() - start) / 3 * 1000)
        print(f"n={n}: median {statistics.median(times):.1f} ms, max {max(times):.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=600)
    parser.add_argument("--quick", action="store_true", help="150 rendered lines")
    args = parser.parse_args()
    rendered(150 if args.quick else args.lines)
    real()
    latency()


if __name__ == "__main__":
    main()
