"""The engine's evidence as it is kept with a decision, for reviewers: every check's verdict, the
scores it held against their thresholds and its reasons, and, for a document, what its MRZ and
visual zone read. Products attach it to a result (:meth:`ProductResult.with_evidence`); the
portal shows it beside the Actions it informs (:func:`action_of`).

The record is plain JSON, stored in the job's sealed ``_decision`` (names and numbers read from a
document are personal data); a purge drops it (``retention.scrub`` keeps an allow-list).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel

from openkyc.engine.document.analyse import DocumentEvidence
from openkyc.engine.evidence import Evidence, Signal
from openkyc.products.catalogue import Action

# Which Action a check informs, by the check's path in the evidence ("selfie.liveness",
# "document.portrait"): the first of the Actions listed that the job's result has. The paths are
# those of Document Verification's evidence; a SmartSelfie's is recorded under "selfie".
CHECK_ACTIONS: tuple[tuple[str, tuple[Action, ...]], ...] = (
    ("selfie.liveness", (Action.LIVENESS_CHECK, Action.SELFIE_CHECK)),
    (
        "selfie.match",
        (
            Action.SELFIE_TO_REGISTERED_SELFIE_COMPARE,
            Action.SELFIE_TO_ID_AUTHORITY_COMPARE,
            Action.SELFIE_TO_ID_CARD_COMPARE,
        ),
    ),
    ("selfie", (Action.SELFIE_PROVIDED, Action.SELFIE_CHECK, Action.LIVENESS_CHECK)),
    ("document.portrait", (Action.SELFIE_TO_ID_CARD_COMPARE,)),
    ("document.locate", (Action.DOCUMENT_CHECK,)),
    ("document.kind", (Action.DOCUMENT_CHECK,)),
    ("document.quality", (Action.DOCUMENT_CHECK,)),
    ("document.image_spec", (Action.DOCUMENT_CHECK,)),
    ("document", (Action.VERIFY_DOCUMENT,)),
)


def action_of(path: str, actions: Iterable[str]) -> str | None:
    """The Action (of those in ``actions``) that the check at ``path`` informs; None if none."""
    present = set(actions)
    for prefix, candidates in CHECK_ACTIONS:
        if path == prefix or path.startswith(prefix + "."):
            for action in candidates:
                if action.value in present:
                    return action.value
            return None
    return None


def evidence_record(evidence: Evidence, *, root: str = "") -> dict[str, Any]:
    """``evidence`` as kept with the decision: ``checks`` (each check with signals or reasons of
    its own: its path under ``root``, decision, signals and reasons, in the evidence's order) and,
    where the evidence holds a document, ``mrz`` and ``visual_zone`` (the fields read).

    A SmartSelfie's evidence is recorded with ``root="selfie"``, a document verification's at the
    root (its parts are "selfie" and "document"), so that a check has one path in every product.
    """
    record: dict[str, Any] = {"checks": list(_checks(evidence, root))}
    document = _find_document(evidence)
    if document is not None:
        mrz = document.mrz
        if mrz is not None:
            fields = mrz.fields.model_dump(exclude={"date_notes"})
            record["mrz"] = {
                "type": mrz.type,
                "valid": mrz.valid,
                "checks": dict(mrz.checks),
                "fields": {key: value for key, value in fields.items() if value not in (None, "")},
                "lines": list(document.mrz_lines or mrz.lines),
                "side": document.mrz_side,
            }
        record["visual_zone"] = {name: found.value for name, found in document.visual_zone.fields.items()}
    return record


def _checks(node: Evidence, path: str) -> Iterable[dict[str, Any]]:
    children = [
        (f"{path}.{name}" if path else name, child)
        for name in type(node).model_fields
        if isinstance(child := getattr(node, name), Evidence)
    ]
    # A composite repeats its parts' reasons and signals (the document its portrait's face
    # similarity): each is shown once, with the part that measured or found it.
    below = {reason.code for _, child in children for reason in _all_reasons(child)}
    own = [reason for reason in node.reasons if reason.code not in below]
    measured = {_measure(signal) for _, child in children for signal in _all_signals(child)}
    signals = {name: signal for name, signal in node.signals.items() if _measure(signal) not in measured}
    if path and (signals or own):
        yield {
            "check": path,
            "decision": node.decision.value,
            "signals": {
                name: {
                    "score": signal.score,
                    "threshold": signal.threshold,
                    "higher_is_better": signal.higher_is_better,
                    "passed": signal.passed,
                }
                for name, signal in signals.items()
            },
            "reasons": [{"code": reason.code, "message": reason.message} for reason in own],
        }
    for child_path, child in children:
        yield from _checks(child, child_path)


def _measure(signal: Signal) -> tuple[float, float, bool]:
    return signal.score, signal.threshold, signal.higher_is_better


def _all_signals(node: Evidence) -> Iterable[Signal]:
    yield from node.signals.values()
    for name in type(node).model_fields:
        child = getattr(node, name)
        if isinstance(child, Evidence):
            yield from _all_signals(child)


def _all_reasons(node: Evidence) -> Iterable[Any]:
    yield from node.reasons
    for name in type(node).model_fields:
        child = getattr(node, name)
        if isinstance(child, Evidence):
            yield from _all_reasons(child)


def _find_document(evidence: BaseModel) -> DocumentEvidence | None:
    if isinstance(evidence, DocumentEvidence):
        return evidence
    found = getattr(evidence, "document", None)
    return found if isinstance(found, DocumentEvidence) else None


def checks_of(record: Mapping[str, Any] | None) -> Sequence[Mapping[str, Any]]:
    """The checks of a stored record (none for a job decided before records were kept)."""
    checks = (record or {}).get("checks")
    return [check for check in checks if isinstance(check, Mapping)] if isinstance(checks, list) else []
