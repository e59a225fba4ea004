"""Safe decoding of partner-supplied images.

Images come from untrusted partners, so decoding checks byte size before reading, pixel count
before decompressing (decompression bombs), accepts only JPEG and PNG (what the SDKs send), applies
the EXIF orientation so faces and documents are upright as the camera saw them, and turns every
failure into a typed :class:`~openkyc.engine.errors.ImageError`.

Large images are brought down to :data:`DECODE_LONG_SIDE` right while decoding: a JPEG is decoded
directly at 1/2, 1/4 or 1/8 of its size by the decoder's DCT scaling (Pillow's ``draft``), so the
full-size bitmap of a 6300 x 6300 photo (119 MB) is never held; a PNG, which cannot be decoded
smaller, is decoded whole (its pixel count is bounded first) and reduced at once. The size of the
image as sent is kept: the capture specification and the job's pixel budget are about what the
partner sent, not about the working copy.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image, UnidentifiedImageError

from openkyc.engine.errors import (
    CorruptImage,
    EmptyImage,
    ImageTooLarge,
    ImageTooSmall,
    InvalidBase64,
    TruncatedImage,
    UnsupportedImageFormat,
)

ALLOWED_FORMATS = frozenset({"JPEG", "PNG"})
_DATA_URL = re.compile(r"^data:image/[a-zA-Z0-9.+-]+;base64,", re.IGNORECASE)

# Long side of the decoded working copy. The largest size any part of the engine works at is the
# cropped document (at most 2400 px, locate.MAX_CROP_LONG_SIDE), from which OCR reads at 1280 px
# and the MRZ band is searched at 1100 px; faces are detected at 900 px, face meshes at 960 px,
# quality at 1000 px. 2400 px therefore loses nothing for a document that fills the photo and keeps
# a face that spans 6% of a selfie's long side at the 150 px its embedding chip needs. At this size
# three images hold 50 MB instead of 360 MB for three 6300 x 6300 photos.
DECODE_LONG_SIDE = 2400


@dataclass(frozen=True)
class ImageLimits:
    """Bounds on what a partner may send. Defaults allow the documentation's 10 MB document images."""

    max_bytes: int = 15 * 1024 * 1024
    max_pixels: int = 40_000_000
    min_side: int = 16
    # Images are decoded to at most this long side (None: at full size).
    max_long_side: int | None = DECODE_LONG_SIDE


@dataclass(frozen=True)
class DecodedImage:
    """A decoded, upright image with what was learnt about the file on the way.

    ``bgr`` is the working copy, at most :data:`DECODE_LONG_SIDE` on its long side; ``width`` and
    ``height`` are those of the image as sent (upright), and ``scale`` maps one to the other.
    """

    bgr: NDArray[Any] = field(repr=False)
    format: str
    byte_size: int
    # True when the file itself stored no colour (mode L/LA/1): a strong photocopy/scan hint.
    stored_grayscale: bool
    exif_rotated: bool
    # (width, height) of the image as sent, upright; None: the size of ``bgr``.
    sent_size: tuple[int, int] | None = None

    @property
    def width(self) -> int:
        """Width of the image as sent (upright), in pixels."""
        return self.sent_size[0] if self.sent_size else int(self.bgr.shape[1])

    @property
    def height(self) -> int:
        """Height of the image as sent (upright), in pixels."""
        return self.sent_size[1] if self.sent_size else int(self.bgr.shape[0])

    @property
    def scale(self) -> float:
        """Size of the working copy relative to the image as sent (1.0: not reduced)."""
        return max(self.bgr.shape[:2]) / max(self.width, self.height)


def decode_base64(text: str | bytes, *, limits: ImageLimits | None = None) -> bytes:
    """Decode base64 image text (optionally a ``data:`` URL); bounded before decoding."""
    limits = limits or ImageLimits()
    if isinstance(text, bytes):
        try:
            text = text.decode("ascii")
        except UnicodeDecodeError as exc:
            raise InvalidBase64("base64 image text is not ASCII") from exc
    text = _DATA_URL.sub("", text.strip(), count=1)
    text = "".join(text.split())
    if not text:
        raise EmptyImage("base64 image text is empty")
    # 4 base64 characters carry 3 bytes: refuse before allocating the decoded buffer.
    if len(text) * 3 // 4 > limits.max_bytes:
        raise ImageTooLarge(f"image exceeds {limits.max_bytes} bytes")
    padded = text + "=" * (-len(text) % 4)
    try:
        if "-" in padded or "_" in padded:
            return base64.urlsafe_b64decode(padded)
        return base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidBase64("image is not valid base64") from exc


def load_image(source: bytes | bytearray | str | Path, *, limits: ImageLimits | None = None) -> DecodedImage:
    """Decode a JPEG/PNG from bytes or a file path into an upright BGR array.

    A ``str`` is a path; base64 text goes through :func:`decode_base64` first.
    """
    limits = limits or ImageLimits()
    data = _read_source(source, limits)
    if not data:
        raise EmptyImage("image is empty")
    if len(data) > limits.max_bytes:
        raise ImageTooLarge(f"image exceeds {limits.max_bytes} bytes")
    try:
        with warnings.catch_warnings():
            # Pillow warns (and at 2x raises) on huge images; we enforce our own bound below.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as exc:
        raise ImageTooLarge("image has too many pixels") from exc
    except UnidentifiedImageError as exc:
        raise UnsupportedImageFormat("not a JPEG or PNG image") from exc
    except OSError as exc:
        raise CorruptImage("image header is corrupt") from exc
    with image:
        if image.format not in ALLOWED_FORMATS:
            raise UnsupportedImageFormat(
                f"{image.format or 'unknown'} images are not accepted; send JPEG or PNG"
            )
        width, height = image.size
        if width * height > limits.max_pixels:
            raise ImageTooLarge(f"image has {width * height} pixels; the limit is {limits.max_pixels}")
        if min(width, height) < limits.min_side:
            raise ImageTooSmall(f"image is {width}x{height}; each side must be at least {limits.min_side}")
        stored_grayscale = image.mode in {"1", "L", "LA", "I", "I;16", "F"}
        bound = limits.max_long_side
        if bound is not None and image.format == "JPEG" and max(width, height) > bound:
            # The decoder scales by 1/2, 1/4 or 1/8 while decoding, to the smallest size that is
            # still at least the requested one; the rest of the way is a resize below.
            factor = bound / max(width, height)
            image.draft(image.mode, (max(1, int(width * factor)), max(1, int(height * factor))))
        try:
            image.load()
        except Image.DecompressionBombError as exc:
            raise ImageTooLarge("image has too many pixels") from exc
        except OSError as exc:
            if "truncated" in str(exc).lower():
                raise TruncatedImage("image data is truncated") from exc
            raise CorruptImage("image data is corrupt") from exc
        except (ValueError, SyntaxError) as exc:
            raise CorruptImage("image data is corrupt") from exc
        orientation = _exif_orientation(image)
        turned = orientation in (5, 6, 7, 8)  # a quarter turn swaps width and height
        sent_size = (height, width) if turned else (width, height)
        # Reduced before anything else, so that no full-size copy is ever made.
        rgb = _to_rgb(_reduced(image, bound))
        turn = _EXIF_TRANSPOSE.get(orientation or 1)
        upright = rgb.transpose(turn) if turn is not None else rgb
        bgr = cv2.cvtColor(np.asarray(upright), cv2.COLOR_RGB2BGR)
    return DecodedImage(
        bgr=bgr,
        format=str(image.format),
        byte_size=len(data),
        stored_grayscale=stored_grayscale,
        exif_rotated=orientation not in (None, 1),
        sent_size=sent_size,
    )


def _read_source(source: bytes | bytearray | str | Path, limits: ImageLimits) -> bytes:
    if isinstance(source, bytes | bytearray):
        return bytes(source)
    path = Path(source)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise CorruptImage(f"cannot read image file {path.name!r}") from exc
    if size > limits.max_bytes:
        raise ImageTooLarge(f"image exceeds {limits.max_bytes} bytes")
    return path.read_bytes()


def _exif_orientation(image: Image.Image) -> int | None:
    try:
        value = image.getexif().get(0x0112)
    except Exception:  # a malformed EXIF block must not reject an otherwise good image
        return None
    return int(value) if isinstance(value, int) else None


# EXIF orientation -> the transposition that makes the image upright (as ImageOps.exif_transpose).
_EXIF_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def _reduced(image: Image.Image, bound: int | None) -> Image.Image:
    """``image`` with its long side brought down to ``bound`` (never up)."""
    width, height = image.size
    if bound is None or max(width, height) <= bound:
        return image
    factor = bound / max(width, height)
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    if image.mode in {"1", "P"}:
        image = _to_rgb(image)  # Pillow resizes these by picking pixels, not averaging them
    elif image.mode in {"I", "I;16", "F"}:
        image = image.convert("F")  # resampled in float, rescaled to 8 bits by _to_rgb
    # BOX averages every source pixel (like INTER_AREA); the reducing gap first shrinks by a whole
    # factor, which is fast and as good when the remaining step is small.
    return image.resize(size, Image.Resampling.BOX, reducing_gap=2.0)


def _to_rgb(image: Image.Image) -> Image.Image:
    if image.mode == "RGB":
        return image
    if image.mode in {"RGBA", "LA", "PA"} or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        # Transparent areas become white, as they would print.
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    if image.mode in {"I", "I;16", "F"}:
        array = np.asarray(image, dtype=np.float32)
        low = float(array.min())
        span = float(array.max()) - low or 1.0
        scaled = ((array - low) * (255.0 / span)).astype(np.uint8)
        return Image.fromarray(scaled, mode="L").convert("RGB")
    return image.convert("RGB")
