"""A fake camera for Chromium (``--use-file-for-fake-video-capture``) made from a real video.

Chromium plays a YUV4MPEG2 (.y4m) file as the camera. Debian's ffmpeg could convert the shared
video, but OpenCV (already installed, its wheel decodes MP4) writes the same format in a few lines
and can do what ffmpeg alone cannot: follow the face. The shared genuine-motion video is a wide
shot of a person moving; as a selfie camera it would show a small face far away, so each frame is
cropped to a portrait window around the face (dlib's detector, the engine's own) and scaled to a
phone camera's 480x640. The motion, the lighting and the person are the video's own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from openkyc.engine.face.detect import detect_faces, primary_face

WIDTH, HEIGHT = 480, 640
# The crop is this many face widths wide: the face then spans about a third of the frame.
FACE_WIDTHS = 3.0
DETECT_WIDTH = 640
# The face is looked for in every DETECT_EVERY-th frame (each look costs ~0.15 s of CPU).
DETECT_EVERY = 5


def _crop(frame: NDArray[Any], box: tuple[int, int, int, int]) -> NDArray[np.uint8]:
    height, width = frame.shape[:2]
    left, top, right, bottom = box
    crop_w = int((right - left) * FACE_WIDTHS)
    crop_h = crop_w * HEIGHT // WIDTH
    centre_x, centre_y = (left + right) // 2, (top + bottom) // 2
    x0 = min(max(centre_x - crop_w // 2, 0), max(width - crop_w, 0))
    y0 = min(max(centre_y - crop_h // 2, 0), max(height - crop_h, 0))
    window = frame[y0 : y0 + crop_h, x0 : x0 + crop_w]
    return np.asarray(cv2.resize(window, (WIDTH, HEIGHT), interpolation=cv2.INTER_AREA), dtype=np.uint8)


def selfie_camera_y4m(video: Path, out: Path, *, fps: int = 25) -> Path:
    """Write ``out`` (.y4m, 480x640 I420) from ``video``, each frame centred on its face."""
    capture = cv2.VideoCapture(str(video))
    box: tuple[int, int, int, int] | None = None
    frames: list[NDArray[np.uint8]] = []
    while True:
        read, frame = capture.read()
        if not read:
            break
        if box is None or len(frames) % DETECT_EVERY == 0:  # the face moves little in 0.2 s
            scale = DETECT_WIDTH / frame.shape[1]
            face = primary_face(detect_faces(cv2.resize(frame, None, fx=scale, fy=scale), fallbacks=False))
            if face is not None:
                box = tuple(int(v / scale) for v in face.box)  # type: ignore[assignment]
        if box is not None:
            frames.append(_crop(frame, box))
    capture.release()
    if not frames:
        raise ValueError(f"no face found in {video}")
    with out.open("wb") as sink:
        sink.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for frame in frames:
            sink.write(b"FRAME\n")
            sink.write(cv2.cvtColor(frame, cv2.COLOR_BGR2YUV_I420).tobytes())
    return out
