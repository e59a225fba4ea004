"""Material and recipe of the passive liveness model, shared by its training script and benchmark.

* ``pad``: the real single-photo presentation-attack set (``liveness/pad``, labels.csv: spoof or
  live, kind, source repository), the material the model is judged on, source by source;
* ``shared``: the shared genuine face photos (``faces/identities.csv``, role ``face``), live;
* ``generated``: recaptured prints and screens of the shared photos and their genuine twins
  (:mod:`testkit.recapture`).

Shared and generated examples carry an identity half (``A``/``B``: alternate identities in sorted
order): the shipped model learns from half A only, so half B measures it on people it never saw.

``loso_scores`` refits the recipe once per ``pad`` source, leaving that source out, and scores
it: the held-out predictions from which the operating points are chosen and the figures reported.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from openkyc.engine.images.decode import load_image
from openkyc.engine.liveness.passive_model import PassiveModel, fit_logistic
from openkyc.engine.liveness.recapture import FEATURE_NAMES, selfie_features
from testkit import attacks
from testkit.recapture import RecaptureKind, recaptured_selfie

# Spoof kinds the recapture heads learn; masks are not a recapture (no second imaging chain) and
# are measured, never learned.
HEADS: dict[str, tuple[str, ...]] = {"screen": ("screen",), "print": ("print", "cutout")}
GENERATED_KINDS: tuple[RecaptureKind, ...] = ("print", "screen", "genuine")


@dataclass(frozen=True)
class Example:
    """One selfie of the material and its recapture features (None: no face found)."""

    name: str
    label: str  # "spoof" or "live"
    kind: str  # spoof: screen, print, cutout, mask; live: webcam, phone, photo, genuine
    source: str  # repository (pad), "shared:<repository>", or "generated"
    group: str  # "pad", "shared" or "generated"
    half: str = ""  # identity half of shared and generated examples
    features: tuple[float, ...] | None = None

    @property
    def spoof(self) -> bool:
        return self.label == "spoof"


@dataclass(frozen=True)
class Recipe:
    """How the model is fitted: penalty and the weight of each group of material."""

    l2: float = 1.0
    # Per example, against 1 for a real pad photo. The generated recaptures are easy to separate
    # and unlike the real ones (a weight near the real photos' lowers the held-out figures), so
    # they only steer the model; the shared genuine photos widen what "live" looks like.
    shared_weight: float = 0.3
    generated_weight: float = 0.02
    heads: dict[str, tuple[str, ...]] = field(default_factory=lambda: dict(HEADS))


def _features_of(bgr: NDArray[Any]) -> tuple[float, ...] | None:
    found = selfie_features(bgr)
    if found is None:
        return None
    return tuple(float(found[name]) for name in FEATURE_NAMES)


def pad_examples(testdata: Path) -> list[Example]:
    """The real presentation-attack photos, with their label, kind and source repository."""
    folder = testdata / "liveness" / "pad"
    examples = []
    with (folder / "labels.csv").open(newline="") as handle:
        for row in csv.DictReader(handle):
            bgr = load_image(folder / row["image"]).bgr
            examples.append(
                Example(row["image"], row["label"], row["kind"], row["repo"], "pad", "", _features_of(bgr))
            )
    return examples


def face_photos(testdata: Path) -> dict[str, list[Path]]:
    """Single-face photos of labelled people (role ``face``) in which a face is found, by identity."""
    by_identity: dict[str, list[Path]] = defaultdict(list)
    with (testdata / "faces" / "identities.csv").open(newline="") as handle:
        for row in csv.DictReader(handle):
            if row["role"] != "face" or not row["identity"]:
                continue
            path = testdata / "faces" / row["image"]
            try:
                attacks.portrait(path)
            except ValueError:  # no face found: not a source
                continue
            by_identity[row["identity"]].append(path)
    return dict(by_identity)


def identity_halves(photos: dict[str, list[Path]]) -> dict[str, str]:
    """``A`` or ``B`` for each identity: alternate names in sorted order."""
    return {name: "AB"[k % 2] for k, name in enumerate(sorted(photos))}


def shared_examples(testdata: Path) -> list[Example]:
    """The shared genuine face photos as they are (live, kind ``photo``)."""
    photos = face_photos(testdata)
    halves = identity_halves(photos)
    examples = []
    for identity, paths in sorted(photos.items()):
        for path in paths:
            repository = path.relative_to(testdata / "faces").parts[0]
            examples.append(
                Example(
                    str(path.relative_to(testdata)),
                    "live",
                    "photo",
                    f"shared:{repository}",
                    "shared",
                    halves[identity],
                    _features_of(load_image(path).bgr),
                )
            )
    return examples


def generated_examples(
    testdata: Path, *, per_photo: int = 2, max_photos: int | None = None, halves: str = "AB", seed: int = 0
) -> list[Example]:
    """Recaptured prints and screens of the shared photos and their genuine twins.

    ``per_photo`` variants of each kind per photo; ``max_photos`` keeps the first photos of each
    half only (a fast configuration); ``halves`` restricts to identity halves; ``seed`` offsets
    every picture's seed (each is fixed by identity, photo, variant and kind).
    """
    photos = face_photos(testdata)
    identity_half = identity_halves(photos)
    taken: dict[str, int] = defaultdict(int)
    examples = []
    for k, identity in enumerate(sorted(photos)):
        half = identity_half[identity]
        if half not in halves:
            continue
        for j, path in enumerate(photos[identity]):
            if max_photos is not None and taken[half] >= max_photos:
                break
            taken[half] += 1
            for kind_index, kind in enumerate(GENERATED_KINDS):
                for repeat in range(per_photo):
                    picture_seed = seed + ((k * 100 + j) * 10 + repeat) * len(GENERATED_KINDS) + kind_index
                    bgr = recaptured_selfie(path, kind, seed=picture_seed)
                    label = "live" if kind == "genuine" else "spoof"
                    examples.append(
                        Example(
                            f"{path.relative_to(testdata)}#{kind}{repeat}",
                            label,
                            kind,
                            "generated",
                            "generated",
                            half,
                            _features_of(bgr),
                        )
                    )
    return examples


def cached(path: Path | None, build: Callable[[], list[Example]]) -> list[Example]:
    """Examples from a JSON cache at ``path`` when it holds the current feature set, else built
    (and written there). ``None``: always built."""
    if path is not None and path.is_file():
        data = json.loads(path.read_text())
        if data.get("feature_names") == list(FEATURE_NAMES):
            return [
                Example(**{**item, "features": None if item["features"] is None else tuple(item["features"])})
                for item in data["examples"]
            ]
    examples = build()
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            json.dumps({"feature_names": list(FEATURE_NAMES), "examples": [asdict(e) for e in examples]})
        )
    return examples


def _weight(example: Example, recipe: Recipe) -> float:
    if example.group == "generated":
        return recipe.generated_weight
    if example.group == "shared":
        return recipe.shared_weight
    return 1.0


def fit(examples: Iterable[Example], recipe: Recipe) -> PassiveModel:
    """The recipe's model fitted on ``examples`` (without a face: skipped). Its operating points
    are left at 0.5 / 0.5; ``choose_operating_points`` sets them from held-out scores."""
    usable = [e for e in examples if e.features is not None]
    means, scales, coefs, intercepts = [], [], [], []
    for kinds in recipe.heads.values():
        chosen = [e for e in usable if not e.spoof or e.kind in kinds]
        x = np.array([e.features for e in chosen], np.float64)
        y = np.array([e.spoof for e in chosen], np.float64)
        w = np.array([_weight(e, recipe) for e in chosen], np.float64)
        if y.min() == y.max():
            raise ValueError(f"no {'/'.join(kinds)} spoofs or no live faces to learn from")
        # Each class carries half the total weight, whatever their counts.
        for value in (0.0, 1.0):
            w[y == value] *= 0.5 * w.sum() / w[y == value].sum()
        mean, scale, coef, intercept = fit_logistic(x, y, weights=w, l2=recipe.l2)
        means.append(mean)
        scales.append(scale)
        coefs.append(coef)
        intercepts.append(intercept)
    return PassiveModel(
        feature_names=FEATURE_NAMES,
        head_names=tuple(recipe.heads),
        mean=np.array(means),
        scale=np.array(scales),
        coef=np.array(coefs),
        intercept=np.array(intercepts),
        fail_threshold=0.5,
        review_threshold=0.5,
    )


def scores(model: PassiveModel, examples: Sequence[Example]) -> NDArray[np.float64]:
    """Spoof probability of each example; NaN where no face was found."""
    out = np.full(len(examples), np.nan)
    rows = [i for i, e in enumerate(examples) if e.features is not None]
    if rows:
        out[rows] = model.spoof_probability(np.array([examples[i].features for i in rows], np.float64))
    return out


def loso_scores(
    pad: Sequence[Example], extra: Sequence[Example], recipe: Recipe
) -> tuple[NDArray[np.float64], dict[str, PassiveModel]]:
    """Held-out spoof probability of each ``pad`` example: the recipe fitted on every other
    source plus ``extra`` (training-only material), once per source. Also the per-source models."""
    out = np.full(len(pad), np.nan)
    models = {}
    for source in sorted({e.source for e in pad}):
        model = fit([e for e in pad if e.source != source] + list(extra), recipe)
        held = [i for i, e in enumerate(pad) if e.source == source]
        out[held] = scores(model, [pad[i] for i in held])
        models[source] = model
    return out, models


@dataclass(frozen=True)
class OperatingPoints:
    review: float  # at or above: not passed (reviewed)
    fail: float  # at or above: failed


def choose_operating_points(
    live_scores: NDArray[Any], *, genuine_pass: float = 0.9, genuine_fail: float = 0.03
) -> OperatingPoints:
    """Thresholds from held-out live scores: ``genuine_pass`` of the live faces pass, and at most
    ``genuine_fail`` of them fail outright (the rest of the spoof-looking ones are reviewed).

    The aim is that no photographed spoof passes; on held-out material the classes overlap, so the
    review threshold is the lowest that still passes the wanted share of genuine faces.
    """
    live = np.sort(np.asarray(live_scores, np.float64)[np.isfinite(live_scores)])
    if live.size == 0:
        raise ValueError("no live scores to choose operating points from")

    def upper(share: float) -> float:
        # The smallest threshold with at least ``share`` of live scores strictly below it.
        index = min(live.size - 1, int(np.ceil(share * live.size)) - 1)
        above = live[index + 1] if index + 1 < live.size else 1.0
        return (
            float((live[index] + above) / 2) if above > live[index] else float(np.nextafter(live[index], 2))
        )

    review = upper(genuine_pass)
    fail = max(review, upper(1.0 - genuine_fail))
    return OperatingPoints(review=review, fail=fail)


def rank_auc(scores: NDArray[Any], positives: NDArray[Any]) -> float:
    """Area under the ROC curve: the chance that a random positive outscores a random negative."""
    values = np.asarray(scores, np.float64)
    labels = np.asarray(positives, bool)
    pos, neg = values[labels], values[~labels]
    if pos.size == 0 or neg.size == 0:
        return float("nan")
    greater = (pos[:, None] > neg[None, :]).sum()
    ties = (pos[:, None] == neg[None, :]).sum()
    return float((greater + 0.5 * ties) / (pos.size * neg.size))
