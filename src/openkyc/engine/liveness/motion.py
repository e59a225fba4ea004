"""Is the motion between frames that of a 3-D head, or of a flat picture moved rigidly?

Every view of a flat object (a printed photo, a phone screen) is related to every other view by a
homography, whatever the tilt, rotation, distance or position. A real head is not flat: turning it
moves the nose against the cheeks (parallax), and smiling or blinking deforms it; neither is a
homography. So image points on the face are tracked between two frames (pyramidal Lucas-Kanade
optical flow, checked forwards and backwards), a homography is fitted to the tracks robustly, and
the median residual, in inter-ocular units, measures how far the change is from planar.

Two measurements of the same physics are taken, with independent errors, and combined:

* tracked points: their noise is the tracker's (~0.3-0.5 px on compressed, noisy frames), and
  the moiré of a photographed screen, which does not move with the screen, disturbs them;
* the 478 face-mesh landmarks: regressed by a network that has learnt 3-D faces, so on a strongly
  tilted photo it places a head-like (non-planar) mesh, but it is untroubled by moiré or noise.

The decision uses their geometric mean: a flat picture must look flat to at least one of them.
"""

from __future__ import annotations

import itertools
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from openkyc.engine.liveness.mesh import inter_ocular

# Each face is mapped to a canvas of this size with this inter-ocular distance before tracking, so
# the residual means the same for a distant and a close face.
CANVAS = 256
CANVAS_IOD = 60.0
# Band-pass before tracking (difference of Gaussians, sigmas in canvas pixels): the fine end drops
# sensor noise, JPEG blocks, halftone dots and screen pixels, which are not the face's texture; the
# coarse end drops shading, exposure changes and broad reflections, which break the tracker's
# brightness-constancy assumption. What is left is standardised (gain changes too).
# Set by the sweep in the liveness benchmark notes (blur 0.8 / no shading removal / corner quality
# 0.01 separated genuine from print, screen and replay best of the settings tried).
TRACK_BLUR_SIGMA = 0.8
TRACK_SHADING_SIGMA = 0.0
LK_WINDOW = (21, 21)
LK_LEVELS = 2
MAX_FORWARD_BACKWARD_ERROR = 0.5  # canvas pixels
MIN_TRACKS = 12
# Corners weaker than this fraction of the strongest are not tracked (they track imprecisely).
CORNER_QUALITY = 0.01


def face_view(bgr: NDArray[Any], mesh: NDArray[Any]) -> tuple[NDArray[Any], NDArray[Any]]:
    """The face on a fixed-size grey canvas (scale set by the inter-ocular distance) and its mesh there."""
    scale = CANVAS_IOD / max(inter_ocular(mesh), 1e-6)
    centre = mesh.mean(axis=0)
    affine = np.array(
        [[scale, 0.0, CANVAS / 2 - scale * centre[0]], [0.0, scale, CANVAS / 2 - scale * centre[1]]],
        np.float64,
    )
    gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    view = cv2.warpAffine(
        gray, affine, (CANVAS, CANVAS), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE
    )
    view = cv2.GaussianBlur(view, (0, 0), TRACK_BLUR_SIGMA)
    return view, mesh * scale + affine[:, 2]


def track_points(view: tuple[NDArray[Any], NDArray[Any]]) -> NDArray[Any] | None:
    """The corners of a view's face worth tracking (None when too few): they depend on that view
    alone, so a sequence finds them once per view rather than once per pair."""
    gray, mesh = view
    mask = np.zeros(gray.shape, np.uint8)
    cv2.fillConvexPoly(mask, cv2.convexHull(mesh.astype(np.float32)).astype(np.int32), (255,))
    points = cv2.goodFeaturesToTrack(gray, 300, CORNER_QUALITY, 3, mask=mask)
    if points is None or len(points) < MIN_TRACKS:
        return None
    return np.asarray(points, np.float32)


def tracked_planar_residual(
    view_a: tuple[NDArray[Any], NDArray[Any]],
    view_b: tuple[NDArray[Any], NDArray[Any]],
    points_a: NDArray[Any] | None = None,
) -> float | None:
    """Median residual (inter-ocular units) of face tracks from view a to b under the best homography.

    ``points_a``: view a's :func:`track_points`, when already found. None when too few points
    could be tracked reliably.
    """
    (gray_a, mesh_a), (gray_b, mesh_b) = view_a, view_b
    points = track_points(view_a) if points_a is None else points_a
    if points is None:
        return None
    # Start the tracker where the mesh says each point went (handles large motion between frames).
    guide, _ = cv2.findHomography(mesh_a, mesh_b, 0)
    start = (
        points
        if guide is None
        else cv2.perspectiveTransform(points.astype(np.float64), guide).astype(np.float32)
    )
    flags = cv2.OPTFLOW_USE_INITIAL_FLOW
    moved, status, _ = cv2.calcOpticalFlowPyrLK(
        gray_a, gray_b, points, start.copy(), winSize=LK_WINDOW, maxLevel=LK_LEVELS, flags=flags
    )
    back, status_back, _ = cv2.calcOpticalFlowPyrLK(
        gray_b, gray_a, moved, points.copy(), winSize=LK_WINDOW, maxLevel=LK_LEVELS, flags=flags
    )
    error = np.linalg.norm((back - points).reshape(-1, 2), axis=1)
    good = (status.ravel() == 1) & (status_back.ravel() == 1) & (error < MAX_FORWARD_BACKWARD_ERROR)
    if int(good.sum()) < MIN_TRACKS:
        return None
    src, dst = points.reshape(-1, 2)[good].astype(np.float64), moved.reshape(-1, 2)[good].astype(np.float64)
    homography, _ = cv2.findHomography(src, dst, cv2.LMEDS)
    if homography is None:
        return None
    mapped = cv2.perspectiveTransform(src.reshape(-1, 1, 2), homography).reshape(-1, 2)
    return float(np.median(np.linalg.norm(mapped - dst, axis=1))) / CANVAS_IOD


def mesh_planar_residual(points_a: NDArray[Any], points_b: NDArray[Any]) -> float:
    """RMS residual of the best homography mapping one mesh onto the other, in inter-ocular units."""
    src = points_a.astype(np.float64).reshape(-1, 1, 2)
    homography, _ = cv2.findHomography(src, points_b.astype(np.float64).reshape(-1, 1, 2), 0)
    if homography is None:  # degenerate points: nothing planar explains them
        return float("inf")
    mapped = cv2.perspectiveTransform(src, homography).reshape(-1, 2)
    rms = float(np.sqrt(np.mean(np.sum((mapped - points_b) ** 2, axis=1))))
    return rms / max((inter_ocular(points_a) + inter_ocular(points_b)) / 2, 1e-6)


def mesh_non_planarity(meshes: list[NDArray[Any]]) -> float:
    """Median over frame pairs of the mesh planar residual."""
    residuals = [mesh_planar_residual(a, b) for a, b in itertools.combinations(meshes, 2)]
    return float(np.median(residuals)) if residuals else 0.0


def combined_non_planarity(tracked: float, mesh: float) -> float:
    """Geometric mean of the tracked and the mesh non-planarity."""
    return float(np.sqrt(max(tracked, 0.0) * max(mesh, 0.0)))


def non_planarity(images: list[NDArray[Any]], meshes: list[NDArray[Any]]) -> float:
    """Median over frame pairs of the tracked planar residual: high when the face moved in 3-D.

    Medians (not maxima) so that one badly tracked frame cannot make a flat picture look 3-D: it
    spoils only the pairs it is in, a minority of them. 0.0 when nothing could be tracked.
    """
    views = [face_view(image, mesh) for image, mesh in zip(images, meshes, strict=True)]
    # Every view but the last is the first of some pair: its corners are found once.
    points = [track_points(view) for view in views[:-1]]
    residuals = [
        tracked_planar_residual(views[i], views[j], points[i]) if points[i] is not None else None
        for i, j in itertools.combinations(range(len(views)), 2)
    ]
    measured = [r for r in residuals if r is not None]
    return float(np.median(measured)) if measured else 0.0
