"""What a product decides: the job result, as the wire shows it, less what the job layer adds.

The job layer adds SmileJobID, PartnerParams, Source, timestamp, signature (and the Document
image, ImageLinks, KYCReceipt for Document Verification); everything decided from evidence is here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

import numpy as np
from numpy.typing import NDArray

from openkyc.products.catalogue import ACTION_KEYS, CATALOGUE, RESULT_TYPES, Action, ActionValue, Product
from openkyc.products.codes.rows import Outcome, ResultEntry

WireValue = str | dict[str, str]


class V2Status(StrEnum):
    """``status`` of the synchronous v2 SmartSelfie responses (compatibility §9.2)."""

    APPROVED = "approved"
    PENDING = "pending"
    REJECTED = "rejected"


def _wire_bool(value: bool) -> str:
    # Smile ID's documentation sends both flags as strings ("IsFinalResult": "true").
    return "true" if value else "false"


@dataclass(frozen=True)
class ProductResult:
    """A product's decision on one job."""

    product: Product
    result_code: str
    result_text: str
    result_type: str
    # Wire keys -> wire values, in the order of the product's sample response.
    actions: dict[str, str]
    outcome: Outcome
    # False: provisional, a human reviewer decides next (see :func:`openkyc.products.resolve_review`).
    is_final: bool
    is_machine_result: bool
    # Deprecated on the wire but still sent; None: not sent (no face comparison behind the job).
    confidence_value: str | None = None
    # Document Verification: Country, IDType, IDNumber, FullName, DOB, ... ("Not Available" unread).
    id_fields: dict[str, str] = field(default_factory=dict)
    # The selfie becomes the user's registered face (registration, compare, document verification).
    enrols_selfie: bool = False
    # The engine's reason codes behind the decision, and the product's own (``product.*``), for reviewers.
    reasons: list[str] = field(default_factory=list)
    # The engine's checks behind the decision, scores and thresholds, fields read
    # (:func:`openkyc.products.evidence.evidence_record`): what a reviewer looks at. Never on the wire.
    evidence: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    # The face to register when the result enrols (see :meth:`with_enrolment`): biometric data,
    # never compared, printed or put on the wire.
    enrolment_embedding: NDArray[np.float64] | None = field(default=None, compare=False, repr=False)

    @property
    def approved(self) -> bool:
        """Approved, with attention or not (job_status ``job_success``); False while provisional."""
        return self.outcome in (Outcome.APPROVED, Outcome.APPROVED_WITH_ATTENTION)

    @property
    def failed(self) -> bool:
        return self.outcome is Outcome.REJECTED

    def with_enrolment(self, embedding: NDArray[Any] | None) -> ProductResult:
        """This result carrying the selfie's embedding, when it enrols the selfie (else unchanged)."""
        if not self.enrols_selfie or embedding is None:
            return self
        return replace(self, enrolment_embedding=np.asarray(embedding, dtype=np.float64))

    def with_evidence(self, record: Mapping[str, Any]) -> ProductResult:
        """This result keeping ``record`` (:func:`~openkyc.products.evidence.evidence_record`)."""
        return replace(self, evidence=dict(record))

    @property
    def v2_status(self) -> V2Status:
        if self.outcome is Outcome.REJECTED:
            return V2Status.REJECTED
        if self.outcome is Outcome.PROVISIONAL:
            return V2Status.PENDING
        return V2Status.APPROVED

    def wire(self) -> dict[str, WireValue]:
        """The result-object fields this decision fixes (job_status ``result``, callbacks)."""
        wire: dict[str, WireValue] = {"Actions": dict(self.actions)}
        if self.confidence_value is not None:
            wire["ConfidenceValue"] = self.confidence_value
        wire.update(self.id_fields)
        wire["IsFinalResult"] = _wire_bool(self.is_final)
        wire["IsMachineResult"] = _wire_bool(self.is_machine_result)
        wire["ResultCode"] = self.result_code
        wire["ResultText"] = self.result_text
        wire["ResultType"] = self.result_type
        return wire

    def to_record(self) -> dict[str, Any]:
        """The decision as plain JSON, stored with the job so a reviewer can resolve it later.

        The enrolment embedding is left out: it is recomputed from the stored selfie if needed.
        """
        return {
            "product": self.product.value,
            "result_code": self.result_code,
            "result_text": self.result_text,
            "result_type": self.result_type,
            "actions": dict(self.actions),
            "outcome": self.outcome.value,
            "is_final": self.is_final,
            "is_machine_result": self.is_machine_result,
            "confidence_value": self.confidence_value,
            "id_fields": dict(self.id_fields),
            "enrols_selfie": self.enrols_selfie,
            "reasons": list(self.reasons),
            "evidence": dict(self.evidence),
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> ProductResult:
        """Inverse of :meth:`to_record`."""
        return cls(
            product=Product(record["product"]),
            result_code=str(record["result_code"]),
            result_text=str(record["result_text"]),
            result_type=str(record["result_type"]),
            actions=dict(record["actions"]),
            outcome=Outcome(record["outcome"]),
            is_final=bool(record["is_final"]),
            is_machine_result=bool(record["is_machine_result"]),
            confidence_value=record.get("confidence_value"),
            id_fields=dict(record.get("id_fields") or {}),
            enrols_selfie=bool(record.get("enrols_selfie")),
            reasons=list(record.get("reasons") or []),
            evidence=dict(record.get("evidence") or {}),
        )

    def v2(self) -> dict[str, str]:
        """``code``, ``message`` and ``status`` of a synchronous v2 SmartSelfie response."""
        return {"code": self.result_code, "message": self.result_text, "status": self.v2_status.value}


def make_actions(product: Product, values: Mapping[Action, ActionValue]) -> dict[str, str]:
    """Every Action key of ``product`` in its order, "Not Applicable" unless ``values`` says otherwise."""
    keys = ACTION_KEYS[product]
    unknown = set(values) - set(keys)
    if unknown:
        raise ValueError(f"{product.value} has no action {sorted(unknown)}")
    return {key.value: values.get(key, ActionValue.NOT_APPLICABLE).value for key in keys}


def settle_unsure_checks(values: Mapping[Action, ActionValue]) -> dict[Action, ActionValue]:
    """In a final result nothing is under review any more: a check the machine could not pass is
    reported "Failed", as Smile ID's documentation does for Liveness_Check after a human review ("reported as failed
    even if the reviewer passes the review")."""
    return {
        key: ActionValue.FAILED if value is ActionValue.UNDER_REVIEW else value
        for key, value in values.items()
    }


def build_result(
    product: Product,
    entry: ResultEntry,
    *,
    actions: Mapping[Action, ActionValue],
    reasons: list[str],
    reason_text: str | None = None,
    confidence_value: str | None = None,
    id_fields: Mapping[str, str] | None = None,
    enrols_selfie: bool = False,
    human_review: bool = False,
) -> ProductResult:
    """A result from one catalogue row (``reason_text`` fills a "reason" placeholder).

    ``human_review``: a reviewer decided, although the row is not one of the human-review rows
    (a product without its own row for the reviewer's answer reuses the machine's).
    """
    if entry not in CATALOGUE[product]:
        raise ValueError(f"{entry.code} {entry.text!r} is not a {product.value} result")
    if entry.outcome is None:
        raise ValueError(f"{entry.code} {entry.text!r} answers a request, it is not a job result")
    return ProductResult(
        product=product,
        result_code=entry.code,
        result_text=entry.text_with(reason_text),
        result_type=RESULT_TYPES[product],
        actions=make_actions(product, settle_unsure_checks(actions) if entry.is_final else actions),
        outcome=entry.outcome,
        is_final=entry.is_final,
        is_machine_result=not (entry.human_review or human_review),
        confidence_value=confidence_value,
        id_fields=dict(id_fields or {}),
        # Nothing is enrolled before a final approval.
        enrols_selfie=enrols_selfie and entry.outcome in (Outcome.APPROVED, Outcome.APPROVED_WITH_ATTENTION),
        reasons=list(dict.fromkeys(reasons)),
    )
