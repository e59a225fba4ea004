"""Safe decoding of partner-supplied images.

Images come from untrusted partners, so decoding checks byte size before reading, pixel count
before decompressing (decompression bombs), accepts only JPEG and PNG (what the SDKs send), applies
the EXIF orientation so faces and documents are upright as the camera saw them, and turns every
failure into a typed :class:`~openkyc.engine.errors.ImageError`.
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

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageOps, UnidentifiedImageError

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


@dataclass(frozen=True)
class ImageLimits:
    """Bounds on what a partner may send. Defaults allow the seeds' 10 MB document images."""

    max_bytes: int = 15 * 1024 * 1024
    max_pixels: int = 40_000_000
    min_side: int = 16


@dataclass(frozen=True)
class DecodedImage:
    """A decoded, upright image with what was learnt about the file on the way."""

    bgr: NDArray[Any] = field(repr=False)
    format: str
    byte_size: int
    # True when the file itself stored no colour (mode L/LA/1): a strong photocopy/scan hint.
    stored_grayscale: bool
    exif_rotated: bool

    @property
    def width(self) -> int:
        return int(self.bgr.shape[1])

    @property
    def height(self) -> int:
        return int(self.bgr.shape[0])


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
        stored_grayscale = image.mode in {"1", "L", "LA", "I", "I;16", "F"}
        orientation = _exif_orientation(image)
        upright = ImageOps.exif_transpose(image) if orientation not in (None, 1) else image
        rgb = _to_rgb(upright)
    bgr = np.ascontiguousarray(np.asarray(rgb)[:, :, ::-1])
    return DecodedImage(
        bgr=bgr,
        format=str(image.format),
        byte_size=len(data),
        stored_grayscale=stored_grayscale,
        exif_rotated=orientation not in (None, 1),
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


def _to_rgb(image: Image.Image) -> Image.Image:
    if image.mode == "RGB":
        return image
    if image.mode in {"RGBA", "LA", "PA"} or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        # Transparent areas become white, as they would print.
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    if image.mode in {"I", "I;16", "F"}:
        array = np.asarray(image, dtype=np.float64)
        span = float(array.max() - array.min()) or 1.0
        scaled = ((array - array.min()) * (255.0 / span)).astype(np.uint8)
        return Image.fromarray(scaled, mode="L").convert("RGB")
    return image.convert("RGB")
