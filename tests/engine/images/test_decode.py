from __future__ import annotations

import base64
import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from openkyc.engine.errors import (
    CorruptImage,
    EmptyImage,
    ImageTooLarge,
    ImageTooSmall,
    InvalidBase64,
    TruncatedImage,
    UnsupportedImageFormat,
)
from openkyc.engine.images.decode import ImageLimits, decode_base64, load_image


def encode(image: Image.Image, fmt: str, **kwargs: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **kwargs)
    return buffer.getvalue()


def gradient(width: int = 64, height: int = 48) -> Image.Image:
    array = np.zeros((height, width, 3), np.uint8)
    array[:, :, 0] = np.linspace(0, 255, width, dtype=np.uint8)[None, :]  # red grows left to right
    array[:, :, 2] = 200
    return Image.fromarray(array, "RGB")


def test_png_decodes_to_bgr() -> None:
    decoded = load_image(encode(gradient(), "PNG"))
    assert decoded.format == "PNG"
    assert (decoded.width, decoded.height) == (64, 48)
    # Channel order is BGR: blue is the constant 200, red grows along x.
    assert decoded.bgr[0, 0, 0] == 200
    assert decoded.bgr[0, -1, 2] == 255
    assert not decoded.stored_grayscale


def test_jpeg_from_path(tmp_path: Path) -> None:
    path = tmp_path / "x.jpg"
    path.write_bytes(encode(gradient(), "JPEG", quality=95))
    decoded = load_image(path)
    assert decoded.format == "JPEG"
    assert decoded.bgr.shape == (48, 64, 3)


def test_exif_orientation_is_applied() -> None:
    image = gradient(64, 48)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to view
    decoded = load_image(encode(image, "JPEG", exif=exif.tobytes(), quality=95))
    assert decoded.exif_rotated
    assert (decoded.width, decoded.height) == (48, 64)


def test_grayscale_file_is_reported() -> None:
    decoded = load_image(encode(gradient().convert("L"), "PNG"))
    assert decoded.stored_grayscale
    assert decoded.bgr.shape[2] == 3


def test_transparent_png_is_composited_on_white() -> None:
    rgba = Image.new("RGBA", (32, 32), (0, 0, 0, 0))
    decoded = load_image(encode(rgba, "PNG"))
    assert int(decoded.bgr.min()) == 255


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"", EmptyImage),
        (b"not an image at all", UnsupportedImageFormat),
        (b"GIF89a" + b"\x00" * 64, UnsupportedImageFormat),
    ],
)
def test_bad_bytes_raise_typed_errors(data: bytes, error: type[Exception]) -> None:
    with pytest.raises(error):
        load_image(data)


def test_gif_is_refused_even_when_valid() -> None:
    with pytest.raises(UnsupportedImageFormat):
        load_image(encode(gradient(), "GIF"))


def test_truncated_jpeg() -> None:
    data = encode(gradient(256, 256), "JPEG", quality=95)
    with pytest.raises((TruncatedImage, CorruptImage)):
        load_image(data[: len(data) // 2])


def test_corrupt_png_body() -> None:
    data = bytearray(encode(gradient(), "PNG"))
    data[60:80] = b"\xff" * 20
    with pytest.raises((CorruptImage, TruncatedImage)):
        load_image(bytes(data))


def test_byte_limit() -> None:
    with pytest.raises(ImageTooLarge):
        load_image(encode(gradient(), "PNG"), limits=ImageLimits(max_bytes=100))


def test_decompression_bomb_is_refused_before_decoding() -> None:
    # A 20000x20000 black PNG compresses to a few hundred KB but would need 1.2 GB decoded.
    bomb = encode(Image.new("L", (20000, 20000)), "PNG")
    assert len(bomb) < 2_000_000
    with pytest.raises(ImageTooLarge):
        load_image(bomb)


def test_too_small() -> None:
    with pytest.raises(ImageTooSmall):
        load_image(encode(gradient(8, 8), "PNG"))


def test_base64_plain_data_url_and_urlsafe() -> None:
    raw = encode(gradient(), "PNG")
    plain = base64.b64encode(raw).decode()
    assert decode_base64(plain) == raw
    assert decode_base64("data:image/png;base64," + plain) == raw
    assert decode_base64(base64.urlsafe_b64encode(raw).decode().rstrip("=")) == raw
    wrapped = "\n".join(plain[i : i + 76] for i in range(0, len(plain), 76))
    assert decode_base64(wrapped) == raw


@pytest.mark.parametrize("text", ["", "   ", "@@@@not base64@@@@", "é"])
def test_base64_errors(text: str) -> None:
    with pytest.raises((EmptyImage, InvalidBase64)):
        decode_base64(text)


def test_base64_size_limit_checked_before_decoding() -> None:
    with pytest.raises(ImageTooLarge):
        decode_base64("A" * 4000, limits=ImageLimits(max_bytes=1000))
