"""MRZ reading benchmark, with leave-one-source-out figures.

Run from the repository root: ``.venv/bin/python -m benchmarks.mrz_bench [--synthetic N] [--no-plot]``

Material, each sample tagged with its source:

- real documents (``benchmarks/doc_material.py``): the shared PassportEye specimens and the other
  public sources under ``benchmarks/data/docs``, truth transcribed by eye;
- generated documents (``testkit.specimens``), one source per layout family (passport data
  page, card back, card front, TD2 card, MRV-A visa sticker, MRV-B visa), captured as small scans,
  scans, photocopies, phone photos and turned phone photos, a quarter with one broken check digit;
  and the same phone photos stored upright in pixels but turned by their EXIF orientation tag.

Nothing in the reader is fitted to any of these: the recogniser learnt from the OCR-B font alone
(``tools/train_mrz_recogniser.py``). What is tuned on material is the confidence a reading needs
before it may be called valid (:data:`openkyc.engine.document.mrz.decode.VALID_MIN_CONFIDENCE`):
the lowest threshold that lets no wrong reading be valid. Leave-one-source-out: for each source,
the threshold is chosen on all the others and the source is measured at it; the held-out results
are pooled. Figures: exact reads of readable MRZs, wrong reads reported valid, correct reads
reported valid, broken check digits flagged, negatives with no MRZ reported, dates in the right
century (generated material, whose full dates are known), and time per document.
"""

from __future__ import annotations

import argparse
import io
import time
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image

from benchmarks.common import out_path, timing_summary
from benchmarks.doc_material import iter_documents
from openkyc.engine.document.mrz import decode as mrz_decode
from openkyc.engine.document.mrz.read import MrzReading, read_mrz
from openkyc.engine.images import load_image
from testkit import specimens

# Thresholds the valid-confidence is chosen from.
THRESHOLDS = tuple(round(float(t), 2) for t in np.arange(0.30, 1.0, 0.025))


@dataclass
class Sample:
    """One document read: where from, what it says, what was read."""

    source: str
    name: str
    truth: list[str]  # empty: no MRZ to find
    negative: bool  # a document with no MRZ at all (an unreadable MRZ is neither)
    broken: bool  # the printed check digits do not all hold
    reading: MrzReading
    ms: float
    dates: tuple[date, date] | None = None  # birth, expiry in full (generated material)

    @property
    def exact(self) -> bool:
        return bool(self.truth) and self.reading.lines == self.truth

    def valid_at(self, threshold: float) -> bool:
        """Whether the reading would be valid with ``threshold`` as the confidence it needs."""
        result = self.reading.result
        if result is None or not all(result.checks.values()):
            return False
        return not mrz_decode.structural_problems(result) and self.reading.unvouched_confidence >= threshold


def _ascii(text: str) -> str:
    """Truth as an MRZ can hold it (a specimen prints 'Ñ', another a lower-case 'c')."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).upper()


def _read(image: NDArray[np.uint8]) -> tuple[MrzReading, float]:
    start = time.perf_counter()
    reading = read_mrz(image)
    return reading, (time.perf_counter() - start) * 1000


def real_samples() -> list[Sample]:
    samples = []
    for doc in iter_documents():
        reading, ms = _read(load_image(doc.path).bgr)
        samples.append(
            Sample(
                source=doc.source,
                name=doc.path.name,
                truth=[_ascii(line) for line in doc.lines] if doc.readable else [],
                negative=doc.truth["mrz_type"] == "none",
                broken=doc.truth["all_check_digits_ok"] == "no",
                reading=reading,
                ms=ms,
            )
        )
    return samples


def _exif_jpeg(image: NDArray[np.uint8], seed: int) -> NDArray[np.uint8]:
    """The image stored turned in its pixels with the EXIF tag that turns it back, decoded as the
    engine decodes uploads: the tag must be applied."""
    orientation, turns = [(6, 1), (3, 2), (8, 3)][seed % 3]
    stored = np.ascontiguousarray(np.rot90(image, turns))
    pil = Image.fromarray(cv2.cvtColor(stored, cv2.COLOR_BGR2RGB))
    exif = Image.Exif()
    exif[0x0112] = orientation
    buffer = io.BytesIO()
    pil.save(buffer, format="JPEG", quality=90, exif=exif.tobytes())
    return load_image(buffer.getvalue()).bgr


def synthetic_samples(per_layout: int) -> list[Sample]:
    samples = []
    for index, spec in enumerate(specimens.specimen_set(per_layout, seed=2026)):
        image = spec.image
        capture: str = spec.capture
        if capture == "phone" and index % 2 == 0:
            image, capture = _exif_jpeg(image, index), "exif"
        reading, ms = _read(image)
        samples.append(
            Sample(
                source=f"generated:{spec.layout}",
                name=f"{spec.layout}/{capture}/{spec.seed}",
                truth=spec.lines,
                negative=False,
                broken=spec.broken is not None,
                reading=reading,
                ms=ms,
                dates=(spec.birth_date, spec.expiry_date),
            )
        )
    return samples


@dataclass
class Figures:
    readable: int = 0
    exact: int = 0
    wrong_valid: int = 0
    correct_valid: int = 0
    broken: int = 0
    broken_flagged: int = 0
    negatives: int = 0
    negatives_clean: int = 0

    def add(self, sample: Sample, threshold: float) -> None:
        if sample.negative:
            self.negatives += 1
            self.negatives_clean += int(sample.reading.result is None)
            return
        if not sample.truth:
            return
        self.readable += 1
        self.exact += int(sample.exact)
        valid = sample.valid_at(threshold)
        self.wrong_valid += int(valid and not sample.exact)
        self.correct_valid += int(valid and sample.exact)
        if sample.broken:
            self.broken += 1
            self.broken_flagged += int(sample.reading.result is not None and not valid)

    def line(self) -> str:
        return (
            f"exact {self.exact}/{self.readable} = {self.exact / max(self.readable, 1):.1%}; "
            f"wrong reads valid {self.wrong_valid}; correct reads valid {self.correct_valid}/{self.exact}; "
            f"broken flagged {self.broken_flagged}/{self.broken}; "
            f"negatives clean {self.negatives_clean}/{self.negatives}"
        )


def figures(samples: list[Sample], threshold: float) -> Figures:
    out = Figures()
    for sample in samples:
        out.add(sample, threshold)
    return out


def choose_threshold(samples: list[Sample]) -> float:
    """The lowest threshold at which no wrong reading of ``samples`` is valid."""
    for threshold in THRESHOLDS:
        if figures(samples, threshold).wrong_valid == 0:
            return threshold
    return THRESHOLDS[-1]


def report(samples: list[Sample]) -> dict[str, object]:
    by_source: dict[str, list[Sample]] = defaultdict(list)
    for sample in samples:
        by_source[sample.source].append(sample)
    default = mrz_decode.VALID_MIN_CONFIDENCE
    print(f"== Pooled (all {len(samples)} documents), valid-confidence {default} (the engine's default) ==")
    print(figures(samples, default).line())
    pooled_threshold = choose_threshold(samples)
    print(f"threshold chosen on all material: {pooled_threshold}")
    print("== Leave one source out: threshold chosen on the other sources, measured on the one left out ==")
    held_out = Figures()
    for source, own in sorted(by_source.items()):
        others = [s for s in samples if s.source != source]
        threshold = choose_threshold(others)
        result = figures(own, threshold)
        for sample in own:
            held_out.add(sample, threshold)
        print(f"  {source:42s} t={threshold:.3f}  {result.line()}")
    print(f"HELD-OUT POOLED: {held_out.line()}")
    real = [s for s in samples if not s.source.startswith("generated:")]
    print(f"  real documents only:      {_pooled_held_out(real, samples).line()}")
    generated = [s for s in samples if s.source.startswith("generated:")]
    print(f"  generated documents only: {_pooled_held_out(generated, samples).line()}")
    _dates(generated)
    _captures(generated)
    print(f"time per document (read_mrz): {timing_summary([s.ms for s in samples])}")
    misses = [s for s in samples if s.truth and not s.exact]
    for sample in misses:
        r = sample.reading
        state = "none" if r.result is None else f"valid={r.result.valid} conf={r.confidence:.2f}"
        print(
            f"  miss {sample.source} {sample.name}: {state}\n      read {r.lines}\n      want {sample.truth}"
        )
    for sample in samples:
        if sample.negative and sample.reading.result is not None:
            print(f"  negative with an MRZ reported: {sample.source} {sample.name}: {sample.reading.lines}")
    return {"by_source": by_source, "pooled_threshold": pooled_threshold}


def _pooled_held_out(subset: list[Sample], samples: list[Sample]) -> Figures:
    out = Figures()
    for source in sorted({s.source for s in subset}):
        threshold = choose_threshold([s for s in samples if s.source != source])
        for sample in subset:
            if sample.source == source:
                out.add(sample, threshold)
    return out


def _dates(generated: list[Sample]) -> None:
    right = total = 0
    for sample in generated:
        result = sample.reading.result
        if sample.dates is None or result is None or not sample.exact:
            continue
        total += 2
        birth, expiry = sample.dates
        right += int(result.fields.birth_date == birth.isoformat())
        right += int(result.fields.expiry_date == expiry.isoformat())
    print(f"dates in the right century (exact reads of generated documents): {right}/{total}")


def _captures(generated: list[Sample]) -> None:
    by_capture: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for sample in generated:
        capture = sample.name.split("/")[1]
        by_capture[capture][0] += int(sample.exact)
        by_capture[capture][1] += 1
    print(
        "generated, exact by capture: "
        + ", ".join(f"{k} {a}/{b}" for k, (a, b) in sorted(by_capture.items()))
    )


def _plot(samples: list[Sample]) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.5))
    wrong = [figures(samples, t).wrong_valid for t in THRESHOLDS]
    correct = [figures(samples, t).correct_valid for t in THRESHOLDS]
    ax1.plot(THRESHOLDS, wrong, label="wrong reads valid")
    ax1.plot(THRESHOLDS, correct, label="correct reads valid")
    ax1.set_xlabel("valid-confidence threshold")
    ax1.set_title("What 'valid' costs and saves (all material)")
    ax1.legend()
    ax2.hist([s.ms for s in samples], bins=30)
    ax2.set_xlabel("ms per document (read_mrz)")
    ax2.set_title("Latency")
    fig.tight_layout()
    path = out_path("mrz_bench.png")
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--synthetic", type=int, default=12, help="generated documents per layout (0: none)")
    parser.add_argument("--no-plot", action="store_true")
    args = parser.parse_args()
    samples = real_samples()
    if args.synthetic:
        samples += synthetic_samples(args.synthetic)
    report(samples)
    if not args.no_plot:
        print("plot:", _plot(samples))


if __name__ == "__main__":
    main()
