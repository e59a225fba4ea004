"""Helpers shared by the benchmark scripts: where data lives, where plots go, timing summaries."""

from __future__ import annotations

import os
import statistics
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
TESTDATA = Path(os.environ.get("OPENKYC_TESTDATA", REPO_ROOT.parent / "shared" / "testdata"))
OUT_DIR = Path(os.environ.get("OPENKYC_BENCH_OUT", REPO_ROOT / "benchmarks" / "out"))


def out_path(name: str) -> Path:
    """A file under the benchmark output directory (created on demand)."""
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    return OUT_DIR / name


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * q / 100.0
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def timing_summary(ms: list[float]) -> str:
    """'p50 / p95 / mean' of a list of milliseconds, for printing."""
    if not ms:
        return "n/a"
    return f"p50 {percentile(ms, 50):.1f} ms, p95 {percentile(ms, 95):.1f} ms, mean {statistics.fmean(ms):.1f} ms"
