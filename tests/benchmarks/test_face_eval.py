from __future__ import annotations

from pathlib import Path

import numpy as np
from benchmarks.face_eval import (
    MIN_GROUP_IMPOSTORS,
    FaceImage,
    build_pairs,
    calibrate,
    held_out_thresholds,
    load_shared,
    observed_threshold,
)


def _image(key: str, identity: str, source: str, group: str = "White/European", **extra: str) -> FaceImage:
    return FaceImage(
        key=key,
        path=Path(key),
        identity=identity,
        source=source,
        role=extra.pop("role", "face"),
        photo=extra.pop("photo", key),
        group=group,
        **extra,
    )


def test_pairs_skip_one_photograph_and_keep_only_parent_child_pairs_of_kinfacew() -> None:
    images = [
        _image("a1", "a", "s1"),
        _image("a1_crop", "a", "s1", role="variant", photo="a1"),
        _image("a2", "a", "s1"),
        _image("b1", "b", "s2", group="East Asian"),
        _image("k_parent", "k1", "kin", family="f1"),
        _image("k_child", "k2", "kin", family="f1"),
        _image("k_other", "k3", "kin", family="f2"),
    ]
    pairs = build_pairs(images)
    keys = {(images[a].key, images[b].key) for a, b in zip(pairs.a, pairs.b, strict=True)}
    assert ("a1", "a1_crop") not in keys  # one photograph
    assert ("k_parent", "k_child") in keys
    assert not any("k_other" in pair for pair in keys)
    assert not any({"a1", "k_parent"} <= set(pair) for pair in keys)
    family = [k for k, f in zip(sorted(keys), pairs.family, strict=True) if f]
    assert pairs.family.sum() == 1 and family
    genuine = {
        (images[a].key, images[b].key) for a, b, g in zip(pairs.a, pairs.b, pairs.genuine, strict=True) if g
    }
    assert genuine == {("a1", "a2"), ("a1_crop", "a2")}
    assert "cross-group" in pairs.group


def test_observed_threshold_allows_the_named_rate_only() -> None:
    impostor = np.arange(1000, dtype=float)
    threshold = observed_threshold(impostor, 1e-2)
    assert (impostor >= threshold).sum() == 10
    assert observed_threshold(impostor, 1e-4) > impostor.max()


def test_calibration_is_held_by_the_group_with_the_closest_strangers() -> None:
    rng = np.random.default_rng(0)
    n = 1000
    scores = np.concatenate([rng.normal(0.2, 0.05, 10 * n), rng.normal(0.4, 0.05, n), [0.9, 0.95]])
    genuine = np.concatenate([np.zeros(11 * n, bool), [True, True]])
    groups = ["White/European"] * 10 * n + ["East/South-East Asian"] * n + ["White/European"] * 2
    calibration = calibrate(scores, genuine, groups, 1e-3)
    assert calibration.binding == "observed[East/South-East Asian]"
    east_asian = scores[10 * n : 11 * n]
    assert (east_asian >= calibration.threshold).sum() <= 1  # the named rate, within the group
    assert calibration.parts["observed"] < calibration.threshold  # pooled alone would let more in


def test_small_groups_do_not_set_the_threshold() -> None:
    scores = np.concatenate([np.linspace(0.0, 0.5, 2000), np.full(MIN_GROUP_IMPOSTORS - 1, 0.9)])
    groups = ["White/European"] * 2000 + ["Latino"] * (MIN_GROUP_IMPOSTORS - 1)
    calibration = calibrate(scores, np.zeros(len(scores), bool), groups, 1e-2)
    assert "observed[Latino]" not in calibration.parts


def test_held_out_thresholds_never_see_the_pairs_own_sources() -> None:
    images = [_image(f"{s}{i}", f"{s}{i // 2}", s) for s in ("p", "q", "r") for i in range(8)]
    pairs = build_pairs(images)
    scores = np.zeros(len(pairs))
    # Make every impostor score of source p huge: only thresholds calibrated with p would rise.
    in_p = np.array([s == ("p", "p") for s in pairs.sources])
    scores[in_p & ~pairs.genuine] = 10.0
    thresholds = held_out_thresholds(pairs, scores, [0.5])[0.5]
    assert (thresholds[in_p] < 10.0).all()
    assert (thresholds[~np.array(["p" in s for s in pairs.sources])] > 1.0).all()


def test_shared_material_loads_with_groups(faces_dir: Path) -> None:
    images = load_shared(faces_dir)
    faces = [i for i in images if i.role == "face"]
    assert faces and all(i.group != "unlabelled" for i in faces)
    crops = [i for i in images if i.role == "variant"]
    originals = {i.photo for i in faces}
    assert crops and all(i.photo in originals for i in crops if i.identity != "compreface_einstein")
