"""Finding and reading the MRZ in a document image.

Order of work, cheapest first:

1. The OCR lines the caller already has (one pass over the document is shared with the visual
   zone reader), or one OCR pass here.
2. Pieces of MRZ text on the same row are joined (the detector often cuts filler runs off), rows
   are grouped into blocks of two or three, and each block is repaired by MRZ position: letters
   where a format has digits and the reverse, filler look-alikes, a filler too many or too few,
   misread fillers after the end of the names.
3. Around the MRZ rows seen, the band is cut out level (any tilt) and enlarged, and each line is
   recognised again and decoded on its fixed character grid (:mod:`.grid`): recognition only, no
   second detection. Lines are taken from either reading, or the OCR's with the cells it dropped
   filled from the grid's. The lines are also read again in chunks of a dozen cells, and each
   line is voted cell by cell from all its readings (names have no check digit to catch a letter
   one reading gets wrong). If no MRZ text was seen at all, the image is turned a quarter turn each way and
   read again.

Candidates are ranked by their check digits, then by how little the format had to pad them, then
by which reading they come from. Repair never invents a valid MRZ: where a letter-or-digit field
(the document number) is ambiguous, a single substitution is kept only if it makes both its own
check digit and the composite check digit hold where neither held as read, and is the only one
that does. A check digit itself is never changed, so a genuinely wrong one stays wrong.
"""

from __future__ import annotations

import difflib
import itertools
import unicodedata
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict

from openkyc.engine.document.mrz import grid
from openkyc.engine.document.mrz.checksum import is_valid
from openkyc.engine.document.mrz.countries import is_country_code
from openkyc.engine.document.mrz.parse import MRZ_SHAPES, MrzFormatError, MrzResult, MrzType, parse_mrz
from openkyc.engine.document.ocr import LineProbabilities, OcrLine, run_ocr

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
# Preference between reads that parse equally well: the vote of every reading of a line first, then
# the OCR's line reading fused with the grid's cell reading, then the OCR's alone, then the grid's,
# then the grid's plain CTC decoding.
_VOTED, _FUSED, _FROM_OCR, _FROM_GRID, _FROM_GREEDY = 4, 3, 2, 1, 0
# Share of cells in which the OCR's fitted line must agree with the grid's reading to count as
# having its characters in their cells although the OCR read it short or long.
_IN_PLACE_AGREEMENT = 0.8
# Support a filler gets as the document code's second character: as much as one certain reading,
# so it never outweighs readings that agree on a letter, but sides with the grid's readings of a
# filler against the OCR's one letter ('PA' for 'P<').
_DOCUMENT_CODE_FILLER_PRIOR = 1.0
# Rows at least this steep (sine of the angle: 45 degrees) that read no valid MRZ get a quarter turn.
_MAX_ROW_SLOPE = 0.7
# Similarity of the band's lines to the OCR's rows above which the band is not also read turned.
_UPRIGHT_AGREEMENT = 0.75


class MrzReading(BaseModel):
    """What was read: the parsed MRZ (None if none found), the lines, where and which way up."""

    model_config = ConfigDict(frozen=True)

    result: MrzResult | None
    # The lines as finally read (after OCR-noise repair); empty when no MRZ was found.
    lines: list[str]
    # Corners (x, y) of the MRZ zone in the input image, or None.
    region: list[tuple[float, float]] | None
    # Degrees the image has to be turned counter-clockwise to read the MRZ (0, 90, 180, 270):
    # ``np.rot90(image, rotation // 90)`` is upright.
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
    # (all checks hold, checks that hold, -characters the format had to add or drop, checks the
    # grid reading at this line length holds by itself (-1: no grid reading), preference of the
    # read, confidence): compared as a tuple, greater is better.
    score: tuple[int, int, int, int, int, float]


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
        for swaps in (1,):
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


# (line, start) of the name field in each format; it runs to the end of the line.
_NAME_FIELD: dict[MrzType, tuple[int, int]] = {
    "TD1": (2, 0),
    "TD2": (0, 5),
    "TD3": (0, 5),
    "MRVA": (0, 5),
    "MRVB": (0, 5),
}


def _name_tail(field: str) -> str:
    """Fillers after the name: past the '<<' that separates surname from given names, the next
    '<<' ends the names (ICAO 9303-3 4.6), so anything after it is a misread filler ('<<S<<K')."""
    separator = field.find("<<")
    if separator < 0:
        return field
    rest = field[separator + 2 :]
    end = rest.lstrip("<").find("<<")
    if end < 0:
        return field
    end += len(rest) - len(rest.lstrip("<"))
    return field[: separator + 2] + rest[:end] + "<" * (len(rest) - end)


# Where each format's nationality code stands: (line, start); the issuing state is line 0 [2:5].
_NATIONALITY_AT: dict[MrzType, tuple[int, int]] = {
    "TD1": (1, 15),
    "TD2": (1, 10),
    "TD3": (1, 10),
    "MRVA": (1, 10),
    "MRVB": (1, 10),
}


def _country_fields(lines: list[str], kind: MrzType) -> tuple[str, str]:
    line_no, start = _NATIONALITY_AT[kind]
    return lines[0][2:5], lines[line_no][start : start + 3]


def _known_countries(lines: list[str], kind: MrzType) -> int:
    """How many of the issuing state and nationality are real codes (no check digit covers them)."""
    return sum(is_country_code(field) for field in _country_fields(lines, kind))


def _repair_nationality(lines: list[str], kind: MrzType) -> list[str]:
    """A nationality that is no country code but one misread away from the issuing state's code
    (a letter misread, or the first letter lost and the rest shifted left) is the issuing state's:
    most holders' nationality is the issuer's, and an unknown code is certainly wrong."""
    issuer, nationality = _country_fields(lines, kind)
    # The issuer's own code is the prior even when it is not on the list: some issuers print
    # two-letter codes ('SI<'), and their holders' nationality is printed the same way.
    if is_country_code(nationality) or issuer.startswith("<"):
        return lines
    misread = sum(a != b for a, b in zip(issuer, nationality, strict=True)) == 1
    shifted = nationality == issuer[1:] + "<" and issuer[1] != "<"
    if not (misread or shifted):
        return lines
    line_no, start = _NATIONALITY_AT[kind]
    repaired = list(lines)
    repaired[line_no] = lines[line_no][:start] + issuer + lines[line_no][start + 3 :]
    return repaired


def _plausible_length(text: str, width: int) -> bool:
    """Within a few characters of the format, or cut short inside a trailing filler run."""
    return abs(len(text) - width) <= _LENGTH_SLACK or (text.endswith("<<") and len(text) >= 0.6 * width)


def _pad_truncated(text: str, width: int) -> str:
    """The text detector often stops inside a long trailing run of fillers: finish the run."""
    if len(text) < width - _LENGTH_SLACK and text.endswith("<<"):
        return text + "<" * (width - len(text))
    return text


def _interpret(texts: list[str]) -> tuple[MrzResult, int] | None:
    """The best parse of raw row texts over every format they could be, or None; with the number of
    characters the format had to add or drop (fewer is likelier: a 36-character visa line padded
    to 44 would otherwise parse just as well as an MRV-A)."""
    best: tuple[MrzResult, int] | None = None
    best_score = (-1, -1, -1, -1000)
    for kind, (count, width) in MRZ_SHAPES.items():
        if len(texts) != count or any(not _plausible_length(t, width) for t in texts):
            continue
        is_visa = texts[0][:1] == "V"
        if kind.startswith("MRV") != is_visa:
            continue
        padding = sum(abs(len(t) - width) for t in texts)
        fitted = [_fit_length(_pad_truncated(_fillers_in_runs(t), width), width) for t in texts]
        for combo in itertools.product(*fitted):
            lines = [
                _by_position(line, tpl, _digit_codes(line, row, kind))
                for row, (line, tpl) in enumerate(zip(combo, _TEMPLATES[kind], strict=True))
            ]
            name_line, name_start = _NAME_FIELD[kind]
            name = lines[name_line]
            lines[name_line] = name[:name_start] + _name_tail(name[name_start:])
            try:
                lines = _repair_nationality(_guarded_repairs(lines, kind), kind)
                result = parse_mrz(lines)
            except MrzFormatError:
                continue
            score = (int(result.valid), sum(result.checks.values()), _known_countries(lines, kind), -padding)
            if score > best_score:
                best, best_score = (result, padding), score
    return best


def _best_block(rows: list[_Row]) -> _Candidate | None:
    """The block of 2-3 consecutive rows (either order: 180 degrees) that parses best."""
    best: _Candidate | None = None
    for size in (3, 2):
        for start in range(len(rows) - size + 1):
            block = rows[start : start + size]
            for ordered in (block, block[::-1]):
                parsed = _interpret([row.text for row in ordered])
                if parsed is None:
                    continue
                result, padding = parsed
                confidence = float(np.mean([row.confidence for row in ordered]))
                score = (
                    int(result.valid),
                    sum(result.checks.values()),
                    -padding,
                    -1,
                    _FROM_OCR * len(ordered),
                    confidence,
                )
                if best is None or score > best.score:
                    best = _Candidate(result=result, rows=ordered, score=score)
    return best


def _mrz_rows_seen(rows: list[_Row]) -> list[_Row]:
    """Rows long enough, and filler-bearing or digit-heavy enough, to be MRZ lines."""
    return [
        r
        for r in rows
        if (len(r.text) >= 20 and ("<" in r.text or sum(c.isdigit() for c in r.text) >= 8))
        # A detector cut short (a tilted photo) may give only the start of a line: 'P<AUSCITIZEN<<'.
        or (len(r.text) >= 10 and "<<" in r.text)
    ]


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


def _band_rows(rows: list[_Row], best: _Candidate | None) -> list[_Row]:
    """The rows to look for the MRZ band around: the best block's, else the MRZ-like rows beside
    the longest one (same text height, within a few rows of it)."""
    if best is not None:
        return best.rows
    seen = _mrz_rows_seen(rows)
    if not seen:
        return []
    anchor = max(seen, key=lambda r: len(r.text))
    ux, _ = _axis(anchor.box)
    uy = np.array([-ux[1], ux[0]])
    ref = float(np.dot(anchor.box.mean(axis=0), uy))
    return [
        r
        for r in seen
        if abs(float(np.dot(r.box.mean(axis=0), uy)) - ref) < 5 * anchor.height
        and 0.6 < r.height / max(anchor.height, 1e-6) < 1.6
    ]


def _align(a: str, b: str) -> list[tuple[int, int]]:
    """Index pairs (i, j) where ``a[i]`` and ``b[j]`` line up in a least-edits alignment (matches
    and substitutions; characters one side dropped or added are left out)."""
    n, m = len(a), len(b)
    cost = np.zeros((n + 1, m + 1), np.int32)
    cost[:, 0], cost[0, :] = np.arange(n + 1), np.arange(m + 1)
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            cost[i, j] = min(
                cost[i - 1, j - 1] + (a[i - 1] != b[j - 1]), cost[i - 1, j] + 1, cost[i, j - 1] + 1
            )
    pairs: list[tuple[int, int]] = []
    i, j = n, m
    while i > 0 and j > 0:
        if cost[i, j] == cost[i - 1, j - 1] + (a[i - 1] != b[j - 1]):
            pairs.append((i - 1, j - 1))
            i, j = i - 1, j - 1
        elif cost[i, j] == cost[i - 1, j] + 1:
            i -= 1
        else:
            j -= 1
    return pairs[::-1]


def _fuse(cells: grid.CellRead, other: str) -> str:
    """One line from two readings: the OCR's line reading ``other`` wherever it has a character
    for a cell, and the grid's character in cells the OCR has none for (a letter lost between two
    others, a doubled letter CTC merged into one, the end of a filler run). Where both have a
    character and disagree the OCR's stands: it reads the line with its own tight crop, and the
    grid's per-cell confidence says little about a poor crop."""
    fused = list(cells.text)
    for k, j in _align(cells.text, other):
        if other[j] in grid.MRZ_ALPHABET:
            fused[k] = other[j]
    return "".join(fused)


def _grid_lines(
    bgr: BGR, rows: list[_Row]
) -> tuple[list[grid.GridLine], list[LineProbabilities], bool | None]:
    """The MRZ lines around ``rows`` cut out level, read the right way up: lines, their
    recogniser output, and whether they had to be turned half a turn (upside-down document;
    None when no lines were found)."""
    main = max(rows, key=lambda r: float(np.ptp(r.box @ _axis(r.box)[0])))
    direction, _ = _axis(main.box)
    height = float(np.median([r.height for r in rows]))
    lines = grid.cut_lines(
        bgr, [r.box for r in rows], [r.text for r in rows], direction=direction, row_height=height
    )
    if len(lines) < 2:
        return [], [], None
    reads = grid.read_grid(lines)
    seen = [r.text for r in rows]
    agreement = _agreement(reads, seen)
    if agreement >= _UPRIGHT_AGREEMENT:
        return lines, reads, False
    # The OCR's rows do not match the band read this way up: the OCR may have turned them (its
    # angle classifier reads an upside-down document). Read the band turned and keep the way up
    # that agrees with the OCR better.
    turned = [line.turned() for line in reversed(lines)]
    turned_reads = grid.read_grid(turned)
    if _agreement(turned_reads, seen) > agreement:
        return turned, turned_reads, True
    return lines, reads, False


def _agreement(reads: list[LineProbabilities], seen: list[str]) -> float:
    """How well the band's lines, as read, match the OCR's rows: the mean over the rows of the best
    similarity (0-1) to any line."""
    texts = [grid.greedy(read) for read in reads]
    return float(
        np.mean([max(difflib.SequenceMatcher(None, row, text).ratio() for text in texts) for row in seen])
    )


def _vote(readings: list[grid.CellRead], ocr_line: str | None, *, in_place: bool, first_line: bool) -> str:
    """One line from several independent readings of it on the same grid: each cell the character
    with the most support, a reading's support being its probability for it, plus the OCR's line
    reading. A letter one grid reading gets wrong at low resolution is outvoted by the others, and
    a line the OCR read with characters lost gets them back; names have no check digit to catch
    either.

    ``in_place``: ``ocr_line`` has one character per cell, in place (read at full length, or
    short only in a filler run). It then counts as two certain votes: the grid's cells may sit a
    cell off (an ink extent stretched by a mark beside the line), the OCR's tight crop does not,
    so the grid readings only break ties. Otherwise it is aligned to the cells and counts as one.

    ``first_line``: the line holds the document code, whose second character is most often a
    filler (ICAO 9303-4: 'P<', 'V<', 'I<'); a small prior for it decides a split vote ('PA').
    """
    support = np.sum([reading.scores for reading in readings], axis=0)
    if first_line:
        support[1, grid.MRZ_ALPHABET.index("<")] += _DOCUMENT_CODE_FILLER_PRIOR
    if ocr_line is not None:
        aligned = ocr_line if in_place else _fuse(readings[0], ocr_line)
        weight = 2.0 if in_place else 1.0
        for k, char in enumerate(aligned):
            if char in grid.MRZ_ALPHABET:
                support[k, grid.MRZ_ALPHABET.index(char)] += weight
    return "".join(grid.MRZ_ALPHABET[i] for i in support.argmax(axis=1))


def _in_place(ocr_line: str, row_text: str, readings: list[grid.CellRead]) -> bool:
    """Whether the OCR's fitted line ``ocr_line`` has its characters in the grid's cells: read at
    full length, or agreeing with the grid's reading in most cells (only a filler run was short)."""
    if len(row_text) == len(ocr_line):
        return True
    support = np.sum([reading.scores for reading in readings], axis=0)
    grid_says = "".join(grid.MRZ_ALPHABET[i] for i in support.argmax(axis=1))
    # Over the OCR's letters and digits only: the grid misreads long filler runs at low resolution.
    pairs = [(a, b) for a, b in zip(grid_says, ocr_line, strict=True) if b != "<"]
    same = sum(a == b for a, b in pairs)
    return bool(pairs) and same >= _IN_PLACE_AGREEMENT * len(pairs)


def _best_of_cells(
    lines: list[grid.GridLine],
    cells: list[grid.CellRead],
    greedy: list[str] | None,
    width: int,
    ocr: _Candidate | None,
    height: float,
    second: list[grid.CellRead] | None = None,
) -> _Candidate | None:
    """The best block of lines read as ``width`` cells each, alone, mixed line by line with the
    OCR block ``ocr``, and fused with it; ``greedy``: the lines' plain CTC reading, if any.
    ``second``: another reading of the same cells (in chunks); with it, each line is also voted
    from every reading."""
    best: _Candidate | None = None
    count = 3 if width == 30 else 2
    for start in range(len(lines) - count + 1):
        window = list(range(start, start + count))
        # Each line from any of the reads: the OCR's may hold the better name line and the
        # grid's the better number line. Preference adds up over the lines.
        choices: list[list[tuple[str, int]]] = [[(cells[i].text, _FROM_GRID)] for i in window]
        ocr_lines: list[tuple[str, str] | None] = [None] * count
        # How many checks the grid's cells hold by themselves at this line length: physical
        # evidence for the length (a 44-character visa whose filler runs the OCR shortened to
        # 36 parses as an MRV-B just as well).
        alone = _interpret([cells[i].text for i in window])
        grid_ok = sum(alone[0].checks.values()) if alone is not None and alone[1] == 0 else -1
        if ocr is not None and len(ocr.result.lines) == count and len(ocr.result.lines[0]) == width:
            ocr_lines = [(line, row.text) for line, row in zip(ocr.result.lines, ocr.rows, strict=True)]
            for choice, i, line, row in zip(choices, window, ocr.result.lines, ocr.rows, strict=True):
                choice.append((line, _FROM_OCR))
                # Only a line the OCR read at the wrong length lost or gained something.
                if len(row.text) != width:
                    choice.append((_fuse(cells[i], line), _FUSED))
        if second is not None:
            for choice, i, seen in zip(choices, window, ocr_lines, strict=True):
                readings = [cells[i], second[i]]
                first = i == window[0]
                if seen is None:
                    voted = _vote(readings, None, in_place=False, first_line=first)
                else:
                    line, row_text = seen
                    in_place = _in_place(line, row_text, readings)
                    voted = _vote(
                        readings, line if in_place else row_text, in_place=in_place, first_line=first
                    )
                choice.append((voted, _VOTED))
        options = [
            ([text for text, _ in combo], sum(source for _, source in combo))
            for combo in itertools.product(*choices)
        ]
        if greedy is not None:
            options.append(([greedy[i] for i in window], _FROM_GREEDY))
        for texts, source in options:
            parsed = _interpret(texts)
            if parsed is None:
                continue
            result, padding = parsed
            confidence = float(np.mean([cells[i].confidence for i in window]))
            score = (int(result.valid), sum(result.checks.values()), -padding, grid_ok, source, confidence)
            if best is None or score > best.score:
                block = [
                    _Row(t, lines[i].corners, cells[i].confidence, height)
                    for t, i in zip(texts, window, strict=True)
                ]
                best = _Candidate(result=result, rows=block, score=score)
    return best


def _reread_grid(bgr: BGR, rows: list[_Row], ocr: _Candidate | None) -> tuple[_Candidate | None, bool | None]:
    """Decode the MRZ lines around ``rows`` on their character grid, alone and fused with the OCR
    block ``ocr``; the best candidate, and whether the band was read upside down (None: no
    lines found).

    First from one recogniser pass per whole line (cheap); only if that holds no valid block, in
    chunks of about a dozen cells, at the line length found so far (all three if none).
    """
    lines, reads, flipped = _grid_lines(bgr, rows)
    best: _Candidate | None = None
    height = float(np.median([r.height for r in rows]))
    greedy = [grid.greedy(read) for read in reads]
    for width in (44, 36, 30):
        cells = [grid.decode_cells(line, read, width) for line, read in zip(lines, reads, strict=True)]
        candidate = _best_of_cells(lines, cells, greedy, width, ocr, height)
        if candidate is not None and (best is None or candidate.score > best.score):
            best = candidate
    if lines:
        # Read again in chunks even when the block is valid: check digits say nothing about names.
        widths = [MRZ_SHAPES[best.result.type][1]] if best is not None else [44, 36, 30]
        for width in widths:
            chunked = grid.decode_chunked(lines, width)
            whole = [grid.decode_cells(line, read, width) for line, read in zip(lines, reads, strict=True)]
            for candidate in (
                _best_of_cells(lines, chunked, None, width, ocr, height),
                _best_of_cells(lines, whole, None, width, ocr, height, second=chunked),
            ):
                if candidate is not None and (best is None or candidate.score > best.score):
                    best = candidate
    return best, flipped


def _upside_down(best: _Candidate) -> bool:
    """Whether the block was read bottom row first (the document is upside down)."""
    ux, _ = _axis(best.rows[0].box)
    uy = np.array([-ux[1], ux[0]])
    first, last = best.rows[0].box.mean(axis=0), best.rows[-1].box.mean(axis=0)
    return float(np.dot(last - first, uy)) < 0


def _read_upright(bgr: BGR, lines: list[OcrLine]) -> tuple[_Candidate | None, bool]:
    """Best MRZ block in one orientation, from the OCR rows and from the band read again on its
    character grid; and whether MRZ text was seen."""
    rows = _join_rows(lines)
    best = _best_block(rows)
    band_rows = _band_rows(rows, best)
    if not band_rows:
        return best, best is not None
    reread, flipped = _reread_grid(bgr, band_rows, best)
    if flipped is not None and best is not None and len(best.rows) > 1 and _upside_down(best) != flipped:
        # The OCR block's row order says the other way up from the band's own reading: it paired
        # rows that do not belong together in that order.
        best = None
    if reread is not None and (best is None or reread.score > best.score):
        best = reread
    if (best is None or not best.result.valid) and all(
        abs(_axis(r.box)[0][1]) >= _MAX_ROW_SLOPE for r in band_rows
    ):
        # Rows running up or down the image: the document lies on its side, and the OCR's reading
        # of vertical text is unreliable. Unless it already read valid, let a quarter turn try.
        return best, False
    return best, True


def read_mrz(bgr: BGR, *, ocr_lines: list[OcrLine] | None = None) -> MrzReading:
    """Find and read the MRZ of a document image (BGR or grey).

    ``ocr_lines``: lines from :func:`openkyc.engine.document.ocr.run_ocr` over this same image, to
    avoid a second full OCR pass. Upside-down documents are read from the first pass; documents
    lying on their side cost one or two more passes.
    """
    lines = ocr_lines if ocr_lines is not None else run_ocr(bgr)
    best, seen = _read_upright(bgr, lines)
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
                best = _Candidate(candidate.result, rows, candidate.score)
            if best is not None and best.result.valid:
                break
    if best is None:
        return MrzReading(result=None, lines=[], region=None, rotation=0, confidence=0.0)
    points = np.concatenate([row.box for row in best.rows]).astype(np.float32)
    corners = cv2.boxPoints(cv2.minAreaRect(points))
    # The first line lies above the last on the document: where "down" points in the image says
    # how the document lies, whichever pass (and whichever turn) read it.
    first, last = best.rows[0].box.mean(axis=0), best.rows[-1].box.mean(axis=0)
    dx, dy = (float(v) for v in last - first)
    rotation = (0 if dy > 0 else 180) if abs(dy) >= abs(dx) else (270 if dx > 0 else 90)
    return MrzReading(
        result=best.result,
        lines=best.result.lines,
        region=[(float(x), float(y)) for x, y in corners],
        rotation=rotation,
        confidence=round(float(best.score[-1]), 4),
    )
