"""Synthetic identity documents rendered with Pillow, for tests, benchmarks and demos.

The shared specimens are few and fixed; these let a test say exactly what a document holds (and
which check digit is wrong) and then photograph it badly: on a desk, at an angle, rotated, blurred,
photocopied, JPEG-compressed. Everything is drawn from a seed, so a test sees the same pixels every
run. Nothing here reads files other than a system font; the portrait is passed in by the caller.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, Literal

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFont

from openkyc.engine.document.mrz.checksum import check_digit

DocumentKind = Literal["passport", "identity_card", "driving_licence", "residence_permit", "visa"]
MrzType = Literal["TD1", "TD2", "TD3", "MRVA", "MRVB"]
BrokenCheck = Literal["number", "birth", "expiry", "composite", "personal"]

# Characters per line and number of lines of each MRZ format (ICAO 9303 parts 4-7).
MRZ_SHAPES: dict[str, tuple[int, int]] = {
    "TD1": (3, 30),
    "TD2": (2, 36),
    "TD3": (2, 44),
    "MRVA": (2, 44),
    "MRVB": (2, 36),
}

# An 8-bit image, BGR (or grey where a function says so).
BGR = npt.NDArray[Any]
Corners = npt.NDArray[Any]

_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")

# Physical proportions: ID-1 cards (85.6 x 54 mm) and the TD3 passport data page (125 x 88 mm).
_CARD_RATIO = 85.6 / 54.0
_PASSPORT_RATIO = 125.0 / 88.0

_FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
# The MRZ typeface (Debian's fonts-ocr-b, public domain). Without it, MRZs are drawn in DejaVu Sans
# Mono with OCR-B's chevron, a stand-in the MRZ recogniser was not built for.
OCRB_PATHS = (
    Path("/usr/share/fonts/opentype/ocr-b/OCRB.otf"),
    Path("/usr/share/fonts/truetype/ocr-b/OCRB.ttf"),
)
# OCR-B's capital height per em (the font's own metrics).
_OCRB_CAP_EM = 0.73


@dataclass(frozen=True)
class DocumentSpec:
    """What a synthetic document says. Defaults describe a valid passport (ICAO's Utopia specimen)."""

    kind: DocumentKind = "passport"
    # None: a document without a machine-readable zone (most driving licences).
    mrz_type: MrzType | None = "TD3"
    issuing_country: str = "UTO"
    document_number: str = "L898902C3"
    surname: str = "ERIKSSON"
    given_names: str = "ANNA MARIA"
    nationality: str = "UTO"
    birth_date: date = date(1974, 8, 12)
    expiry_date: date = date(2032, 4, 15)
    sex: Literal["M", "F", "X"] = "F"
    # TD3: the personal number; TD1: the optional field of line 1; TD2/MRV: the optional field.
    optional_data: str = ""
    # TD1 only: the optional field of line 2.
    optional_data_2: str = ""
    title: str = "PASSPORT"
    # None: derived from the kind ("P<", "ID", "I<", "IR", "V<").
    document_code: str | None = None
    seed: int = 0
    extra_fields: dict[str, str] = field(default_factory=dict)

    @property
    def code(self) -> str:
        if self.document_code is not None:
            return (self.document_code + "<")[:2]
        if self.kind == "passport":
            return "P<"
        if self.kind == "visa":
            return "V<"
        if self.kind == "residence_permit":
            return "IR"
        if self.kind == "driving_licence":
            return "D<"
        return "ID" if self.mrz_type == "TD1" else "I<"


def mrz_text(value: str) -> str:
    """Transliterate free text into the MRZ alphabet: upper case A-Z, digits, '<' for anything else."""
    decomposed = unicodedata.normalize("NFKD", value.upper())
    out = []
    for char in decomposed:
        if unicodedata.combining(char):
            continue  # drop accents: "É" becomes "E"
        out.append(char if ("A" <= char <= "Z" or "0" <= char <= "9") else "<")
    return "".join(out)


def _pad(value: str, width: int) -> str:
    return (value + "<" * width)[:width]


def _name_field(spec: DocumentSpec, width: int) -> str:
    surname = mrz_text(spec.surname.strip())
    given = mrz_text(" ".join(spec.given_names.split()))
    return _pad(f"{surname}<<{given}" if given else surname, width)


def _yymmdd(value: date) -> str:
    return value.strftime("%y%m%d")


def _wrong(digit: str) -> str:
    # '<' stands for 0 (an empty personal number); any other digit is wrong, so shift by five.
    current = 0 if digit == "<" else int(digit)
    return str((current + 5) % 10)


def _digit(value: str) -> str:
    digit = check_digit(value)
    if digit is None:  # pragma: no cover - every field here is built from mrz_text
        raise ValueError("field outside the MRZ alphabet")
    return digit


def _number_fields(number: str, width_optional: int, optional: str) -> tuple[str, str, str]:
    """Document number (9), its check digit and the optional field, with the extended-number rule.

    ICAO 9303-5/6: a number longer than nine characters puts its first nine in the number field,
    '<' in the check-digit position, and the rest followed by the check digit at the start of the
    optional field.
    """
    if len(number) <= 9:
        return _pad(number, 9), _digit(_pad(number, 9)), _pad(optional, width_optional)
    head, tail = number[:9], number[9:]
    overflow = tail + _digit(number) + "<"
    if len(overflow) + len(optional) > width_optional:
        raise ValueError("document number too long for the optional field")
    return head, "<", _pad(overflow + optional, width_optional)


def mrz_lines(spec: DocumentSpec, *, break_check: BrokenCheck | None = None) -> list[str]:
    """The MRZ lines of ``spec``, every check digit right unless ``break_check`` names one to get wrong.

    Only the named check digit is wrong: the composite digit is computed over the lines as printed,
    so breaking the number's digit does not also break the composite.
    """
    if spec.mrz_type is None:
        raise ValueError("this document has no MRZ")
    kind = spec.mrz_type
    number = mrz_text(spec.document_number)
    issuer = _pad(mrz_text(spec.issuing_country), 3)
    nationality = _pad(mrz_text(spec.nationality), 3)
    birth, expiry = _yymmdd(spec.birth_date), _yymmdd(spec.expiry_date)
    birth_cd, expiry_cd = _digit(birth), _digit(expiry)
    sex = spec.sex if spec.sex in ("M", "F") else "<"
    code = _pad(mrz_text(spec.code), 2)
    optional = mrz_text(spec.optional_data)

    if break_check == "birth":
        birth_cd = _wrong(birth_cd)
    elif break_check == "expiry":
        expiry_cd = _wrong(expiry_cd)
    has_composite = kind in ("TD1", "TD2", "TD3")
    if break_check == "composite" and not has_composite:
        raise ValueError(f"{kind} has no composite check digit")
    if break_check == "personal" and kind != "TD3":
        raise ValueError(f"{kind} has no personal-number check digit")

    def broken_number(num_cd: str, opt: str) -> tuple[str, str]:
        if break_check != "number":
            return num_cd, opt
        if num_cd == "<":  # extended number: its digit sits after the overflow in the optional field
            at = opt.index("<") - 1
            return num_cd, opt[:at] + _wrong(opt[at]) + opt[at + 1 :]
        return _wrong(num_cd), opt

    if kind == "TD1":
        num, num_cd, opt1 = _number_fields(number, 15, optional)
        num_cd, opt1 = broken_number(num_cd, opt1)
        line1 = f"{code}{issuer}{num}{num_cd}{opt1}"
        opt2 = _pad(mrz_text(spec.optional_data_2), 11)
        head2 = f"{birth}{birth_cd}{sex}{expiry}{expiry_cd}{nationality}{opt2}"
        composite = _digit(line1[5:30] + head2[0:7] + head2[8:15] + head2[18:29])
        if break_check == "composite":
            composite = _wrong(composite)
        return [line1, head2 + composite, _name_field(spec, 30)]

    if kind in ("TD2", "MRVB"):
        width_opt = 7 if kind == "TD2" else 8
        num, num_cd, opt = _number_fields(number, width_opt, optional)
        num_cd, opt = broken_number(num_cd, opt)
        line1 = f"{code}{issuer}{_name_field(spec, 31)}"
        line2 = f"{num}{num_cd}{nationality}{birth}{birth_cd}{sex}{expiry}{expiry_cd}{opt}"
        if kind == "TD2":
            composite = _digit(line2[0:10] + line2[13:20] + line2[21:35])
            if break_check == "composite":
                composite = _wrong(composite)
            line2 += composite
        return [line1, line2]

    # TD3 and MRV-A: 44 characters, nine-character number only.
    if len(number) > 9:
        raise ValueError(f"{kind} document numbers have at most nine characters")
    num = _pad(number, 9)
    num_cd = _digit(num)
    if break_check == "number":
        num_cd = _wrong(num_cd)
    line1 = f"{code}{issuer}{_name_field(spec, 39)}"
    head2 = f"{num}{num_cd}{nationality}{birth}{birth_cd}{sex}{expiry}{expiry_cd}"
    if kind == "MRVA":
        return [line1, head2 + _pad(optional, 16)]
    personal = _pad(optional, 14)
    personal_cd = _digit(personal) if optional else "<"
    if break_check == "personal":
        personal_cd = _wrong(personal_cd)
    line2 = head2 + personal + personal_cd
    composite = _digit(line2[0:10] + line2[13:20] + line2[21:43])
    if break_check == "composite":
        composite = _wrong(composite)
    return [line1, line2 + composite]


# --- fonts -------------------------------------------------------------------------------------


@cache
def _font(
    size: int, *, mono: bool = False, bold: bool = False
) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """A DejaVu face if the system has one, else Pillow's built-in scalable font (Pillow >= 10.1)."""
    if mono:
        names = ["DejaVuSansMono-Bold.ttf", "DejaVuSansMono.ttf"] if bold else ["DejaVuSansMono.ttf"]
    else:
        names = ["DejaVuSans-Bold.ttf", "DejaVuSans.ttf"] if bold else ["DejaVuSans.ttf"]
    for directory in _FONT_DIRS:
        for name in names:
            path = directory / name
            if path.is_file():
                return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size=size)


@cache
def ocrb_font_path() -> Path | None:
    """The OCR-B font file if Debian's ``fonts-ocr-b`` is installed."""
    return next((path for path in OCRB_PATHS if path.is_file()), None)


@cache
def _ocrb(size: int) -> ImageFont.FreeTypeFont:
    path = ocrb_font_path()
    if path is None:
        raise FileNotFoundError("the OCR-B font is missing: apt-get install fonts-ocr-b")
    return ImageFont.truetype(str(path), size)


def draw_mrz_lines(
    draw: ImageDraw.ImageDraw,
    lines: list[str],
    *,
    left: float,
    top: float,
    pitch: float,
    line_step: float,
    cap_ratio: float = 0.9,
    ink: tuple[int, int, int] = (25, 25, 30),
) -> Corners:
    """Set MRZ lines in OCR-B, one character per ``pitch``, baselines ``line_step`` apart.

    Returns the quad around the glyphs (the whole text block). ``cap_ratio``: capital height over
    pitch (about 0.9 for OCR-B size 1 at 10 characters per inch).
    """
    size = max(4, round(cap_ratio * pitch / _OCRB_CAP_EM))
    font = _ocrb(size)
    cap = _OCRB_CAP_EM * size
    for row, line in enumerate(lines):
        baseline = top + cap + row * line_step
        for col, char in enumerate(line):
            draw.text((left + (col + 0.5) * pitch, baseline), char, fill=ink, font=font, anchor="ms")
    width = pitch * max(len(line) for line in lines)
    bottom = top + cap + (len(lines) - 1) * line_step
    return np.array([[left, top], [left + width, top], [left + width, bottom], [left, bottom]], np.float32)


def human_date(value: date) -> str:
    """A date as the visual zone prints it: '12 AUG 1974'."""
    return f"{value.day:02d} {_MONTHS[value.month - 1]} {value.year}"


# --- rendering ---------------------------------------------------------------------------------


def _background(height: int, width: int, rng: np.random.Generator) -> BGR:
    """A pale tinted card with a guilloche-like pattern of thin wavy lines (security print stand-in)."""
    base = rng.uniform(225, 245, size=3)
    tint = rng.uniform(-18, 18, size=3)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    gradient = (xs / width)[..., None] * tint[None, None, :]
    card = np.clip(base[None, None, :] + gradient, 0, 255).astype(np.uint8)
    pattern = np.zeros((height, width), np.float32)
    for _ in range(4):
        freq = rng.uniform(6, 14) * 2 * np.pi / width
        phase = rng.uniform(0, 2 * np.pi)
        amp = rng.uniform(0.02, 0.06) * height
        spacing = rng.uniform(0.035, 0.06) * height
        wave = ys + amp * np.sin(xs * freq + phase)
        pattern += (np.abs(((wave / spacing) % 1.0) - 0.5) < 0.04).astype(np.float32)
    colour = rng.uniform(120, 220, size=3)
    alpha = np.clip(pattern, 0, 1)[..., None] * 0.35
    blended: BGR = (card * (1 - alpha) + colour[None, None, :] * alpha).astype(np.uint8)
    return blended


def _paste_portrait(canvas: BGR, portrait_bgr: BGR | None, box: tuple[int, int, int, int]) -> None:
    x0, y0, x1, y1 = box
    if portrait_bgr is None:
        # No face given: the box stays an empty, lightly shaded frame (a specimen without a photo).
        canvas[y0:y1, x0:x1] = (canvas[y0:y1, x0:x1].astype(np.float32) * 0.85).astype(np.uint8)
        return
    bw, bh = x1 - x0, y1 - y0
    ph, pw = portrait_bgr.shape[:2]
    # Centre-crop the portrait to the box's aspect ratio, then resize into it.
    target = bw / bh
    if pw / ph > target:
        new_w = round(ph * target)
        left = (pw - new_w) // 2
        crop = portrait_bgr[:, left : left + new_w]
    else:
        new_h = round(pw / target)
        top = max(0, (ph - new_h) // 3)
        crop = portrait_bgr[top : top + new_h]
    if crop.ndim == 2:
        crop = cv2.cvtColor(crop, cv2.COLOR_GRAY2BGR)
    canvas[y0:y1, x0:x1] = cv2.resize(crop, (bw, bh), interpolation=cv2.INTER_AREA)


# MRZ print proportions, from ICAO 9303-3 (OCR-B size 1 at 10 characters per inch, 6 lines per inch)
# and the shared specimens: capitals about 0.85 of the pitch high, lines 1.7 pitches apart, and the
# filler '<' a plain chevron about 0.6 of the capital height, narrower than a letter.
_MRZ_CAP_PER_PITCH = 0.85
_MRZ_LINE_PER_PITCH = 1.7
_DEJAVU_CAP_EM = 0.729
_CHEVRON_HEIGHT = 0.6
_CHEVRON_WIDTH = 0.5


def _draw_mrz(
    draw: ImageDraw.ImageDraw, lines: list[str], *, left: int, right: int, bottom: int, max_height: int
) -> int:
    """Draw MRZ lines at a fixed pitch, in OCR-B where the font is installed.

    Without it, letters and digits come from DejaVu Sans Mono and the filler is drawn as OCR-B
    draws it, a thin chevron (DejaVu's '<' is a wide mathematical sign no real MRZ prints). Returns
    the top y of the zone, so the caller can keep the visual zone above it.
    """
    chars = max(len(line) for line in lines)
    pitch = (right - left) / chars
    line_height = min(_MRZ_LINE_PER_PITCH * pitch, max_height / len(lines))
    cap = min(_MRZ_CAP_PER_PITCH * pitch, line_height / 1.6)
    top = round(bottom - line_height * len(lines))
    if ocrb_font_path() is not None:
        draw_mrz_lines(
            draw,
            lines,
            left=left,
            top=top + (line_height - cap) / 2,
            pitch=pitch,
            line_step=line_height,
            cap_ratio=cap / pitch,
            ink=(20, 20, 25),
        )
        return top
    font = _font(max(6, round(cap / _DEJAVU_CAP_EM)), mono=True)
    stroke = max(1, round(cap * 0.12))
    for row, line in enumerate(lines):
        baseline = top + (row + 0.5) * line_height + cap / 2
        for col, char in enumerate(line):
            cx = left + (col + 0.5) * pitch
            if char == "<":
                half_h, half_w = _CHEVRON_HEIGHT * cap / 2, _CHEVRON_WIDTH * pitch / 2
                mid = baseline - cap / 2
                points = [(cx + half_w, mid - half_h), (cx - half_w, mid), (cx + half_w, mid + half_h)]
                draw.line(points, fill=(20, 20, 25), width=stroke, joint="curve")
            else:
                draw.text((cx, baseline), char, fill=(20, 20, 25), font=font, anchor="ms")
    return top


def render_document(
    spec: DocumentSpec,
    *,
    portrait_bgr: BGR | None = None,
    long_side: int | None = None,
    break_check: BrokenCheck | None = None,
) -> BGR:
    """Render ``spec`` as a flat, upright BGR image of the document alone.

    Cards (every kind but a passport) take ID-1 proportions and a default long side of 1600 px; a
    passport takes the TD3 data page's proportions and 2200 px. ``break_check`` prints the MRZ with
    that check digit wrong (see :func:`mrz_lines`).
    """
    is_passport = spec.kind == "passport"
    ratio = _PASSPORT_RATIO if is_passport else _CARD_RATIO
    width = long_side if long_side is not None else (2200 if is_passport else 1600)
    height = round(width / ratio)
    rng = np.random.default_rng(spec.seed)
    canvas = _background(height, width, rng)

    margin = int(width * 0.04)
    lines = mrz_lines(spec, break_check=break_check) if spec.mrz_type is not None else []
    # The MRZ is a white band along the bottom edge, as on real documents (OCR-B on plain paper).
    if lines:
        band_top = int(height * 0.7)
        canvas[band_top:] = np.clip(canvas[band_top:].astype(np.int16) + 12, 0, 255).astype(np.uint8)

    portrait_box = (
        margin,
        int(height * 0.2),
        margin + int(width * 0.26),
        int(height * 0.2) + int(width * 0.33),
    )
    mrz_top = height - margin // 2
    image = Image.fromarray(cv2.cvtColor(canvas, cv2.COLOR_BGR2RGB))
    draw = ImageDraw.Draw(image)
    if lines:
        mrz_top = _draw_mrz(
            draw,
            lines,
            left=margin,
            right=width - margin,
            bottom=height - margin // 2,
            max_height=int(height * 0.27),
        )
    # Keep the portrait clear of the MRZ on short cards.
    max_bottom = mrz_top - margin // 2
    x0, y0, x1, y1 = portrait_box
    if y1 > max_bottom:
        shrink = (max_bottom - y0) / (y1 - y0)
        portrait_box = (x0, y0, x0 + int((x1 - x0) * shrink), max_bottom)

    title_font = _font(int(height * 0.065), bold=True)
    draw.text(
        (width // 2, int(height * 0.06)), spec.title.upper(), fill=(30, 40, 90), font=title_font, anchor="mt"
    )
    country_font = _font(int(height * 0.035))
    draw.text(
        (width - margin, int(height * 0.06)),
        spec.issuing_country.upper(),
        fill=(30, 40, 90),
        font=country_font,
        anchor="rt",
    )

    fields = [
        ("SURNAME", spec.surname.upper()),
        ("GIVEN NAMES", spec.given_names.upper()),
        ("NATIONALITY", spec.nationality.upper()),
        ("DATE OF BIRTH", human_date(spec.birth_date)),
        ("SEX", spec.sex),
        ("DATE OF EXPIRY", human_date(spec.expiry_date)),
        ("DOCUMENT NO", spec.document_number.upper()),
    ]
    fields.extend((label.upper(), value) for label, value in spec.extra_fields.items())
    text_left = portrait_box[2] + margin
    top = int(height * 0.2)
    room = max_bottom - top
    row_h = room / len(fields)
    label_font = _font(max(8, int(row_h * 0.28)))
    value_font = _font(max(10, int(row_h * 0.45)), bold=True)
    for index, (label, value) in enumerate(fields):
        y = top + index * row_h
        draw.text((text_left, y), label, fill=(70, 70, 110), font=label_font)
        draw.text((text_left, y + row_h * 0.32), value, fill=(15, 15, 20), font=value_font)

    out = cv2.cvtColor(np.asarray(image), cv2.COLOR_RGB2BGR)
    _paste_portrait(out, portrait_bgr, portrait_box)
    x0, y0, x1, y1 = portrait_box
    cv2.rectangle(out, (x0, y0), (x1 - 1, y1 - 1), (90, 90, 90), max(1, width // 800))
    return out


# --- photographing the document ----------------------------------------------------------------


def _desk(height: int, width: int, seed: int) -> BGR:
    """A dark, textured desk surface: low-frequency wood-like grain plus fine noise."""
    rng = np.random.default_rng(seed)
    grain = cv2.resize(rng.normal(0, 1, (max(2, height // 40), max(2, width // 4))), (width, height))
    fine = rng.normal(0, 6, (height, width))
    base = np.array([45, 70, 105], np.float32)  # brown-ish in BGR
    value = base[None, None, :] + (grain * 18 + fine)[..., None]
    desk: BGR = np.clip(value, 0, 255).astype(np.uint8)
    return desk


def place_on_background_with_corners(
    doc_bgr: BGR,
    *,
    angle_deg: float = 0.0,
    perspective: float = 0.0,
    background: tuple[int, int, int] | BGR | None = None,
    margin: float = 0.2,
    seed: int = 0,
) -> tuple[BGR, Corners]:
    """Put the document on a larger background as a photo would, returning the image and the
    document's four corners in it (float32 (4, 2): top-left, top-right, bottom-right, bottom-left of
    the document as printed).

    ``angle_deg`` rotates it in the image plane (counter-clockwise); ``perspective`` (0-0.3) pulls
    the far edge in, as when the camera is tilted. ``margin`` is the background border as a fraction
    of the document's long side; ``background`` is a BGR colour, an image (resized to fit) or None
    for a textured desk.
    """
    h, w = doc_bgr.shape[:2]
    border = int(max(h, w) * margin)
    angle = np.deg2rad(angle_deg)
    # Canvas large enough for the rotated document plus the border.
    cos, sin = abs(np.cos(angle)), abs(np.sin(angle))
    out_w = int(w * cos + h * sin) + 2 * border
    out_h = int(w * sin + h * cos) + 2 * border
    if background is None:
        canvas = _desk(out_h, out_w, seed)
    elif isinstance(background, np.ndarray):
        canvas = cv2.resize(background, (out_w, out_h), interpolation=cv2.INTER_AREA)
    else:
        canvas = np.empty((out_h, out_w, 3), np.uint8)
        canvas[:] = background

    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    # Perspective: shrink the top edge symmetrically, as if the camera leant back.
    inset = perspective * w / 2
    shaped = np.array([[inset, 0], [w - inset, 0], [w, h], [0, h]], np.float32)
    shaped -= np.array([w / 2, h / 2], np.float32)
    # Image coordinates point down, so a counter-clockwise turn uses -angle.
    rot = np.array([[np.cos(-angle), -np.sin(-angle)], [np.sin(-angle), np.cos(-angle)]], np.float32)
    dst = (shaped @ rot.T + np.array([out_w / 2, out_h / 2], np.float32)).astype(np.float32)
    matrix = cv2.getPerspectiveTransform(src, dst)
    warped = cv2.warpPerspective(doc_bgr, matrix, (out_w, out_h), flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.full((h, w), 255, np.uint8), matrix, (out_w, out_h), flags=cv2.INTER_LINEAR)
    alpha = (mask.astype(np.float32) / 255.0)[..., None]
    composed = (warped.astype(np.float32) * alpha + canvas.astype(np.float32) * (1 - alpha)).astype(np.uint8)
    return composed, dst


def place_on_background(
    doc_bgr: BGR,
    *,
    angle_deg: float = 0.0,
    perspective: float = 0.0,
    background: tuple[int, int, int] | BGR | None = None,
    margin: float = 0.2,
    seed: int = 0,
) -> BGR:
    """The image of :func:`place_on_background_with_corners` without the corners."""
    image, _ = place_on_background_with_corners(
        doc_bgr, angle_deg=angle_deg, perspective=perspective, background=background, margin=margin, seed=seed
    )
    return image


def rotate90(img: BGR, k: int) -> BGR:
    """Turn the image by k quarter turns counter-clockwise (``np.rot90``'s convention)."""
    return np.ascontiguousarray(np.rot90(img, k))


def blur(img: BGR, sigma: float) -> BGR:
    """Gaussian blur (out-of-focus camera); sigma in pixels."""
    if sigma <= 0:
        return img.copy()
    return cv2.GaussianBlur(img, (0, 0), sigmaX=sigma)


def photocopy(img: BGR, *, seed: int = 0) -> BGR:
    """A photocopy: grey, contrast pushed (pale print washes out), a little toner noise. BGR out."""
    gray = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY).astype(np.float32)
    contrasted = (gray - 128.0) * 1.5 + 150.0
    noise = np.random.default_rng(seed).normal(0, 6, gray.shape)
    copied = np.clip(contrasted + noise, 0, 255).astype(np.uint8)
    return cv2.cvtColor(copied, cv2.COLOR_GRAY2BGR)


def jpeg(img: BGR, quality: int) -> BGR:
    """Round-trip through JPEG at ``quality`` (1-100)."""
    ok, encoded = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:  # pragma: no cover - OpenCV always encodes a valid uint8 image
        raise ValueError("JPEG encoding failed")
    decoded = cv2.imdecode(encoded, cv2.IMREAD_COLOR)
    return np.asarray(decoded, dtype=np.uint8)
