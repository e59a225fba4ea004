"""The default run of benchmarks/face_bench.py: material, detection, models, held-out figures.

Kept apart from face_bench.py's detector-variant table so that each stays readable; see
face_bench.py's docstring for what is printed and face_eval.py for the pairs and calibration.
"""

from __future__ import annotations

import math
import pickle
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from benchmarks.common import TESTDATA, out_path
from benchmarks.face_eval import (
    FACE_ROLES,
    FaceImage,
    Pairs,
    build_pairs,
    calibrate,
    held_out_thresholds,
    load_extra,
    load_shared,
    rates,
    report_group,
    tar_at_far,
)
from openkyc.engine.errors import EngineError
from openkyc.engine.face.compare import OPERATING_POINTS
from openkyc.engine.face.detect import DEFAULT_DETECTORS, detect_faces, primary_face
from openkyc.engine.face.embed import aligned_chip, embed_chips
from openkyc.engine.face.vgg2_mobilenet import embed_mobilenet
from openkyc.engine.images import load_image

BENCH_LONG_SIDE = 2048
NAMED_FARS = {name: float(name.removeprefix("far_")) for name in OPERATING_POINTS}
# Bumped when detection changes: cached analyses that found no face are then redone (fallbacks only
# run when the default cascade finds nothing, so a face found before is found the same way now).
CACHE_VERSION = f"v2 {DEFAULT_DETECTORS} fallbacks"
MODELS = ("dlib", "mobilenet")
# Cohort normalisation (AS-norm), tried and dropped: K closest cohort members, floor on their spread.
COHORT_K = 40
MIN_STD = 1e-3


@dataclass
class Analysed:
    faces: int
    detector: str | None
    embeddings: dict[str, NDArray[np.float64]]
    ms: float
    refused: str = ""  # the engine's error for a file it does not accept (e.g. WEBP named .png)
    version: str = CACHE_VERSION


def analyse_all(images: Sequence[FaceImage], refresh: bool) -> dict[str, Analysed]:
    """Detect and embed every image once (cached across runs by file hash + engine settings)."""
    cache_file = out_path("face_analyses.pkl")
    cache: dict[tuple[str, str], Analysed] = {}
    if cache_file.exists() and not refresh:
        cache = pickle.loads(cache_file.read_bytes())  # noqa: S301 - this script's own cache file
    result: dict[str, Analysed] = {}
    fresh = 0
    start = time.perf_counter()
    for image in images:
        key = (image.key, image.photo)
        stale = key in cache and cache[key].version != CACHE_VERSION and not cache[key].embeddings
        if key not in cache or stale:
            cache[key] = analyse_one(image)
            fresh += 1
            if fresh % 100 == 0:
                print(f"  analysed {fresh} images ({time.perf_counter() - start:.0f} s)", flush=True)
        result[image.key] = cache[key]
    if fresh:
        cache_file.write_bytes(pickle.dumps(cache))
    return result


def analyse_one(image: FaceImage) -> Analysed:
    try:
        bgr = load_image(image.path).bgr
    except EngineError as error:  # refused as the engine refuses it (format, truncation)
        return Analysed(0, None, {}, 0.0, refused=type(error).__name__)
    long_side = max(bgr.shape[:2])
    if long_side > BENCH_LONG_SIDE:  # bounds memory; detection runs at 900 px anyway
        factor = BENCH_LONG_SIDE / long_side
        bgr = cv2.resize(bgr, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
    start = time.perf_counter()
    faces = detect_faces(bgr)
    ms = (time.perf_counter() - start) * 1000
    face = primary_face(faces)
    if face is None:
        return Analysed(0, None, {}, ms)
    return Analysed(
        len(faces),
        face.detector,
        {"dlib": embed_chips([aligned_chip(bgr, face)])[0], "mobilenet": embed_mobilenet(bgr, face)},
        ms,
    )


def embedding_matrix(
    images: Sequence[FaceImage], analysed: dict[str, Analysed], model: str
) -> NDArray[np.float64]:
    dim = 128 if model == "dlib" else 1024
    rows = [analysed[i.key].embeddings.get(model, np.full(dim, np.nan)) for i in images]
    return np.asarray(rows, dtype=np.float64)


def similarity_matrix(model: str, x: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.float64]:
    if model == "dlib":
        squared = (x**2).sum(1)[:, None] + (y**2).sum(1)[None, :] - 2 * x @ y.T
        result: NDArray[np.float64] = 1.0 - np.sqrt(np.maximum(squared, 0.0))
        return result
    cosine: NDArray[np.float64] = x @ y.T
    return cosine


def pair_raw(model: str, x: NDArray[np.float64], pairs: Pairs) -> NDArray[np.float64]:
    a, b = x[pairs.a], x[pairs.b]
    raw = 1.0 - np.linalg.norm(a - b, axis=1) if model == "dlib" else (a * b).sum(1)
    return np.where(np.isnan(raw), -np.inf, raw)


def cohort_members(
    images: Sequence[FaceImage], analysed: dict[str, Analysed], excluded: set[str]
) -> list[int]:
    """One image per identity (its first with a face) from sources not excluded; no KinFaceW."""
    members, seen = [], set()
    for index, image in enumerate(images):
        if image.source in excluded or image.family or image.role not in ("face",) or image.identity in seen:
            continue
        if analysed[image.key].embeddings:
            seen.add(image.identity)
            members.append(index)
    return members


def normalised_pairs(
    images: Sequence[FaceImage],
    analysed: dict[str, Analysed],
    x: dict[str, NDArray[np.float64]],
    raw: dict[str, NDArray[np.float64]],
    pairs: Pairs,
    excluded: set[str],
) -> NDArray[np.float64]:
    """A fused score tried for the engine: each model's similarity cohort-normalised (AS-norm:
    z = ((s - mean_K(a)) / std_K(a) + (s - mean_K(b)) / std_K(b)) / 2 over each face's K closest
    cohort members), then averaged over the models.

    Each image is normalised against a cohort drawn from the sources other than its own and other
    than ``excluded``: people photographed in the same session as the face (or the face itself)
    would make its strangers look closer than a deployed engine's shipped cohort ever does."""
    sources = np.asarray([i.source for i in images])
    z_sum = np.zeros(len(pairs))
    for model in MODELS:
        mean = np.zeros(len(images))
        std = np.ones(len(images))
        for source in sorted(set(sources)):
            rows = np.flatnonzero(sources == source)
            members = cohort_members(images, analysed, excluded | {source})
            if not members:
                continue
            sims = similarity_matrix(model, x[model][rows], x[model][members])
            k = min(COHORT_K, len(members))
            top = -np.sort(-sims, axis=1)[:, :k]
            mean[rows] = top.mean(axis=1)
            std[rows] = np.maximum(MIN_STD, top.std(axis=1))
        s = raw[model]
        z_sum += 0.5 * ((s - mean[pairs.a]) / std[pairs.a] + (s - mean[pairs.b]) / std[pairs.b])
    fused = z_sum / len(MODELS)
    return np.where(np.isfinite(fused), fused, -np.inf)


def z_sum(raw: dict[str, NDArray[np.float64]], pairs: Pairs, weight: float) -> NDArray[np.float64]:
    """A fusion tried for the engine: (1 - weight) * z(dlib) + weight * z(MobileNet), each model's
    score standardised by its impostor mean and spread over all material (two constants a model;
    the thresholds are still calibrated held out)."""
    impostor = ~pairs.genuine & ~pairs.family
    fused = np.zeros(len(pairs))
    for model, w in (("dlib", 1.0 - weight), ("mobilenet", weight)):
        if w == 0:
            continue
        s = raw[model]
        finite = s[impostor & np.isfinite(s)]
        fused += w * (s - finite.mean()) / finite.std()
    return np.where(np.isfinite(fused), fused, -np.inf)


def held_out_fused(
    images: Sequence[FaceImage],
    analysed: dict[str, Analysed],
    x: dict[str, NDArray[np.float64]],
    raw: dict[str, NDArray[np.float64]],
    pairs: Pairs,
    fars: Sequence[float],
    usable: NDArray[np.bool_],
) -> tuple[NDArray[np.float64], dict[float, NDArray[np.float64]]]:
    """Fused scores and thresholds with the cohort AND the calibration drawn from other sources.

    For each set of held-out sources: the cohort is drawn from the remaining sources, every pair is
    scored with it, thresholds are calibrated on the pairs outside the held-out set, and the pairs
    inside it take those scores and thresholds."""
    scores = np.full(len(pairs), -np.inf)
    thresholds = {far: np.full(len(pairs), np.inf) for far in fars}
    held_sets = sorted({tuple(sorted(set(s))) for s in pairs.sources})
    for held in held_sets:
        inside = np.array([tuple(sorted(set(s))) == held for s in pairs.sources])
        outside = usable & np.array([not (set(s) & set(held)) for s in pairs.sources])
        fused = normalised_pairs(images, analysed, x, raw, pairs, set(held))
        groups = [g for g, keep in zip(pairs.group, outside, strict=True) if keep]
        scores[inside] = fused[inside]
        for far in fars:
            thresholds[far][inside] = calibrate(fused[outside], pairs.genuine[outside], groups, far).threshold
    return scores, thresholds


def print_material(images: Sequence[FaceImage], pairs: Pairs) -> None:
    by_source: dict[str, list[FaceImage]] = defaultdict(list)
    for image in images:
        by_source[image.source].append(image)
    print(f"\nMaterial: {len(images)} images, {len({i.identity for i in images if i.identity})} identities")
    print(f"  {'source':54} {'images':>6} {'ids':>4} {'genuine':>7} {'impostor':>8} {'family':>6}  groups")
    for source, members in sorted(by_source.items()):
        touch = np.array([source in s for s in pairs.sources])
        groups = Counter(
            report_group(i.group) for i in {i.identity: i for i in members if i.identity}.values()
        )
        print(
            f"  {source:54} {len(members):6d} {len({i.identity for i in members if i.identity}):4d} "
            f"{int((touch & pairs.genuine).sum()):7d} {int((touch & ~pairs.genuine & ~pairs.family).sum()):8d} "
            f"{int((touch & pairs.family).sum()):6d}  {dict(groups)}"
        )
    ids = {i.identity: i for i in images if i.identity}
    groups = Counter(report_group(i.group) for i in ids.values())
    print(f"  identities per group: {dict(groups)}")
    print(f"  identities per sex: {dict(Counter(i.sex or '?' for i in ids.values()))}")
    print(f"  identities per age band: {dict(Counter(i.age_band or '?' for i in ids.values()))}")
    print(
        f"  pairs: {len(pairs)} ({int(pairs.genuine.sum())} genuine, {int(pairs.id_portrait.sum())} with an "
        f"ID-card portrait, {int(pairs.family.sum())} parent-child)"
    )


def print_detection(images: Sequence[FaceImage], analysed: dict[str, Analysed]) -> None:
    print(f"\nDetection (engine default {'>'.join(DEFAULT_DETECTORS)} + fallbacks): labelled faces found")
    per_source: dict[str, list[bool]] = defaultdict(list)
    refused: dict[str, list[str]] = defaultdict(list)
    false_hits: list[str] = []
    fallback: Counter[str] = Counter()
    times: list[float] = []
    for image in images:
        result = analysed[image.key]
        times.append(result.ms)
        if result.refused:
            refused[image.source].append(f"{image.key.rsplit('/', 1)[-1]} ({result.refused})")
        elif image.role in FACE_ROLES and image.identity:
            per_source[image.source].append(bool(result.embeddings))
            if result.detector and result.detector != "hog":
                fallback[result.detector] += 1
        elif image.role == "no_face" and result.faces:
            false_hits.append(image.key)
    for source, found in sorted(per_source.items()):
        missed = len(found) - sum(found)
        print(
            f"  {source:54} {sum(found):5d}/{len(found):<5d} {sum(found) / len(found):7.2%}  missed {missed}"
        )
    total = [f for found in per_source.values() for f in found]
    print(f"  {'all':54} {sum(total):5d}/{len(total):<5d} {sum(total) / len(total):7.2%}")
    no_face = [i for i in images if i.role == "no_face"]
    print(f"  faces reported in {len(false_hits)} of {len(no_face)} images without a face: {false_hits}")
    print(f"  faces found only by a fallback: {dict(fallback) or 'none'}")
    for source, names in sorted(refused.items()):
        print(f"  refused by the decoder (not counted above), {source}: {', '.join(names)}")
    ordered = sorted(times)
    print(
        f"  detection time p50 {ordered[len(ordered) // 2]:.1f} ms, p95 {ordered[int(0.95 * (len(ordered) - 1))]:.1f} ms"
    )


def print_pooled(name: str, scores: NDArray[np.float64], pairs: Pairs) -> None:
    genuine = scores[pairs.genuine]
    impostor = scores[~pairs.genuine & ~pairs.family]
    cells = [f"TAR@FAR{far:.0e} {tar_at_far(genuine, impostor, far):.3f}" for far in (1e-2, 1e-3, 1e-4)]
    print(f"  {name:34} {'  '.join(cells)}")


def print_held_out(
    name: str,
    scores: NDArray[np.float64],
    thresholds: dict[float, NDArray[np.float64]],
    pairs: Pairs,
    per_source: bool,
) -> None:
    impostor = ~pairs.genuine & ~pairs.family
    groups = np.asarray(pairs.group)
    print(f"\n  {name}")
    for point, far in NAMED_FARS.items():
        t = thresholds[far]
        print(
            f"    {point}: TAR {rates(scores, t, pairs.genuine)}  FAR {rates(scores, t, impostor)}  "
            f"ID-portrait TAR {rates(scores, t, pairs.genuine & pairs.id_portrait)}  "
            f"family FAR {rates(scores, t, pairs.family)}"
        )
        for group in sorted(set(pairs.group) - {"cross-group"}):
            select = impostor & (groups == group)
            if select.any():
                r = rates(scores, t, select)
                flag = "  <-- above 2x the named FAR" if r.rate > 2 * far else ""
                print(
                    f"      FAR {group:30} {r}   TAR {rates(scores, t, pairs.genuine & (groups == group))}{flag}"
                )
        if per_source:
            for source in sorted({s for pair in pairs.sources for s in pair}):
                touch = np.array([source in s for s in pairs.sources])
                print(
                    f"      source {source:52} TAR {rates(scores, t, pairs.genuine & touch)}  "
                    f"FAR {rates(scores, t, impostor & touch)}"
                )


def run(refresh: bool = False) -> None:
    shared = load_shared(TESTDATA / "faces")
    extra = load_extra()
    if not extra:
        print("(no extra material: run tools.face_material to build it; figures are shared-set only)")
    images = [i for i in shared + extra if i.role in (*FACE_ROLES, "no_face", "multi_face")]
    start = time.perf_counter()
    analysed = analyse_all(images, refresh)
    print(f"{len(images)} images analysed in {time.perf_counter() - start:.0f} s (cached across runs)")
    # A file the engine refuses (a WEBP named .png) is no material for matching.
    pairs = build_pairs([i for i in images if not analysed[i.key].refused])
    images = [i for i in images if not analysed[i.key].refused]
    print_material(images, pairs)
    print_detection(images, analysed)

    x = {model: embedding_matrix(images, analysed, model) for model in MODELS}
    raw = {model: pair_raw(model, x[model], pairs) for model in MODELS}
    usable = ~pairs.family  # family pairs are measured, never calibrated on
    fars = sorted(NAMED_FARS.values())

    engine = raw["mobilenet"]  # compare.match_score: cosine of the MobileNet descriptors
    tried = {
        "dlib ResNet alone (1 - distance)": raw["dlib"],
        "fusion z-sum, 0.5 dlib + 0.5 MobileNet": z_sum(raw, pairs, 0.5),
        "fusion z-sum, 0.15 dlib + 0.85 MobileNet": z_sum(raw, pairs, 0.85),
        "fusion min(z dlib, z MobileNet)": np.minimum(z_sum(raw, pairs, 0.0), z_sum(raw, pairs, 1.0)),
    }
    print("\nPooled (in-sample: thresholds observed on all material; a model's separation, not evidence)")
    for name, scores in tried.items():
        print_pooled(name, scores, pairs)
    print_pooled(
        "fusion AS-norm (cohort of other sources)",
        normalised_pairs(images, analysed, x, raw, pairs, set()),
        pairs,
    )
    print_pooled("engine: VGGFace2 MobileNet (cosine)", engine, pairs)

    print("\nHeld out (each pair at thresholds calibrated on the other sources)")
    for name, scores in tried.items():
        thresholds = held_out_thresholds(pairs, scores, fars, mask=usable)
        print_held_out(name, scores, thresholds, pairs, per_source=False)
    scores, thresholds = held_out_fused(images, analysed, x, raw, pairs, fars, usable)
    print_held_out(
        "fusion AS-norm (cohort and thresholds from the other sources)", scores, thresholds, pairs, False
    )
    thresholds = held_out_thresholds(pairs, engine, fars, mask=usable)
    print_held_out("engine: VGGFace2 MobileNet (cosine)", engine, thresholds, pairs, per_source=True)

    print("\nOperating points calibrated on all material (paste into engine/face/compare.py):")
    groups = [g for g, keep in zip(pairs.group, usable, strict=True) if keep]
    for point, far in NAMED_FARS.items():
        c = calibrate(engine[usable], pairs.genuine[usable], groups, far)
        value = math.ceil(c.threshold * 100) / 100
        parts = ", ".join(f"{k} {v:.3f}" for k, v in c.parts.items())
        print(f'    "{point}": {value:.2f},  # set by {c.binding}; {parts}')
    print("\nThe engine's current OPERATING_POINTS on all material (in-sample):")
    impostor = ~pairs.genuine & ~pairs.family
    garr = np.asarray(pairs.group)
    for point, value in OPERATING_POINTS.items():
        per_group = ", ".join(
            f"{g} {rates(engine, value, impostor & (garr == g))}"
            for g in sorted(set(pairs.group) - {"cross-group"})
        )
        print(
            f"  {point} = {value}: TAR {rates(engine, value, pairs.genuine)}, FAR {rates(engine, value, impostor)}"
            f"; {per_group}"
        )
