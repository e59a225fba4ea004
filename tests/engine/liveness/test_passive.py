"""Passive selfie check: a genuine photo passes; photographed prints and screens are caught."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from openkyc.engine.evidence import Decision
from openkyc.engine.images.decode import load_image
from openkyc.engine.liveness import check_selfie
from openkyc.engine.liveness.edges import enclosing_sides
from openkyc.engine.liveness.texture import periodic_pattern
from openkyc.testing import attacks


def test_genuine_photo_passes(obama: Path) -> None:
    evidence = check_selfie(load_image(obama).bgr)
    assert evidence.decision is Decision.PASS, evidence.reasons
    assert evidence.mode == "passive"
    assert set(evidence.signals) == {"enclosing_edges", "periodic_pattern", "face_glare"}


def test_no_face_fails() -> None:
    evidence = check_selfie(np.full((480, 360, 3), 128, np.uint8))
    assert evidence.decision is Decision.FAIL
    assert [r.code for r in evidence.reasons] == ["liveness.no_face_selfie"]


@pytest.mark.parametrize("seed", [5, 6])
def test_printed_photo_on_a_background_fails(biden: Path, seed: int) -> None:
    sample = attacks.print_attack(biden, seed=seed, n_frames=4)
    evidence = check_selfie(sample.selfie)
    assert evidence.decision is not Decision.PASS
    assert {r.code for r in evidence.reasons} & {
        "liveness.device_or_paper_frame",
        "liveness.screen_or_print_texture",
    }


def test_rectangle_around_the_face_counts_four_sides() -> None:
    image = np.full((640, 480, 3), 200, np.uint8)
    image[100:540, 60:420] = 40  # a dark device
    sides_framed = enclosing_sides(image, (180, 250, 300, 370))
    assert sides_framed == 4
    assert enclosing_sides(np.full((640, 480, 3), 200, np.uint8), (180, 250, 300, 370)) == 0


def test_pixel_grid_is_a_periodic_pattern() -> None:
    rng = np.random.default_rng(0)
    skin = np.clip(rng.normal(150, 6, (200, 200, 3)), 0, 255).astype(np.uint8)
    # A diagonal stripe every 3 pixels (a hand-held screen's grid is rarely axis-aligned; patterns
    # exactly on the spectrum's axes are masked, see texture.py).
    yy, xx = np.mgrid[0:200, 0:200]
    grid = skin.copy()
    on = (xx + yy) % 3 == 0
    grid[on] = (grid[on] * 0.5).astype(np.uint8)
    assert periodic_pattern(grid) > periodic_pattern(skin) + 1.0
