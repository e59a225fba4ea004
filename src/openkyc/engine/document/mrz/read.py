"""Finding and reading the MRZ in a document image.

Order of work, cheapest first:

1. The OCR lines the caller already has (one pass over the document is shared with the visual
   zone reader), or one OCR pass here.
2. Pieces of MRZ text on the same row are joined (the detector often cuts filler runs off), rows
   are grouped into blocks of two or three, and each block is repaired by MRZ position: letters
   where a format has digits and the reverse, filler look-alikes, a filler too many or too few.
3. Only if that gives no block whose check digits all hold: the MRZ band is cut out, levelled and
   enlarged and read again; if no MRZ text was seen at all, the image is turned a quarter turn
   each way and read again.

Repair never invents a valid MRZ: where a letter-or-digit field (the document number) is ambiguous,
a substitution is kept only if it makes both its own check digit and the composite check digit
hold where neither held as read. A genuinely wrong check digit therefore stays wrong.
"""

from __future__ import annotations

import itertools
import unicodedata
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict

from openkyc.engine.document.mrz.checksum import is_valid
from openkyc.engine.document.mrz.parse import MRZ_SHAPES, MrzFormatError, MrzResult, MrzType, parse_mrz
from openkyc.engine.document.ocr import OcrLine, recognise_lines, run_ocr

BGR = npt.NDArray[Any]

# OCR look-alikes of the filler '<'.
_FILLERS = str.maketrans({c: "<" for c in "«‹〈《く{(［[≤‘"})
# Letter -> digit where a format has a digit, and digit -> letter where it has a letter.
_TO_DIGIT = {"O": "0", "Q": "0", "D": "0", "U": "0", "I": "1", "L": "1", "T": "1", "J": "1",
             "Z": "2", "S": "5", "B": "8", "G": "6", "A": "4", "K": "<"}  # fmt: skip
_TO_LETTER = {"0": "O", "1": "I", "2": "Z", "5": "S", "8": "B", "6": "G", "4": "A", "7": "T"}
# Pairs that OCR confuses inside letter-or-digit fields, tried only under the double-check rule.
_AMBIGUOUS = {"0": "O", "O": "0", "1": "I", "I": "1", "5": "S", "S": "5", "8": "B", "B": "8", "2": "Z",
              "Z": "2", "6": "G", "G": "6", "D": "0", "Q": "0"}  # fmt: skip
_MAX_AMBIGUOUS = 6

# Position classes per format and line: A letter or filler, N digit (or filler), X either, S sex.
_TEMPLATES: dict[MrzType, list[str]] = {
    "TD1": [
        "AA" + "AAA" + "X" * 9 + "N" + "X" * 15,
        "N" * 7 + "S" + "N" * 7 + "AAA" + "X" * 11 + "N",
        "A" * 30,
    ],
    "TD2": ["A" * 36, "X" * 9 + "N" + "AAA" + "N" * 7 + "S" + "N" * 7 + "X" * 7 + "N"],
    "TD3": ["A" * 44, "X" * 9 + "N" + "AAA" + "N" * 7 + "S" + "N" * 7 + "X" * 14 + "NN"],
    "MRVA": ["A" * 44, "X" * 9 + "N" + "AAA" + "N" * 7 + "S" + "N" * 7 + "X" * 16],
    "MRVB": ["A" * 36, "X" * 9 + "N" + "AAA" + "N" * 7 + "S" + "N" * 7 + "X" * 8],
}
# (line, start, end, check position) of letter-or-digit fields guarded by a check digit.
_GUARDED: dict[MrzType, list[tuple[int, int, int, int]]] = {
    "TD1": [(0, 5, 14, 14)],
    "TD2": [(1, 0, 9, 9)],
    "TD3": [(1, 0, 9, 9), (1, 28, 42, 42)],
    "MRVA": [],
    "MRVB": [],
}
_LENGTH_SLACK = 4


class MrzReading(BaseModel):
    """What was read: the parsed MRZ (None if none found), the lines, where and which way up."""

    model_config = ConfigDict(frozen=True)

    result: MrzResult | None
    # The lines as finally read (after OCR-noise repair); empty when no MRZ was found.
    lines: list[str]
    # Corners (x, y) of the MRZ zone in the input image, or None.
    region: list[tuple[float, float]] | None
    # Degrees the image had to be turned counter-clockwise to read the MRZ (0, 90, 180, 270).
    rotation: int
    # Mean OCR confidence of the lines used (0 when nothing was found).
    confidence: float


@dataclass
class _Row:
    text: str
    box: npt.NDArray[np.float32]  # (4, 2) corners of the joined row
    confidence: float
    height: float


@dataclass
class _Candidate:
    result: MrzResult
    rows: list[_Row]
    score: tuple[int, int, float]


def normalise_text(text: str) -> str:
    """OCR text in the MRZ alphabet: upper case, filler look-alikes as '<', accents and spaces gone."""
    text = unicodedata.normalize("NFKD", text.translate(_FILLERS)).upper()
    return "".join(c for c in text if c.isascii() and (c.isalnum() or c == "<"))


def _mrz_like(text: str) -> bool:
    clean = normalise_text(text)
    if len(clean) < 3:
        return False
    raw = "".join(text.split())
    # Mostly MRZ characters, and no lower case (lower case is printed text, not an MRZ).
    lower = sum(c.islower() for c in raw if c.isascii())
    return len(clean) >= 0.8 * len(raw) and lower <= max(1, len(raw) // 10)


def _axis(box: npt.NDArray[np.float32]) -> tuple[npt.NDArray[np.float64], float]:
    """Unit reading direction of a box (along its longer side, pointing right-ish) and its height."""
    first, second = box[1] - box[0], box[2] - box[1]
    along, across = (first, second) if np.linalg.norm(first) >= np.linalg.norm(second) else (second, first)
    direction = along / (np.linalg.norm(along) + 1e-9)
    if direction[0] < 0:
        direction = -direction
    return direction.astype(np.float64), float(np.linalg.norm(across))


def _join_rows(lines: list[OcrLine]) -> list[_Row]:
    """Join MRZ-like pieces lying on one text row, left to right; rows top to bottom."""
    pieces = [line for line in lines if _mrz_like(line.text)]
    if not pieces:
        return []
    directions = [_axis(p.box) for p in pieces]
    # The longest piece sets the reading direction for the whole image.
    main = max(range(len(pieces)), key=lambda i: pieces[i].width)
    ux = directions[main][0]
    uy = np.array([-ux[1], ux[0]])
    groups: list[list[int]] = []
    for index in sorted(range(len(pieces)), key=lambda i: float(np.dot(pieces[i].centre, uy))):
        centre_y = float(np.dot(pieces[index].centre, uy))
        height = directions[index][1]
        for group in groups:
            ref = group[0]
            ref_y = float(np.dot(pieces[ref].centre, uy))
            ref_h = directions[ref][1]
            if abs(centre_y - ref_y) < 0.5 * max(height, ref_h) and 0.6 < height / max(ref_h, 1e-6) < 1.6:
                group.append(index)
                break
        else:
            groups.append([index])
    rows = []
    for group in groups:
        group.sort(key=lambda i: float(np.dot(pieces[i].centre, ux)))
        text = "".join(normalise_text(pieces[i].text) for i in group)
        points = np.concatenate([pieces[i].box for i in group]).astype(np.float32)
        box = cv2.boxPoints(cv2.minAreaRect(points)).astype(np.float32)
        confidence = float(np.mean([pieces[i].confidence for i in group]))
        height = float(np.median([directions[i][1] for i in group]))
        rows.append(_Row(text=text, box=box, confidence=confidence, height=height))
    rows.sort(key=lambda row: float(np.dot(row.box.mean(axis=0), uy)))
    return rows


def _fillers_in_runs(line: str) -> str:
    """'K' between fillers is a misread filler ('<K<', '<KK<', trailing '<K')."""
    chars = list(line)
    changed = True
    while changed:
        changed = False
        for i, char in enumerate(chars):
            if char != "K" or i == 0 or chars[i - 1] != "<":
                continue
            j = i
            while j < len(chars) and chars[j] == "K":
                j += 1
            if j == len(chars) or chars[j] == "<":
                chars[i:j] = "<" * (j - i)
                changed = True
    return "".join(chars)


def _fit_length(line: str, width: int) -> list[str]:
    """Variants of ``line`` with exactly ``width`` characters, by growing or shrinking filler runs.

    OCR merges or splits runs of '<', so the longest run (usually the trailing filler) is the one to
    adjust; the last run is tried as well.
    """
    if len(line) == width:
        return [line]
    diff = width - len(line)
    runs = [(m_start, m_end) for m_start, m_end in _filler_runs(line) if m_end - m_start >= 2]
    variants: list[str] = []
    choices = sorted(runs, key=lambda r: r[1] - r[0], reverse=True)[:1] + runs[-1:]
    for start, end in choices:
        if diff > 0:
            variant = line[:end] + "<" * diff + line[end:]
        elif end - start + diff >= 1:
            variant = line[:start] + "<" * (end - start + diff) + line[end:]
        else:
            continue
        if variant not in variants:
            variants.append(variant)
    if diff < 0 and not variants:
        variants.append(line[:width])
    return variants


def _filler_runs(line: str) -> list[tuple[int, int]]:
    runs, start = [], None
    for i, char in enumerate(line + "#"):
        if char == "<" and start is None:
            start = i
        elif char != "<" and start is not None:
            runs.append((start, i))
            start = None
    return runs


def _by_position(line: str, template: str, keep_digits: frozenset[int] = frozenset()) -> str:
    """Letters to digits where the template has digits, and the reverse, except at ``keep_digits``."""
    out = []
    for index, (char, kind) in enumerate(zip(line, template, strict=True)):
        if index in keep_digits:
            out.append(char)
            continue
        if kind == "N":
            out.append(_TO_DIGIT.get(char, char))
        elif kind == "A":
            out.append(_TO_LETTER.get(char, char))
        elif kind == "S":
            out.append(char if char in "MF<" else {"K": "<", "H": "M", "N": "M"}.get(char, char))
        else:
            out.append(char)
    return "".join(out)


def _digit_codes(line: str, row: int, kind: MrzType) -> frozenset[int]:
    """Positions of a country code printed all in digits, left alone (some issuers print them so:
    no OCR misreads three letters as three digits, and no check digit covers these fields)."""
    spans = {0: [(2, 5)], 1: [(15, 18)] if kind == "TD1" else [(10, 13)]}.get(row, [])
    # The second character of the document code is issuer-defined; one US card prints 'C1'.
    keep: set[int] = {1} if row == 0 and line[1:2].isdigit() else set()
    for start, end in spans:
        if line[start:end].isdigit():
            keep.update(range(start, end))
    return frozenset(keep)


def _guarded_repairs(lines: list[str], kind: MrzType) -> list[str]:
    """Swap look-alikes in check-guarded letter-or-digit fields under the double-check rule."""
    if kind not in ("TD1", "TD2", "TD3"):
        return lines
    result = parse_mrz(lines)
    if result.checks.get("composite", True):
        return lines
    for line_no, start, end, check_at in _GUARDED[kind]:
        line = lines[line_no]
        field, digit = line[start:end], line[check_at]
        if digit == "<" or is_valid(field, digit):
            continue
        spots = [i for i, c in enumerate(field) if c in _AMBIGUOUS][:_MAX_AMBIGUOUS]
        # Fewest swaps first; at each count, only a unique fix is taken (several = a guess).
        for swaps in (1, 2):
            accepted = []
            for chosen in itertools.combinations(spots, swaps):
                chars = list(field)
                for spot in chosen:
                    chars[spot] = _AMBIGUOUS[chars[spot]]
                candidate = "".join(chars)
                if not is_valid(candidate, digit):
                    continue
                trial = list(lines)
                trial[line_no] = line[:start] + candidate + line[end:]
                if parse_mrz(trial).checks.get("composite", False):
                    accepted.append(trial)
            if accepted:
                break
        if len(accepted) == 1:
            lines = accepted[0]
    return lines


def _plausible_length(text: str, width: int) -> bool:
    """Within a few characters of the format, or cut short inside a trailing filler run."""
    return abs(len(text) - width) <= _LENGTH_SLACK or (text.endswith("<<") and len(text) >= 0.6 * width)


def _pad_truncated(text: str, width: int) -> str:
    """The text detector often stops inside a long trailing run of fillers: finish the run."""
    if len(text) < width - _LENGTH_SLACK and text.endswith("<<"):
        return text + "<" * (width - len(text))
    return text


def _interpret(texts: list[str]) -> MrzResult | None:
    """The best parse of raw row texts over every format they could be, or None."""
    best: MrzResult | None = None
    best_score = (-1, -1)
    for kind, (count, width) in MRZ_SHAPES.items():
        if len(texts) != count or any(not _plausible_length(t, width) for t in texts):
            continue
        is_visa = texts[0][:1] == "V"
        if kind.startswith("MRV") != is_visa:
            continue
        fitted = [_fit_length(_pad_truncated(_fillers_in_runs(t), width), width) for t in texts]
        for combo in itertools.product(*fitted):
            lines = [
                _by_position(line, tpl, _digit_codes(line, row, kind))
                for row, (line, tpl) in enumerate(zip(combo, _TEMPLATES[kind], strict=True))
            ]
            try:
                lines = _guarded_repairs(lines, kind)
                result = parse_mrz(lines)
            except MrzFormatError:
                continue
            score = (int(result.valid), sum(result.checks.values()))
            if score > best_score:
                best, best_score = result, score
    return best


def _best_block(rows: list[_Row]) -> _Candidate | None:
    """The block of 2-3 consecutive rows (either order: 180 degrees) that parses best."""
    best: _Candidate | None = None
    for size in (3, 2):
        for start in range(len(rows) - size + 1):
            block = rows[start : start + size]
            for ordered in (block, block[::-1]):
                result = _interpret([row.text for row in ordered])
                if result is None:
                    continue
                confidence = float(np.mean([row.confidence for row in ordered]))
                score = (int(result.valid), sum(result.checks.values()), confidence)
                if best is None or score > best.score:
                    best = _Candidate(result=result, rows=ordered, score=score)
    return best


def _mrz_rows_seen(rows: list[_Row]) -> list[_Row]:
    """Rows long enough, and filler-bearing or digit-heavy enough, to be MRZ lines."""
    return [r for r in rows if len(r.text) >= 20 and ("<" in r.text or sum(c.isdigit() for c in r.text) >= 8)]


def _band_crop(bgr: BGR, rows: list[_Row], *, missing: int = 0) -> tuple[BGR, npt.NDArray[np.float64]] | None:
    """The MRZ band, levelled and scaled so a text row is ~40 px high; and the inverse affine map."""
    points = np.concatenate([r.box for r in rows]).astype(np.float32)
    (cx, cy), (w, h), angle = cv2.minAreaRect(points)
    if w < h:
        w, h, angle = h, w, angle - 90
    row_h = float(np.median([r.height for r in rows]))
    scale = float(np.clip(40.0 / max(row_h, 1.0), 0.5, 4.0))
    # Rows the OCR missed are searched for on both sides, about 1.6 row heights apart.
    pad_x, pad_y = 0.04 * w + row_h, (0.8 + 1.8 * missing) * row_h
    out_w, out_h = int((w + 2 * pad_x) * scale), int((h + 2 * pad_y) * scale)
    if out_w < 20 or out_h < 10 or out_w * out_h > 12_000_000:
        return None
    rotation = cv2.getRotationMatrix2D((cx, cy), angle, scale)
    rotation[0, 2] += out_w / 2 - cx
    rotation[1, 2] += out_h / 2 - cy
    crop = cv2.warpAffine(
        bgr, rotation, (out_w, out_h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE
    )
    return np.asarray(crop), np.asarray(cv2.invertAffineTransform(rotation), dtype=np.float64)


def _map_rows(rows: list[_Row], affine: npt.NDArray[np.float64]) -> list[_Row]:
    mapped = []
    for row in rows:
        pts = np.hstack([row.box, np.ones((4, 1), np.float32)]) @ affine.T
        mapped.append(_Row(row.text, pts.astype(np.float32), row.confidence, row.height))
    return mapped


def _unrotate(points: npt.NDArray[np.float32], k: int, shape: tuple[int, ...]) -> npt.NDArray[Any]:
    """Map points of ``np.rot90(image, k)`` back into ``image`` (height, width = shape[:2])."""
    height, width = shape[:2]
    x, y = points[:, 0], points[:, 1]
    out: npt.NDArray[Any] = points
    if k % 4 == 1:
        out = np.stack([width - 1 - y, x], axis=1)
    elif k % 4 == 3:
        out = np.stack([y, height - 1 - x], axis=1)
    elif k % 4 == 2:
        out = np.stack([width - 1 - x, height - 1 - y], axis=1)
    return out.astype(np.float32)


def _row_strips(bgr: BGR, row: _Row, chars: int) -> list[BGR] | None:
    """The row cut out level at the format's full length (the detector drops trailing fillers),
    in two overlapping halves 48 px high: the recogniser reads a 44-character row worse whole."""
    ux, _ = _axis(row.box)
    uy = np.array([-ux[1], ux[0]])
    along, across = row.box @ ux, row.box @ uy
    seen = max(len(row.text), 1)
    pitch = float(along.max() - along.min()) / seen
    height = float(across.max() - across.min()) * 1.3
    if pitch <= 0 or height <= 0:
        return None
    middle = (across.min() + across.max()) / 2
    total = max(chars, seen) + 2
    half, overlap = total // 2, 5
    strips = []
    for first, last in ((0, half + overlap), (half - overlap, total)):
        start = ux * (along.min() + (first - 1) * pitch) + uy * (middle - height / 2)
        length = pitch * (last - first)
        out_w = int(length * 48.0 / height)
        if out_w < 10 or out_w > 8000:
            return None
        src = np.array([start, start + ux * length, start + uy * height], np.float32)
        dst = np.array([[0, 0], [out_w, 0], [0, 48]], np.float32)
        matrix = cv2.getAffineTransform(src, dst)
        strips.append(
            np.asarray(
                cv2.warpAffine(
                    bgr, matrix, (out_w, 48), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE
                )
            )
        )
    return strips


def _merge_halves(left: str, right: str) -> str | None:
    """Join two overlapping reads on their longest common overlap (at least 3 characters)."""
    for size in range(min(len(left), len(right), 14), 2, -1):
        if left[-size:] == right[:size]:
            return left + right[size:]
    return None


def _reread_strips(bgr: BGR, best: _Candidate) -> _Candidate | None:
    """Recognition only, over each row of the block cut at full length."""
    chars = MRZ_SHAPES[best.result.type][1]
    pieces: list[BGR] = []
    for row in best.rows:
        strips = _row_strips(bgr, row, chars)
        if strips is None:
            return None
        pieces.extend(strips)
    read = recognise_lines(pieces)
    texts, confidences = [], []
    for index in range(0, len(read), 2):
        merged = _merge_halves(normalise_text(read[index][0]), normalise_text(read[index + 1][0]))
        if merged is None:
            return None
        texts.append(merged)
        confidences.append(min(read[index][1], read[index + 1][1]))
    result = _interpret(texts)
    if result is None:
        return None
    rows = [_Row(t, r.box, c, r.height) for t, r, c in zip(texts, best.rows, confidences, strict=True)]
    return _Candidate(
        result, rows, (int(result.valid), sum(result.checks.values()), float(np.mean(confidences)))
    )


def _read_upright(bgr: BGR, lines: list[OcrLine]) -> tuple[_Candidate | None, bool]:
    """Best MRZ block in one orientation, re-reading the band if needed; and whether MRZ text was seen."""
    rows = _join_rows(lines)
    best = _best_block(rows)
    if best is not None and best.result.valid:
        return best, True
    if best is not None:
        reread = _reread_strips(bgr, best)
        if reread is not None and reread.score > best.score:
            best = reread
            if best.result.valid:
                return best, True
    seen = _mrz_rows_seen(rows)
    if not seen:
        return best, False
    band_rows = best.rows if best is not None else seen[-3:]
    band = _band_crop(bgr, band_rows, missing=max(0, 2 - len(band_rows)))
    if band is not None:
        crop, inverse = band
        reread = _best_block(_map_rows(_join_rows(run_ocr(crop)), inverse))
        if reread is not None and (best is None or reread.score > best.score):
            best = reread
    return best, True


def read_mrz(bgr: BGR, *, ocr_lines: list[OcrLine] | None = None) -> MrzReading:
    """Find and read the MRZ of a document image (BGR or grey).

    ``ocr_lines``: lines from :func:`openkyc.engine.document.ocr.run_ocr` over this same image, to
    avoid a second full OCR pass. Upside-down documents are read from the first pass; documents
    lying on their side cost one or two more passes.
    """
    lines = ocr_lines if ocr_lines is not None else run_ocr(bgr)
    best, seen = _read_upright(bgr, lines)
    turn = 0
    if (best is None or not best.result.valid) and not seen:
        # No MRZ-like text at all: the document may lie on its side.
        for k in (1, 3):
            turned = np.ascontiguousarray(np.rot90(bgr, k))
            candidate, _ = _read_upright(turned, run_ocr(turned))
            if candidate is not None and (best is None or candidate.score > best.score):
                rows = [
                    _Row(r.text, _unrotate(r.box, k, bgr.shape), r.confidence, r.height)
                    for r in candidate.rows
                ]
                best, turn = _Candidate(candidate.result, rows, candidate.score), k
            if best is not None and best.result.valid:
                break
    if best is None:
        return MrzReading(result=None, lines=[], region=None, rotation=0, confidence=0.0)
    points = np.concatenate([row.box for row in best.rows]).astype(np.float32)
    corners = cv2.boxPoints(cv2.minAreaRect(points))
    rotation = 90 * turn
    # Rows found bottom-to-top in the image: the document was upside down (relative to any turn).
    if len(best.rows) > 1:
        first, last = best.rows[0].box.mean(axis=0), best.rows[-1].box.mean(axis=0)
        down = {0: (0, 1), 1: (-1, 0), 3: (1, 0)}[turn]
        if float(np.dot(last - first, down)) < 0:
            rotation = (rotation + 180) % 360
    return MrzReading(
        result=best.result,
        lines=best.result.lines,
        region=[(float(x), float(y)) for x, y in corners],
        rotation=rotation,
        confidence=round(float(best.score[2]), 4),
    )
