"""Does the visual zone say what the MRZ says?

A forger who edits the printed name or date of birth rarely recomputes the MRZ, so disagreement
between the two zones is a classic tampering sign. OCR noise and the MRZ's own conventions must
not look like disagreement: accents are dropped or transliterated in the MRZ (Ü -> U or UE),
spaces and hyphens become fillers, long names are truncated to fit, and numeric dates may be day-
or month-first. Each field ends up agree, disagree or not found; only a field read in both zones
can disagree.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from openkyc.engine.document.mrz.parse import MrzResult
from openkyc.engine.document.text import allowed_edits, compact, edit_distance, fuzzy_find, unconfuse
from openkyc.engine.document.visual_zone import VisualZone
from openkyc.engine.evidence import Decision, Evidence, Reason, Signal

COMPARED_FIELDS = ("surname", "given_names", "document_number", "birth_date", "expiry_date", "sex")
# Name field per MRZ format: (line index, first column); the field runs to the end of that line.
_NAME_FIELD = {"TD1": (2, 0), "TD2": (0, 5), "TD3": (0, 5), "MRVA": (0, 5), "MRVB": (0, 5)}


class FieldStatus(StrEnum):
    AGREE = "agree"
    DISAGREE = "disagree"
    NOT_FOUND = "not_found"


class FieldCheck(BaseModel):
    model_config = ConfigDict(frozen=True)

    status: FieldStatus
    mrz: str | None = None
    viz: str | None = None
    # "label" (the labelled VIZ field was compared) or "search" (found anywhere in the VIZ text).
    method: str | None = None
    distance: int | None = None


class ConsistencyEvidence(Evidence):
    fields: dict[str, FieldCheck] = Field(default_factory=dict)
    agreed: int = 0
    disagreed: int = 0
    not_found: int = 0


def name_truncated(result: MrzResult) -> bool:
    """True when the MRZ name field is full to its last character, so the name may be cut short."""
    line_index, _ = _NAME_FIELD[result.type]
    if line_index >= len(result.lines) or not result.lines[line_index]:
        return False
    return result.lines[line_index][-1] != "<"


def _compare_name(mrz_value: str, viz_value: str, *, truncated: bool) -> tuple[FieldStatus, int]:
    mrz = compact(mrz_value)
    best = len(mrz) + len(viz_value)
    for variant in {compact(viz_value), compact(viz_value, two_letter=True)}:
        distance = edit_distance(mrz, variant)
        if truncated and len(variant) > len(mrz):
            # The MRZ kept only the start of the name.
            distance = min(distance, edit_distance(mrz, variant[: len(mrz)]))
        best = min(best, distance)
    return (FieldStatus.AGREE if best <= allowed_edits(len(mrz)) else FieldStatus.DISAGREE), best


def _search_name(mrz_value: str, zone: VisualZone) -> int | None:
    needle = compact(mrz_value)
    if len(needle) < 2:
        return None
    hits = [
        d
        for line in zone.lines
        for variant in {compact(line), compact(line, two_letter=True)}
        if (d := fuzzy_find(needle, variant)) is not None
    ]
    return min(hits) if hits else None


def _compare_number(mrz_value: str, viz_value: str) -> tuple[FieldStatus, int]:
    mrz, viz = unconfuse(mrz_value), unconfuse(viz_value)
    if mrz and mrz in viz:
        return FieldStatus.AGREE, 0
    distance = edit_distance(mrz, viz)
    # One misread character in a long number is OCR; more is a different number.
    return (
        FieldStatus.AGREE if distance <= min(1, allowed_edits(len(mrz))) else FieldStatus.DISAGREE
    ), distance


def _same_date(mrz_iso: str, readings: list[str]) -> bool:
    """Whether the printed date (any of its readings) says what the MRZ says. The MRZ has two-digit
    years: its century is a guess, so only the digits it prints are compared; which century is
    meant is judged with every date of the document (:func:`openkyc.engine.document.checks.judge_dates`)."""
    if mrz_iso in readings:
        return True
    return any(r[2:] == mrz_iso[2:] for r in readings)


def _labelled(status: FieldStatus, mrz: str, viz: str, distance: int | None = None) -> FieldCheck:
    return FieldCheck(status=status, mrz=mrz, viz=viz, method="label", distance=distance)


def _check(name: str, result: MrzResult, zone: VisualZone) -> FieldCheck:
    fields = result.fields
    mrz_value: str | None = getattr(fields, name)
    if name == "sex" and mrz_value not in ("M", "F"):
        mrz_value = None  # unspecified in the MRZ: nothing to compare
    if not mrz_value:
        return FieldCheck(status=FieldStatus.NOT_FOUND)
    labelled = zone.fields.get(name)

    if name in ("surname", "given_names"):
        if labelled is not None:
            status, distance = _compare_name(mrz_value, labelled.value, truncated=name_truncated(result))
            return FieldCheck(
                status=status, mrz=mrz_value, viz=labelled.value, method="label", distance=distance
            )
        full = zone.fields.get("full_name")
        found = _search_name(mrz_value, zone)
        if found is None and full is not None:
            # A labelled whole name that does not contain this part of the MRZ name disagrees.
            return FieldCheck(status=FieldStatus.DISAGREE, mrz=mrz_value, viz=full.value, method="label")
        if found is not None:
            return FieldCheck(status=FieldStatus.AGREE, mrz=mrz_value, method="search", distance=found)
        return FieldCheck(status=FieldStatus.NOT_FOUND, mrz=mrz_value)

    if name == "document_number":
        if labelled is not None:
            status, distance = _compare_number(mrz_value, labelled.value)
            return FieldCheck(
                status=status, mrz=mrz_value, viz=labelled.value, method="label", distance=distance
            )
        wanted = unconfuse(mrz_value)
        if any(wanted in unconfuse(line) for line in zone.lines):
            return FieldCheck(status=FieldStatus.AGREE, mrz=mrz_value, method="search", distance=0)
        return FieldCheck(status=FieldStatus.NOT_FOUND, mrz=mrz_value)

    if name in ("birth_date", "expiry_date"):
        # What the print says, plausible or not: a forged or misread date disagrees either way.
        printed = (labelled.printed or labelled.dates) if labelled is not None else []
        if labelled is not None and printed:
            agree = _same_date(mrz_value, printed)
            return FieldCheck(
                status=FieldStatus.AGREE if agree else FieldStatus.DISAGREE,
                mrz=mrz_value,
                viz=labelled.value,
                method="label",
            )
        if any(_same_date(mrz_value, readings) for readings in zone.dates):
            return FieldCheck(status=FieldStatus.AGREE, mrz=mrz_value, method="search")
        return FieldCheck(status=FieldStatus.NOT_FOUND, mrz=mrz_value)

    # sex
    if labelled is not None:
        agree = labelled.value == mrz_value
        return FieldCheck(
            status=FieldStatus.AGREE if agree else FieldStatus.DISAGREE,
            mrz=mrz_value,
            viz=labelled.value,
            method="label",
        )
    return FieldCheck(status=FieldStatus.NOT_FOUND, mrz=mrz_value)


def check_consistency(zone: VisualZone, result: MrzResult) -> ConsistencyEvidence:
    """Compare the visual zone with the MRZ field by field."""
    checks = {name: _check(name, result, zone) for name in COMPARED_FIELDS}
    agreed = sum(c.status is FieldStatus.AGREE for c in checks.values())
    disagreed = [name for name, c in checks.items() if c.status is FieldStatus.DISAGREE]
    compared = agreed + len(disagreed)
    reasons = []
    if disagreed:
        reasons.append(
            Reason(
                code="document.mrz_viz_mismatch",
                message="the printed fields disagree with the MRZ: " + ", ".join(disagreed),
            )
        )
    signals = {
        "agreement": Signal.measure(
            agreed / compared if compared else 0.0,
            1.0,
            detail=f"{agreed} of {compared} fields read in both zones agree",
        )
    }
    return ConsistencyEvidence(
        decision=Decision.REVIEW if disagreed else Decision.PASS,
        reasons=reasons,
        signals=signals,
        fields=checks,
        agreed=agreed,
        disagreed=len(disagreed),
        not_found=len(checks) - compared,
    )
