"""A verification link's logo as this server serves it: read once, checked, kept as a small PNG.

The hosted capture page loads nothing from another origin, so a link's ``logo_url`` is never
hot-linked: the image is read once, when the link is created or its logo changed, and kept as a
PNG of at most :data:`LOGO_LONG_SIDE` pixels (``SmileLink.logo_png``) that the page serves itself.
Re-encoding also means the browser never decodes what the partner sent, and no metadata survives.

A logo is either a ``data:image/png|jpeg;base64,...`` URL or an http(s) URL. Fetching a URL a
partner chose is an SSRF risk, so the fetch follows the callback client's policy
(:mod:`openkyc.callbacks.client`): the host is resolved once, every address must be public unless
``allow_private_callbacks`` is set, the request goes to that exact address, and each redirect
(at most :data:`MAX_REDIRECTS`) is judged again. The whole fetch is bounded in time
(:data:`FETCH_TIMEOUT_S`) and size (:data:`MAX_LOGO_BYTES`, compressed bodies refused so that
nothing inflates past it), and decoding is bounded in pixels (:data:`MAX_LOGO_PIXELS`).

Everything here blocks (network, decoding): callers run it off the event loop, on the small pool
:func:`logo_png_async` uses.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
import time
import warnings
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx
from PIL import Image, ImageOps, UnidentifiedImageError

from openkyc.callbacks.client import CallbackRefused, failure_reason, resolve_public_address
from openkyc.links.manage import LinkError
from openkyc.offload import run_bounded

FIELD = "logo_url"
# What is read of a logo, however it comes (the decoded bytes of a data: URL, a fetched body).
MAX_LOGO_BYTES = 1024 * 1024
# The whole fetch, DNS and redirects included.
FETCH_TIMEOUT_S = 5.0
MAX_REDIRECTS = 3
# A 4000 x 4000 image: 64 MB decoded at most, before it is brought down to LOGO_LONG_SIDE.
MAX_LOGO_PIXELS = 16_000_000
# The page shows the logo at 40-64 CSS px: 256 px stays sharp on a 4x screen.
LOGO_LONG_SIDE = 256
ACCEPTED_FORMATS = ("PNG", "JPEG")
# Fetches wait for one of these threads: a handful of slow logo hosts cannot hold Starlette's pool.
LOGO_WORKERS = 4
_DATA_URL = re.compile(r"data:image/(png|jpeg|jpg);base64,(.*)", re.IGNORECASE | re.DOTALL)
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


class LogoError(LinkError):
    """The logo cannot be used; the message says why, never repeating the URL (it may carry a token)."""

    def __init__(self, message: str) -> None:
        super().__init__(FIELD, message)


def is_data_url(value: str) -> bool:
    return value[:5].lower() == "data:"


def logo_png(logo_url: str, *, allow_private: bool, timeout_s: float = FETCH_TIMEOUT_S) -> bytes:
    """The logo ``logo_url`` names (a data: or http(s) URL), as a PNG of at most LOGO_LONG_SIDE px."""
    if is_data_url(logo_url):
        raw = from_data_url(logo_url)
    else:
        raw = fetch(logo_url, allow_private=allow_private, timeout_s=timeout_s)
    return to_png(raw)


async def logo_png_async(logo_url: str, *, allow_private: bool) -> bytes:
    """:func:`logo_png` on the logo pool, awaited from the event loop."""
    return await run_bounded("link-logos", LOGO_WORKERS, logo_png, logo_url, allow_private=allow_private)


def from_data_url(value: str) -> bytes:
    """The image bytes of a ``data:image/png|jpeg;base64,`` URL, bounded before decoding."""
    found = _DATA_URL.fullmatch(value.strip())
    if found is None:
        raise LogoError("logo_url must be an http(s) URL or a data:image/png or data:image/jpeg base64 URL")
    text = "".join(found.group(2).split())
    if not text:
        raise LogoError("logo_url's data is empty")
    # 4 base64 characters carry 3 bytes: refused before the decoded buffer is allocated.
    if len(text) * 3 // 4 > MAX_LOGO_BYTES:
        raise LogoError(f"logo_url's image is larger than {MAX_LOGO_BYTES} bytes")
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise LogoError("logo_url's data is not valid base64") from None


def fetch(url: str, *, allow_private: bool, timeout_s: float = FETCH_TIMEOUT_S) -> bytes:
    """GET ``url`` under the SSRF policy, following at most MAX_REDIRECTS redirects (each one judged
    again), within ``timeout_s`` in all; the body, at most MAX_LOGO_BYTES."""
    deadline = time.monotonic() + timeout_s
    for _ in range(MAX_REDIRECTS + 1):
        answer = _get_once(url, allow_private=allow_private, deadline=deadline, timeout_s=timeout_s)
        if isinstance(answer, bytes):
            return answer
        url = answer  # a redirect's target
    raise LogoError(f"logo_url redirects more than {MAX_REDIRECTS} times")


def _remaining(deadline: float, timeout_s: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise LogoError(f"logo_url could not be read within {timeout_s:g} s")
    return left


def _get_once(url: str, *, allow_private: bool, deadline: float, timeout_s: float) -> bytes | str:
    """One GET: the body, or the absolute URL a redirect points to."""
    try:
        scheme, host, port, ip = resolve_public_address(
            url, allow_private=allow_private, timeout_s=_remaining(deadline, timeout_s)
        )
    except CallbackRefused as refusal:
        raise LogoError(f"logo_url cannot be fetched: {refusal.reason}") from None
    parts = urlsplit(url)
    netloc_ip = f"[{ip}]" if ":" in ip else ip
    # To the address just judged, never a second look-up (DNS rebinding), with the real Host and SNI.
    pinned = urlunsplit((scheme, f"{netloc_ip}:{port}", parts.path or "/", parts.query, ""))
    default_port = port == (443 if scheme == "https" else 80)
    headers = {
        "Host": host if default_port else f"{host}:{port}",
        "User-Agent": "openkyc-logo",
        "Accept": "image/png, image/jpeg",
        "Accept-Encoding": "identity",
    }
    try:
        with (
            httpx.Client(timeout=_remaining(deadline, timeout_s), follow_redirects=False) as client,
            client.stream("GET", pinned, headers=headers, extensions={"sni_hostname": host}) as response,
        ):
            if response.status_code in _REDIRECTS:
                location = response.headers.get("location")
                if not location:
                    raise LogoError(f"logo_url answered HTTP {response.status_code} without a Location")
                return str(urljoin(url, str(location)))
            if response.status_code != 200:
                raise LogoError(f"logo_url answered HTTP {response.status_code}")
            if response.headers.get("content-encoding", "identity").lower() != "identity":
                raise LogoError("logo_url answered a compressed body; serve the image as it is")
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > MAX_LOGO_BYTES:
                raise LogoError(f"logo_url's image is larger than {MAX_LOGO_BYTES} bytes")
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_raw():
                size += len(chunk)
                if size > MAX_LOGO_BYTES:
                    raise LogoError(f"logo_url's image is larger than {MAX_LOGO_BYTES} bytes")
                chunks.append(chunk)
                _remaining(deadline, timeout_s)  # a server that trickles is cut off at the deadline
            return b"".join(chunks)
    except httpx.TimeoutException:
        raise LogoError(f"logo_url could not be read within {timeout_s:g} s") from None
    except httpx.HTTPError as error:
        raise LogoError(f"logo_url cannot be fetched: {failure_reason(error)}") from None


def to_png(raw: bytes) -> bytes:
    """``raw`` (a PNG or JPEG) upright, at most LOGO_LONG_SIDE px on its long side, as a PNG."""
    if not raw:
        raise LogoError("logo_url's image is empty")
    if len(raw) > MAX_LOGO_BYTES:
        raise LogoError(f"logo_url's image is larger than {MAX_LOGO_BYTES} bytes")
    unreadable = LogoError("logo_url is not a readable PNG or JPEG image")
    try:
        with warnings.catch_warnings():
            # Pillow's own bomb warning; the bound that counts is MAX_LOGO_PIXELS, checked below.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            opened = Image.open(io.BytesIO(raw), formats=ACCEPTED_FORMATS)
        with opened as image:
            width, height = image.size
            if width * height > MAX_LOGO_PIXELS:
                raise LogoError(
                    f"logo_url's image has {width * height} pixels; the limit is {MAX_LOGO_PIXELS}"
                )
            if image.format == "JPEG":
                # Decoded straight at 1/2, 1/4 or 1/8 of its size where that still covers the bound.
                image.draft(image.mode, (LOGO_LONG_SIDE, LOGO_LONG_SIDE))
            image.load()
            upright = ImageOps.exif_transpose(image)
            has_alpha = upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info
            # Resampled in RGB(A): a palette image would otherwise be resized by nearest neighbour.
            converted = upright.convert("RGBA" if has_alpha else "RGB")
            converted.thumbnail((LOGO_LONG_SIDE, LOGO_LONG_SIDE), Image.Resampling.LANCZOS)
            converted.info.clear()  # no ICC profile, text or EXIF carried over
            out = io.BytesIO()
            converted.save(out, format="PNG", optimize=True)
            return out.getvalue()
    except LogoError:
        raise
    except Image.DecompressionBombError:
        raise LogoError(f"logo_url's image has more than {MAX_LOGO_PIXELS} pixels") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise unreadable from None
