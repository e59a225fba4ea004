"""The rows openkyc answers with when it blocks a job for fraud reported on a user (V3's
``POST /v3/users/{user_id}/report_fraud``; ``openkyc.users.fraud``).

Smile ID's documentation prints no v1 result for a blocked user, so these rows are openkyc's own
(their ``origin`` says so): one code per cause, in the 08x1 "machine rejected" pattern of the
documented tables, with codes no documented table uses. Every product that decides a job answers
with them (``catalogue.CATALOGUE``), and so do Enhanced and Basic KYC (the ID look-up's family):
a partner reads the same code whatever the product. Both are final rejections of the person, not
failures to verify (``failures.NOT_VERIFIED_CODES`` leaves them out). The V3 API answers both
with status ``block``, reason ``high_risk`` (the spec's reason for a fraud risk;
``openkyc.jobs.v3_results``).
"""

from __future__ import annotations

from openkyc.products.codes.rows import Outcome, inferred

_OPENKYC = (
    "openkyc's own row: Smile ID's documentation gives no v1 result for a user reported for fraud "
    "(V3 report_fraud); code and text are openkyc's"
)


class FraudReported:
    """A job blocked because of a fraud report: its own user is flagged, or its selfie is the face
    of a flagged user of the same partner (the engine's match score at its default operating point)."""

    USER_FLAGGED = inferred(
        "0871",
        "Rejected - User Reported for Fraud",
        "The partner reported the job's user as fraudulent; jobs of the user are rejected until the "
        "report is cleared.",
        Outcome.REJECTED,
        _OPENKYC,
    )
    FACE_MATCH = inferred(
        "0881",
        "Rejected - Face Matches a User Reported for Fraud",
        "The selfie matches the registered face of a user the partner reported as fraudulent; such "
        "jobs are rejected until the report is cleared.",
        Outcome.REJECTED,
        _OPENKYC,
    )
