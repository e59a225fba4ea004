"""Synthetic MRZ lines rendered from the real OCR-B typeface, degraded like real captures.

Training and validation material for the MRZ character recogniser
(:mod:`openkyc.engine.document.mrz.recognise`). Each sample is one MRZ line cut out the way the
MRZ reader cuts it (a level grey crop: the text, a vertical margin of 20-60% of the cap height that
may hold slivers of the neighbouring lines, 0-3 cells of horizontal margin that may hold clutter),
with its truth: the text, the true cell boundaries in crop pixels and the cap height.

Lines hold realistic MRZ content (TD1/TD2/TD3 fields: names with '<' separators and long filler
runs, digit fields, country codes), uniformly random characters (so rare letters are seen as often
as common ones) or strings dense in look-alikes (0/O/D/Q, 1/I/L, 5/S, 8/B, 2/Z, 6/G, K/<, ...).
Degradations: cap height down to 5 px (rendered large, then shrunk), stroke weight, print jitter,
halftone screens, toner dropouts, coloured and guilloche backgrounds, uneven light and shadows,
tilt and perspective, gaussian/defocus/motion blur, sensor noise, pixel grids and moiré, JPEG,
contrast from strong to very faint, fading toward the line's end, clutter beside the line
(document edge on a dark desk, frame lines, stray marks).

Everything is drawn from a ``numpy.random.Generator`` seeded per line, so a (seed, index) pair
always gives the same sample. Font: Debian's ``fonts-ocr-b`` (public domain; glyph sources under a
permissive licence).
"""

from __future__ import annotations

import functools
import string
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFont

from openkyc.engine.document.mrz.recognise import ALPHABET

FONT_PATH = Path("/usr/share/fonts/opentype/ocr-b/OCRB.otf")
# Cap height of the high-resolution rendering (px); everything else is scaled from it.
RENDER_CAP = 48.0
LETTERS = string.ascii_uppercase
DIGITS = string.digits
# Characters the recogniser must tell apart from each other (look-alike groups).
LOOKALIKES = "0ODQ1IL5S8B2Z6GK<MNHWVCEFUJ7T4A"
COUNTRIES = ("UTO", "D<<", "FRA", "GBR", "USA", "NLD", "ESP", "CHE", "POL", "CZE", "NGA", "KEN", "ZAF",
             "GHA", "EGY", "IND", "CHN", "JPN", "BRA", "CAN", "AUS", "ITA", "SWE", "FIN", "LVA", "LTU",
             "HRV", "ISL", "LUX", "MAC", "ROU", "SVN", "TWN", "HUN", "BEL", "AUT", "IRL", "PRT", "GRC",
             "TUR", "RUS", "UKR", "MEX", "ARG", "COL", "PER", "CHL", "ZWE", "UGA", "TZA", "RWA", "ETH",
             "SEN", "CIV", "CMR", "MAR", "DZA", "TUN", "QAT", "KWT", "SAU", "ARE", "PAK", "BGD", "VNM",
             "THA", "PHL", "IDN", "MYS", "SGP", "KOR", "NZL", "XXA", "XXB", "XOM", "GEO", "ARM")  # fmt: skip
SYLLABLES = ("AN", "BA", "CH", "DE", "EL", "FI", "GO", "HA", "IN", "JO", "KA", "LU", "MA", "NO", "OK",
             "PE", "QU", "RI", "SA", "TO", "UR", "VA", "WE", "XI", "YA", "ZE", "ER", "SON", "SEN", "OV",
             "SKI", "EZ", "MU", "NG", "WO", "OLU", "ADE", "KWA", "MBE", "ZHAO", "NGUY", "QIU", "WANG",
             "DOS", "VAN", "BEN", "ABD", "EL", "OJO", "EKE", "OBI", "DU", "LE", "LI", "XU", "YE")  # fmt: skip


@functools.lru_cache(maxsize=1)
def glyph_atlas() -> tuple[dict[str, npt.NDArray[np.float32]], float, int]:
    """Each MRZ character rendered once at :data:`RENDER_CAP`: ink (0-1) over one advance cell.

    Returns the glyph images (all the same size), the advance in px and the baseline row.
    """
    size = round(RENDER_CAP / 0.72)  # OCR-B's cap height is 0.72 em
    font = ImageFont.truetype(str(FONT_PATH), size)
    advance = float(font.getlength("0"))
    ascent, descent = font.getmetrics()
    width, height = int(np.ceil(advance)), ascent + descent
    glyphs: dict[str, npt.NDArray[np.float32]] = {}
    for char in ALPHABET:
        image = Image.new("L", (width, height), 0)
        ImageDraw.Draw(image).text((0, 0), char, font=font, fill=255)
        glyphs[char] = np.asarray(image, dtype=np.float32) / 255.0
    # Cap line and baseline of the capitals, measured on 'H'.
    rows = np.flatnonzero(glyphs["H"].max(axis=1) > 0.5)
    return glyphs, advance, int(rows[-1]) + 1


@functools.lru_cache(maxsize=16)
def _scaled_digits(scale: float) -> tuple[dict[str, npt.NDArray[np.float32]], float, int]:
    """The glyph atlas with the digits shrunk vertically by ``scale`` about the baseline."""
    glyphs, advance, base = glyph_atlas()
    out = dict(glyphs)
    for char in DIGITS:
        image = glyphs[char]
        top = image[:base]
        height = max(1, round(top.shape[0] * scale))
        shrunk = cv2.resize(top, (image.shape[1], height), interpolation=cv2.INTER_AREA)
        scaled = np.zeros_like(image)
        scaled[base - height : base] = shrunk
        scaled[base:] = image[base:]
        out[char] = scaled
    return out, advance, base


@dataclass
class LineSample:
    """One rendered MRZ line crop and its truth."""

    gray: npt.NDArray[np.uint8]
    text: str
    cells: npt.NDArray[np.float32]  # (n, 2) true x-start, x-end of each cell in crop pixels
    cap_height: float  # cap height in crop pixels
    centre_y: float  # the text's vertical centre in crop pixels, at the crop's middle column
    families: list[str] = field(default_factory=list)  # degradations applied


# ---------------------------------------------------------------------------------------------
# Line content


def _name_field(rng: np.random.Generator, width: int) -> str:
    parts: list[str] = []
    for _ in range(int(rng.integers(1, 4))):
        parts.append("".join(rng.choice(SYLLABLES, size=int(rng.integers(1, 5)))))
    surname = "<".join(parts[: max(1, len(parts) - 1)]) if len(parts) > 1 else parts[0]
    given = "<".join(
        "".join(rng.choice(SYLLABLES, size=int(rng.integers(1, 4)))) for _ in range(int(rng.integers(0, 3)))
    )
    text = surname + ("<<" + given if given else "")
    return (text + "<" * width)[:width]


def _digits(rng: np.random.Generator, count: int) -> str:
    return "".join(rng.choice(list(DIGITS), size=count))


def _alnum(rng: np.random.Generator, count: int, filler_tail: bool = True) -> str:
    chars = "".join(rng.choice(list(DIGITS + LETTERS), size=count))
    if filler_tail and rng.random() < 0.4:
        keep = int(rng.integers(1, count + 1))
        chars = chars[:keep] + "<" * (count - keep)
    return chars


def _date(rng: np.random.Generator) -> str:
    return f"{int(rng.integers(0, 100)):02d}{int(rng.integers(1, 13)):02d}{int(rng.integers(1, 32)):02d}"


def mrz_document(rng: np.random.Generator) -> list[str]:
    """The lines of one random, realistically laid-out MRZ (TD1, TD2 or TD3 shape)."""
    kind = rng.choice(["TD1", "TD2", "TD3"], p=[0.35, 0.2, 0.45])
    country, nationality = rng.choice(COUNTRIES), rng.choice(COUNTRIES)
    sex = rng.choice(["M", "F", "<", "X"], p=[0.45, 0.45, 0.05, 0.05])
    number = _alnum(rng, 9)
    if kind == "TD1":
        code = rng.choice(["I", "A", "C"]) + rng.choice(["<", "D", "R", "P", "O"])
        line1 = (code + country + number + _digits(rng, 1) + _alnum(rng, 15) + "<" * 30)[:30]
        line2 = (_date(rng) + _digits(rng, 1) + sex + _date(rng) + _digits(rng, 1) + nationality
                 + _alnum(rng, 11) + _digits(rng, 1))  # fmt: skip
        return [line1, line2[:30], _name_field(rng, 30)]
    width = 36 if kind == "TD2" else 44
    code = rng.choice(["P<", "PA", "PD", "V<", "VA", "I<", "AC"])
    line1 = code + country + _name_field(rng, width - 5)
    tail = width - 28
    line2 = (number + _digits(rng, 1) + nationality + _date(rng) + _digits(rng, 1) + sex + _date(rng)
             + _digits(rng, 1) + _alnum(rng, tail - 2) + _digits(rng, 2))  # fmt: skip
    return [line1, line2[:width]]


def random_line(rng: np.random.Generator, n: int) -> str:
    """A line of n characters: realistic MRZ content, uniformly random, or dense in look-alikes."""
    kind = rng.random()
    if kind < 0.45:
        for _ in range(20):
            lines = [line for line in mrz_document(rng) if len(line) == n]
            if lines:
                return str(rng.choice(lines))
        kind = 0.5
    chars = rng.choice(list(ALPHABET if kind < 0.75 else LOOKALIKES), size=n)
    text = "".join(chars)
    # Filler runs as MRZ lines have them (a run at the end, separators).
    if rng.random() < 0.5:
        cut = int(rng.integers(n // 3, n))
        text = text[:cut] + "<" * (n - cut)
    return text


# ---------------------------------------------------------------------------------------------
# Rendering


def _place_line(
    canvas: npt.NDArray[np.float32],
    text: str,
    x0: float,
    pitch: float,
    baseline: float,
    rng: np.random.Generator,
    jitter: float,
    digit_scale: float = 1.0,
) -> list[float]:
    """Draw ``text`` into ``canvas`` (ink 0-1, max-blended); the x of each cell's start.

    ``digit_scale``: digits' height relative to the font's (which draws them some 8% taller than
    the capitals; many documents print them as tall as the capitals, so height must not be what
    tells 0 from O)."""
    glyphs, _, glyph_base = glyph_atlas() if digit_scale == 1.0 else _scaled_digits(round(digit_scale, 2))
    gh, gw = next(iter(glyphs.values())).shape
    starts = []
    for k, char in enumerate(text):
        start = x0 + k * pitch
        starts.append(start)
        dx, dy = rng.normal(0.0, jitter, size=2) * pitch
        # The glyph centred in its cell (the pitch may differ from the font's advance).
        x, y = round(start + (pitch - gw) / 2 + dx), round(baseline - glyph_base + dy)
        ys, xs = max(0, y), max(0, x)
        ye, xe = min(canvas.shape[0], y + gh), min(canvas.shape[1], x + gw)
        if ye > ys and xe > xs:
            patch = glyphs[char][ys - y : ye - y, xs - x : xe - x]
            np.maximum(canvas[ys:ye, xs:xe], patch, out=canvas[ys:ye, xs:xe])
    return starts


def _stroke_weight(
    ink: npt.NDArray[np.float32], rng: np.random.Generator, families: list[str]
) -> npt.NDArray[np.float32]:
    """Bolder or thinner strokes (ink spread, a light print): blur and re-threshold the glyphs."""
    level = float(rng.uniform(0.12, 0.7))
    if rng.random() < 0.25:
        level = 0.5  # as designed
    else:
        families.append("weight")
    blurred = cv2.GaussianBlur(ink, (0, 0), 2.2)
    return np.clip((blurred - level) * 4.0 + 0.5, 0.0, 1.0).astype(np.float32)


def _print_texture(
    ink: npt.NDArray[np.float32], rng: np.random.Generator, families: list[str], sev: float
) -> npt.NDArray[np.float32]:
    """Halftone screens and toner dropouts on the ink (in the high-resolution frame)."""
    h, w = ink.shape
    if rng.random() < 0.2 * sev:
        families.append("halftone")
        period = rng.uniform(3.0, 7.0)
        angle = rng.uniform(0, np.pi)
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        u = (xx * np.cos(angle) + yy * np.sin(angle)) * 2 * np.pi / period
        v = (-xx * np.sin(angle) + yy * np.cos(angle)) * 2 * np.pi / period
        dots = (np.cos(u) + np.cos(v) + 2.0) / 4.0  # 0..1
        coverage = float(rng.uniform(0.55, 0.95))
        ink = ink * (dots < coverage + 0.15 * (ink - 0.5)).astype(np.float32)
        ink = cv2.GaussianBlur(ink, (0, 0), 0.8)
    if rng.random() < 0.25 * sev:
        families.append("dropouts")
        noise = rng.random((max(1, h // 6), max(1, w // 6))).astype(np.float32)
        noise = cv2.resize(noise, (w, h), interpolation=cv2.INTER_CUBIC)
        ink = ink * np.clip((noise - rng.uniform(0.05, 0.35)) * 6.0, 0.0, 1.0)
    return ink


def _background(
    h: int, w: int, cap: float, rng: np.random.Generator, families: list[str], sev: float
) -> npt.NDArray[np.float32]:
    """The document's ground in BGR 0-1: plain or tinted paper, gradients, guilloche, speckle."""
    paper = rng.uniform(0.75, 1.0, size=3).astype(np.float32)
    if rng.random() < 0.5:
        families.append("colour")
        tint = rng.uniform(0.55, 1.0, size=3).astype(np.float32)
        paper = paper * tint
    ground = np.ones((h, w, 3), np.float32) * paper
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    if rng.random() < 0.5:
        direction = rng.normal(size=2)
        ramp = (xx * direction[0] + yy * direction[1]) / (np.hypot(*direction) * max(h, w))
        colour = rng.uniform(-0.25, 0.25, size=3).astype(np.float32)
        ground = ground + ramp[..., None] * colour
    if rng.random() < 0.45 * sev:
        families.append("guilloche")
        pattern = np.zeros((h, w), np.float32)
        for _ in range(int(rng.integers(1, 4))):
            freq = rng.uniform(0.3, 2.5) / cap
            amp = rng.uniform(0.2, 2.0) * cap
            phase = rng.uniform(0, 2 * np.pi)
            spacing = rng.uniform(0.15, 0.8) * cap
            wave = yy + amp * np.sin(xx * freq * 2 * np.pi + phase) + rng.uniform(-0.3, 0.3) * xx
            lines = np.abs(((wave / spacing) % 1.0) - 0.5) * 2  # 0 on the curve's centre
            width = rng.uniform(0.05, 0.3)
            pattern = np.maximum(pattern, np.clip(1.0 - lines / width, 0.0, 1.0))
        colour = rng.uniform(0.0, 0.3, size=3).astype(np.float32) * rng.uniform(0.3, 1.0)
        ground = ground * (1.0 - pattern[..., None] * colour)
    if rng.random() < 0.3 * sev:
        families.append("speckle")
        speckle = cv2.GaussianBlur(rng.random((h, w)).astype(np.float32), (0, 0), rng.uniform(0.5, 2.0))
        ground = ground * (1.0 - rng.uniform(0.05, 0.25) * (speckle - speckle.mean()) * 4)[..., None]
    return np.clip(ground, 0.0, 1.0)


def _clutter(
    image: npt.NDArray[np.float32],
    line_box: tuple[float, float, float, float],
    pitch: float,
    rng: np.random.Generator,
    families: list[str],
    sev: float,
) -> None:
    """Marks beside the line (in place): the document's edge on a dark desk, a frame line drawn
    round the zone, a stray mark, the edge of a photo or hologram."""
    x0, x1, top, bottom = line_box
    h, w = image.shape[:2]
    cap = bottom - top
    for side in (0, 1):
        if rng.random() > 0.3 * sev:
            continue
        kind = rng.choice(["desk", "frame", "mark", "block"])
        families.append("clutter")
        gap = rng.uniform(0.1, 2.0) * pitch
        edge = x0 - gap if side == 0 else x1 + gap
        colour = rng.uniform(0.0, 0.45, size=3).astype(np.float32)
        if kind == "desk":
            xs = np.arange(w, dtype=np.float32)
            slope = rng.uniform(-0.08, 0.08)
            yy = np.arange(h, dtype=np.float32)[:, None]
            boundary = edge + slope * (yy - (top + bottom) / 2)
            inside = (xs[None, :] < boundary) if side == 0 else (xs[None, :] > boundary)
            soft = cv2.GaussianBlur(inside.astype(np.float32), (0, 0), 1.0)
            image[:] = image * (1 - soft[..., None]) + colour * soft[..., None]
        elif kind == "frame":
            thickness = max(1, round(rng.uniform(0.04, 0.15) * cap))
            xi = int(edge)
            cv2.line(
                image,
                (xi, 0),
                (xi + int(rng.integers(-2, 3)), h - 1),
                tuple(float(c) for c in colour),
                thickness,
            )
            if rng.random() < 0.5:  # its horizontal sides too
                y_top = int(top - rng.uniform(0.3, 0.9) * cap)
                cv2.line(image, (0, y_top), (w - 1, y_top), tuple(float(c) for c in colour), thickness)
        elif kind == "mark":
            centre = (int(edge), int(rng.uniform(top - 0.3 * cap, bottom + 0.3 * cap)))
            axes = (max(1, int(rng.uniform(0.1, 0.6) * cap)), max(1, int(rng.uniform(0.1, 0.8) * cap)))
            cv2.ellipse(
                image, centre, axes, float(rng.uniform(0, 180)), 0, 360, tuple(float(c) for c in colour), -1
            )
        else:
            # The edge of a photo, a hologram or a printed block: a rectangle of texture.
            a, b = (0, int(edge)) if side == 0 else (int(edge), w)
            if b > a:
                block = rng.uniform(0.2, 0.8, size=3).astype(np.float32)
                texture = cv2.GaussianBlur(rng.random((h, b - a)).astype(np.float32), (0, 0), 2.0)[..., None]
                image[:, a:b] = block * (0.7 + 0.6 * texture)


def _blur(
    image: npt.NDArray[np.float32], cap: float, rng: np.random.Generator, families: list[str], sev: float
) -> npt.NDArray[np.float32]:
    none = 1.0 - 0.7 * min(sev, 1.0)
    kind = rng.choice(
        ["none", "gauss", "defocus", "motion"], p=[none, (1 - none) * 0.6, (1 - none) * 0.2, (1 - none) * 0.2]
    )
    if kind == "none":
        return image
    families.append("blur")
    # Blur grows with the print (a photo's defocus), bounded so that small print stays legible.
    sigma = float(rng.uniform(0.3, 1.0) * max(0.6, cap * rng.uniform(0.02, 0.1)))
    if kind == "gauss":
        return cv2.GaussianBlur(image, (0, 0), sigma)
    if kind == "defocus":
        radius = max(1, round(sigma * 1.5))
        kernel = np.zeros((2 * radius + 1, 2 * radius + 1), np.float32)
        cv2.circle(kernel, (radius, radius), radius, 1.0, -1)
        return cv2.filter2D(image, -1, kernel / kernel.sum())
    length = max(2, round(sigma * 3))
    kernel = np.zeros((length, length), np.float32)
    kernel[length // 2, :] = 1.0
    matrix = cv2.getRotationMatrix2D(((length - 1) / 2, (length - 1) / 2), float(rng.uniform(0, 180)), 1.0)
    kernel = cv2.warpAffine(kernel, matrix, (length, length))
    return cv2.filter2D(image, -1, kernel / max(kernel.sum(), 1e-6))


def _light(
    image: npt.NDArray[np.float32], rng: np.random.Generator, families: list[str], sev: float
) -> npt.NDArray[np.float32]:
    """Uneven light: a smooth illumination field and maybe a hard-edged shadow."""
    h, w = image.shape[:2]
    if rng.random() < 0.5 * sev:
        families.append("uneven_light")
        grid = rng.uniform(0.5, 1.1, size=(2, 3)).astype(np.float32)
        field_ = cv2.resize(grid, (w, h), interpolation=cv2.INTER_CUBIC)
        image = image * np.clip(field_, 0.25, 1.2)[..., None]
    if rng.random() < 0.2 * sev:
        families.append("shadow")
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        angle = rng.uniform(0, 2 * np.pi)
        offset = rng.uniform(0.2, 0.8) * w
        d = (xx - offset) * np.cos(angle) + (yy - h / 2) * np.sin(angle)
        shade = 1.0 - rng.uniform(0.2, 0.5) / (
            1.0 + np.exp(np.clip(-d / max(1.0, rng.uniform(0.5, 6.0)), -50, 50))
        )
        image = image * shade[..., None]
    return image


def _screen(
    image: npt.NDArray[np.float32], rng: np.random.Generator, families: list[str], sev: float
) -> npt.NDArray[np.float32]:
    """A photographed screen: pixel grid and moiré."""
    if rng.random() > 0.15 * sev:
        return image
    families.append("screen")
    h, w = image.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    period = rng.uniform(2.0, 4.5)
    angle = rng.uniform(-0.2, 0.2)
    u = xx * np.cos(angle) + yy * np.sin(angle)
    v = -xx * np.sin(angle) + yy * np.cos(angle)
    grid_ = (np.abs(np.sin(np.pi * u / period)) * np.abs(np.sin(np.pi * v / period))) ** 0.5
    strength = rng.uniform(0.1, 0.3)
    moire = 1.0 + rng.uniform(0.0, 0.12) * np.sin(
        2 * np.pi * (u * rng.uniform(0.01, 0.08) + v * rng.uniform(0.0, 0.05))
    )
    out = image * ((1 - strength) + strength * grid_)[..., None] * moire[..., None]
    tint = rng.uniform(0.85, 1.1, size=3).astype(np.float32)
    return out * tint


def render_line(
    seed: int,
    index: int,
    *,
    n: int | None = None,
    text: str | None = None,
    cap_height: float | None = None,
    clean: bool = False,
    severity: float | None = None,
) -> LineSample:
    """One degraded MRZ line crop, fully determined by ``(seed, index)`` and the overrides.

    ``cap_height``: the cap height in the crop's pixels (drawn if not given); ``clean``: no
    degradation beyond the downscaling (a crisp scan); ``severity``: how likely each degradation
    is (drawn from 0.4, 0.8, 1.3 if not given).
    """
    rng = np.random.default_rng([seed, index])
    families: list[str] = []
    # How many degradations pile up on this line: most captures have a few, some have many.
    sev = float(rng.choice([0.4, 0.8, 1.3], p=[0.35, 0.4, 0.25]))
    if severity is not None:
        sev = severity
    if text is None:
        n = n if n is not None else int(rng.choice([30, 36, 44]))
        text = random_line(rng, n)
    n = len(text)
    if cap_height is None:
        bucket = rng.choice(5, p=[0.3, 0.25, 0.2, 0.15, 0.1])
        low, high = [(5.0, 7.0), (7.0, 10.0), (10.0, 16.0), (16.0, 30.0), (30.0, 90.0)][bucket]
        cap_height = float(np.exp(rng.uniform(np.log(low), np.log(high))))
    _, advance, _ = glyph_atlas()
    cap = RENDER_CAP
    # Printers space OCR-B a little differently: the pitch relative to the cap height and the glyph
    # width relative to the pitch both vary.
    pitch_ratio = float(rng.uniform(0.95, 1.3)) if not clean else 1.0
    squeeze = float(rng.uniform(0.85, 1.12)) if not clean else 1.0
    pitch_hi = cap * pitch_ratio / squeeze  # pitch before the horizontal squeeze
    spacing = float(rng.uniform(1.45, 2.1)) * cap  # baseline to baseline
    margin_cells = 4
    width = int((n + 2 * margin_cells) * pitch_hi + advance)
    height = int(cap + 2 * spacing + 2 * cap)
    baseline = height / 2 + cap / 2
    ink = np.zeros((height, width), np.float32)
    jitter = 0.0 if clean else float(rng.uniform(0.0, 0.03))
    digit_scale = 1.0 if clean or rng.random() < 0.5 else float(rng.uniform(0.9, 1.0))
    starts = _place_line(ink, text, margin_cells * pitch_hi, pitch_hi, baseline, rng, jitter, digit_scale)
    # Neighbouring MRZ lines (slivers of them may reach into the crop's margins).
    for sign in (-1, 1):
        if rng.random() < 0.8:
            _place_line(
                ink,
                random_line(rng, n),
                margin_cells * pitch_hi + rng.normal(0, 0.05) * pitch_hi,
                pitch_hi,
                baseline + sign * spacing,
                rng,
                jitter,
                digit_scale,
            )
    if not clean:
        ink = _stroke_weight(ink, rng, families)
        ink = _print_texture(ink, rng, families, sev)
    # Into the frame where composition happens: the squeeze, and a resolution that keeps 3 pixels
    # of it per final pixel at least (no more detail than needed: speed).
    mid_cap = float(min(cap, max(12.0, 3.0 * cap_height)))
    sx, sy = squeeze * mid_cap / cap, mid_cap / cap
    ink = cv2.resize(
        ink, (max(8, round(width * sx)), max(8, round(height * sy))), interpolation=cv2.INTER_AREA
    )
    starts_mid = np.asarray(starts, np.float64) * sx
    pitch_mid = cap * pitch_ratio * sy
    top_mid, bottom_mid = (baseline - cap) * sy, baseline * sy
    h, w = ink.shape
    ground = _background(h, w, mid_cap, rng, families, sev) if not clean else np.ones((h, w, 3), np.float32)
    ink_colour = rng.uniform(0.0, 0.25, size=3).astype(np.float32) if not clean else np.zeros(3, np.float32)
    contrast = 1.0
    if not clean:
        contrast = float(rng.choice([rng.uniform(0.25, 0.45), rng.uniform(0.45, 1.0)], p=[0.2, 0.8]))
        if contrast < 0.45:
            families.append("faint")
        if rng.random() < 0.25:
            families.append("fading")
            # The line's far end fainter (uneven light or a worn ribbon).
            ramp = np.clip(np.linspace(1.0, rng.uniform(0.2, 0.7), w) ** rng.uniform(1.0, 4.0), 0, 1)
            if rng.random() < 0.3:
                ramp = ramp[::-1]
            ink = ink * ramp[None, :].astype(np.float32)
    alpha = (ink * contrast)[..., None]
    image = ground * (1 - alpha) + ground * ink_colour * alpha
    line_box = (float(starts_mid[0]), float(starts_mid[-1] + pitch_mid), top_mid, bottom_mid)
    if not clean:
        _clutter(image, line_box, pitch_mid, rng, families, sev)
    # Geometry: to the final scale, with a residual tilt and a slight perspective.
    scale = cap_height / mid_cap
    centre = np.array([(line_box[0] + line_box[1]) / 2, (top_mid + bottom_mid) / 2])
    # Residual tilt after the reader levelled the band: mostly a fraction of a degree, up to 2.
    tilt = (
        0.0
        if clean
        else np.deg2rad(rng.choice([rng.uniform(-0.5, 0.5), rng.uniform(-2.0, 2.0)], p=[0.7, 0.3]))
    )
    if abs(tilt) > np.deg2rad(0.5):
        families.append("tilt")
    rot = np.array([[np.cos(tilt), -np.sin(tilt)], [np.sin(tilt), np.cos(tilt)]]) * scale
    out_w, out_h = max(8, round(w * scale)), max(8, round(h * scale))
    affine = np.zeros((3, 3))
    affine[:2, :2] = rot
    affine[:2, 2] = np.array([out_w / 2, out_h / 2]) - rot @ centre
    affine[2, 2] = 1.0
    if not clean and rng.random() < 0.4:
        families.append("perspective")
        persp = np.eye(3)
        # A residual perspective after the reader has levelled the band: the pitch changes by up to
        # about 6% from one end of the line to the other.
        persp[2, 0] = rng.uniform(-0.03, 0.03) / out_w
        persp[2, 1] = rng.uniform(-0.05, 0.05) / out_h
        # Keep the centre where it is.
        shift = np.eye(3)
        shift[:2, 2] = [-out_w / 2, -out_h / 2]
        back = np.eye(3)
        back[:2, 2] = [out_w / 2, out_h / 2]
        affine = back @ persp @ shift @ affine
        affine /= affine[2, 2]
    if scale < 1.0:
        # Anti-alias before the resampling (a lens and a sensor do as much).
        image = cv2.GaussianBlur(image, (0, 0), 0.45 / scale)
    image = cv2.warpPerspective(
        image, affine, (out_w, out_h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT
    )

    def project(points: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        homog = np.concatenate([points, np.ones((len(points), 1))], axis=1) @ affine.T
        return homog[:, :2] / homog[:, 2:3]

    mid_y = (top_mid + bottom_mid) / 2
    bounds = np.concatenate([starts_mid, [starts_mid[-1] + pitch_mid]])
    edges = project(np.stack([bounds, np.full_like(bounds, mid_y)], axis=1))
    tops = project(np.array([[centre[0], top_mid], [centre[0], bottom_mid]]))
    true_cap = float(np.hypot(*(tops[1] - tops[0])))
    # The text's top and bottom at both ends of the line: a level crop of a tilted line spans both.
    ends = project(
        np.array(
            [[bounds[0], top_mid], [bounds[-1], top_mid], [bounds[0], bottom_mid], [bounds[-1], bottom_mid]]
        )
    )
    if not clean:
        image = _blur(image, cap_height, rng, families, sev)
        image = _light(image, rng, families, sev)
        image = _screen(image, rng, families, sev)
        if rng.random() < 0.6 * sev:
            families.append("noise")
            image = image + rng.normal(0, rng.uniform(0.005, 0.04), size=image.shape).astype(np.float32)
    bgr = np.clip(image * 255.0, 0, 255).astype(np.uint8)
    if not clean and rng.random() < 0.6 * sev:
        families.append("jpeg")
        quality = int(rng.uniform(15, 85))
        ok, data = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, quality])
        if ok:
            bgr = cv2.imdecode(data, cv2.IMREAD_COLOR)
    gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    # The crop the MRZ reader hands over: margins of 20-60% of the cap height above and below,
    # 0-3 cells left and right.
    cy = float(tops.mean(axis=0)[1])

    pitch_out = float(np.median(np.diff(edges[:, 0])))
    m_top, m_bottom = (rng.uniform(0.2, 0.6, size=2) * true_cap) if not clean else (0.4 * true_cap,) * 2
    m_left, m_right = (rng.uniform(0.0, 3.0, size=2) * pitch_out) if not clean else (1.0 * pitch_out,) * 2
    y0 = max(0, int(np.floor(min(cy - true_cap / 2, ends[:, 1].min()) - m_top)))
    y1 = min(gray.shape[0], int(np.ceil(max(cy + true_cap / 2, ends[:, 1].max()) + m_bottom)))
    x0 = max(0, int(np.floor(edges[0, 0] - m_left)))
    x1 = min(gray.shape[1], int(np.ceil(edges[-1, 0] + m_right)))
    crop = np.ascontiguousarray(gray[y0:y1, x0:x1])
    cells = np.stack([edges[:-1, 0], edges[1:, 0]], axis=1) - x0
    return LineSample(
        gray=crop,
        text=text,
        cells=cells.astype(np.float32),
        cap_height=true_cap,
        centre_y=cy - y0,
        families=sorted(set(families)) or ["clean"],
    )
