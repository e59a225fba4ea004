"""Face material, pairs and held-out calibration for benchmarks/face_bench.py.

Material is every labelled face image the benchmark can reach: the shared set (``faces/identities.csv``,
groups from ``benchmarks/data/faces/shared_labels.csv``) and the extra sets that
``tools/face_material.py`` copies into ``benchmarks/data/faces/cache`` (``manifest.csv``, groups from
``labels.csv``). Each image belongs to one **source** (the repository it came from), the unit that
leave-one-source-out evaluation holds out.

Pairs are all pairs of face images except pairs of one photograph (an aligned crop of a photo, or
a byte-identical copy, shows nothing about matching two photos). KinFaceW-II contributes only its
parent-child pairs ("family" impostors): its people each have one image, and a parent may appear in
two families, so its other pairs could be unlabelled genuine pairs.

Held-out evaluation: a pair's score is judged against thresholds calibrated on the pairs that touch
neither of its sources (for a pair within one source this is leave-one-source-out; a pair across
two sources has both held out). Every pair is judged once.
"""

from __future__ import annotations

import csv
import hashlib
import math
import statistics
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

DATA_DIR = Path(__file__).resolve().parent / "data" / "faces"
FACE_ROLES = ("face", "variant", "id_portrait")
# Groups merged for reporting: one Thai singer is the only South-East Asian identity so far, and the
# failures reported on unseen material were "between two East/South-East-Asian strangers".
REPORT_GROUP = {"East Asian": "East/South-East Asian", "South-East Asian": "East/South-East Asian"}
# A group's impostor scores need this many pairs before a normal fitted to them is trusted.
MIN_GROUP_IMPOSTORS = 40


@dataclass(frozen=True)
class FaceImage:
    key: str  # "shared:<path under faces/>" or "extra:<path under the cache>"
    path: Path
    identity: str
    source: str
    role: str
    photo: str  # images of one photograph share this
    group: str = "unlabelled"
    sex: str = ""
    age_band: str = ""
    family: str = ""  # KinFaceW-II: relation + family number


def report_group(group: str) -> str:
    return REPORT_GROUP.get(group, group)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_shared(faces_dir: Path, labels: Path = DATA_DIR / "shared_labels.csv") -> list[FaceImage]:
    """The shared faces with identities (roles face/variant), and the no-face/multi-face images."""
    group_of: dict[str, dict[str, str]] = {}
    if labels.exists():
        with labels.open(newline="") as handle:
            group_of = {row["image"]: row for row in csv.DictReader(handle)}
    with (faces_dir / "identities.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    images: list[FaceImage] = []
    stems: dict[tuple[str, str], str] = {}
    for row in sorted(rows, key=lambda r: r["role"] != "face"):  # originals before their crops
        path = faces_dir / row["image"]
        source = row["image"].split("/", 1)[0]
        photo = row.get("sha256") or _sha256(path)
        stem = Path(row["image"]).stem
        if row["role"] == "face":
            stems.setdefault((row["identity"], stem), photo)
        elif row["role"] == "variant":
            # An aligned crop is the same photograph as the original of the same name.
            photo = stems.get((row["identity"], stem), photo)
        label = group_of.get(row["image"], {})
        images.append(
            FaceImage(
                key=f"shared:{row['image']}",
                path=path,
                identity=row["identity"],
                source=source,
                role=row["role"],
                photo=photo,
                group=label.get("group", "unlabelled"),
                sex=label.get("sex", ""),
                age_band=label.get("age_band", ""),
            )
        )
    return images


def load_extra(cache_dir: Path = DATA_DIR / "cache", data_dir: Path = DATA_DIR) -> list[FaceImage]:
    """The material tools/face_material.py built; empty when its cache is missing."""
    manifest = data_dir / "manifest.csv"
    if not manifest.exists() or not cache_dir.exists():
        return []
    with (data_dir / "labels.csv").open(newline="") as handle:
        labels = {row["identity"]: row for row in csv.DictReader(handle)}
    images: list[FaceImage] = []
    with manifest.open(newline="") as handle:
        for row in csv.DictReader(handle):
            path = cache_dir / row["image"]
            if not path.exists():
                continue
            label = labels.get(row["identity"], {})
            family = ""
            if row["source"] == "kinfacew2":
                family = row["identity"].rsplit("_", 1)[0]  # kin2_fd_fd_001_1 -> kin2_fd_fd_001
            images.append(
                FaceImage(
                    key=f"extra:{row['image']}",
                    path=path,
                    identity=row["identity"],
                    # The leave-one-source-out unit is the repository: one photographer's sessions.
                    source=row["repo"].replace("/", "+"),
                    role=row["role"],
                    photo=row["sha256"],
                    group=label.get("group", "unlabelled"),
                    sex=label.get("sex", ""),
                    age_band=label.get("age_band", ""),
                    family=family,
                )
            )
    return images


@dataclass
class Pairs:
    """Index pairs into an image list, with what each pair is."""

    a: NDArray[np.int64]
    b: NDArray[np.int64]
    genuine: NDArray[np.bool_]
    family: NDArray[np.bool_]
    id_portrait: NDArray[np.bool_]  # one image is an ID-card portrait
    group: list[str]  # the report group when both identities share it, else "cross-group"
    sources: list[tuple[str, str]]

    def __len__(self) -> int:
        return len(self.a)


def build_pairs(images: Sequence[FaceImage]) -> Pairs:
    faces = [i for i, image in enumerate(images) if image.role in FACE_ROLES and image.identity]
    a_idx, b_idx, genuine, family, portrait, groups, sources = [], [], [], [], [], [], []
    for pos, i in enumerate(faces):
        x = images[i]
        for j in faces[pos + 1 :]:
            y = images[j]
            if x.photo == y.photo:
                continue
            # KinFaceW-II: only a parent with their own child (see the module docstring).
            if (x.family or y.family) and not (x.family and x.family == y.family):
                continue
            same = x.identity == y.identity
            a_idx.append(i)
            b_idx.append(j)
            genuine.append(same)
            family.append(bool(x.family) and x.family == y.family and not same)
            portrait.append("id_portrait" in (x.role, y.role))
            gx, gy = report_group(x.group), report_group(y.group)
            groups.append(gx if gx == gy else "cross-group")
            sources.append((x.source, y.source))
    return Pairs(
        a=np.asarray(a_idx, dtype=np.int64),
        b=np.asarray(b_idx, dtype=np.int64),
        genuine=np.asarray(genuine, dtype=bool),
        family=np.asarray(family, dtype=bool),
        id_portrait=np.asarray(portrait, dtype=bool),
        group=groups,
        sources=sources,
    )


def observed_threshold(impostor: NDArray[np.float64], far: float) -> float:
    """Lowest threshold (score >= t accepts) whose observed FAR on ``impostor`` is <= ``far``."""
    finite = np.sort(impostor[np.isfinite(impostor)])[::-1]
    allowed = math.floor(far * len(impostor) + 1e-9)
    return float(np.nextafter(finite[allowed], np.inf)) if allowed < len(finite) else -math.inf


def gaussian_threshold(impostor: NDArray[np.float64], far: float) -> float:
    """The ``1 - far`` quantile of a normal fitted to the finite impostor scores."""
    finite = impostor[np.isfinite(impostor)]
    if len(finite) < 2:
        return -math.inf
    z = statistics.NormalDist().inv_cdf(1.0 - far)
    return float(finite.mean() + z * finite.std(ddof=1))


@dataclass
class Calibration:
    """A threshold for one FAR, and which constraint set it."""

    threshold: float
    binding: str
    parts: dict[str, float] = field(default_factory=dict)


def calibrate(
    scores: NDArray[np.float64], genuine: NDArray[np.bool_], groups: Sequence[str], far: float
) -> Calibration:
    """The threshold that holds ``far`` for every group: the strictest of the observed pooled
    threshold, a normal fitted to all impostors, and the observed threshold within each labelled
    group that has enough impostor pairs (strangers of one group are the closest impostors a
    partner's users meet: East-Asian and Black strangers score far higher than White ones).

    Per group the observed quantile is used, not a fitted normal: held out, normals fitted per
    group both cost more TAR (68% vs 71% at FAR 1e-3) and held worse (East-Asian FAR 0.69% vs 0.20%).
    Where a group has fewer than 1/far pairs, where nothing can be observed at that rate, a normal
    fitted to the group's impostors extrapolates it (and counts if stricter)."""
    impostor = ~genuine
    parts = {
        "observed": observed_threshold(scores[impostor], far),
        "gaussian": gaussian_threshold(scores[impostor], far),
    }
    by_group: dict[str, list[int]] = defaultdict(list)
    for index, group in enumerate(groups):
        if impostor[index] and group not in ("cross-group", "unlabelled"):
            by_group[group].append(index)
    for group, members in by_group.items():
        if len(members) >= MIN_GROUP_IMPOSTORS:
            parts[f"observed[{group}]"] = observed_threshold(scores[np.asarray(members)], far)
            if len(members) * far < 1:
                # Too few pairs to observe this rate: extrapolate with a normal fitted to the group.
                parts[f"gaussian[{group}]"] = gaussian_threshold(scores[np.asarray(members)], far)
    binding = max(parts, key=lambda k: parts[k])
    return Calibration(threshold=parts[binding], binding=binding, parts=parts)


def held_out_thresholds(
    pairs: Pairs,
    scores: NDArray[np.float64],
    fars: Sequence[float],
    calibrate_fn: Callable[
        [NDArray[np.float64], NDArray[np.bool_], Sequence[str], float], Calibration
    ] = calibrate,
    mask: NDArray[np.bool_] | None = None,
) -> dict[float, NDArray[np.float64]]:
    """Per pair and FAR, the threshold calibrated on pairs that touch neither of its sources.

    ``mask`` limits which pairs may be used for calibration (e.g. no family pairs)."""
    usable = np.ones(len(pairs), dtype=bool) if mask is None else mask
    source_sets = sorted({tuple(sorted(set(s))) for s in pairs.sources})
    per_set: dict[tuple[str, ...], dict[float, float]] = {}
    for held in source_sets:
        keep = usable & np.array([not (set(s) & set(held)) for s in pairs.sources])
        groups = [g for g, k in zip(pairs.group, keep, strict=True) if k]
        per_set[held] = {
            far: calibrate_fn(scores[keep], pairs.genuine[keep], groups, far).threshold for far in fars
        }
    thresholds = {far: np.empty(len(pairs)) for far in fars}
    for index, s in enumerate(pairs.sources):
        held = tuple(sorted(set(s)))
        for far in fars:
            thresholds[far][index] = per_set[held][far]
    return thresholds


@dataclass
class Rates:
    accepted: int
    total: int

    @property
    def rate(self) -> float:
        return self.accepted / self.total if self.total else math.nan

    def __str__(self) -> str:
        if not self.total:
            return "n/a"
        return f"{self.rate:7.3%} ({self.accepted}/{self.total})"


def rates(
    scores: NDArray[np.float64], thresholds: NDArray[np.float64] | float, select: NDArray[np.bool_]
) -> Rates:
    accepted = scores >= thresholds
    return Rates(int((accepted & select).sum()), int(select.sum()))


def tar_at_far(genuine: NDArray[np.float64], impostor: NDArray[np.float64], far: float) -> float:
    """TAR at the observed threshold for ``far`` (pooled, in-sample: a model's separation)."""
    threshold = observed_threshold(impostor, far)
    return float((genuine >= threshold).mean()) if len(genuine) else math.nan
