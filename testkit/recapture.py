"""Lone-selfie material for the passive liveness check: generated recaptures and their genuine twins.

A recapture starts from :mod:`testkit.attacks` (a halftone print on a sheet with a paper
margin, or a screen with its sub-pixel grid, bezel and reflections, held in front of a camera) and
is then varied the way real recaptured-photo spoofs vary:

* framing: the full frame (paper edge or bezel in view) or a tight crop around the face, as many
  attack pipelines send (no edge in view, only the surface left to judge);
* recapture blur (the second lens, the prop out of the focal plane);
* colour cast (a display's white point, a print's paper and inks under room light);
* glare (a specular blob from glossy paper or screen glass);
* size and compression (faces from ~90 to ~300 px, JPEG 60-95).

The genuine twin of each source photo goes through the same camera, framing, size and compression
steps (but no recapture), so that a model cannot separate the classes by those steps alone. Casts
and mild blur are given to genuine photos too: real white balance and focus vary.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Literal

import cv2
import numpy as np
from numpy.typing import NDArray

from openkyc.engine.face.detect import detect_faces, primary_face
from testkit import attacks
from testkit.documents import jpeg

RecaptureKind = Literal["print", "screen", "genuine"]


def _tight_crop(image: NDArray[Any], rng: np.random.Generator) -> NDArray[Any]:
    """A crop of 1.1-1.8 face widths around the face (the face found by dlib), or the image."""
    face = primary_face(detect_faces(image))
    if face is None:
        return image
    height, width = image.shape[:2]
    cx, cy = (face.box[0] + face.box[2]) / 2, (face.box[1] + face.box[3]) / 2
    half = face.width * float(rng.uniform(1.1, 1.8)) / 2
    aspect = float(rng.uniform(1.0, 1.35))  # height over width
    left, right = max(0, int(cx - half)), min(width, int(cx + half))
    top, bottom = max(0, int(cy - half * aspect * 0.9)), min(height, int(cy + half * aspect * 1.1))
    if right - left < 32 or bottom - top < 32:
        return image
    return image[top:bottom, left:right]


def _glare(image: NDArray[Any], rng: np.random.Generator) -> NDArray[Any]:
    """A soft specular blob (near white) somewhere on the central part of the picture."""
    height, width = image.shape[:2]
    cx, cy = rng.uniform(0.25, 0.75) * width, rng.uniform(0.2, 0.7) * height
    ax, ay = rng.uniform(0.04, 0.15) * width, rng.uniform(0.03, 0.1) * height
    angle = rng.uniform(0, math.pi)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    u = (xx - cx) * math.cos(angle) + (yy - cy) * math.sin(angle)
    v = -(xx - cx) * math.sin(angle) + (yy - cy) * math.cos(angle)
    blob = np.exp(-(((u / ax) ** 2 + (v / ay) ** 2) ** 2))
    strength = rng.uniform(0.6, 1.0)
    out = image.astype(np.float32)
    out += (255.0 - out) * (blob * strength)[:, :, None]
    return np.clip(out, 0, 255).astype(np.uint8)


def _cast(image: NDArray[Any], rng: np.random.Generator, spread: float) -> NDArray[Any]:
    gains = rng.uniform(1 - spread, 1 + spread, 3).astype(np.float32)
    return np.clip(image.astype(np.float32) * gains, 0, 255).astype(np.uint8)


def _finish(image: NDArray[Any], rng: np.random.Generator, *, recaptured: bool) -> NDArray[Any]:
    """Framing, blur, cast, glare, size and compression, shared by attacks and genuine twins."""
    if rng.random() < 0.5:
        image = _tight_crop(image, rng)
    if recaptured:
        if rng.random() < 0.5:
            image = cv2.GaussianBlur(image, (0, 0), float(rng.uniform(0.6, 1.6)))
        if rng.random() < 0.6:
            image = _cast(image, rng, 0.15)
        if rng.random() < 0.3:
            image = _glare(image, rng)
    else:
        if rng.random() < 0.3:
            image = cv2.GaussianBlur(image, (0, 0), float(rng.uniform(0.4, 1.0)))
        if rng.random() < 0.5:
            image = _cast(image, rng, 0.1)
    # Output size: a face of ~90-300 px, whatever the framing.
    height, width = image.shape[:2]
    target_long = float(rng.uniform(160, 640))
    scale = min(1.0, target_long / max(height, width))
    if scale < 1.0:
        image = cv2.resize(
            image,
            (max(16, round(width * scale)), max(16, round(height * scale))),
            interpolation=cv2.INTER_AREA,
        )
    return jpeg(image, int(rng.integers(60, 96)))


def recaptured_selfie(path: str | Path, kind: RecaptureKind, *, seed: int) -> NDArray[Any]:
    """A lone selfie of the face in ``path``: a recaptured ``print`` or ``screen``, or ``genuine``.

    Raises ValueError when the photo has no detectable face.
    """
    rng = np.random.default_rng(seed)
    if kind == "print":
        captured = attacks.print_attack(path, seed=seed, n_frames=0).selfie
    elif kind == "screen":
        captured = attacks.screen_attack(path, seed=seed, n_frames=0).selfie
    elif kind == "genuine":
        captured = attacks.framed_photo(path, rng)
    else:
        raise ValueError(f"unknown recapture kind {kind!r}")
    return _finish(captured, rng, recaptured=kind != "genuine")
