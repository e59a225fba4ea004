"""Liveness material for tests and benchmarks: attack sequences made from still photos, genuine ones
made from real video.

Every sequence is a selfie plus 4-8 frames, the shape the Smile ID SDKs send. Attacks are rendered
from photos the caller names (nothing is bundled):

* ``replay``: one still sent as every frame, re-encoded with tiny noise and brightness jitter;
* ``print``: the photo halftone-printed on paper (CMY dot screens, paper tint and texture), laid
  on a background and moved rigidly in front of the camera (3-D rotation, distance, position:
  each view a homography of the print), then captured (blur, noise, JPEG);
* ``screen``: the photo shown on a phone/tablet screen (RGB sub-pixel grid with a dark matrix,
  emissive colour, a bezel, a reflection) moved rigidly and captured; the camera's sampling of the
  sub-pixel grid produces the moiré;
* ``swap``: a genuine-looking sequence with a different person put into some frames.

Genuine sequences are face tracks from a real video (people walking towards the camera), cropped
around the face and upscaled to a selfie-sized frame.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from openkyc.engine.face.detect import detect_faces, primary_face
from openkyc.engine.images.decode import load_image
from openkyc.engine.liveness.mesh import mesh_landmarks
from testkit.documents import jpeg

# A genuine crop is kept only when the face mesh (the face the engine will analyse) is centred on
# the tracked face within this fraction of its width: in a crowd the crop can hold a second face
# that the mesh prefers (a person behind), and such a crop is not a selfie frame.
MAX_MESH_OFFSET_FACES = 0.3
# A generated capture: portrait 480x640, as a phone's front camera frame sent by the SDK.
FRAME_WIDTH, FRAME_HEIGHT = 480, 640
# The portrait cut from a source photo: face width times this, at 3:4.
PORTRAIT_FACES_WIDE = 2.2
PORTRAIT_WIDTH = 600


@dataclass(frozen=True)
class LivenessSample:
    """One selfie plus its liveness frames, and where they came from."""

    kind: str  # genuine, replay, print, screen, swap
    selfie: NDArray[Any] = field(repr=False)
    frames: list[NDArray[Any]] = field(repr=False)
    sources: tuple[str, ...]
    seed: int
    swapped: tuple[int, ...] = ()  # indices of frames showing another person (swap only)


# ---------------------------------------------------------------- source photos


@lru_cache(maxsize=256)
def portrait(path: str | Path) -> NDArray[Any]:
    """The photo cut to a 3:4 head-and-shoulders portrait around its largest face (dlib HOG).

    Raises ValueError when the photo has no detectable face.
    """
    bgr = load_image(Path(path)).bgr
    face = primary_face(detect_faces(bgr))
    if face is None:
        raise ValueError(f"no face in {Path(path).name}")
    cx, cy = (face.box[0] + face.box[2]) / 2, (face.box[1] + face.box[3]) / 2
    width = face.width * PORTRAIT_FACES_WIDE
    height = width * 4 / 3
    # The face sits a little above the centre, as in a selfie.
    top, left = cy - height * 0.45, cx - width / 2
    src = np.array([[left, top], [left + width, top], [left, top + height]], np.float32)
    out_h = round(PORTRAIT_WIDTH * 4 / 3)
    dst = np.array([[0, 0], [PORTRAIT_WIDTH, 0], [0, out_h]], np.float32)
    affine = cv2.getAffineTransform(src, dst)
    result = cv2.warpAffine(
        bgr, affine, (PORTRAIT_WIDTH, out_h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE
    )
    result.setflags(write=False)
    return result


def _camera(image: NDArray[Any], rng: np.random.Generator) -> NDArray[Any]:
    """What a phone camera adds: a little optical blur, sensor noise and JPEG compression."""
    out = cv2.GaussianBlur(image, (0, 0), float(rng.uniform(0.4, 0.9)))
    noisy = out.astype(np.float32) + rng.normal(0.0, float(rng.uniform(1.0, 3.0)), out.shape).astype(
        np.float32
    )
    return jpeg(np.clip(noisy, 0, 255).astype(np.uint8), int(rng.integers(75, 96)))


def _background(rng: np.random.Generator) -> NDArray[Any]:
    """A room behind the attacker's prop: a smooth colour gradient with soft blotches."""
    h, w = FRAME_HEIGHT, FRAME_WIDTH
    c0, c1 = rng.uniform(40, 220, 3), rng.uniform(40, 220, 3)
    t = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    base = c0[None, None, :] * (1 - t) + c1[None, None, :] * t
    blotches = cv2.resize(
        rng.normal(0, 25, (6, 5, 3)).astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC
    )
    return np.clip(np.broadcast_to(base, (h, w, 3)) + blotches, 0, 255).astype(np.uint8)


def _plane_homography(
    width: float, height: float, rng: np.random.Generator, *, face_px: float, base: dict[str, float]
) -> NDArray[Any]:
    """Homography of a flat picture (``width`` x ``height`` px) held in front of a pinhole camera.

    ``base`` is the attacker's overall pose; each call adds a small random movement around it.
    """
    roll = math.radians(base["roll"] + rng.uniform(-6, 6))
    tilt_x = math.radians(base["tilt_x"] + rng.uniform(-12, 12))
    tilt_y = math.radians(base["tilt_y"] + rng.uniform(-12, 12))
    scale = face_px / (width / PORTRAIT_FACES_WIDE) * rng.uniform(0.9, 1.1)
    focal = 600.0  # a phone front camera at 480x640 (~60 degree field of view)
    distance = focal / scale
    cx = FRAME_WIDTH / 2 + base["dx"] + rng.uniform(-25, 25)
    cy = FRAME_HEIGHT / 2 + base["dy"] + rng.uniform(-25, 25)
    rx = np.array(
        [[1, 0, 0], [0, math.cos(tilt_x), -math.sin(tilt_x)], [0, math.sin(tilt_x), math.cos(tilt_x)]]
    )
    ry = np.array(
        [[math.cos(tilt_y), 0, math.sin(tilt_y)], [0, 1, 0], [-math.sin(tilt_y), 0, math.cos(tilt_y)]]
    )
    rz = np.array([[math.cos(roll), -math.sin(roll), 0], [math.sin(roll), math.cos(roll), 0], [0, 0, 1]])
    rotation = rz @ ry @ rx
    corners = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float64)
    # The picture's centre-top third (where the face is) sits on the optical axis.
    centred = np.c_[corners - [width / 2, height * 0.45], np.zeros(4)]
    world = centred @ rotation.T + [0, 0, distance]
    projected = world[:, :2] / world[:, 2:3] * focal + [cx, cy]
    return np.asarray(cv2.getPerspectiveTransform(corners.astype(np.float32), projected.astype(np.float32)))


def _base_pose(rng: np.random.Generator) -> dict[str, float]:
    return {
        "roll": rng.uniform(-10, 10),
        "tilt_x": rng.uniform(-15, 15),
        "tilt_y": rng.uniform(-15, 15),
        "dx": rng.uniform(-30, 30),
        "dy": rng.uniform(-30, 30),
    }


def _composite(picture: NDArray[Any], homography: NDArray[Any], background: NDArray[Any]) -> NDArray[Any]:
    """The picture warped by ``homography`` over the background (the camera samples it as is)."""
    size = (FRAME_WIDTH, FRAME_HEIGHT)
    warped = cv2.warpPerspective(picture, homography, size, flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(
        np.full(picture.shape[:2], 255, np.uint8), homography, size, flags=cv2.INTER_LINEAR
    )
    alpha = (mask.astype(np.float32) / 255.0)[:, :, None]
    blended = warped.astype(np.float32) * alpha + background.astype(np.float32) * (1 - alpha)
    return np.clip(blended, 0, 255).astype(np.uint8)


def _n_frames(rng: np.random.Generator, n_frames: int | None) -> int:
    return int(rng.integers(4, 9)) if n_frames is None else n_frames


# ---------------------------------------------------------------- (a) replayed still


def replay_attack(path: str | Path, *, seed: int, n_frames: int | None = None) -> LivenessSample:
    """One photo sent as the selfie and every frame: re-encoded, tiny noise, brightness jitter."""
    rng = np.random.default_rng(seed)
    still = cv2.resize(portrait(path), (FRAME_WIDTH, FRAME_HEIGHT), interpolation=cv2.INTER_AREA)

    def variant() -> NDArray[Any]:
        gain, offset = rng.uniform(0.92, 1.08), rng.uniform(-8, 8)
        noise = rng.normal(0.0, rng.uniform(0.0, 2.5), still.shape)
        jittered = np.clip(still.astype(np.float64) * gain + offset + noise, 0, 255).astype(np.uint8)
        return jpeg(jittered, int(rng.integers(70, 96)))

    n = _n_frames(rng, n_frames)
    return LivenessSample("replay", variant(), [variant() for _ in range(n)], (str(path),), seed)


# ---------------------------------------------------------------- (b) printed photo


def halftone_print(image: NDArray[Any], rng: np.random.Generator) -> NDArray[Any]:
    """The image as printed: CMY dot screens at their classic angles, on tinted, textured paper."""
    scale = 2  # print rendered at twice the portrait resolution, like a 300 dpi print of it
    big = (
        cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC).astype(np.float32) / 255.0
    )
    h, w = big.shape[:2]
    cell = float(rng.uniform(4.0, 8.0))
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    # Ink coverage of cyan, magenta, yellow = 1 - red, green, blue (BGR order: index 2, 1, 0).
    inks = {2: 15.0, 1: 75.0, 0: 0.0}
    printed = np.empty_like(big)
    paper = rng.uniform(0.88, 0.98, 3).astype(np.float32)
    for channel, angle in inks.items():
        a = math.radians(angle + rng.uniform(-3, 3))
        u = xx * math.cos(a) + yy * math.sin(a)
        v = -xx * math.sin(a) + yy * math.cos(a)
        # A dot screen: threshold the coverage against a periodic bump (dots grow with coverage).
        screen = (np.cos(2 * np.pi * u / cell) + np.cos(2 * np.pi * v / cell)) / 4 + 0.5
        coverage = 1.0 - big[:, :, channel]
        dots = (coverage > screen).astype(np.float32)
        dots = cv2.GaussianBlur(dots, (0, 0), 0.6)  # ink spread
        printed[:, :, channel] = paper[channel] * (1 - 0.88 * dots)
    fibres = cv2.resize(
        rng.normal(0, 1, (h // 8, w // 8)).astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR
    )
    printed *= (1 + 0.025 * fibres)[:, :, None]
    return np.clip(printed * 255, 0, 255).astype(np.uint8)


def print_attack(path: str | Path, *, seed: int, n_frames: int | None = None) -> LivenessSample:
    """A halftone print of the photo moved rigidly in front of the camera."""
    rng = np.random.default_rng(seed)
    picture = halftone_print(portrait(path), rng)
    # Paper margin around the printed photo.
    margin = int(picture.shape[1] * rng.uniform(0.03, 0.12))
    paper_colour = tuple(float(c) for c in rng.uniform(215, 250, 3))
    sheet = cv2.copyMakeBorder(
        picture, margin, margin, margin, margin, cv2.BORDER_CONSTANT, value=paper_colour
    )
    return _moved_picture("print", sheet, picture.shape[1], path, rng, seed, n_frames)


def _moved_picture(
    kind: str,
    sheet: NDArray[Any],
    content_width: int,
    path: str | Path,
    rng: np.random.Generator,
    seed: int,
    n_frames: int | None,
    reflection: bool = False,
    lens_blur: tuple[float, float] = (0.25, 0.45),
) -> LivenessSample:
    background = _background(rng)
    base = _base_pose(rng)
    face_px = float(rng.uniform(150, 260))
    sheet_h, sheet_w = sheet.shape[:2]
    # The homography is built for the sheet; face size follows from the content's share of it.
    face_px_sheet = face_px * sheet_w / content_width

    # The lens blurs the picture before the sensor samples it: sigma in picture pixels, scaled by
    # how many picture pixels fall on one camera pixel (the residual aliasing is the moiré).
    shrink = sheet_w / (face_px * PORTRAIT_FACES_WIDE * sheet_w / content_width)
    blurred = cv2.GaussianBlur(sheet, (0, 0), max(0.3, float(rng.uniform(*lens_blur)) * shrink))

    def capture() -> NDArray[Any]:
        homography = _plane_homography(sheet_w, sheet_h, rng, face_px=face_px_sheet, base=base)
        frame = _composite(blurred, homography, background)
        if reflection:
            frame = _reflection(frame, rng)
        return _camera(frame, rng)

    n = _n_frames(rng, n_frames)
    return LivenessSample(kind, capture(), [capture() for _ in range(n)], (str(path),), seed)


# ---------------------------------------------------------------- (c) screen replay


def subpixel_stripes(pitch: int) -> NDArray[Any]:
    """One screen pixel rendered as ``pitch`` x ``pitch`` samples: R, G, B stripes and a dark matrix.

    Each stripe covers exactly a third of the pixel's width; a sample column straddling two
    stripes shares its area between them. (Assigning whole columns gave a 4-sample pixel two
    green columns and a 5-sample one two red and two blue: a green or magenta cast no real,
    white-balanced display has.)
    """
    stripes = np.zeros((pitch, pitch, 3), np.float32)
    for k, channel in enumerate((2, 1, 0)):  # R, G, B stripes left to right (BGR indices)
        lo, hi = k * pitch / 3, (k + 1) * pitch / 3
        for column in range(pitch):
            stripes[:, column, channel] = max(0.0, min(column + 1, hi) - max(column, lo))
    stripes[pitch - 1, :, :] *= 0.35  # the black matrix between rows
    return stripes


def screen_render(image: NDArray[Any], rng: np.random.Generator) -> NDArray[Any]:
    """The image on an LCD/OLED: each pixel a block of R, G, B stripes with a dark matrix, in a bezel.

    Returned as float32 radiance (stripes brighter than 255) for the camera model to blur.
    """
    pitch = int(rng.integers(3, 6))  # rendered samples per screen pixel
    screen_w = int(rng.uniform(220, 380))  # screen pixels across the shown photo
    screen_h = round(screen_w * image.shape[0] / image.shape[1])
    pixels = cv2.resize(image, (screen_w, screen_h), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0
    # Emissive display: brighter blacks, a cool white point, a little more contrast.
    pixels = np.clip(0.06 + 0.94 * pixels**0.9 * np.array([1.05, 1.0, 0.95], np.float32), 0, 1)
    big = np.repeat(np.repeat(pixels, pitch, axis=0), pitch, axis=1)
    mask = np.tile(subpixel_stripes(pitch), (screen_h, screen_w, 1))
    # Kept as float above 255: each stripe is a third of the pixel and as bright as three, and only
    # the camera's blur averages them back to the pixel's colour.
    shown = (big * mask * 3.0 * 255 * 0.85).astype(np.float32)
    bezel = int(shown.shape[1] * rng.uniform(0.03, 0.09))
    body = tuple(float(c) for c in rng.uniform(5, 45, 3))
    return np.asarray(
        cv2.copyMakeBorder(shown, bezel, bezel * 2, bezel, bezel * 2, cv2.BORDER_CONSTANT, value=body)
    )


def _reflection(frame: NDArray[Any], rng: np.random.Generator) -> NDArray[Any]:
    """A soft bright band across the frame: a window or lamp reflected in the screen's glass."""
    h, w = frame.shape[:2]
    angle = rng.uniform(0, math.pi)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    offset = rng.uniform(-0.3, 0.3) * h
    dist = (xx - w / 2) * math.cos(angle) + (yy - h / 2) * math.sin(angle) - offset
    band = np.exp(-((dist / (rng.uniform(0.04, 0.15) * h)) ** 2)) * rng.uniform(40, 140)
    return np.asarray(np.clip(frame.astype(np.float32) + band[:, :, None], 0, 255), np.uint8)


def screen_attack(path: str | Path, *, seed: int, n_frames: int | None = None) -> LivenessSample:
    """The photo shown on a screen moved rigidly in front of the camera."""
    rng = np.random.default_rng(seed)
    shown = screen_render(portrait(path), rng)
    content_width = shown.shape[1] - 2 * int(shown.shape[1] * 0.06)
    return _moved_picture(
        "screen", shown, content_width, path, rng, seed, n_frames, reflection=True, lens_blur=(0.4, 0.7)
    )


# ---------------------------------------------------------------- (d) swapped person


def framed_photo(path: str | Path, rng: np.random.Generator) -> NDArray[Any]:
    """A photo framed as a selfie frame (small framing jitter) and captured: a genuine-looking frame."""
    still = portrait(path)
    h, w = still.shape[:2]
    zoom = rng.uniform(0.85, 1.0)
    cw, ch = w * zoom, h * zoom
    x0, y0 = rng.uniform(0, w - cw), rng.uniform(0, h - ch)
    crop = still[int(y0) : int(y0 + ch), int(x0) : int(x0 + cw)]
    return _camera(cv2.resize(crop, (FRAME_WIDTH, FRAME_HEIGHT), interpolation=cv2.INTER_AREA), rng)


def swap_attack(
    sample: LivenessSample, intruders: Sequence[NDArray[Any]], *, seed: int, count: int | None = None
) -> LivenessSample:
    """``sample`` with ``count`` of its frames (1 to half, random) replaced by the intruder frames."""
    rng = np.random.default_rng(seed)
    n = len(sample.frames)
    count = int(rng.integers(1, max(2, n // 2 + 1))) if count is None else count
    chosen = sorted(int(i) for i in rng.choice(n, size=min(count, n), replace=False))
    frames = list(sample.frames)
    for k, index in enumerate(chosen):
        intruder = intruders[k % len(intruders)]
        frames[index] = cv2.resize(intruder, (frames[index].shape[1], frames[index].shape[0]))
    return LivenessSample("swap", sample.selfie, frames, sample.sources, seed, tuple(chosen))


def photo_sequence(paths: Sequence[str | Path], *, seed: int, n_frames: int | None = None) -> LivenessSample:
    """A genuine-looking sequence of one person from several different photos of them.

    Not a live capture (a real attacker could not produce it without the person), but the frames
    differ as real captures do; used as the base of photo-only swap attacks.
    """
    rng = np.random.default_rng(seed)
    n = _n_frames(rng, n_frames)
    picks = [paths[int(i)] for i in rng.integers(0, len(paths), n + 1)]
    images = [framed_photo(p, rng) for p in picks]
    return LivenessSample("photos", images[0], images[1:], tuple(str(p) for p in paths), seed)


# ---------------------------------------------------------------- genuine: video face tracks


@dataclass(frozen=True)
class FaceTrack:
    """One person's face through consecutive video frames."""

    track_id: int
    frame_indices: tuple[int, ...]
    boxes: tuple[tuple[int, int, int, int], ...]
    # Per frame: another detected face lies inside this face's selfie crop (people crossing). Such
    # a crop is not a selfie frame (the face mesh may lock onto the other face), so windows with
    # one are skipped.
    crowded: tuple[bool, ...] = ()


def read_video(path: str | Path) -> list[NDArray[Any]]:
    """All frames of a video (BGR)."""
    capture = cv2.VideoCapture(str(path))
    frames = []
    try:
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            frames.append(frame)
    finally:
        capture.release()
    return frames


def face_tracks(
    frames: Sequence[NDArray[Any]],
    *,
    min_length: int = 9,
    max_gap: int = 3,
    indices: Sequence[int] | None = None,
) -> list[FaceTrack]:
    """Link dlib detections across frames into tracks (nearest box centre within half a face).

    Only tracks of at least ``min_length`` detections are kept. ``indices`` restricts detection to
    those frames (detection on 1080p frames is slow).
    """
    chosen = range(len(frames)) if indices is None else indices
    open_tracks: list[list[tuple[int, tuple[int, int, int, int]]]] = []
    detections: dict[int, list[tuple[int, int, int, int]]] = {}
    for index in chosen:
        claimed: set[int] = set()
        faces = detect_faces(frames[index], upsample=1)
        detections[index] = [f.box for f in faces]
        for face in faces:
            cx, cy = (face.box[0] + face.box[2]) / 2, (face.box[1] + face.box[3]) / 2
            best: tuple[float, int] | None = None
            for t, track in enumerate(open_tracks):
                last_index, last_box = track[-1]
                if t in claimed or index - last_index > max_gap:
                    continue
                distance = math.hypot(
                    cx - (last_box[0] + last_box[2]) / 2, cy - (last_box[1] + last_box[3]) / 2
                )
                if distance < 0.5 * face.width and (best is None or distance < best[0]):
                    best = (distance, t)
            if best is None:
                open_tracks.append([(index, face.box)])
                claimed.add(len(open_tracks) - 1)
            else:
                open_tracks[best[1]].append((index, face.box))
                claimed.add(best[1])
    tracks = [t for t in open_tracks if len(t) >= min_length]
    return [
        FaceTrack(
            k,
            tuple(i for i, _ in t),
            tuple(b for _, b in t),
            tuple(_crowded(b, detections[i]) for i, b in t),
        )
        for k, t in enumerate(tracks)
    ]


def _crowded(box: tuple[int, int, int, int], others: list[tuple[int, int, int, int]]) -> bool:
    """Whether another face's centre lies inside this face's selfie crop."""
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    half_w = (box[2] - box[0]) * PORTRAIT_FACES_WIDE / 2
    half_h = half_w * 4 / 3
    for other in others:
        if other == box:
            continue
        ox, oy = (other[0] + other[2]) / 2, (other[1] + other[3]) / 2
        if abs(ox - cx) < half_w and abs(oy - cy) < half_h:
            return True
    return False


def mesh_on_tracked_face(crop: NDArray[Any]) -> bool:
    """Whether the face mesh of a ``crop_face`` crop lies on the tracked face, not on another one.

    A crop where the mesh finds no face is kept: missing a face is the engine's failure to report,
    not a defect of the sample.
    """
    mesh = mesh_landmarks(crop)
    if mesh is None:
        return True
    # crop_face puts the tracked box's centre at (width / 2, 0.45 height), PORTRAIT_FACES_WIDE
    # face widths across the crop.
    face_width = FRAME_WIDTH / PORTRAIT_FACES_WIDE
    low, high = mesh.min(axis=0), mesh.max(axis=0)
    offset = math.hypot(
        (low[0] + high[0]) / 2 - FRAME_WIDTH / 2, (low[1] + high[1]) / 2 - 0.45 * FRAME_HEIGHT
    )
    return offset <= MAX_MESH_OFFSET_FACES * face_width


def crop_face(
    frame: NDArray[Any], box: tuple[int, int, int, int], *, faces_wide: float = PORTRAIT_FACES_WIDE
) -> NDArray[Any]:
    """A selfie-shaped (3:4) crop around a face box, upscaled to the generated frame size."""
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    width = (box[2] - box[0]) * faces_wide
    height = width * 4 / 3
    src = np.array(
        [
            [cx - width / 2, cy - height * 0.45],
            [cx + width / 2, cy - height * 0.45],
            [cx - width / 2, cy + height * 0.55],
        ],
        np.float32,
    )
    dst = np.array([[0, 0], [FRAME_WIDTH, 0], [0, FRAME_HEIGHT]], np.float32)
    affine = cv2.getAffineTransform(src, dst)
    return cv2.warpAffine(
        frame, affine, (FRAME_WIDTH, FRAME_HEIGHT), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE
    )


def track_sequences(
    frames: Sequence[NDArray[Any]], track: FaceTrack, *, n_frames: int, stride: int, source: str = "video"
) -> list[LivenessSample]:
    """Every window of ``n_frames + 1`` track frames ``stride`` apart (the first is the selfie).

    Windows start every ``stride`` track frames, so windows of one track overlap: they are
    distinct sequences but not independent ones. Windows with a crowded frame, or a frame whose
    face mesh lies on another face than the tracked one, are skipped.
    """
    span = n_frames * stride + 1
    samples = []
    for start in range(0, len(track.frame_indices) - span + 1, stride):
        picks = range(start, start + span, stride)
        if track.crowded and any(track.crowded[p] for p in picks):
            continue
        crops = [crop_face(frames[track.frame_indices[p]], track.boxes[p]) for p in picks]
        if not all(mesh_on_tracked_face(crop) for crop in crops):
            continue
        samples.append(
            LivenessSample(
                "genuine",
                crops[0],
                crops[1:],
                (f"{source}#track{track.track_id}@{track.frame_indices[start]}",),
                start,
            )
        )
    return samples
