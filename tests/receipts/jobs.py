"""Jobs for the receipt tests: stored as a worker stores them, full of one holder's personal data."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from openkyc.db import transaction
from openkyc.jobs.models import Job, JobState
from openkyc.partners.models import ApiKey
from openkyc.runtime import Runtime

# The holder's personal data, each value distinctive enough that finding it anywhere in a receipt
# (its text, its bytes) can only mean it leaked there.
USER_ID = "user-Qvzx-7781"
PII = {
    "FullName": "Zebulon Quixwright Marmaduke",
    "IDNumber": "QX98765432Z",
    "DOB": "1911-11-11",
    "Address": "42 Wallaby Crescent Gnarlyville",
    "PhoneNumber": "+2348099912345",
    "PhoneNumber2": "+2347066654321",
    "SecondaryIDNumber": "SEC-55501234",
    "ExpirationDate": "2031-07-19",
    "IssuanceDate": "2019-07-20",
    "Document": "/9j/4AAQSkZJRgABAQUNIQUEIMAGEBYTESxyzzy==",
    "Photo": "/9j/4AAQSkZJRgABAQPHOTOBYTESqwqwqw==",
}
ID_INFO = {
    "first_name": "Zebulon",
    "last_name": "Marmaduke",
    "id_number": "QX98765432Z",
    "dob": "1911-11-11",
    "phone_number": "+2348099912345",
    "country": "NG",
    "id_type": "PASSPORT",
}
# Strings none of which may appear in a receipt (the user_id counts as personal data too).
EMAIL = "zeb@quix.example"  # a partner's own partner_params key
FORBIDDEN = [USER_ID, EMAIL, *PII.values(), "Zebulon", "Marmaduke", "Quixwright", "Wallaby", "Gnarlyville"]

ACTIONS = {
    "Document_Check": "Passed",
    "Human_Review_Compare": "Not Applicable",
    "Liveness_Check": "Passed",
    "Register_Selfie": "Approved",
    "Return_Personal_Info": "Returned",
    "Selfie_To_ID_Card_Compare": "Completed",
    "Verify_Document": "Passed",
}


def sandbox_key_id(runtime: Runtime, partner_id: str) -> str:
    with transaction(runtime.sessions) as session:
        key_id: str = session.scalars(
            select(ApiKey.id).where(ApiKey.partner_id == partner_id, ApiKey.environment == "sandbox")
        ).one()
    return key_id


def job_result(
    smile_job_id: str, job_id: str, job_type: int, *, final: bool = True, code: str = "0810"
) -> dict[str, Any]:
    """A result as publish_result stores it, personal data included."""
    return {
        "SmileJobID": smile_job_id,
        "PartnerParams": {"user_id": USER_ID, "job_id": job_id, "job_type": job_type},
        "Actions": dict(ACTIONS),
        "ConfidenceValue": "99.2",
        "Country": "NG",
        "IDType": "PASSPORT",
        **PII,
        "IsFinalResult": "true" if final else "false",
        "IsMachineResult": "true",
        "ResultCode": code,
        "ResultText": "Document Verified" if final else "Under Review",
        "ResultType": "Document Verification",
        "Source": "openkyc",
        "_success": final,
    }


def add_job(
    runtime: Runtime,
    partner_id: str,
    *,
    job_type: int = 6,
    state: str = JobState.COMPLETE,
    job_id: str | None = None,
    completed_at: datetime | None = datetime(2026, 3, 1, 14, 5, 9, tzinfo=UTC),
) -> Job:
    """A job of ``partner_id`` (sandbox) stored in ``state``, with the holder's data in its inputs,
    partner_params and result; returned detached."""
    smile_job_id = f"{secrets.randbelow(10**10):010d}"
    job_id = job_id or f"job-{smile_job_id}"
    final = state in (JobState.COMPLETE, JobState.FAILED)
    result = (
        None
        if state in (JobState.QUEUED, JobState.PROCESSING)
        else job_result(smile_job_id, job_id, job_type, final=final, code="0810" if final else "0812")
    )
    job = Job(
        smile_job_id=smile_job_id,
        partner_id=partner_id,
        environment="sandbox",
        api_key_id=sandbox_key_id(runtime, partner_id),
        user_id=USER_ID,
        job_id=job_id,
        job_type=job_type,
        partner_params={"user_id": USER_ID, "job_id": job_id, "job_type": job_type, "email": EMAIL},
        state=state,
        inputs={"id_info": ID_INFO},
        result=result,
        history=[result] if result else [],
        completed_at=completed_at if result else None,
    )
    with transaction(runtime.sessions) as session:
        session.add(job)
        session.flush()
        session.expunge(job)
    return job
