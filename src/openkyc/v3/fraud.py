"""``POST /v3/users/{user_id}/report_fraud``: a partner flags one of its users as fraudulent, or
clears the flag.

Multipart scalars (the spec's ``ReportUserFraudRequest``): ``is_fraud`` (required boolean),
``reported_by`` (required email), ``reason`` (required when flagging, one of the spec's nine,
ignored when clearing), ``notes`` (at most 500 characters; required when clearing and for
``OTHER``). Each refusal answers 400 with the spec's own text. The user must be one the partner
knows in the token's environment (a job or an enrolment), else 404 "User not found"; a refused
token is 401 "Invalid token", this operation's text. 202 once the report is kept and the flag
raised or lowered (``openkyc.jobs.fraud_screen.report``): from then on the user's jobs, and jobs
whose selfie is the user's face, are rejected, until a report clears the user.

A token bound to one user (``/v3/token`` with ``user_id``) may report only that user (403), and a
token scoped to a product (the kind handed to a capture app) may report nobody (403): a report
blocks a person's every later job, a back office's decision.
"""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from openkyc.jobs import fraud_screen
from openkyc.offload import run_bounded
from openkyc.users.fraud import MAX_NOTES, FraudReason, Report
from openkyc.v3.auth import INVALID_TOKEN, token_caller
from openkyc.v3.errors import V3Error, bad_request, missing
from openkyc.v3.fields import FALSE_WORDS, MAX_USER_ID, TRUE_WORDS
from openkyc.v3.forms import V3Form, read_form
from openkyc.webdeps import RuntimeDep

router = APIRouter(tags=["V3: users"])

ACCEPTED = "Fraud report accepted"
USER_NOT_FOUND = "User not found"
NOT_AUTHORIZED = "You are not authorized to do that."
# An email address as the V3 fields read one (v3.fields), at most 254 characters.
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
MAX_EMAIL = 254


class FraudReportAccepted(BaseModel):
    status: str = Field(default="accepted", description="Always accepted.")
    message: str = Field(default=ACCEPTED)
    user_id: str = Field(description="The user_id that was reported.")


def read_report(form: V3Form) -> Report:
    """The report in ``form``, or the spec's 400 for the first field that is wrong."""
    is_fraud = _is_fraud(form.text("is_fraud"))
    reason: FraudReason | None = None
    if is_fraud:
        given = (form.text("reason") or "").strip()
        if not given:
            raise missing("reason")
        try:
            reason = FraudReason(given)
        except ValueError:
            raise bad_request(f"Field 'reason' must be one of: {', '.join(FraudReason)}.") from None
    notes = (form.text("notes") or "").strip() or None
    if notes is not None and len(notes) > MAX_NOTES:
        raise bad_request(f"Field 'notes' must be at most {MAX_NOTES} characters.")
    if notes is None and not is_fraud:
        raise bad_request("Required field 'notes' is missing or invalid when is_fraud is false.")
    if notes is None and reason is FraudReason.OTHER:
        raise bad_request("Required field 'notes' is missing or invalid when reason is 'OTHER'.")
    reported_by = (form.text("reported_by") or "").strip()
    if not reported_by:
        raise missing("reported_by")
    if len(reported_by) > MAX_EMAIL or not _EMAIL.match(reported_by):
        raise bad_request("Field 'reported_by' must be a valid email address.")
    return Report(is_fraud=is_fraud, reason=reason, notes=notes, reported_by=reported_by)


def _is_fraud(value: str | None) -> bool:
    word = (value or "").strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise missing("is_fraud")


@router.post(
    "/v3/users/{user_id}/report_fraud",
    status_code=202,
    response_model=FraudReportAccepted,
    summary="Flag or clear fraud status for a user",
    responses={400: {}, 401: {}, 403: {}, 404: {}, 415: {}},
)
async def report_fraud(user_id: str, request: Request, runtime: RuntimeDep) -> FraudReportAccepted:
    caller = await token_caller(request, runtime, message=INVALID_TOKEN)
    form = await read_form(request)
    reported = user_id.strip()
    if not reported or len(reported) > MAX_USER_ID or any(ord(char) < 0x20 for char in reported):
        raise missing("user_id")
    bound = caller.scope.user_id
    if caller.scope.product is not None or (bound is not None and bound != reported):
        raise V3Error(403, NOT_AUTHORIZED)
    report = read_report(form)
    # The enrolled selfie is decoded and analysed (the face kept on the flag): a core's work, on the
    # verification pool rather than Starlette's threads.
    known = await run_bounded(
        "sync-verification",
        runtime.settings.sync_verification_workers,
        fraud_screen.report,
        runtime,
        partner_id=caller.partner_id,
        environment=caller.environment.value,
        api_key_id=caller.key_id,
        user_id=reported,
        given=report,
    )
    if not known:
        raise V3Error(404, USER_NOT_FOUND)
    return FraudReportAccepted(user_id=reported)
