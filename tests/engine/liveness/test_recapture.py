"""Recapture features: named, finite, in a fixed order, and each moving the way its physics says."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray

from openkyc.engine.images.decode import load_image
from openkyc.engine.liveness.mesh import mesh_box
from openkyc.engine.liveness.recapture import (
    FEATURE_NAMES,
    LBP_BINS,
    lbp_histogram,
    locate_selfie_face,
    recapture_features,
    selfie_features,
)


@pytest.fixture(scope="module")
def obama_bgr(obama: Path) -> NDArray[np.uint8]:
    return load_image(obama).bgr


def test_features_are_the_named_set_and_finite(obama_bgr: NDArray[np.uint8]) -> None:
    features = selfie_features(obama_bgr)
    assert features is not None
    assert set(features) == set(FEATURE_NAMES)
    assert all(np.isfinite(v) for v in features.values())
    groups = {name.split(".", 1)[0] for name in FEATURE_NAMES}
    assert groups == {"frame", "moire", "blur", "colour", "shading", "texture"}


def test_no_face_gives_no_features() -> None:
    assert selfie_features(np.full((300, 240, 3), 90, np.uint8)) is None


def test_a_tight_face_crop_is_still_located(obama_bgr: NDArray[np.uint8]) -> None:
    mesh = locate_selfie_face(obama_bgr)
    assert mesh is not None
    left, top, right, bottom = mesh_box(mesh, obama_bgr.shape[1], obama_bgr.shape[0])
    # Cut to the face alone, as dataset pipelines do: the mesh's own detector needs context.
    crop = np.ascontiguousarray(obama_bgr[top:bottom, left:right])
    found = locate_selfie_face(crop)
    assert found is not None
    cx, cy = found.mean(axis=0)
    assert 0 <= cx < crop.shape[1] and 0 <= cy < crop.shape[0]


def test_lbp_histogram_is_a_distribution_over_the_uniform_patterns() -> None:
    rng = np.random.default_rng(0)
    histogram = lbp_histogram(rng.integers(0, 256, (40, 40)).astype(np.uint8))
    assert histogram.shape == (LBP_BINS,)
    assert histogram.sum() == pytest.approx(1.0)
    # A flat patch: every neighbour equals the centre, so every code is "all ones" (8 set bits).
    flat = lbp_histogram(np.full((20, 20), 7, np.uint8))
    assert flat[8] == pytest.approx(1.0)
    # Vertical stripes two pixels wide are uniform patterns, never the non-uniform bin.
    stripes = np.tile(np.array([0, 0, 255, 255], np.uint8), (20, 5))
    assert lbp_histogram(stripes)[LBP_BINS - 1] == pytest.approx(0.0)


def test_recapture_blur_lowers_sharpness_and_the_fine_band(obama_bgr: NDArray[np.uint8]) -> None:
    mesh = locate_selfie_face(obama_bgr)
    assert mesh is not None
    box = mesh_box(mesh, obama_bgr.shape[1], obama_bgr.shape[0])
    sharp = recapture_features(obama_bgr, box, mesh)
    blurred = recapture_features(cv2.GaussianBlur(obama_bgr, (0, 0), 3.0), box, mesh)
    assert blurred["blur.face_sharpness"] < sharp["blur.face_sharpness"] - 0.5
    assert blurred["blur.band_0"] < sharp["blur.band_0"]
    assert blurred["blur.perceptual"] > sharp["blur.perceptual"]


def test_washed_out_colour_lowers_saturation_and_contrast(obama_bgr: NDArray[np.uint8]) -> None:
    mesh = locate_selfie_face(obama_bgr)
    assert mesh is not None
    box = mesh_box(mesh, obama_bgr.shape[1], obama_bgr.shape[0])
    original = recapture_features(obama_bgr, box, mesh)
    # A print under room light: a paper-white floor and ink that no longer reaches black.
    washed = (obama_bgr.astype(np.float32) * 0.6 + 90).astype(np.uint8)
    faded = recapture_features(washed, box, mesh)
    assert faded["colour.s_mean"] < original["colour.s_mean"]
    assert faded["shading.contrast"] < original["shading.contrast"]
