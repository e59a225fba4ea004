"""Cues that a lone selfie re-photographs a print or a screen, as one named feature vector.

A recaptured face went through a second imaging chain (printer or display, then the attacker's
camera), and each stage leaves physical traces that a live face in front of the camera does not:

* ``frame``: the prop's outline, a sheet's edge or a device's bezel, as straight edges beside the
  face (:mod:`openkyc.engine.liveness.edges`);
* ``moire``: the display's sub-pixel grid or the print's halftone screen, sampled again by the
  camera: isolated spectral peaks, fine chroma detail, an excess of energy near Nyquist
  (:mod:`openkyc.engine.liveness.texture` plus the band energies here);
* ``blur``: the second lens and the prop's distance soften the face (low Laplacian energy at a
  fixed face scale), while sensor noise and moiré keep the very finest band busy;
* ``colour``: a print's inks and a display's primaries cover a smaller gamut than skin lit by real
  light, and recaptures often carry a colour cast (a display's cool white, a print's paper tint):
  saturation and chroma spread, mean chroma;
* ``shading``: a flat picture lit by one light has flatter shading, clipped highlights and glare
  (glossy paper, screen glass) where a face has depth;
* ``texture``: local binary pattern statistics of the face in luma and chroma channels (the
  colour-texture approach of Boulkenafet, Komulainen and Hadid, "Face anti-spoofing based on
  colour texture analysis", ICIP 2015), which capture the micro-texture changes above without
  naming one.

Every feature is computed on the face only, at a scale fixed relative to the face, so a tight face
crop and a full camera frame of the same face give comparable values. The trained model in
:mod:`openkyc.engine.liveness.passive_model` weighs them; the group names above are what its
evidence reports.
"""

from __future__ import annotations

import itertools
from functools import lru_cache
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from openkyc.engine.liveness.edges import enclosing_sides
from openkyc.engine.liveness.frames import PrecomputedFace, locate_face
from openkyc.engine.liveness.mesh import mesh_box, mesh_landmarks
from openkyc.engine.liveness.texture import chroma_moire, face_glare, face_region, periodic_pattern

# A face that fills the picture (a tight crop) is missed by the mesh's face detector, which needs
# some context around the face: the picture is padded by this share of its long side and meshed again.
TIGHT_CROP_PADDING = 0.25
# The face (mesh box) is resampled to this many pixels across for the scale-free features.
CROP_SIDE = 112
# LBP channels: luma and both chroma channels (YCrCb), saturation and value (HSV).
LBP_CHANNELS = ("y", "cr", "cb", "s", "v")
# Rotation-invariant uniform patterns of 8 neighbours: 0-8 set bits with at most two 0/1
# transitions around the circle, plus one bin for every non-uniform pattern.
LBP_BINS = 10
# Spectral bands of the native-resolution face region, in cycles per pixel.
MID_BAND = (0.06, 0.2)
HIGH_BAND = (0.2, 0.5)
# Octave bands of the face crop's detail (Gaussian sigmas in crop pixels).
DOG_SIGMAS = (0.6, 1.2, 2.4, 4.8)


def _riu2_table() -> NDArray[np.int64]:
    """Map each 8-bit LBP code to its rotation-invariant uniform bin (0-9)."""
    table = np.empty(256, np.int64)
    for code in range(256):
        bits = [(code >> k) & 1 for k in range(8)]
        transitions = sum(bits[k] != bits[(k + 1) % 8] for k in range(8))
        table[code] = sum(bits) if transitions <= 2 else LBP_BINS - 1
    return table


_RIU2 = _riu2_table()
# Neighbour offsets (dy, dx) of the 3x3 LBP, in circular order.
_NEIGHBOURS = ((-1, -1), (-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1))


def lbp_histogram(channel: NDArray[Any]) -> NDArray[np.float64]:
    """Normalised histogram of rotation-invariant uniform LBP(8, 1) codes of one channel."""
    data = channel.astype(np.int16)
    centre = data[1:-1, 1:-1]
    height, width = centre.shape
    codes = np.zeros((height, width), np.int64)
    for bit, (dy, dx) in enumerate(_NEIGHBOURS):
        neighbour = data[1 + dy : 1 + dy + height, 1 + dx : 1 + dx + width]
        codes |= (neighbour >= centre).astype(np.int64) << bit
    counts = np.bincount(_RIU2[codes].ravel(), minlength=LBP_BINS).astype(np.float64)
    return np.asarray(counts / max(1.0, counts.sum()))


def face_crop(bgr: NDArray[Any], box: tuple[int, int, int, int]) -> NDArray[Any]:
    """The face box (clipped to the image) resampled to CROP_SIDE x CROP_SIDE."""
    left, top, right, bottom = box
    height, width = bgr.shape[:2]
    left, top = max(0, left), max(0, top)
    right, bottom = min(width, max(right, left + 1)), min(height, max(bottom, top + 1))
    crop = bgr[top:bottom, left:right]
    interpolation = cv2.INTER_AREA if min(crop.shape[:2]) >= CROP_SIDE else cv2.INTER_CUBIC
    return cv2.resize(crop, (CROP_SIDE, CROP_SIDE), interpolation=interpolation)


@lru_cache(maxsize=8)
def _band_masks(size: int) -> tuple[NDArray[np.float32], NDArray[np.bool_], NDArray[np.bool_]]:
    """Hann window and mid/high band masks of a ``size`` x ``size`` spectrum (cached per size)."""
    window = np.outer(np.hanning(size), np.hanning(size)).astype(np.float32)
    freqs = np.fft.fftfreq(size)
    radius = np.hypot(*np.meshgrid(freqs, freqs))
    mid = (radius >= MID_BAND[0]) & (radius < MID_BAND[1])
    high = (radius >= HIGH_BAND[0]) & (radius <= HIGH_BAND[1])
    return window, mid, high


def _band_energies(region_bgr: NDArray[Any]) -> tuple[float, float]:
    """Log spectral energy of the face region's luma in the high band, relative to the mid band,
    and the same ratio for the two chroma channels together (colour fine detail)."""
    size = min(region_bgr.shape[:2])
    if size < 32:
        return 0.0, 0.0
    size -= size % 2
    square = np.ascontiguousarray(region_bgr[:size, :size])
    ycrcb = cv2.cvtColor(square, cv2.COLOR_BGR2YCrCb).astype(np.float32)
    window, mid, high = _band_masks(size)
    power = []
    for i in range(3):
        channel = ycrcb[:, :, i]
        spectrum = cv2.dft((channel - channel.mean()) * window, flags=cv2.DFT_COMPLEX_OUTPUT)
        magnitude = spectrum[:, :, 0].astype(np.float64) ** 2 + spectrum[:, :, 1].astype(np.float64) ** 2
        power.append((float(magnitude[mid].mean()) + 1e-6, float(magnitude[high].mean()) + 1e-6))
    luma_ratio = float(np.log10(power[0][1] / power[0][0]))
    chroma_ratio = float(np.log10((power[1][1] + power[2][1]) / (power[1][0] + power[2][0])))
    return luma_ratio, chroma_ratio


def _perceptual_blur(gray: NDArray[Any]) -> float:
    """Crété-Roffet et al.'s no-reference blur metric (0 sharp - 1 blurred), worse of the two axes.

    The image is blurred again along each axis; a sharp image loses much of its neighbour
    variation by that, an already blurred one little.
    """
    data = gray.astype(np.float64)
    values = []
    for axis in (0, 1):
        kernel = (1, 9) if axis == 1 else (9, 1)
        blurred = cv2.blur(data, kernel)
        d_image = np.abs(np.diff(data, axis=axis))
        d_blurred = np.abs(np.diff(blurred, axis=axis))
        variation = np.maximum(0.0, d_image - d_blurred)
        total = float(d_image.sum())
        values.append(0.0 if total <= 0 else (total - float(variation.sum())) / total)
    return max(values)


def _band_profile(gray: NDArray[Any]) -> list[float]:
    """Share of the crop's detail energy in four octave bands (difference of Gaussians), log10.

    Recapture blur empties the finest band; a screen's grid or halftone left after resampling
    fills the finest bands beyond what skin shows.
    """
    data = gray.astype(np.float64)
    levels = [data] + [cv2.GaussianBlur(data, (0, 0), sigma) for sigma in DOG_SIGMAS]
    energies = np.array([float(np.mean((a - b) ** 2)) for a, b in itertools.pairwise(levels)])
    shares = (energies + 1e-6) / (energies.sum() + 4e-6)
    return [float(v) for v in np.log10(shares)]


def _moments(channel: NDArray[Any]) -> tuple[float, float, float]:
    """Mean, standard deviation and skewness of a 0-255 channel (scaled to 0-1)."""
    data = channel.astype(np.float64).ravel() / 255.0
    mean, std = float(data.mean()), float(data.std())
    skew = float(np.mean((data - mean) ** 3) / max(std, 1e-3) ** 3)
    return mean, std, float(np.clip(skew, -10, 10))


def _colour_diversity(crop: NDArray[Any]) -> float:
    """Distinct colours (32 levels per channel) per pixel: printing and display shrink the palette."""
    quantised = (crop // 8).astype(np.int64)
    codes = quantised[:, :, 0] * 1024 + quantised[:, :, 1] * 32 + quantised[:, :, 2]
    return float(len(np.unique(codes)) / codes.size)


def _sharpness(gray: NDArray[Any]) -> float:
    """log10 of the Laplacian variance (how much fine detail survives)."""
    return float(np.log10(cv2.Laplacian(gray.astype(np.float64), cv2.CV_64F).var() + 1e-3))


def recapture_features(
    bgr: NDArray[Any], box: tuple[int, int, int, int], mesh: NDArray[Any]
) -> dict[str, float]:
    """Every recapture feature of the face in ``box`` (``mesh``: its 478 landmarks), by name.

    The names start with their group (``frame.``, ``moire.``, ``blur.``, ``colour.``,
    ``shading.``, ``texture.``); the order is fixed.
    """
    region = face_region(bgr, box)
    crop = face_crop(bgr, box)
    gray = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    ycrcb = cv2.cvtColor(crop, cv2.COLOR_BGR2YCrCb)
    hsv = cv2.cvtColor(crop, cv2.COLOR_BGR2HSV)
    features: dict[str, float] = {}

    features["frame.enclosing_sides"] = float(enclosing_sides(bgr, box))

    luma_ratio, chroma_ratio = _band_energies(region)
    features["moire.periodic_pattern"] = periodic_pattern(region)
    features["moire.chroma_moire"] = chroma_moire(bgr, mesh)
    features["moire.high_band_luma"] = luma_ratio
    features["moire.high_band_chroma"] = chroma_ratio

    features["blur.face_sharpness"] = _sharpness(gray)
    features["blur.perceptual"] = _perceptual_blur(gray)
    for k, share in enumerate(_band_profile(gray)):
        features[f"blur.band_{k}"] = share
    # Sharpness of the face against the whole picture (at the same scale): a printed face held in
    # a sharp room is softer than the room; a live face is as sharp as its surroundings.
    height, width = bgr.shape[:2]
    scale = CROP_SIDE / max(1, box[2] - box[0])
    size = (max(8, round(width * scale)), max(8, round(height * scale)))
    small = cv2.resize(bgr, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
    features["blur.face_vs_scene"] = features["blur.face_sharpness"] - _sharpness(
        cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
    )

    saturation = hsv[:, :, 1].astype(np.float64) / 255.0
    cr = ycrcb[:, :, 1].astype(np.float64) - 128.0
    cb = ycrcb[:, :, 2].astype(np.float64) - 128.0
    features["colour.saturation_p95"] = float(np.percentile(saturation, 95))
    features["colour.chroma_spread"] = float(np.log1p(np.hypot(cr.std(), cb.std())))
    features["colour.mean_cr"] = float(cr.mean() / 32.0)
    features["colour.mean_cb"] = float(cb.mean() / 32.0)
    for name, index in (("s", 1), ("v", 2)):
        for moment, value in zip(("mean", "std", "skew"), _moments(hsv[:, :, index]), strict=True):
            features[f"colour.{name}_{moment}"] = value
    features["colour.diversity"] = _colour_diversity(crop)

    luma = ycrcb[:, :, 0].astype(np.float64)
    low, high = np.percentile(luma, (2, 98))
    features["shading.contrast"] = float((high - low) / 255.0)
    features["shading.clipped"] = float(np.mean((luma <= 8) | (luma >= 247)))
    smooth = cv2.GaussianBlur(luma, (0, 0), 6.0)
    features["shading.relief"] = float(smooth.std() / max(8.0, smooth.mean()))
    features["shading.glare"] = float(np.sqrt(face_glare(region)))

    channels = {
        "y": ycrcb[:, :, 0],
        "cr": ycrcb[:, :, 1],
        "cb": ycrcb[:, :, 2],
        "s": hsv[:, :, 1],
        "v": hsv[:, :, 2],
    }
    for name in LBP_CHANNELS:
        histogram = lbp_histogram(channels[name])
        for k, value in enumerate(histogram):
            # Square roots (Hellinger) keep rare patterns from vanishing beside common ones.
            features[f"texture.lbp_{name}_{k}"] = float(np.sqrt(value))
    return features


FEATURE_NAMES: tuple[str, ...] = (
    "frame.enclosing_sides",
    "moire.periodic_pattern",
    "moire.chroma_moire",
    "moire.high_band_luma",
    "moire.high_band_chroma",
    "blur.face_sharpness",
    "blur.perceptual",
    "blur.band_0",
    "blur.band_1",
    "blur.band_2",
    "blur.band_3",
    "blur.face_vs_scene",
    "colour.saturation_p95",
    "colour.chroma_spread",
    "colour.mean_cr",
    "colour.mean_cb",
    "colour.s_mean",
    "colour.s_std",
    "colour.s_skew",
    "colour.v_mean",
    "colour.v_std",
    "colour.v_skew",
    "colour.diversity",
    "shading.contrast",
    "shading.clipped",
    "shading.relief",
    "shading.glare",
    *(f"texture.lbp_{name}_{k}" for name in LBP_CHANNELS for k in range(LBP_BINS)),
)


def locate_selfie_face(bgr: NDArray[Any], analysis: PrecomputedFace | None = None) -> NDArray[Any] | None:
    """The (478, 2) face mesh of the selfie's face, trying a padded copy for tight face crops."""
    mesh = locate_face(bgr, analysis)
    if mesh is not None:
        return mesh
    height, width = bgr.shape[:2]
    pad = int(TIGHT_CROP_PADDING * max(height, width))
    if pad < 1:
        return None
    padded = cv2.copyMakeBorder(bgr, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    mesh = mesh_landmarks(padded)
    if mesh is None:
        return None
    inside = np.asarray(mesh - pad, np.float64)
    # The padding replicates the border: a "face" whose centre lies there is not in the picture.
    cx, cy = inside.mean(axis=0)
    if not (0 <= cx < width and 0 <= cy < height):
        return None
    return inside


def selfie_features(bgr: NDArray[Any], analysis: PrecomputedFace | None = None) -> dict[str, float] | None:
    """The recapture features of the selfie's face, or None when no face is found."""
    mesh = locate_selfie_face(bgr, analysis)
    if mesh is None:
        return None
    return recapture_features(bgr, mesh_box(mesh, bgr.shape[1], bgr.shape[0]), mesh)
