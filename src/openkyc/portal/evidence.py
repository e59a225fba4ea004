"""A job's evidence as a reviewer sees it: its images behind expiring links, every Action with the
checks behind it (scores against thresholds, reasons), and the fields read from the document.

Used by the job detail page and the review queue. Two calls and one template::

    evidence = job_evidence_for_page(request, job)        # or job_evidence(job, links=..., ...)
    page(request, "job.html", evidence=evidence, ...)     # the template: {% include "_evidence.html" %}

Reading only: nothing here changes the job or records anything. The image links point at this
server's ``GET /v1/images/<smile_job_id>/<kind>`` (the same signed links job_status hands out, see
:mod:`openkyc.jobs.status`), so they satisfy the portal's ``img-src 'self'`` and stop working once
the configured ``image_link_ttl`` has passed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import Request

from openkyc.db import utcnow
from openkyc.jobs.models import Job
from openkyc.jobs.status import LIVENESS_KIND, image_url, stored_images
from openkyc.products.catalogue import IdField
from openkyc.products.evidence import action_of, checks_of
from openkyc.runtime import Runtime
from openkyc.storage.links import LinkSigner

IMAGE_LABELS = {
    "selfie": "Selfie",
    "id_front": "ID document, front",
    "id_back": "ID document, back",
    "document": "Cropped document (as the engine read it)",
    "comparison": "Comparison image",
}
ID_FIELDS = tuple(field.value for field in IdField)


@dataclass(frozen=True)
class ImageLink:
    kind: str  # selfie, liveness-0, id_front, id_back, document, comparison
    label: str
    url: str  # relative to this server, expiring


@dataclass(frozen=True)
class Signal:
    name: str
    score: float
    threshold: float
    higher_is_better: bool
    passed: bool

    @property
    def shown_score(self) -> str:
        return _number(self.score)

    @property
    def rule(self) -> str:
        """How the score is held against its threshold, e.g. "≥ 0.5"."""
        return f"{'≥' if self.higher_is_better else '<'} {_number(self.threshold)}"


def _number(value: float) -> str:
    # Up to three decimals, no trailing zeros: 0.801, 2200, 861190 (not 861190.000 or 8.6e+05).
    return f"{value:.3f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class Reason:
    code: str
    message: str


@dataclass(frozen=True)
class Check:
    """One engine check: where in the evidence ("selfie.liveness"), its verdict and why."""

    path: str
    decision: str  # pass, fail, review
    signals: tuple[Signal, ...]
    reasons: tuple[Reason, ...]

    @property
    def label(self) -> str:
        return " › ".join(part.replace("_", " ") for part in self.path.split("."))


@dataclass(frozen=True)
class ActionEvidence:
    """One entry of the result's Actions and the checks that informed it."""

    name: str  # e.g. Liveness_Check
    value: str  # e.g. Passed
    checks: tuple[Check, ...]


@dataclass(frozen=True)
class MrzRead:
    type: str
    valid: bool
    checks: tuple[tuple[str, bool], ...]  # check digit -> held
    fields: tuple[tuple[str, str], ...]
    lines: tuple[str, ...]


@dataclass(frozen=True)
class JobEvidence:
    """Everything a reviewer reads about one job's decision (empty parts where nothing is kept)."""

    result_code: str
    result_text: str
    confidence: str | None
    images: tuple[ImageLink, ...]
    actions: tuple[ActionEvidence, ...]
    # Checks that inform none of the result's Actions.
    other_checks: tuple[Check, ...]
    # The decision's reason codes (engine and product), e.g. document.expired.
    reasons: tuple[str, ...]
    # The result's identity fields (Country, IDType, IDNumber, FullName, DOB, ...), as returned.
    fields: tuple[tuple[str, str], ...]
    mrz: MrzRead | None
    visual_zone: tuple[tuple[str, str], ...]
    # When retention or a user's deletion removed the images and personal data.
    purged_at: datetime | None


def job_evidence(job: Job, *, links: LinkSigner, base_url: str, expires: datetime) -> JobEvidence:
    """``job``'s evidence, its image links signed by ``links`` until ``expires`` under ``base_url``
    (the server's root path for same-origin links: "" when served at the root)."""
    result: Mapping[str, Any] = job.result or {}
    decision = _mapping(result.get("_decision"))
    record = _record(job)
    actions = _mapping(result.get("Actions"))
    by_action: dict[str, list[Check]] = {}
    others: list[Check] = []
    for check in (_check(item) for item in checks_of(record)):
        name = action_of(check.path, actions)
        (by_action.setdefault(name, []) if name else others).append(check)
    id_fields = _mapping(decision.get("id_fields")) or {
        key: result[key] for key in ID_FIELDS if key in result
    }
    return JobEvidence(
        result_code=str(result.get("ResultCode") or ""),
        result_text=str(result.get("ResultText") or ""),
        confidence=str(result["ConfidenceValue"]) if result.get("ConfidenceValue") is not None else None,
        images=tuple(
            ImageLink(
                kind,
                _image_label(kind),
                image_url(job.smile_job_id, kind, base_url=base_url, links=links, expires=expires),
            )
            for kind, _ in stored_images(job)
        ),
        actions=tuple(
            ActionEvidence(str(name), str(value), tuple(by_action.get(str(name), ())))
            for name, value in actions.items()
        ),
        other_checks=tuple(others),
        reasons=tuple(str(code) for code in decision.get("reasons") or () if isinstance(code, str)),
        fields=tuple((str(key), str(value)) for key, value in id_fields.items()),
        mrz=_mrz(record.get("mrz")),
        visual_zone=tuple(
            (str(key), str(value)) for key, value in _mapping(record.get("visual_zone")).items()
        ),
        purged_at=job.purged_at,
    )


def job_evidence_for_page(request: Request, job: Job) -> JobEvidence:
    """:func:`job_evidence` with the app's link signer, links under the request's root path that
    expire after the configured ``image_link_ttl``."""
    runtime: Runtime = request.app.state.runtime
    return job_evidence(
        job,
        links=runtime.links,
        base_url=str(request.scope.get("root_path", "")),
        expires=utcnow() + runtime.settings.image_link_ttl,
    )


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _record(job: Job) -> Mapping[str, Any]:
    """The engine's record behind the current decision; a reviewer's final decision has none of
    its own, so the latest machine decision's (kept in the history) stands behind it."""
    for entry in [job.result, *reversed(job.history or [])]:
        found = _mapping(_mapping(_mapping(entry).get("_decision")).get("evidence"))
        if found:
            return found
    return {}


def _image_label(kind: str) -> str:
    if kind.startswith(LIVENESS_KIND):
        return f"Liveness frame {int(kind.removeprefix(LIVENESS_KIND)) + 1}"
    return IMAGE_LABELS.get(kind, kind)


def _check(item: Mapping[str, Any]) -> Check:
    signals = _mapping(item.get("signals"))
    return Check(
        path=str(item.get("check", "")),
        decision=str(item.get("decision", "")),
        signals=tuple(
            Signal(
                name=str(name),
                score=float(value.get("score", 0.0)),
                threshold=float(value.get("threshold", 0.0)),
                higher_is_better=bool(value.get("higher_is_better", True)),
                passed=bool(value.get("passed")),
            )
            for name, value in signals.items()
            if isinstance(value, Mapping)
        ),
        reasons=tuple(
            Reason(str(reason.get("code", "")), str(reason.get("message", "")))
            for reason in _sequence(item.get("reasons"))
            if isinstance(reason, Mapping)
        ),
    )


def _sequence(value: Any) -> Sequence[Any]:
    return value if isinstance(value, list) else []


def _mrz(value: Any) -> MrzRead | None:
    mrz = _mapping(value)
    if not mrz:
        return None
    return MrzRead(
        type=str(mrz.get("type", "")),
        valid=bool(mrz.get("valid")),
        checks=tuple((str(key), bool(held)) for key, held in _mapping(mrz.get("checks")).items()),
        fields=tuple((str(key), str(field)) for key, field in _mapping(mrz.get("fields")).items()),
        lines=tuple(str(line) for line in _sequence(mrz.get("lines"))),
    )
