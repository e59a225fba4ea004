"""links.logo: a link's logo read once (data: URL or a fetch under the SSRF policy) and re-encoded."""

from __future__ import annotations

import asyncio
import base64
import io
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from PIL import Image

from openkyc.callbacks import client as callback_client
from openkyc.links import logo
from openkyc.links.logo import LOGO_LONG_SIDE, MAX_LOGO_BYTES, LogoError
from openkyc.links.manage import LinkError


def image_bytes(size: tuple[int, int], *, kind: str = "PNG", mode: str = "RGB", **save: Any) -> bytes:
    colour: Any = (200, 30, 30, 128) if mode == "RGBA" else (200, 30, 30)
    out = io.BytesIO()
    Image.new(mode, size, colour).save(out, format=kind, **save)
    return out.getvalue()


def data_url(raw: bytes, kind: str = "png") -> str:
    return f"data:image/{kind};base64,{base64.b64encode(raw).decode('ascii')}"


def decoded(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    image.load()
    return image


# --- data: URLs and decoding ---------------------------------------------------------------------


def test_a_png_data_url_becomes_a_png_within_the_bound() -> None:
    png = logo.logo_png(data_url(image_bytes((1000, 500))), allow_private=False)
    image = decoded(png)
    assert image.size == (LOGO_LONG_SIDE, LOGO_LONG_SIDE // 2)
    assert image.getpixel((10, 10)) == (200, 30, 30)


def test_a_jpeg_data_url_is_accepted_and_small_logos_are_not_enlarged() -> None:
    for kind in ("jpeg", "jpg", "JPEG"):
        image = decoded(
            logo.logo_png(data_url(image_bytes((120, 40), kind="JPEG"), kind), allow_private=False)
        )
        assert image.size == (120, 40) and image.mode == "RGB"


def test_transparency_is_kept() -> None:
    image = decoded(logo.logo_png(data_url(image_bytes((64, 64), mode="RGBA")), allow_private=False))
    pixel = image.getpixel((5, 5))
    assert image.mode == "RGBA" and isinstance(pixel, tuple) and pixel[3] == 128


def test_a_palette_image_is_resampled_in_colour() -> None:
    raw = io.BytesIO()
    Image.new("RGB", (600, 300), (10, 120, 240)).convert("P", palette=Image.Palette.ADAPTIVE).save(raw, "PNG")
    image = decoded(logo.to_png(raw.getvalue()))
    assert image.size == (256, 128) and image.mode == "RGB"


def test_the_exif_orientation_is_applied_and_no_metadata_is_kept() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    raw = image_bytes((200, 100), kind="JPEG", exif=exif.tobytes())
    image = decoded(logo.to_png(raw))
    assert image.size == (100, 200)
    assert "exif" not in image.info and "icc_profile" not in image.info


def test_whitespace_in_the_base64_is_allowed() -> None:
    text = base64.b64encode(image_bytes((30, 30))).decode("ascii")
    wrapped = "\n".join(text[i : i + 20] for i in range(0, len(text), 20))
    assert decoded(logo.logo_png(f"data:image/png;base64,{wrapped}", allow_private=False)).size == (30, 30)


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("data:image/gif;base64,R0lGODlhAQABAAAAACw=", "data:image/png"),
        ("data:text/html;base64,PGgxPg==", "data:image/png"),
        ("data:image/png,rawbytes", "data:image/png"),
        ("data:image/png;base64,", "empty"),
        ("data:image/png;base64,@@@@", "not valid base64"),
        (data_url(b"GIF89a not really"), "not a readable PNG or JPEG"),
        (data_url(b"<svg xmlns='http://www.w3.org/2000/svg'/>"), "not a readable PNG or JPEG"),
    ],
)
def test_bad_data_urls_are_refused(value: str, words: str) -> None:
    with pytest.raises(LogoError) as caught:
        logo.logo_png(value, allow_private=True)
    assert words in caught.value.message
    assert caught.value.field == "logo_url" and isinstance(caught.value, LinkError)


def test_a_gif_sent_as_png_is_refused() -> None:
    with pytest.raises(LogoError, match="not a readable"):
        logo.logo_png(data_url(image_bytes((20, 20), kind="GIF")), allow_private=False)


def test_a_data_url_over_the_size_bound_is_refused_before_decoding() -> None:
    value = "data:image/png;base64," + "A" * (MAX_LOGO_BYTES * 4 // 3 + 8)
    with pytest.raises(LogoError, match="larger than"):
        logo.logo_png(value, allow_private=False)


def test_a_truncated_image_is_refused() -> None:
    raw = image_bytes((300, 300), kind="JPEG")
    with pytest.raises(LogoError, match="not a readable"):
        logo.to_png(raw[: len(raw) // 2])
    with pytest.raises(LogoError, match="empty"):
        logo.to_png(b"")


def huge_png(width: int, height: int) -> bytes:
    """A valid PNG header declaring ``width`` x ``height`` (a decompression bomb's shape)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(b"\x00" * 1000))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize("size", [(5000, 4000), (20000, 20000)])
def test_too_many_pixels_are_refused_before_decoding(size: tuple[int, int]) -> None:
    with pytest.raises(LogoError, match="pixels"):
        logo.to_png(huge_png(*size))


# --- fetching ------------------------------------------------------------------------------------

Route = Callable[[BaseHTTPRequestHandler], None]


class LogoServer:
    """A local HTTP server (127.0.0.1) whose paths are answered by the test's functions."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, str]] = []  # (path, Host header)
        routes, seen = self.routes, self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                seen.append((self.path, self.headers.get("Host", "")))
                route = routes.get(self.path)
                if route is None:
                    self.send_error(404)
                    return
                route(self)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def serve(self, path: str, body: bytes, *, status: int = 200, **headers: str) -> None:
        def answer(handler: BaseHTTPRequestHandler) -> None:
            handler.send_response(status)
            handler.send_header("Content-Type", "image/png")
            handler.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                handler.send_header(name.replace("_", "-"), value)
            handler.end_headers()
            handler.wfile.write(body)

        self.routes[path] = answer

    def redirect(self, path: str, location: str, status: int = 302) -> None:
        def answer(handler: BaseHTTPRequestHandler) -> None:
            handler.send_response(status)
            handler.send_header("Location", location)
            handler.send_header("Content-Length", "0")
            handler.end_headers()

        self.routes[path] = answer


@pytest.fixture
def server() -> Iterator[LogoServer]:
    started = LogoServer()
    started.thread.start()
    yield started
    started.server.shutdown()
    started.server.server_close()


def test_a_logo_url_is_fetched_once_and_re_encoded(server: LogoServer) -> None:
    server.serve("/logo.jpg", image_bytes((800, 800), kind="JPEG"))
    png = logo.logo_png(server.url("/logo.jpg"), allow_private=True)
    assert decoded(png).size == (256, 256)
    assert server.requests == [("/logo.jpg", f"127.0.0.1:{server.port}")]


def test_a_private_address_is_refused_unless_allowed(server: LogoServer) -> None:
    server.serve("/logo.png", image_bytes((50, 50)))
    for host in ("127.0.0.1", "localhost"):
        with pytest.raises(LogoError, match="refused by the SSRF policy: loopback") as caught:
            logo.logo_png(server.url("/logo.png", host), allow_private=False)
        assert str(server.port) not in caught.value.message  # the URL is not repeated
    assert server.requests == []  # refused before any connection
    assert decoded(logo.logo_png(server.url("/logo.png", "localhost"), allow_private=True)).size == (50, 50)


@pytest.mark.parametrize(
    "url",
    ["ftp://logo.example/logo.png", "http://user:secret@logo.example/logo.png", "http://logo.example:99999/"],
)
def test_urls_the_policy_refuses(url: str) -> None:
    with pytest.raises(LogoError, match="refused by the SSRF policy") as caught:
        logo.fetch(url, allow_private=True)
    assert "secret" not in caught.value.message


def test_redirects_are_followed_and_counted(server: LogoServer) -> None:
    server.serve("/logo.png", image_bytes((40, 20)))
    server.redirect("/old", "/logo.png", 301)
    server.redirect("/older", server.url("/old"), 308)
    assert decoded(logo.logo_png(server.url("/older"), allow_private=True)).size == (40, 20)
    server.redirect("/loop", "/loop")
    with pytest.raises(LogoError, match="redirects more than 3 times"):
        logo.fetch(server.url("/loop"), allow_private=True)
    assert [path for path, _ in server.requests].count("/loop") == 4
    server.redirect("/nowhere", "")
    with pytest.raises(LogoError, match="without a Location"):
        logo.fetch(server.url("/nowhere"), allow_private=True)


def test_a_redirect_to_a_private_address_is_refused(
    server: LogoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each hop is judged again: a public host that redirects to loopback gets nothing from it."""
    server.serve("/secret.png", image_bytes((20, 20)))
    server.redirect("/logo.png", server.url("/secret.png"))
    real = callback_client.resolve_public_address

    def public_logo_host(
        url: str, *, allow_private: bool, timeout_s: float | None = None
    ) -> tuple[str, str, int, str]:
        # logo.example stands for a public host: it resolves to the test server, as if public.
        if "//logo.example:" in url:
            return "http", "logo.example", server.port, "127.0.0.1"
        return real(url, allow_private=allow_private, timeout_s=timeout_s)

    monkeypatch.setattr(logo, "resolve_public_address", public_logo_host)
    with pytest.raises(LogoError, match="loopback"):
        logo.fetch(server.url("/logo.png", "logo.example"), allow_private=False)
    assert [path for path, _ in server.requests] == ["/logo.png"]
    assert server.requests[0][1] == f"logo.example:{server.port}"  # the Host header, pinned address


def test_an_error_answer_is_refused(server: LogoServer) -> None:
    with pytest.raises(LogoError, match="HTTP 404"):
        logo.fetch(server.url("/missing.png"), allow_private=True)
    server.serve("/teapot.png", b"no", status=418)
    with pytest.raises(LogoError, match="HTTP 418"):
        logo.fetch(server.url("/teapot.png"), allow_private=True)


def test_a_body_too_big_is_refused(server: LogoServer) -> None:
    server.serve("/big.png", b"\x00" * (MAX_LOGO_BYTES + 1))
    with pytest.raises(LogoError, match="larger than"):
        logo.fetch(server.url("/big.png"), allow_private=True)

    def unannounced(handler: BaseHTTPRequestHandler) -> None:
        # No Content-Length: the body ends when the connection closes; counted as it comes.
        handler.send_response(200)
        handler.send_header("Connection", "close")
        handler.end_headers()
        for _ in range(40):
            handler.wfile.write(b"\x00" * 65536)
        handler.close_connection = True

    server.routes["/stream.png"] = unannounced
    with pytest.raises(LogoError, match="larger than"):
        logo.fetch(server.url("/stream.png"), allow_private=True)


def test_a_compressed_body_is_refused(server: LogoServer) -> None:
    server.serve("/gz.png", zlib.compress(image_bytes((20, 20))), Content_Encoding="deflate")
    with pytest.raises(LogoError, match="compressed"):
        logo.fetch(server.url("/gz.png"), allow_private=True)


def test_a_slow_server_is_cut_off_at_the_deadline(server: LogoServer) -> None:
    def trickle(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", "100")
        handler.end_headers()
        try:
            for _ in range(100):
                handler.wfile.write(b"\x00")
                handler.wfile.flush()
                time.sleep(0.05)
        except OSError:
            pass  # the client gave up

    server.routes["/slow.png"] = trickle
    started = time.monotonic()
    with pytest.raises(LogoError, match=r"within 0\.5 s"):
        logo.fetch(server.url("/slow.png"), allow_private=True, timeout_s=0.5)
    assert time.monotonic() - started < 2


def test_a_closed_port_is_a_clear_refusal(server: LogoServer) -> None:
    port = server.port
    server.server.shutdown()
    server.server.server_close()
    with pytest.raises(LogoError, match="cannot be fetched: connection refused"):
        logo.fetch(f"http://127.0.0.1:{port}/logo.png", allow_private=True)


def test_the_async_form_runs_on_the_logo_pool() -> None:
    async def run() -> tuple[bytes, str]:
        seen: list[str] = []
        real = logo.logo_png

        def watched(url: str, *, allow_private: bool) -> bytes:
            seen.append(threading.current_thread().name)
            return real(url, allow_private=allow_private)

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(logo, "logo_png", watched)
            png = await logo.logo_png_async(data_url(image_bytes((10, 10))), allow_private=False)
        return png, seen[0]

    png, thread = asyncio.run(run())
    assert decoded(png).size == (10, 10) and thread.startswith("openkyc-link-logos")
