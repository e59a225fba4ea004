"""A product's decision overruled by a fraud report: the job is rejected with openkyc's fraud row
(:mod:`openkyc.products.codes.fraud`), whatever the checks found.

The checks still ran and their Actions stay what they found (a partner sees the selfie was live and
matched its document, and that the job is rejected for the report), but nothing is registered: the
registration Actions say so, and the result carries no face to enrol. The evidence keeps the
product's, plus a ``fraud`` record of what matched (never who: the other user is named nowhere).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from openkyc.products.catalogue import Action, ActionValue
from openkyc.products.codes.fraud import FraudReported
from openkyc.products.result import ProductResult, build_result

# The reason codes of a blocked job (its decision's ``reasons``; the V3 API reads ``fraud.*`` as high risk).
USER_FLAGGED_REASON = "fraud.user_flagged"
FACE_MATCH_REASON = "fraud.face_match"
# Registration Actions of a blocked job: nothing is registered.
_REGISTRATION = (Action.REGISTER_SELFIE, Action.UPDATE_REGISTERED_SELFIE_ON_FILE)


def fraud_blocked(decision: ProductResult, *, face_match: bool, record: Mapping[str, Any]) -> ProductResult:
    """``decision`` turned into the final rejection for a fraud report.

    ``face_match``: the job's selfie is a flagged user's face (else its own user is flagged).
    ``record``: what the check found (flat JSON: scores, thresholds), kept as evidence["fraud"].
    """
    entry = FraudReported.FACE_MATCH if face_match else FraudReported.USER_FLAGGED
    actions = {Action(key): ActionValue(value) for key, value in decision.actions.items()}
    for key in _REGISTRATION:
        if key in actions and actions[key] is not ActionValue.NOT_APPLICABLE:
            actions[key] = ActionValue.REJECTED
    blocked = build_result(
        decision.product,
        entry,
        actions=actions,
        reasons=[*decision.reasons, FACE_MATCH_REASON if face_match else USER_FLAGGED_REASON],
        confidence_value=decision.confidence_value,
        id_fields=decision.id_fields,
        enrols_selfie=False,
    )
    return blocked.with_evidence({**decision.evidence, "fraud": dict(record)})
