from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray
from PIL import Image, ImageOps

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


# --- Large images: reduced while decoding --------------------------------------------------------


def scene(width: int, height: int) -> Image.Image:
    """A picture with structure at every scale and an asymmetric mark (to see turns and flips)."""
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    array = np.zeros((height, width, 3), np.uint8)
    array[:, :, 0] = (xx / width * 255).astype(np.uint8)
    array[:, :, 1] = (127 + 120 * np.sin(xx / 37.0) * np.cos(yy / 53.0)).astype(np.uint8)
    array[:, :, 2] = (yy / height * 255).astype(np.uint8)
    array[: height // 5, : width // 7] = (255, 255, 255)  # a white block near the top-left
    return Image.fromarray(array, "RGB")


def reference_bgr(image: Image.Image, size: tuple[int, int]) -> NDArray[Any]:
    """The old way: the whole image decoded, then resized (area averaging)."""
    bgr = cv2.cvtColor(np.asarray(image.convert("RGB")), cv2.COLOR_RGB2BGR)
    return cv2.resize(bgr, size, interpolation=cv2.INTER_AREA)


def test_a_large_jpeg_is_decoded_small_and_keeps_its_sent_size() -> None:
    picture = scene(5000, 3000)
    data = encode(picture, "JPEG", quality=92)
    decoded = load_image(data)
    assert decoded.bgr.shape == (1440, 2400, 3)
    assert (decoded.width, decoded.height) == (5000, 3000)  # what the partner sent
    assert decoded.scale == pytest.approx(0.48)
    # The same picture as decoding it whole and resizing it.
    expected = reference_bgr(Image.open(io.BytesIO(data)), (2400, 1440))
    assert float(np.mean(np.abs(decoded.bgr.astype(np.int16) - expected))) < 3.0
    full = load_image(data, limits=ImageLimits(max_long_side=None))
    assert full.bgr.shape == (3000, 5000, 3) and full.scale == 1.0


def test_small_images_are_not_resized() -> None:
    decoded = load_image(encode(scene(1600, 1200), "JPEG", quality=92))
    assert decoded.bgr.shape == (1200, 1600, 3) and decoded.scale == 1.0


SMALL_BOUND = ImageLimits(max_long_side=600)  # the same code paths as the default, faster


@pytest.mark.parametrize("orientation", range(1, 9))
@pytest.mark.parametrize("size", [(320, 200), (1600, 1000)])
def test_every_exif_orientation_is_applied(orientation: int, size: tuple[int, int]) -> None:
    picture = scene(*size)
    exif = Image.Exif()
    exif[0x0112] = orientation
    data = encode(picture, "JPEG", exif=exif.tobytes(), quality=92)
    decoded = load_image(data, limits=SMALL_BOUND)
    upright = ImageOps.exif_transpose(Image.open(io.BytesIO(data)))
    assert (decoded.width, decoded.height) == upright.size
    assert decoded.exif_rotated is (orientation != 1)
    height, width = decoded.bgr.shape[:2]
    assert max(width, height) == min(600, max(size))
    expected = reference_bgr(upright, (width, height))
    assert float(np.mean(np.abs(decoded.bgr.astype(np.int16) - expected))) < 3.0


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L", "P", "I;16"])
def test_a_large_png_is_reduced_in_every_mode(mode: str) -> None:
    picture = scene(1500, 1000)
    if mode == "I;16":
        wide = (np.asarray(picture.convert("L"), dtype=np.uint16) * 257).astype(np.uint16)
        converted = Image.frombytes("I;16", picture.size, wide.tobytes())
    else:
        converted = picture.convert(mode)
    data = encode(converted, "PNG")
    decoded = load_image(data, limits=SMALL_BOUND)
    assert decoded.bgr.shape == (400, 600, 3)
    assert (decoded.width, decoded.height) == (1500, 1000)
    assert decoded.stored_grayscale is (mode in ("L", "I;16"))
    # As the whole decoded image, resized.
    whole = load_image(data, limits=ImageLimits(max_long_side=None)).bgr
    expected = cv2.resize(whole, (600, 400), interpolation=cv2.INTER_AREA)
    assert float(np.mean(np.abs(decoded.bgr.astype(np.int16) - expected))) < 3.0


def test_a_large_grayscale_jpeg_stays_reported_grayscale() -> None:
    decoded = load_image(encode(scene(1500, 1000).convert("L"), "JPEG", quality=90), limits=SMALL_BOUND)
    assert decoded.stored_grayscale and decoded.bgr.shape == (400, 600, 3)


def test_a_webp_renamed_jpg_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "selfie.jpg"
    path.write_bytes(encode(scene(640, 480), "WEBP"))
    with pytest.raises(UnsupportedImageFormat) as caught:
        load_image(path)
    assert caught.value.code == "image.unsupported_format"


def test_a_png_bomb_is_refused_whatever_the_working_size() -> None:
    bomb = encode(Image.new("L", (20000, 20000)), "PNG")
    with pytest.raises(ImageTooLarge):
        load_image(bomb, limits=ImageLimits(max_long_side=800))
