"""Synthetic MRZ documents in many layouts, printed in the real MRZ typeface, captured many ways.

The shared specimens are one source of a few dozen documents; the MRZ reader must also hold on
layouts and captures it has never seen. This module draws documents as issuers lay them out
(ICAO 9303 parts 4-7 and public specimens): a passport data page (TD3), an ID-1 card's back with
its three-line MRZ (TD1), a card with the MRZ on its front, an ID-2 card (TD2), visa stickers
(MRV-A on a passport page, MRV-B) and residence permits, each with security-print backgrounds,
sometimes running into the MRZ band, a hologram laminate that can cross the first MRZ line, a
signature. The MRZ is set in OCR-B (Debian's ``fonts-ocr-b``, public domain) at the ICAO pitch.

Each document is then captured as a partner's users send them: a small flatbed scan (250-700 px
wide), a larger scan, a photocopy, a phone photo on a desk (angle, perspective, uneven light,
shadow, blur, noise, JPEG) and the same photo turned by a quarter or half turn. Everything comes
from a seed. The layout family is the "source" of a sample, for leave-one-source-out figures.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal, get_args

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw

from testkit import documents as docs

BGR = npt.NDArray[Any]
Quad = npt.NDArray[np.float32]  # (4, 2): top-left, top-right, bottom-right, bottom-left

Layout = Literal["passport_page", "card_back", "card_front", "td2_card", "visa_sticker", "visa_mrvb"]
Capture = Literal["scan_small", "scan", "photocopy", "phone", "phone_turned"]
LAYOUTS: tuple[Layout, ...] = get_args(Layout)
CAPTURES: tuple[Capture, ...] = get_args(Capture)


# Physical sizes in mm (ICAO 9303-3/4/5/7): the data page or card, and the MRZ geometry.
_SIZES: dict[Layout, tuple[float, float]] = {
    "passport_page": (125.0, 88.0),
    "card_back": (85.6, 54.0),
    "card_front": (85.6, 54.0),
    "td2_card": (105.0, 74.0),
    "visa_sticker": (120.0, 80.0),
    "visa_mrvb": (105.0, 74.0),
}
_MRZ_TYPE: dict[Layout, docs.MrzType] = {
    "passport_page": "TD3",
    "card_back": "TD1",
    "card_front": "TD1",
    "td2_card": "TD2",
    "visa_sticker": "MRVA",
    "visa_mrvb": "MRVB",
}
_PITCH_MM = 2.54  # 10 characters per inch
_LINE_MM = 4.23  # 6 lines per inch (TD1 cards print a little tighter)

_SURNAMES = (
    "ERIKSSON", "NGUYEN", "OKONKWO", "VAN DER BERG", "MÜLLER", "SMITH-JONES", "LI", "ADEYEMI",
    "GARCIA LOPEZ", "KOWALSKA", "MOHAMMED", "O'NEILL", "TANAKA", "DIALLO", "HOFFMANN", "PATEL",
    "KIPCHOGE", "SANTOS", "WOJCIECHOWSKI", "BA", "NDLOVU", "HAKIMI", "QUISPE MAMANI", "YILMAZ",
)  # fmt: skip
_GIVEN = (
    "ANNA MARIA", "THANH", "CHIDI", "JAN", "JÖRG", "KATE", "WEI", "AMINATA", "JOSE LUIS", "ZOFIA",
    "FATIMA", "SEAN", "YUKI", "MAMADOU", "KLAUS PETER", "PRIYA", "WANJIRU", "JOAO", "BOGDAN",
    "OUMAR", "THANDIWE", "YOUSSEF", "ROSA", "EMRE", "", "ABDULRAHMAN IBRAHIM",
)  # fmt: skip
_COUNTRIES = (
    "UTO", "D", "FRA", "NLD", "GBR", "NGA", "KEN", "ZAF", "GHA", "EGY", "USA", "CAN", "ESP", "POL",
    "IND", "CHN", "JPN", "BRA", "SEN", "MAR", "TUR", "UGA", "CIV", "ETH", "PHL", "VNM",
)  # fmt: skip
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@dataclass(frozen=True)
class Specimen:
    """One synthetic document capture: the image, what its MRZ says, and where the MRZ text lies
    in the image (the quad around the glyphs, first line's top-left corner first)."""

    image: BGR
    lines: list[str]
    mrz_quad: Quad
    layout: Layout
    capture: Capture
    # Quarter turns (np.rot90) applied after the capture: 0 upright.
    turns: int
    broken: docs.BrokenCheck | None
    seed: int
    # The dates the MRZ encodes, in full (its YYMMDD fields drop the century).
    birth_date: date
    expiry_date: date


# --- the document ------------------------------------------------------------------------------


def _guilloche(height: int, width: int, rng: np.random.Generator, strength: float) -> BGR:
    """A tinted security-print ground: a colour gradient, wavy line families and a rosette."""
    base = rng.uniform(200, 245, size=3)
    tint = rng.uniform(-35, 35, size=3)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    ground = base[None, None, :] + (xs / width)[..., None] * tint[None, None, :]
    pattern = np.zeros((height, width), np.float32)
    for _ in range(int(rng.integers(2, 6))):
        freq = rng.uniform(3, 16) * 2 * np.pi / width
        amp = rng.uniform(0.01, 0.08) * height
        spacing = rng.uniform(0.015, 0.06) * height
        wave = ys + amp * np.sin(xs * freq + rng.uniform(0, 2 * np.pi))
        pattern += (np.abs(((wave / spacing) % 1.0) - 0.5) < rng.uniform(0.03, 0.08)).astype(np.float32)
    cx, cy = rng.uniform(0.3, 0.8) * width, rng.uniform(0.2, 0.7) * height
    radius = np.hypot(xs - cx, ys - cy)
    theta = np.arctan2(ys - cy, xs - cx)
    petals = np.sin(radius / rng.uniform(4, 12) + rng.integers(6, 18) * theta)
    pattern += (np.abs(petals) < 0.15).astype(np.float32) * (radius < 0.35 * height)
    colour = rng.uniform(90, 220, size=3)
    alpha = np.clip(pattern, 0, 1)[..., None] * strength
    out: BGR = np.clip(ground * (1 - alpha) + colour[None, None, :] * alpha, 0, 255).astype(np.uint8)
    return out


def _silhouette(height: int, width: int, rng: np.random.Generator) -> BGR:
    """A portrait stand-in (head and shoulders in greys): the MRZ benchmark needs no real face."""
    tone = float(rng.uniform(60, 200))
    img = np.full((height, width, 3), rng.uniform(170, 235), np.float32)
    head = (width // 2, int(height * 0.4))
    cv2.ellipse(img, head, (int(width * 0.28), int(height * 0.26)), 0, 0, 360, (tone,) * 3, -1)
    cv2.ellipse(
        img, (width // 2, height), (int(width * 0.48), int(height * 0.3)), 0, 180, 360, (tone * 0.6,) * 3, -1
    )
    return np.clip(img, 0, 255).astype(np.uint8)


def _fields(spec: docs.DocumentSpec, rng: np.random.Generator) -> list[tuple[str, str]]:
    issue = spec.expiry_date - timedelta(days=int(rng.integers(5, 10)) * 365)
    fields = [
        ("Surname / Nom", spec.surname.upper()),
        ("Given names / Prénoms", spec.given_names.upper()),
        ("Nationality", spec.nationality),
        ("Date of birth", docs.human_date(spec.birth_date)),
        ("Sex", spec.sex),
        ("Date of issue", docs.human_date(issue)),
        ("Date of expiry", docs.human_date(spec.expiry_date)),
        ("Document no.", spec.document_number),
    ]
    order = rng.permutation(len(fields))[: int(rng.integers(5, len(fields) + 1))]
    return [fields[i] for i in sorted(order)]


def _random_spec(layout: Layout, rng: np.random.Generator) -> docs.DocumentSpec:
    mrz_type = _MRZ_TYPE[layout]
    country = str(rng.choice(_COUNTRIES))
    nationality = country if rng.random() < 0.8 else str(rng.choice(_COUNTRIES))
    prefix = "".join(rng.choice(list(_LETTERS), size=int(rng.integers(0, 3))))
    digits = "".join(str(d) for d in rng.integers(0, 10, size=9 - len(prefix) - int(rng.integers(0, 2))))
    born = date(int(rng.integers(1935, 2008)), int(rng.integers(1, 13)), int(rng.integers(1, 29)))
    expiry = date(int(rng.integers(2019, 2036)), int(rng.integers(1, 13)), int(rng.integers(1, 29)))
    optional = ""
    if rng.random() < 0.5:
        optional = "".join(rng.choice(list(_LETTERS + "0123456789"), size=int(rng.integers(3, 11))))
    kind: docs.DocumentKind = {
        "TD3": "passport",
        "TD1": "identity_card" if rng.random() < 0.7 else "residence_permit",
        "TD2": "identity_card" if rng.random() < 0.6 else "residence_permit",
        "MRVA": "visa",
        "MRVB": "visa",
    }[mrz_type]
    code = None
    if kind == "visa":
        code = str(rng.choice(["V<", "VC", "VD", "VI"]))
    elif kind == "residence_permit":
        code = str(rng.choice(["IR", "AR", "CR", "RP"]))
    elif mrz_type in ("TD1", "TD2"):
        code = str(rng.choice(["ID", "I<", "IT", "IO", "AC", "C<"]))
    elif rng.random() < 0.2:
        code = str(rng.choice(["PP", "PD", "PO", "PM"]))
    return docs.DocumentSpec(
        kind=kind,
        mrz_type=mrz_type,
        issuing_country=country,
        nationality=nationality,
        document_number=prefix + digits,
        surname=str(rng.choice(_SURNAMES)),
        given_names=str(rng.choice(_GIVEN)),
        birth_date=born,
        expiry_date=expiry,
        sex=str(rng.choice(["M", "F", "F", "M", "X"])),  # type: ignore[arg-type]
        optional_data=optional if mrz_type != "TD3" or rng.random() < 0.6 else "",
        optional_data_2=optional[::-1] if mrz_type == "TD1" and rng.random() < 0.3 else "",
        document_code=code,
        seed=int(rng.integers(0, 2**31)),
    )


def _hologram(canvas: BGR, box: tuple[int, int, int, int], rng: np.random.Generator) -> None:
    """A laminate hologram: an iridescent, partly transparent patch with a hard bright edge."""
    x0, y0, x1, y1 = box
    h, w = y1 - y0, x1 - x0
    if h <= 2 or w <= 2:
        return
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    phase = (xs / w * rng.uniform(2, 6) + ys / h * rng.uniform(1, 4)) * np.pi
    rainbow = np.stack([np.sin(phase), np.sin(phase + 2.1), np.sin(phase + 4.2)], axis=-1) * 60 + 190
    alpha = rng.uniform(0.25, 0.55)
    region = canvas[y0:y1, x0:x1].astype(np.float32)
    canvas[y0:y1, x0:x1] = np.clip(region * (1 - alpha) + rainbow * alpha, 0, 255).astype(np.uint8)
    # The edge of the foil catches the light: a thin bright (or dark) line.
    edge = (240, 240, 250) if rng.random() < 0.6 else (90, 90, 110)
    cv2.rectangle(canvas, (x0, y0), (x1 - 1, y1 - 1), edge, max(1, round(min(h, w) * 0.02)))


def render_specimen_document(
    layout: Layout,
    spec: docs.DocumentSpec,
    *,
    rng: np.random.Generator,
    px_per_mm: float = 14.0,
    break_check: docs.BrokenCheck | None = None,
    portrait_bgr: BGR | None = None,
) -> tuple[BGR, list[str], Quad]:
    """Draw the document flat: the image, its MRZ lines and the MRZ's glyph quad in it."""
    width_mm, height_mm = _SIZES[layout]
    width, height = round(width_mm * px_per_mm), round(height_mm * px_per_mm)
    strength = float(rng.uniform(0.15, 0.5))
    canvas = _guilloche(height, width, rng, strength)
    lines = docs.mrz_lines(spec, break_check=break_check)
    chars = len(lines[0])
    pitch = _PITCH_MM * px_per_mm * float(rng.uniform(0.97, 1.03))
    line_step = (_LINE_MM if chars != 30 else float(rng.uniform(3.4, 4.2))) * px_per_mm
    margin_x = (width - pitch * chars) / 2 + float(rng.uniform(-0.4, 0.4)) * pitch
    bottom_margin = float(rng.uniform(0.6, 1.6)) * pitch
    block_height = line_step * (len(lines) - 1) + 0.9 * pitch
    mrz_top = height - bottom_margin - block_height
    # The MRZ sits on a clear band on most documents; on some the ground print runs through it.
    band_top = int(mrz_top - 0.8 * pitch)
    clear = rng.random()
    if clear < 0.7:
        paper = rng.uniform(225, 250, size=3)
        keep = float(rng.uniform(0.0, 0.3)) if clear < 0.55 else float(rng.uniform(0.3, 0.7))
        canvas[band_top:] = np.clip(
            canvas[band_top:].astype(np.float32) * keep + paper[None, None, :] * (1 - keep), 0, 255
        ).astype(np.uint8)

    image = Image.fromarray(cv2.cvtColor(canvas, cv2.COLOR_BGR2RGB))
    draw = ImageDraw.Draw(image)
    ink_level = int(rng.integers(10, 60))
    quad = docs.draw_mrz_lines(
        draw,
        lines,
        left=margin_x,
        top=mrz_top,
        pitch=pitch,
        line_step=line_step,
        cap_ratio=float(rng.uniform(0.82, 0.95)),
        ink=(ink_level, ink_level, ink_level + int(rng.integers(0, 20))),
    )
    _draw_visual_zone(draw, layout, spec, rng, width=width, top_limit=band_top, px_per_mm=px_per_mm)
    out = cv2.cvtColor(np.asarray(image), cv2.COLOR_RGB2BGR)

    if layout != "card_back":
        ph = round(height * (0.45 if layout != "card_front" else 0.5))
        pw = round(ph * 0.78)
        px, py = round(width * 0.04), round(height * 0.18)
        py = min(py, max(0, band_top - ph - 4))
        portrait = portrait_bgr if portrait_bgr is not None else _silhouette(ph, pw, rng)
        out[py : py + ph, px : px + pw] = cv2.resize(portrait, (pw, ph), interpolation=cv2.INTER_AREA)
    if rng.random() < 0.35:
        # A hologram over the lower part of the page; its edge may cross the MRZ's first line.
        first_line_mid = int(mrz_top + 0.45 * pitch)
        y1 = first_line_mid + int(rng.integers(-int(pitch), int(pitch) + 1))
        x0 = int(rng.uniform(0.3, 0.75) * width)
        _hologram(
            out, (x0, int(y1 - rng.uniform(0.15, 0.4) * height), min(width, x0 + int(width * 0.22)), y1), rng
        )
    if rng.random() < 0.3:
        # A signature: a wavy ink stroke in the visual zone, sometimes touching the MRZ band.
        points = np.cumsum(rng.normal(0, pitch * 0.5, size=(int(rng.integers(8, 20)), 2)), axis=0)
        points += np.array([width * rng.uniform(0.45, 0.7), band_top - rng.uniform(0.5, 3) * pitch])
        cv2.polylines(out, [points.astype(np.int32)], False, (110, 40, 20), max(1, round(pitch * 0.12)))
    return out, lines, quad


def _draw_visual_zone(
    draw: ImageDraw.ImageDraw,
    layout: Layout,
    spec: docs.DocumentSpec,
    rng: np.random.Generator,
    *,
    width: int,
    top_limit: int,
    px_per_mm: float,
) -> None:
    title = {
        "passport_page": "PASSPORT / PASSEPORT",
        "card_back": "",
        "card_front": "IDENTITY CARD",
        "td2_card": "RESIDENCE PERMIT" if spec.kind == "residence_permit" else "IDENTITY CARD",
        "visa_sticker": "VISA",
        "visa_mrvb": "VISA",
    }[layout]
    top = 2.5 * px_per_mm
    if title:
        draw.text(
            (width / 2, top),
            title,
            fill=(30, 40, 90),
            font=docs._font(round(4 * px_per_mm), bold=True),
            anchor="mt",
        )
    left = width * (0.04 if layout == "card_back" else 0.38)
    rows = _fields(spec, rng)
    if layout == "card_back":
        rows = [
            ("Address", f"{int(rng.integers(1, 300))} MAIN STREET"),
            ("Height", f"1{int(rng.integers(50, 99))} cm"),
            *rows[:2],
        ]
    y = top + 6 * px_per_mm
    step = max(1.0, (top_limit - y - px_per_mm) / max(len(rows), 1))
    label_font = docs._font(max(6, round(min(step * 0.3, 2.2 * px_per_mm))))
    value_font = docs._font(max(7, round(min(step * 0.45, 3.2 * px_per_mm))), bold=True)
    for label, value in rows:
        if y + step > top_limit:
            break
        draw.text((left, y), label, fill=(70, 70, 110), font=label_font)
        draw.text((left, y + step * 0.35), value, fill=(15, 15, 20), font=value_font)
        y += step


# --- the capture -------------------------------------------------------------------------------


def _transform(quad: Quad, matrix: npt.NDArray[Any]) -> Quad:
    points = cv2.perspectiveTransform(quad.reshape(-1, 1, 2).astype(np.float32), matrix.astype(np.float64))
    return points.reshape(-1, 2).astype(np.float32)


def _resize(img: BGR, quad: Quad, long_side: int) -> tuple[BGR, Quad]:
    scale = long_side / max(img.shape[:2])
    size = (max(1, round(img.shape[1] * scale)), max(1, round(img.shape[0] * scale)))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    return cv2.resize(img, size, interpolation=interpolation), (quad * scale).astype(np.float32)


def _lighting(img: BGR, rng: np.random.Generator) -> BGR:
    """Uneven light (a smooth gain field) and sometimes a soft shadow across the page."""
    h, w = img.shape[:2]
    coarse = rng.uniform(0.65, 1.1, size=(3, 3)).astype(np.float32)
    gain = np.asarray(cv2.resize(coarse, (w, h), interpolation=cv2.INTER_CUBIC), np.float32)
    if rng.random() < 0.4:
        shadow = np.ones((h, w), np.float32)
        pts = rng.uniform(0, 1, size=(3, 2)) * np.array([w, h])
        pts = np.vstack([pts, [[0, h], [0, 0]]]).astype(np.int32)
        cv2.fillPoly(shadow, [np.asarray(cv2.convexHull(pts), np.int32)], (float(rng.uniform(0.45, 0.8)),))
        gain = gain * np.asarray(cv2.GaussianBlur(shadow, (0, 0), max(h, w) * 0.02), np.float32)
    out: BGR = np.clip(img.astype(np.float32) * gain[..., None], 0, 255).astype(np.uint8)
    return out


def _motion_blur(img: BGR, rng: np.random.Generator, length: int) -> BGR:
    kernel = np.zeros((length, length), np.float32)
    kernel[length // 2, :] = 1.0 / length
    matrix = cv2.getRotationMatrix2D((length / 2 - 0.5, length / 2 - 0.5), float(rng.uniform(0, 180)), 1.0)
    kernel = np.asarray(cv2.warpAffine(kernel, matrix, (length, length)), np.float32)
    kernel /= max(float(kernel.sum()), 1e-6)
    return cv2.filter2D(img, -1, kernel)


def capture_document(
    doc: BGR, quad: Quad, capture: Capture, rng: np.random.Generator
) -> tuple[BGR, Quad, int]:
    """Capture a flat document as ``capture`` says: the image, the MRZ quad in it, quarter turns."""
    turns = 0
    if capture in ("scan_small", "scan", "photocopy"):
        # A flatbed scan: the page on a white lid with a small skew.
        pad = round(max(doc.shape[:2]) * float(rng.uniform(0.0, 0.06)))
        canvas = cv2.copyMakeBorder(doc, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=(245, 245, 245))
        quad = quad + pad
        angle = float(rng.uniform(-2.5, 2.5))
        h, w = canvas.shape[:2]
        matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
        canvas = cv2.warpAffine(canvas, matrix, (w, h), borderValue=(245, 245, 245))
        quad = _transform(quad, np.vstack([matrix, [0, 0, 1]]))
        long_side = int(rng.integers(250, 701)) if capture == "scan_small" else int(rng.integers(900, 1800))
        if capture == "scan_small":
            # Small scans are of the document alone, so its width sets the size.
            long_side = round(long_side * max(canvas.shape[:2]) / max(doc.shape[:2]))
        img, quad = _resize(canvas, quad, long_side)
        if capture == "photocopy":
            img = docs.photocopy(img, seed=int(rng.integers(0, 2**31)))
        if rng.random() < 0.5:
            img = docs.blur(img, float(rng.uniform(0.3, 0.9)))
        return docs.jpeg(img, int(rng.integers(45, 92))), quad, turns

    # A phone photo: on a desk or a plain surface, at an angle, in uneven light.
    background: tuple[int, int, int] | None = None
    if rng.random() < 0.4:
        background = tuple(int(v) for v in rng.integers(30, 230, size=3))  # type: ignore[assignment]
    h, w = doc.shape[:2]
    placed, corners = docs.place_on_background_with_corners(
        doc,
        angle_deg=float(rng.uniform(-25, 25)),
        perspective=float(rng.uniform(0.0, 0.15)),
        background=background,
        margin=float(rng.uniform(0.05, 0.4)),
        seed=int(rng.integers(0, 2**31)),
    )
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    quad = _transform(quad, cv2.getPerspectiveTransform(src, corners))
    img = _lighting(placed, rng)
    if rng.random() < 0.5:
        img = docs.blur(img, float(rng.uniform(0.5, 2.0)))
    elif rng.random() < 0.4:
        img = _motion_blur(img, rng, int(rng.integers(3, 8)))
    noise = rng.normal(0, float(rng.uniform(1, 6)), img.shape)
    img = np.clip(img.astype(np.float32) + noise, 0, 255).astype(np.uint8)
    img, quad = _resize(img, quad, int(rng.integers(1000, 4001)))
    img = docs.jpeg(img, int(rng.integers(60, 93)))
    if capture == "phone_turned":
        turns = int(rng.integers(1, 4))
        img, quad = rotate_with_quad(img, quad, turns)
    return img, quad, turns


def rotate_with_quad(img: BGR, quad: Quad, turns: int) -> tuple[BGR, Quad]:
    """``np.rot90(img, turns)`` and the quad's points moved with it."""
    h, w = img.shape[:2]
    out = np.ascontiguousarray(np.rot90(img, turns))
    x, y = quad[:, 0], quad[:, 1]
    k = turns % 4
    if k == 1:
        moved = np.stack([y, w - 1 - x], axis=1)
    elif k == 2:
        moved = np.stack([w - 1 - x, h - 1 - y], axis=1)
    elif k == 3:
        moved = np.stack([h - 1 - y, x], axis=1)
    else:
        moved = quad
    return out, moved.astype(np.float32)


def make_specimen(
    layout: Layout,
    capture: Capture,
    seed: int,
    *,
    break_check: docs.BrokenCheck | None = None,
    portrait_bgr: BGR | None = None,
) -> Specimen:
    """One document of ``layout`` captured as ``capture``, all drawn from ``seed``."""
    rng = np.random.default_rng(seed)
    spec = _random_spec(layout, rng)
    doc, lines, quad = render_specimen_document(
        layout,
        spec,
        rng=rng,
        px_per_mm=float(rng.uniform(10, 18)),
        break_check=break_check,
        portrait_bgr=portrait_bgr,
    )
    image, quad, turns = capture_document(doc, quad, capture, rng)
    return Specimen(
        image, lines, quad, layout, capture, turns, break_check, seed, spec.birth_date, spec.expiry_date
    )


def breakable_checks(layout: Layout) -> list[docs.BrokenCheck]:
    """The check digits a layout's MRZ format has (those a test can break)."""
    kind = _MRZ_TYPE[layout]
    checks: list[docs.BrokenCheck] = ["number", "birth", "expiry"]
    if kind in ("TD1", "TD2", "TD3"):
        checks.append("composite")
    if kind == "TD3":
        checks.append("personal")
    return checks


def specimen_set(count_per_layout: int, *, seed: int = 0, broken_share: float = 0.25) -> Iterator[Specimen]:
    """``count_per_layout`` captures of every layout, cycling through the captures; about
    ``broken_share`` of them print one wrong check digit."""
    rng = np.random.default_rng(seed)
    for layout in LAYOUTS:
        for index in range(count_per_layout):
            capture = CAPTURES[index % len(CAPTURES)]
            broken: docs.BrokenCheck | None = None
            if rng.random() < broken_share:
                options = breakable_checks(layout)
                broken = options[int(rng.integers(0, len(options)))]
            yield make_specimen(layout, capture, int(rng.integers(0, 2**31)), break_check=broken)


# Whether the MRZ typeface is installed (tests that need it skip without it).
ocrb_font_path = docs.ocrb_font_path
