"""Planarity: a flat picture under a homography has no residual; a non-planar change has one."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray

from openkyc.engine.liveness.motion import (
    CANVAS,
    combined_non_planarity,
    face_view,
    mesh_non_planarity,
    mesh_planar_residual,
    non_planarity,
    track_points,
    tracked_planar_residual,
)


def _textured(seed: int) -> NDArray[Any]:
    rng = np.random.default_rng(seed)
    noise = cv2.resize(
        rng.uniform(0, 255, (60, 60)).astype(np.float32), (400, 400), interpolation=cv2.INTER_CUBIC
    )
    return np.asarray(cv2.cvtColor(np.clip(noise, 0, 255).astype(np.uint8), cv2.COLOR_GRAY2BGR))


def _mesh() -> NDArray[Any]:
    # A stand-in "mesh": a grid over the middle of the image with eye corners 100 px apart.
    xs, ys = np.meshgrid(np.linspace(120, 280, 22), np.linspace(120, 280, 22))
    mesh = np.c_[xs.ravel(), ys.ravel()][:478].astype(np.float64)
    mesh[33], mesh[263] = (150.0, 180.0), (250.0, 180.0)
    return np.asarray(mesh, np.float64)


def test_homography_of_a_plane_has_tiny_residual_and_a_bulge_does_not() -> None:
    image, mesh = _textured(1), _mesh()
    homography = np.array([[1.02, 0.05, -6.0], [-0.03, 0.98, 4.0], [1e-4, -5e-5, 1.0]])
    flat = cv2.warpPerspective(image, homography, (400, 400))
    flat_mesh = cv2.perspectiveTransform(mesh.reshape(-1, 1, 2), homography).reshape(-1, 2)
    # A non-planar change: the centre bulges towards the camera (parallax of a curved surface).
    yy, xx = np.mgrid[0:400, 0:400].astype(np.float32)
    bulge = 14 * np.exp(-((xx - 200) ** 2 + (yy - 200) ** 2) / (2 * 70.0**2))
    map_x = (xx - bulge * (xx - 200) / 100).astype(np.float32)
    map_y = yy.astype(np.float32)
    curved = cv2.remap(image, map_x, map_y, cv2.INTER_LINEAR)
    planar = tracked_planar_residual(face_view(image, mesh), face_view(flat, flat_mesh))
    bulged = tracked_planar_residual(face_view(image, mesh), face_view(curved, mesh))
    assert planar is not None and bulged is not None
    assert planar < 0.004
    assert bulged > 3 * planar
    assert non_planarity([image, flat], [mesh, flat_mesh]) == planar
    assert face_view(image, mesh)[0].shape == (CANVAS, CANVAS)


def test_mesh_residual_is_zero_for_a_homography_and_not_for_parallax() -> None:
    mesh = _mesh()
    homography = np.array([[0.9, 0.1, 5.0], [-0.1, 0.95, -3.0], [2e-4, 1e-4, 1.0]])
    moved = cv2.perspectiveTransform(mesh.reshape(-1, 1, 2), homography).reshape(-1, 2)
    # Parallax: points near the centre (the nose) shift sideways more than the rim.
    centre_weight = np.exp(-np.sum((mesh - 200) ** 2, axis=1) / (2 * 50.0**2))
    turned = mesh + np.c_[8 * centre_weight, np.zeros(len(mesh))]
    assert mesh_planar_residual(mesh, moved) < 1e-6
    assert mesh_planar_residual(mesh, turned) > 0.01
    assert mesh_non_planarity([mesh, moved, moved]) < 1e-6


def test_combined_non_planarity_is_the_geometric_mean() -> None:
    assert combined_non_planarity(0.01, 0.04) == pytest.approx(0.02)
    assert combined_non_planarity(0.0, 0.04) == 0.0


def test_corners_found_once_per_view_track_as_when_found_per_pair() -> None:
    image, mesh = _textured(3), _mesh()
    shifted = [
        cv2.warpAffine(image, np.array([[1.0, 0.0, dx], [0.0, 1.0, dy]]), (400, 400))
        for dx, dy in ((0, 0), (3, -2), (-4, 1), (2, 5))
    ]
    meshes = [mesh + np.array([dx, dy]) for dx, dy in ((0, 0), (3, -2), (-4, 1), (2, 5))]
    views = [face_view(img, m) for img, m in zip(shifted, meshes, strict=True)]
    points = track_points(views[0])
    assert points is not None and len(points) >= 12
    for other in views[1:]:
        assert tracked_planar_residual(views[0], other, points) == tracked_planar_residual(views[0], other)
    # non_planarity (corners once per view) equals the median of the per-pair computation.
    per_pair = [tracked_planar_residual(views[i], views[j]) for i in range(4) for j in range(i + 1, 4)]
    measured = [r for r in per_pair if r is not None]
    assert non_planarity(shifted, meshes) == float(np.median(measured))
    blank = face_view(np.full((400, 400, 3), 128, np.uint8), mesh)
    assert track_points(blank) is None
