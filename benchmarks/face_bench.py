"""Face verification benchmark: held-out (leave-one-source-out) figures per group, models, detection.

Run from the repo root::

    .venv/bin/python -m tools.face_material --mirrors DIR   # once: the extra material (see there)
    .venv/bin/python -m benchmarks.face_bench               # material, detection, models, LOSO
    .venv/bin/python -m benchmarks.face_bench --variants    # the detector/alignment/jitter table
    .venv/bin/python -m benchmarks.face_bench --variants --quick  # every 5th shared pair
    .venv/bin/python -m benchmarks.face_bench --fit-boxes   # refit detectors.BOX_TO_DLIB

The default run analyses every labelled image once with the engine (detection, both embeddings;
cached in benchmarks/out/face_analyses.pkl, keyed by file hash and engine settings), then scores
every pair (benchmarks/face_eval.py says which pairs) with each model alone and with the engine's
fused, cohort-normalised score, and reports:
  * detection: labelled faces found, per source; faces "found" in images without one;
  * pooled figures (calibrated and measured on all material: a model's separation, not evidence);
  * held-out figures: each pair judged at thresholds calibrated on the other sources only, with a
    normalisation cohort drawn from the other sources only; FAR per demographic group, per source,
    for family look-alikes; TAR for ID-portrait vs selfie pairs;
  * the operating points calibrated on all material, to paste into engine/face/compare.py.

The variants table below (``--variants``) compares detector settings on the shared pairs:

Each image is decoded once (through the engine's safe decoder, then capped at 2048 px on the long
side to bound memory: detection runs at 900 px and the chip is 150 px, so nothing is lost), detected
once per detector configuration and embedded once per variant; pairs only look scores up. A pair
where either image has no face scores -inf (a non-match).
"""

from __future__ import annotations

import argparse
import csv
import math
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from benchmarks.common import TESTDATA, out_path, timing_summary
from openkyc.engine.face.analyse import analyse_face
from openkyc.engine.face.compare import compare_analyses
from openkyc.engine.face.detect import DEFAULT_DETECTORS, DetectedFace, detect_faces, primary_face
from openkyc.engine.face.detectors import BOX_TO_DLIB, FINDERS
from openkyc.engine.face.embed import CHIP_PADDING, CHIP_SIZE, DEFAULT_JITTER, aligned_chip, embed_chip
from openkyc.engine.images import load_image

FACES = TESTDATA / "faces"
BENCH_LONG_SIDE = 2048
FAR_TARGETS = (1e-3, 1e-4)


@dataclass(frozen=True)
class Variant:
    name: str
    detectors: tuple[str, ...] = ("hog",)
    upsample: int | None = None  # None: the engine's size-based default
    pad: float | None = None  # None: the engine's size-based default
    align: bool = True
    jitter: int = 0


VARIANTS: tuple[Variant, ...] = (
    Variant("hog_up0", upsample=0, pad=0.0),
    Variant("hog_up1", upsample=1, pad=0.0),
    Variant("hog_up2", upsample=2, pad=0.0),
    Variant("hog_auto", pad=0.0),
    Variant("hog_auto_pad"),
    Variant("cnn_mmod", detectors=("cnn",)),
    Variant("blazeface_short", detectors=("blazeface_short",)),
    Variant("blazeface_full", detectors=("blazeface_full",)),
    Variant("haar", detectors=("haar",)),
    Variant("hog_unaligned", align=False),
    Variant("hog_jitter5", jitter=5),
    Variant("hog_jitter10", jitter=10),
    Variant("hog>blazeface_full", detectors=("hog", "blazeface_full")),
    Variant("hog>cnn", detectors=("hog", "cnn")),
    Variant("hog>blazeface_full>cnn", detectors=("hog", "blazeface_full", "cnn")),
)


def default_variant_name() -> str:
    """The variant the engine runs by default (detector cascade + default jitter, aligned)."""
    for variant in VARIANTS:
        engine_detection = variant.detectors == DEFAULT_DETECTORS and variant.upsample is variant.pad is None
        if engine_detection and variant.align and variant.jitter == DEFAULT_JITTER:
            return variant.name
    raise SystemExit("the engine default is not among the benchmark variants")


def load_pairs(quick: bool) -> list[tuple[str, str, bool]]:
    with (FACES / "pairs.csv").open(newline="") as handle:
        pairs = [(r["img_a"], r["img_b"], r["same_person"] == "1") for r in csv.DictReader(handle)]
    return pairs[::5] if quick else pairs


def load_images(names: Sequence[str]) -> dict[str, NDArray[Any]]:
    images = {}
    for name in names:
        bgr = load_image(FACES / name).bgr
        long_side = max(bgr.shape[:2])
        if long_side > BENCH_LONG_SIDE:
            factor = BENCH_LONG_SIDE / long_side
            bgr = cv2.resize(bgr, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
        images[name] = bgr
    return images


def unaligned_chip(bgr: NDArray[Any], face: DetectedFace) -> NDArray[Any]:
    """The detector box plus the chip's padding, cropped and resized with no rotation."""
    left, top, right, bottom = face.box
    grow = CHIP_PADDING * max(right - left, bottom - top)
    height, width = bgr.shape[:2]
    x0, y0 = max(0, int(left - grow)), max(0, int(top - grow))
    x1, y1 = min(width, int(right + grow)), min(height, int(bottom + grow))
    crop = bgr[y0:y1, x0:x1] if x1 > x0 and y1 > y0 else bgr
    return np.ascontiguousarray(cv2.resize(crop, (CHIP_SIZE, CHIP_SIZE))[:, :, ::-1])


@dataclass
class VariantRun:
    variant: Variant
    embeddings: dict[str, NDArray[np.float64] | None]
    detect_ms: list[float]
    embed_ms: list[float]


def run_variant(
    variant: Variant,
    images: dict[str, NDArray[Any]],
    detections: dict[tuple[str, int | None, float | None], dict[str, tuple[list[DetectedFace], float]]],
) -> VariantRun:
    # A cascade runs its detectors in turn until one finds a face, so its result and its time are
    # assembled from the single-detector runs (each detector runs once per image, not per variant).
    found: dict[str, list[DetectedFace]] = {}
    detect_ms: list[float] = []
    for name, bgr in images.items():
        spent = 0.0
        for detector in variant.detectors:
            key = (detector, variant.upsample, variant.pad)
            per_image = detections.setdefault(key, {})
            if name not in per_image:
                start = time.perf_counter()
                faces = detect_faces(
                    bgr, detectors=(detector,), upsample=variant.upsample, pad=variant.pad, fallbacks=False
                )
                per_image[name] = (faces, (time.perf_counter() - start) * 1000)
            faces, ms = per_image[name]
            spent += ms
            if faces:
                break
        found[name] = faces
        detect_ms.append(spent)
    embeddings: dict[str, NDArray[np.float64] | None] = {}
    embed_ms: list[float] = []
    for name, bgr in images.items():
        face = primary_face(found[name])
        if face is None:
            embeddings[name] = None
            continue
        start = time.perf_counter()
        chip = aligned_chip(bgr, face) if variant.align else unaligned_chip(bgr, face)
        embeddings[name] = embed_chip(chip, jitter=variant.jitter)
        embed_ms.append((time.perf_counter() - start) * 1000)
    return VariantRun(variant, embeddings, detect_ms, embed_ms)


def pair_scores(
    run: VariantRun, pairs: list[tuple[str, str, bool]]
) -> tuple[NDArray[np.float64], NDArray[np.float64], int]:
    scores, labels, missing = [], [], 0
    for a, b, same in pairs:
        ea, eb = run.embeddings[a], run.embeddings[b]
        if ea is None or eb is None:
            scores.append(-math.inf)
            missing += 1
        else:
            scores.append(1.0 - float(np.linalg.norm(ea - eb)))
        labels.append(same)
    return np.array(scores), np.array(labels, dtype=bool), missing


def threshold_at_far(impostor: NDArray[np.float64], far: float) -> float:
    """Lowest threshold (score >= t accepts) whose observed FAR is <= ``far``.

    With N impostor pairs at most floor(far * N) may be accepted, so t sits just above the
    (floor(far * N) + 1)-th highest impostor score. When far * N < 1 this is "above every
    impostor": the observed FAR is 0, which does not show that the true FAR is that low.
    """
    allowed = math.floor(far * len(impostor) + 1e-9)
    ordered = np.sort(impostor)[::-1]
    return float(np.nextafter(ordered[allowed], np.inf)) if allowed < len(ordered) else -math.inf


def gaussian_tail_threshold(impostor: NDArray[np.float64], far: float) -> float:
    """The ``1 - far`` quantile of a normal fitted to the finite impostor scores."""
    finite = impostor[np.isfinite(impostor)]
    z = statistics.NormalDist().inv_cdf(1.0 - far)
    return float(finite.mean() + z * finite.std(ddof=1))


def det_points(
    genuine: NDArray[np.float64], impostor: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    thresholds = np.unique(
        np.concatenate([genuine, impostor])[np.isfinite(np.concatenate([genuine, impostor]))]
    )
    far = np.array([(impostor >= t).mean() for t in thresholds])
    frr = np.array([(genuine < t).mean() for t in thresholds])
    return far, frr


def summarise(run: VariantRun, pairs: list[tuple[str, str, bool]]) -> dict[str, float | int | str]:
    scores, labels, missing = pair_scores(run, pairs)
    genuine, impostor = scores[labels], scores[~labels]
    row: dict[str, float | int | str] = {"variant": run.variant.name, "no_face_pairs": missing}
    row["images_no_face"] = sum(1 for e in run.embeddings.values() if e is None)
    t3 = threshold_at_far(impostor, 1e-3)
    t4 = threshold_at_far(impostor, 1e-4)
    row["thr_far_1e-3"] = t3
    row["tar_far_1e-3"] = float((genuine >= t3).mean())
    row["thr_far_1e-4"] = t4
    row["tar_far_1e-4"] = float((genuine >= t4).mean())
    row["accuracy_far_1e-3"] = float(((scores >= t3) == labels).mean())
    finite = np.unique(scores[np.isfinite(scores)])
    row["best_accuracy"] = float(max(((scores >= t) == labels).mean() for t in finite))
    row["detect_ms_p50"] = statistics.median(run.detect_ms)
    row["detect_ms_mean"] = statistics.fmean(run.detect_ms)
    row["embed_ms_p50"] = statistics.median(run.embed_ms) if run.embed_ms else math.nan
    return row


def plot_det(runs: list[VariantRun], pairs: list[tuple[str, str, bool]], default: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 7))
    for run in runs:
        scores, labels, _ = pair_scores(run, pairs)
        far, frr = det_points(scores[labels], scores[~labels])
        # Zero rates cannot sit on log axes; clip them to half a pair so the curve stays visible.
        far = np.clip(far, 0.5 / max(1, (~labels).sum()), 1)
        frr = np.clip(frr, 0.5 / max(1, labels.sum()), 1)
        ax.step(
            far, frr, where="post", lw=2.5 if run.variant.name == default else 1.0, label=run.variant.name
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("false accept rate (impostor pairs)")
    ax.set_ylabel("false reject rate (genuine pairs)")
    ax.set_title(f"Face verification DET, shared pairs ({len(pairs)}); bold = engine default")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def fit_boxes(images: dict[str, NDArray[Any]]) -> None:
    """Print the box re-framing (dx, dy, scale) that maps each detector's boxes onto HOG's."""
    detections = {
        name: {det: detect_faces(bgr, detectors=(det,)) for det in FINDERS} for name, bgr in images.items()
    }
    for det in FINDERS:
        if det == "hog":
            continue
        dxs, dys, scales = [], [], []
        for per_image in detections.values():
            for ref in per_image["hog"]:
                for face in per_image[det]:
                    l0, t0, r0, b0 = ref.box
                    l1, t1, r1, b1 = face.box
                    inter = max(0, min(r0, r1) - max(l0, l1)) * max(0, min(b0, b1) - max(t0, t1))
                    if inter / float(ref.area + face.area - inter) < 0.3:
                        continue
                    # face.box is already re-framed by the current BOX_TO_DLIB; undo it to fit raw.
                    dx0, dy0, s0 = BOX_TO_DLIB[det]
                    w1, h1 = (r1 - l1) / s0, (b1 - t1) / s0
                    cx1, cy1 = (l1 + r1) / 2 - dx0 * w1, (t1 + b1) / 2 - dy0 * h1
                    dxs.append(((l0 + r0) / 2 - cx1) / w1)
                    dys.append(((t0 + b0) / 2 - cy1) / h1)
                    scales.append((r0 - l0) / w1)
        if dxs:
            print(
                f'    "{det}": ({statistics.median(dxs):.3f}, {statistics.median(dys):.3f}, '
                f"{statistics.median(scales):.3f}),  # n={len(dxs)}"
            )


def smartselfie_ms(repeats: int = 3) -> list[float]:
    """Wall time of the engine default on one SmartSelfie job: a 1280x720 selfie and 8 640x360 frames.

    Each image is analysed once (detect + align + embed) and the selfie compared with every frame.
    """
    selfie = load_image(FACES / "ageitgey+face_recognition/examples/obama-720p.jpg").bgr
    frames = [
        np.ascontiguousarray(
            cv2.resize(np.roll(selfie, 8 * i, axis=1), (640, 360), interpolation=cv2.INTER_AREA)
        )
        for i in range(8)
    ]
    analyse_face(selfie)  # load the models outside the timing
    totals = []
    for _ in range(repeats):
        start = time.perf_counter()
        reference = analyse_face(selfie)
        results = [compare_analyses(reference, analyse_face(frame)) for frame in frames]
        totals.append((time.perf_counter() - start) * 1000)
        assert all(r.score is not None for r in results)
    return totals


def document_portraits(detector_sets: Sequence[tuple[str, ...]]) -> None:
    """Which passport/ID specimens each detector finds a face on.

    There is no portrait ground truth: backs of cards and the two pacman negatives have none, and
    27_pass-gbr's portrait is blurred out, so a "face" there is a false hit.
    """
    paths = sorted(p for p in (TESTDATA / "docs").rglob("*") if p.suffix.lower() in {".jpg", ".jpeg", ".png"})
    found: dict[tuple[str, ...], set[str]] = {}
    for detectors in detector_sets:
        found[detectors] = set()
        times = []
        for path in paths:
            bgr = load_image(path).bgr
            start = time.perf_counter()
            faces = detect_faces(bgr, detectors=detectors)
            times.append((time.perf_counter() - start) * 1000)
            if faces:
                found[detectors].add(path.name)
        print(
            f"  {'>'.join(detectors):16} portrait found in {len(found[detectors])}/{len(paths)} document images; "
            f"{timing_summary(times)}"
        )
    everything = set().union(*found.values())
    for detectors, names in found.items():
        if everything - names:
            missed = ", ".join(sorted(everything - names))
            print(f"    {'>'.join(detectors)} finds nothing where another detector finds a face: {missed}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="every 5th pair only")
    parser.add_argument("--fit-boxes", action="store_true", help="fit detectors.BOX_TO_DLIB and exit")
    parser.add_argument("--only", nargs="*", help="run only these variants (names from the table)")
    parser.add_argument("--docs", action="store_true", help="only the document-portrait check")
    parser.add_argument("--variants", action="store_true", help="the detector-variant table (shared pairs)")
    parser.add_argument("--refresh", action="store_true", help="re-analyse every image (ignore the cache)")
    args = parser.parse_args()

    if not (args.variants or args.quick or args.fit_boxes or args.only or args.docs):
        from benchmarks import face_generalisation

        face_generalisation.run(refresh=args.refresh)
        return

    if args.docs:
        document_portraits([DEFAULT_DETECTORS, ("blazeface_full",), ("blazeface_short",), ("haar",)])
        return
    pairs = load_pairs(args.quick)
    names = sorted({a for a, _, _ in pairs} | {b for _, b, _ in pairs})
    start = time.perf_counter()
    images = load_images(names)
    print(
        f"{len(pairs)} pairs ({sum(p[2] for p in pairs)} genuine), {len(images)} images, "
        f"decoded in {time.perf_counter() - start:.1f} s"
    )
    if args.fit_boxes:
        fit_boxes(images)
        return

    default = default_variant_name()
    variants = [v for v in VARIANTS if not args.only or v.name in args.only or v.name == default]
    detections: dict[tuple[str, int | None, float | None], dict[str, tuple[list[DetectedFace], float]]] = {}
    runs, rows = [], []
    for variant in variants:
        start = time.perf_counter()
        run = run_variant(variant, images, detections)
        runs.append(run)
        rows.append(summarise(run, pairs))
        print(f"  {variant.name}: {time.perf_counter() - start:.1f} s", flush=True)

    header = (
        f"{'variant':24} {'noface img/pairs':>16} {'TAR@1e-3':>9} {'TAR@1e-4*':>9} {'acc@1e-3':>8} "
        f"{'best acc':>8} {'thr 1e-3':>8} {'det ms p50':>10} {'emb ms p50':>10}"
    )
    print("\n" + header + "\n" + "-" * len(header))
    for row in rows:
        mark = " <- default" if row["variant"] == default else ""
        print(
            f"{row['variant']:24} {row['images_no_face']:>7}/{row['no_face_pairs']:<8} "
            f"{row['tar_far_1e-3']:>9.2%} {row['tar_far_1e-4']:>9.2%} {row['accuracy_far_1e-3']:>8.2%} "
            f"{row['best_accuracy']:>8.2%} {row['thr_far_1e-3']:>8.4f} {row['detect_ms_p50']:>10.1f} "
            f"{row['embed_ms_p50']:>10.1f}{mark}"
        )
    n_imp = sum(not p[2] for p in pairs)
    print(
        f"\n* {n_imp} impostor pairs cannot resolve FAR 1e-4 (that needs >= 10,000): the 1e-4 column uses a "
        f"threshold above every impostor (observed FAR 0; 95% upper bound 3/{n_imp} = {3 / n_imp:.2%})."
    )

    csv_path = out_path("face_variants.csv" if not args.quick else "face_variants_quick.csv")
    with csv_path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    det_path = out_path("face_det.png" if not args.quick else "face_det_quick.png")
    plot_det(runs, pairs, default, det_path)

    run = next(r for r in runs if r.variant.name == default)
    scores, labels, missing = pair_scores(run, pairs)
    impostor = scores[~labels]
    genuine = scores[labels]
    print(
        f"\ndefault variant {default}: detection {timing_summary(run.detect_ms)}; "
        f"embedding {timing_summary(run.embed_ms)}"
    )
    print(
        f"  pairs with no face: {missing}; lowest genuine score {np.min(genuine):.4f}; "
        f"highest impostor score {np.max(impostor):.4f}"
    )
    # One or two impostors decide an observed threshold at these rates, so each operating point
    # is also held against a normal fitted to all 1353 impostor scores, and the stricter one is kept.
    print("  calibrated OPERATING_POINTS = max(observed, Gaussian tail), rounded up to 0.01:")
    with out_path("face_scores.csv").open("w", newline="") as handle:
        score_writer = csv.writer(handle)
        score_writer.writerow(["img_a", "img_b", "same_person", "score"])
        score_writer.writerows(
            (a, b, int(same), f"{score:.6f}") for (a, b, same), score in zip(pairs, scores, strict=True)
        )
    for far_target in FAR_TARGETS:
        observed = threshold_at_far(impostor, far_target)
        tail = gaussian_tail_threshold(impostor, far_target)
        value = math.ceil(max(observed, tail) * 100) / 100
        far = float((impostor >= value).mean())
        tar = float((genuine >= value).mean())
        print(
            f'    "far_{far_target:.0e}": {value:.2f},  # observed {observed:.4f}, Gaussian {tail:.4f}; '
            f"at {value:.2f}: FAR {far:.3%}, TAR {tar:.2%}".replace("e-0", "e-")
        )
    print("\nDocument specimens (docs/):")
    document_portraits([DEFAULT_DETECTORS, ("blazeface_full",), ("blazeface_short",), ("haar",)])
    job_ms = smartselfie_ms()
    print(
        f"\nSmartSelfie face work (selfie 1280x720 + 8 frames 640x360, analyse once, 8 compares): "
        f"{', '.join(f'{ms:.0f}' for ms in job_ms)} ms (3 runs)"
    )
    print(f"\nwrote {csv_path} and {det_path}")


if __name__ == "__main__":
    main()
