"""From the recogniser's per-cell probabilities to MRZ lines: the format's character classes,
check-digit-guided repair of doubtful cells, filler restoration after the names, and an honest
account of every change.

Each cell of a line comes with a probability for each of the 37 MRZ characters
(:mod:`.recognise`). Decoding, for one format hypothesis:

1. **Classes.** Each position takes the most probable character its class allows (a digit in a
   date, a letter or filler in a name, :data:`~.parse.TEMPLATES`). Country codes take the most
   probable three-character code, preferring real codes (no check digit covers them).
2. **Check digits.** If a check digit fails, the most probable assignment of the covered cells
   and the digit that makes every check hold is found exactly (a dynamic programme over the
   weighted sum modulo 10; the composite digit and the field digits it spans are solved
   together). It is taken only if the recogniser found the cells it changes doubtful (their
   evidence against the change is at most :data:`REPAIR_MAX_COST` in log-probability), and it is
   clearly better than the second-best assignment (:data:`REPAIR_MIN_MARGIN`). A confidently read
   wrong check digit (a misprinted specimen) is therefore left wrong and reported invalid.
3. **Names.** Letters after the end of the names (the name field is surname, '<<', given names,
   then only fillers) are fillers misread (a hologram's edge, a guilloche line) when the
   recogniser gave the filler a fair chance; otherwise they stay and the structure is reported
   impossible (never valid).

Every cell whose reported character is not the recogniser's first choice is a :class:`Repair`,
with both probabilities. ``valid`` comes from :func:`.parse.parse_mrz` on the final lines.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import numpy.typing as npt

from openkyc.engine.document.mrz.checksum import char_value
from openkyc.engine.document.mrz.countries import is_country_code
from openkyc.engine.document.mrz.parse import (
    CLASS_CHARS,
    COUNTRY_FIELDS,
    MRZ_SHAPES,
    NAME_FIELD,
    TEMPLATES,
    MrzResult,
    MrzType,
    parse_mrz,
)

ALPHABET = "<0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_INDEX = {char: i for i, char in enumerate(ALPHABET)}
_WEIGHTS = (7, 3, 1)

# A repair may go against the recogniser by at most this much (natural log of the probability
# ratio, summed over the changed cells): e^3 = 20 to 1.
REPAIR_MAX_COST = 3.0
# ... and must beat the next-best assignment that also satisfies every check by this much.
REPAIR_MIN_MARGIN = 1.5
# Readings whose cells the recogniser is on average less sure of than this are not repaired.
REPAIR_MIN_MEAN_CONFIDENCE = 0.6
# A filler after the names replaces a letter the recogniser gave no more than this probability,
# provided it gave the filler at least :data:`FILLER_MIN_PROB`.
FILLER_MAX_LETTER_PROB = 0.97
FILLER_MIN_PROB = 0.01
# A valid reading needs every character no holding check digit vouches for (names, country codes,
# the document code, the sex, uncovered optional data) read with at least this probability: names
# have no check digit, so the recogniser's own certainty is all that vouches for them. Tuned in
# benchmarks/mrz_bench.py (leave-one-source-out).
VALID_MIN_CONFIDENCE = 0.5
# Repairs that change what the recogniser read to make the MRZ hold (a class repair only takes the
# likeliest character the format allows where it stands; a country repair a real code).
REPAIR_REASONS = ("check_digit", "filler")
# How the problem of doubtful unvouched characters starts (so callers can tell it from structure).
LOW_CONFIDENCE_PROBLEM = "characters no holding check digit covers were read with low confidence"
# Prior for a real country code over a code that is none (log-odds), for the three cells together.
_COUNTRY_PRIOR = 2.5
# A character the format does not allow is kept when read with at least _SURE while every allowed
# one got under _UNSURE.
_SURE, _UNSURE = 0.95, 0.02
# Candidates per cell considered by the check-digit programme.
_CANDIDATES = 4
_FLOOR = 1e-6


@dataclass(frozen=True)
class Repair:
    """One cell reported as a character other than the recogniser's first choice."""

    line: int  # 0-based
    position: int  # 0-based
    read: str  # the recogniser's first choice
    reported: str
    p_read: float
    p_reported: float
    # "class" (the format does not allow the first choice there), "check_digit" (a failing check
    # digit made to hold), "filler" (a letter after the names), "country" (a real country code).
    reason: str


@dataclass
class Decoded:
    """One format hypothesis decoded: the lines, the parse, the changes and the confidence."""

    kind: MrzType
    lines: list[str]
    result: MrzResult
    repairs: list[Repair] = field(default_factory=list)
    # Mean and lowest probability the recogniser gave the reported characters.
    confidence: float = 0.0
    min_confidence: float = 0.0
    # Sum of log-probabilities of the reported characters (for ranking hypotheses).
    log_prob: float = 0.0
    # Lowest probability among the characters no holding check digit covers (1.0: none).
    unvouched_confidence: float = 1.0

    @property
    def substantive_checks(self) -> int:
        """Check digits that hold over fields holding something (an all-filler field's check
        digit holds by itself, so it says nothing about whether this is an MRZ at all)."""
        return sum(
            1
            for name, group in _named_groups(self.lines, self.kind)
            if self.result.checks.get(name, False)
            # Fillers and zeros both count 0: a field of them holds its check digit '0' by itself.
            and any(self.lines[row][position] not in "<0" for row, position in group.cells)
        )

    @property
    def repaired(self) -> bool:
        """Whether a check digit or the names were made to hold by changing what was read (a
        class repair alone is no repair: a letter cannot stand in a date)."""
        return any(r.reason in REPAIR_REASONS for r in self.repairs)


def structural_problems(result: MrzResult) -> list[str]:
    """The result's problems with its structure, leaving out doubtful unvouched characters (a
    matter of the reading's confidence, not of what the lines say)."""
    return [p for p in result.problems if not p.startswith(LOW_CONFIDENCE_PROBLEM)]


def _allowed(kind: MrzType, row: int, position: int) -> str:
    cls = TEMPLATES[kind][row][position]
    return CLASS_CHARS[cls]


def _class_decode(probs: list[npt.NDArray[np.float32]], kind: MrzType) -> list[list[str]]:
    """Most probable allowed character per cell; a character the format does not allow there is
    kept only when the recogniser is sure of it and gives the allowed ones next to nothing (an
    odd specimen prints what it prints: it is then reported, and the structure is not sound)."""
    lines: list[list[str]] = []
    for row, p in enumerate(probs):
        chars = []
        for position in range(p.shape[0]):
            allowed = _allowed(kind, row, position)
            best = max(allowed, key=lambda c, pos=position: float(p[pos, _INDEX[c]]))  # type: ignore[misc]
            top = ALPHABET[int(p[position].argmax())]
            if (
                top not in allowed
                and p[position, _INDEX[top]] >= _SURE
                and p[position, _INDEX[best]] < _UNSURE
            ):
                best = top
            chars.append(best)
        lines.append(chars)
    return lines


def _countries(lines: list[list[str]], probs: list[npt.NDArray[np.float32]], kind: MrzType) -> None:
    """Each three-letter country field: the most probable code, a real one preferred."""
    for row, start in COUNTRY_FIELDS[kind]:
        options = []
        for position in range(start, start + 3):
            p = probs[row][position]
            ranked = sorted(CLASS_CHARS["X"], key=lambda c, p=p: -float(p[_INDEX[c]]))[:3]  # type: ignore[misc]
            options.append([(c, float(np.log(max(float(p[_INDEX[c]]), _FLOOR)))) for c in ranked])
        best, best_score = None, -np.inf
        for combo in itertools.product(*options):
            code = "".join(c for c, _ in combo)
            score = sum(s for _, s in combo) + (_COUNTRY_PRIOR if is_country_code(code) else 0.0)
            # Letters, or all digits (some issuers print numeric codes), never a mix.
            if not (code.replace("<", "").isalpha() or code.isdigit() or set(code) == {"<"}):
                score -= 10.0
            if score > best_score:
                best, best_score = code, score
        if best is not None:
            lines[row][start : start + 3] = list(best)


@dataclass(frozen=True)
class _Group:
    cells: tuple[tuple[int, int], ...]  # covered cells (row, position), in order
    check: tuple[int, int]


def _groups(lines: list[str], kind: MrzType) -> tuple[list[_Group], _Group | None]:
    """The check-digit groups of ``kind`` (as the lines' structure says: an extended document
    number continues in the optional field) and the composite group, if the format has one."""

    def span(row: int, start: int, end: int) -> tuple[tuple[int, int], ...]:
        return tuple((row, i) for i in range(start, end))

    groups: list[_Group] = []
    composite: _Group | None = None
    if kind == "TD1":
        number = span(0, 5, 14)
        check = (0, 14)
        if lines[0][14] == "<" and lines[0][15:30].strip("<"):
            overflow = lines[0][15:30].split("<", 1)[0]
            if len(overflow) >= 2:
                number = number + span(0, 15, 15 + len(overflow) - 1)
                check = (0, 15 + len(overflow) - 1)
        groups = [_Group(number, check), _Group(span(1, 0, 6), (1, 6)), _Group(span(1, 8, 14), (1, 14))]
        composite = _Group(span(0, 5, 30) + span(1, 0, 7) + span(1, 8, 15) + span(1, 18, 29), (1, 29))
    elif kind in ("TD2", "MRVB"):
        width = 35 if kind == "TD2" else 36
        number = span(1, 0, 9)
        check = (1, 9)
        if lines[1][9] == "<" and lines[1][28:width].strip("<"):
            overflow = lines[1][28:width].split("<", 1)[0]
            if len(overflow) >= 2:
                number = number + span(1, 28, 28 + len(overflow) - 1)
                check = (1, 28 + len(overflow) - 1)
        groups = [_Group(number, check), _Group(span(1, 13, 19), (1, 19)), _Group(span(1, 21, 27), (1, 27))]
        if kind == "TD2":
            composite = _Group(span(1, 0, 10) + span(1, 13, 20) + span(1, 21, 35), (1, 35))
    else:
        groups = [
            _Group(span(1, 0, 9), (1, 9)),
            _Group(span(1, 13, 19), (1, 19)),
            _Group(span(1, 21, 27), (1, 27)),
        ]
        if kind == "TD3":
            groups.append(_Group(span(1, 28, 42), (1, 42)))
            composite = _Group(span(1, 0, 10) + span(1, 13, 20) + span(1, 21, 43), (1, 43))
    return groups, composite


def _named_groups(lines: list[str], kind: MrzType) -> list[tuple[str, _Group]]:
    """Every check-digit group of ``lines`` under the name :func:`.parse.parse_mrz` gives its
    verdict ("number", "birth", "expiry", "personal", "composite")."""
    groups, composite = _groups(lines, kind)
    named = list(zip(("number", "birth", "expiry", "personal"), groups, strict=False))
    return [*named, ("composite", composite)] if composite is not None else named


def _candidates(
    probs: list[npt.NDArray[np.float32]],
    kind: MrzType,
    cell: tuple[int, int],
    current: str,
    *,
    is_check: bool,
) -> list[tuple[str, float]]:
    """(character, log-probability) options for one cell: the current character first, then the
    most probable others its class allows."""
    row, position = cell
    p = probs[row][position]
    # A check digit is '<' only over an all-filler field: kept where read so, never chosen.
    allowed = "0123456789" if is_check else _allowed(kind, row, position)
    if current not in allowed:
        allowed += current
    ranked = sorted(allowed, key=lambda c: -float(p[_INDEX[c]]))[:_CANDIDATES]
    if current not in ranked:
        ranked = [current, *ranked[:-1]]
    return [(c, float(np.log(max(float(p[_INDEX[c]]), _FLOOR)))) for c in ranked]


def _check_value(char: str) -> int | None:
    """A check digit's value ('<', kept only where it was read, counts as 0)."""
    if char == "<":
        return 0
    return int(char) if char.isdigit() else None


def _solve(
    lines: list[list[str]], probs: list[npt.NDArray[np.float32]], kind: MrzType
) -> list[tuple[float, dict[tuple[int, int], str]]]:
    """The two most probable assignments of the check-covered cells that make every check digit
    hold: (log-probability, {cell: character}), best first. Cells are solved along the composite
    (whose fields' own checks are enforced on the way) or group by group where there is none."""
    text = ["".join(chars) for chars in lines]
    groups, composite = _groups(text, kind)
    if composite is None:
        totals: list[tuple[float, dict[tuple[int, int], str]]] = [(0.0, {})]
        for group in groups:
            solutions = _solve_sequence(lines, probs, kind, [group], None)
            if not solutions:
                return []
            # Combine the best two overall from the best two of each group.
            totals = sorted(
                ((a + b, {**ca, **cb}) for (a, ca), (b, cb) in itertools.product(totals, solutions)),
                key=lambda item: -item[0],
            )[:2]
        return totals
    return _solve_sequence(lines, probs, kind, groups, composite)


def _solve_sequence(
    lines: list[list[str]],
    probs: list[npt.NDArray[np.float32]],
    kind: MrzType,
    groups: list[_Group],
    composite: _Group | None,
) -> list[tuple[float, dict[tuple[int, int], str]]]:
    """Two-best dynamic programme over one sequence of cells with mod-10 check constraints."""
    # The sequence: the composite's cells then its digit, or the single group's cells and digit.
    if composite is not None:
        sequence = [*composite.cells, composite.check]
    else:
        sequence = [*groups[0].cells, groups[0].check]
    group_of: dict[tuple[int, int], tuple[int, int]] = {}  # cell -> (group index, weight index)
    checks: dict[tuple[int, int], int] = {}  # check cell -> group index
    for g, group in enumerate(groups):
        for k, cell in enumerate(group.cells):
            group_of[cell] = (g, k)
        checks[group.check] = g
    # State: (composite sum mod 10, current group sum mod 10) -> best two (score, back pointer).
    State = tuple[int, int]
    Entry = tuple[float, State | None, int, str]  # score, previous state, previous rank, char
    layers: list[dict[State, list[Entry]]] = [{(0, 0): [(0.0, None, 0, "")]}]
    last = len(sequence) - 1
    for step, cell in enumerate(sequence):
        row, position = cell
        is_composite_check = composite is not None and step == last
        is_group_check = cell in checks and not is_composite_check
        current = lines[row][position]
        options = _candidates(probs, kind, cell, current, is_check=is_group_check or is_composite_check)
        layer: dict[State, list[Entry]] = {}
        for state, entries in layers[-1].items():
            comp, part = state
            for rank, (score, _, _, _) in enumerate(entries):
                for char, logp in options:
                    value = char_value(char)
                    if value is None:
                        continue
                    new_comp, new_part = comp, part
                    if is_composite_check or is_group_check:
                        digit = _check_value(char)
                        if digit is None:
                            continue
                        target = new_part if is_group_check else new_comp
                        if digit != target:
                            continue
                        if is_group_check:
                            new_part = 0
                            if composite is not None:
                                new_comp = (comp + value * _WEIGHTS[step % 3]) % 10
                    else:
                        if composite is not None:
                            new_comp = (comp + value * _WEIGHTS[step % 3]) % 10
                        if cell in group_of:
                            _, k = group_of[cell]
                            new_part = (part + value * _WEIGHTS[k % 3]) % 10
                    key = (new_comp, new_part)
                    bucket = layer.setdefault(key, [])
                    bucket.append((score + logp, state, rank, char))
                    bucket.sort(key=lambda e: -e[0])
                    del bucket[2:]
        layers.append(layer)
    finals = [
        (entry[0], state, rank) for state, entries in layers[-1].items() for rank, entry in enumerate(entries)
    ]
    finals.sort(key=lambda item: -item[0])
    solutions = []
    for score, state, rank in finals[:2]:
        assignment: dict[tuple[int, int], str] = {}
        cursor: State | None = state
        for step in range(len(sequence), 0, -1):
            if cursor is None:  # every layer below the final one has a predecessor
                raise RuntimeError("MRZ decoding lost its path back through the lattice")
            entry = layers[step][cursor][rank]
            assignment[sequence[step - 1]] = entry[3]
            cursor, rank = entry[1], entry[2]
        solutions.append((score, assignment))
    return solutions


def decode(
    probs: list[npt.NDArray[np.float32]],
    kind: MrzType,
    *,
    today: date | None = None,
    min_confidence: float = VALID_MIN_CONFIDENCE,
) -> Decoded:
    """Decode per-line probabilities (each (n, 37) in :data:`ALPHABET` order) as format ``kind``.

    The result is valid only if every check digit holds, the structure is sound, and every
    character no holding check digit covers was read with at least ``min_confidence``."""
    count, width = MRZ_SHAPES[kind]
    if len(probs) != count or any(p.shape != (width, len(ALPHABET)) for p in probs):
        raise ValueError(f"{kind} needs {count} lines of {width} cells")
    first = ["".join(ALPHABET[int(i)] for i in p.argmax(axis=1)) for p in probs]
    lines = _class_decode(probs, kind)
    _countries(lines, probs, kind)
    reasons: dict[tuple[int, int], str] = {}
    for row, chars in enumerate(lines):
        for position, char in enumerate(chars):
            if char != first[row][position]:
                reasons[(row, position)] = "class"
    for row, start in COUNTRY_FIELDS[kind]:
        for position in range(start, start + 3):
            if lines[row][position] != first[row][position]:
                reasons[(row, position)] = "country"

    as_read = parse_mrz(["".join(chars) for chars in lines], today=today)
    # A jumble of doubtful cells (print that is no MRZ, a block read the wrong way up) is not worth
    # the repair programme: nothing it could make hold would be believed.
    sure_enough = float(np.mean([p.max(axis=1).mean() for p in probs])) >= REPAIR_MIN_MEAN_CONFIDENCE
    if sure_enough and not all(as_read.checks.values()):
        _repair_checks(lines, probs, kind, reasons)
    _restore_fillers(lines, probs, kind, reasons)

    final = ["".join(chars) for chars in lines]
    result = parse_mrz(final, today=today)
    chosen = np.array(
        [
            float(probs[row][position, _INDEX[final[row][position]]])
            for row in range(count)
            for position in range(width)
        ]
    )
    grid = chosen.reshape(count, width)
    unvouched = _unvouched(final, kind, result)
    unvouched_confidence = min((float(grid[cell]) for cell in unvouched), default=1.0)
    doubtful = [cell for cell in unvouched if grid[cell] < min_confidence]
    if doubtful:
        named = ", ".join(f"line {row + 1} position {position + 1}" for row, position in doubtful[:6])
        more = f" and {len(doubtful) - 6} more" if len(doubtful) > 6 else ""
        problem = f"{LOW_CONFIDENCE_PROBLEM}: {named}{more}"
        result = result.model_copy(update={"valid": False, "problems": [*result.problems, problem]})
    repairs = [
        Repair(
            line=row,
            position=position,
            read=first[row][position],
            reported=final[row][position],
            p_read=round(float(probs[row][position, _INDEX[first[row][position]]]), 4),
            p_reported=round(float(probs[row][position, _INDEX[final[row][position]]]), 4),
            reason=reason,
        )
        for (row, position), reason in sorted(reasons.items())
        if final[row][position] != first[row][position]
    ]
    return Decoded(
        kind=kind,
        lines=final,
        result=result,
        repairs=repairs,
        confidence=float(chosen.mean()),
        min_confidence=float(chosen.min()),
        log_prob=float(np.log(np.maximum(chosen, _FLOOR)).sum()),
        unvouched_confidence=unvouched_confidence,
    )


def _unvouched(lines: list[str], kind: MrzType, result: MrzResult) -> list[tuple[int, int]]:
    """Cells that no holding check digit covers (names, country codes, the document code, ...)."""
    vouched: set[tuple[int, int]] = set()
    for name, group in _named_groups(lines, kind):
        if result.checks.get(name, False):
            vouched.update(group.cells)
            vouched.add(group.check)
    return [
        (row, position)
        for row, line in enumerate(lines)
        for position in range(len(line))
        if (row, position) not in vouched
    ]


def _repair_checks(
    lines: list[list[str]],
    probs: list[npt.NDArray[np.float32]],
    kind: MrzType,
    reasons: dict[tuple[int, int], str],
) -> None:
    """Make the check digits hold by the most probable change, if it is cheap and unambiguous."""
    solutions = _solve(lines, probs, kind)
    if not solutions:
        return
    best_score, best = solutions[0]
    current = 0.0
    for (row, position), _ in best.items():
        current += float(np.log(max(float(probs[row][position, _INDEX[lines[row][position]]]), _FLOOR)))
    cost = current - best_score
    margin = best_score - solutions[1][0] if len(solutions) > 1 else np.inf
    if cost > REPAIR_MAX_COST or margin < REPAIR_MIN_MARGIN:
        return
    trial = [list(chars) for chars in lines]
    for (row, position), char in best.items():
        trial[row][position] = char
    if not all(parse_mrz(["".join(chars) for chars in trial]).checks.values()):
        return  # e.g. a '<' check digit over a field that is not all fillers
    for (row, position), char in best.items():
        if lines[row][position] != char:
            lines[row][position] = char
            reasons[(row, position)] = "check_digit"


def _restore_fillers(
    lines: list[list[str]],
    probs: list[npt.NDArray[np.float32]],
    kind: MrzType,
    reasons: dict[tuple[int, int], str],
) -> None:
    """Letters after the end of the names become fillers where the recogniser doubted them."""
    row, start = NAME_FIELD[kind]
    field_chars = lines[row][start:]
    text = "".join(field_chars)
    separator = text.find("<<")
    if separator < 0:
        return
    rest_start = separator + 2
    while rest_start < len(text) and text[rest_start] == "<":
        rest_start += 1
    # The given names run to the next '<<' (or the end); past it only fillers may follow.
    end = text.find("<<", rest_start)
    if end < 0:
        return
    for offset in range(end, len(text)):
        char = text[offset]
        if char == "<":
            continue
        position = start + offset
        p = probs[row][position]
        if float(p[_INDEX[char]]) <= FILLER_MAX_LETTER_PROB and float(p[_INDEX["<"]]) >= FILLER_MIN_PROB:
            lines[row][position] = "<"
            reasons[(row, position)] = "filler"
