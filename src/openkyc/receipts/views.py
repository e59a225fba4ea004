"""``GET /v1/receipts/{smile_job_id}``: a job's KYC receipt behind an expiring signed link.

The links are handed out by job_status (``kyc_receipt``, ``result.KYCReceipt``), by callbacks and
by the portal's job page; holding one is the authority, as for image links.
"""

from __future__ import annotations

from fastapi import APIRouter, Query, Response
from starlette.concurrency import run_in_threadpool

from openkyc import audit
from openkyc.api_errors import JOB_NOT_FOUND, NOT_FOUND, ApiError, error_responses
from openkyc.audit import Actor
from openkyc.db import transaction, utcnow
from openkyc.jobs import service as jobs
from openkyc.receipts.service import NoReceipt, file_name, receipt_pdf
from openkyc.runtime import Runtime
from openkyc.storage.links import RECEIPT_PATH, receipt_resource
from openkyc.webdeps import RuntimeDep

router = APIRouter(prefix=RECEIPT_PATH, tags=["jobs"])

INVALID_LINK = "This link is invalid or has expired"


@router.get(
    "/{smile_job_id}",
    response_class=Response,
    responses={
        200: {
            "content": {"application/pdf": {}},
            "description": "The receipt: partner, job ids, product, date, result and each check's "
            "outcome; no personal data.",
        },
        **error_responses(NOT_FOUND, JOB_NOT_FOUND),
    },
)
async def receipt(
    smile_job_id: str,
    runtime: RuntimeDep,
    expires: int = Query(description="Expiry of the link (Unix time), as handed out."),
    sig: str = Query(description="The link's signature, as handed out."),
) -> Response:
    """A job's KYC receipt (PDF), from the signed link in job_status or the callback."""
    # Rendering takes a few milliseconds of CPU and the database is read: off the event loop.
    return await run_in_threadpool(_receipt, runtime, smile_job_id, expires, sig)


def _receipt(runtime: Runtime, smile_job_id: str, expires: int, sig: str) -> Response:
    if not runtime.links.verify(receipt_resource(smile_job_id), expires, sig, utcnow()):
        raise ApiError(NOT_FOUND, INVALID_LINK)
    with transaction(runtime.sessions) as session:
        job = jobs.get_job(db_session=session, smile_job_id=smile_job_id)
        try:
            pdf = receipt_pdf(db_session=session, job=job)
        except NoReceipt:
            raise ApiError(NOT_FOUND, "This job has no KYC receipt") from None
        audit.record(
            session,
            actor=Actor.partner(job.partner_id),
            action="job.receipt_viewed",
            target_type="job",
            target_id=smile_job_id,
            detail={"result_code": (job.result or {}).get("ResultCode")},
        )
    return Response(
        content=pdf,
        media_type="application/pdf",
        headers={
            # inline: the portal's "Print PDF" opens it in the browser; the name is for saving it.
            "Content-Disposition": f'inline; filename="{file_name(smile_job_id)}"',
            "Cache-Control": "private, no-store",
        },
    )
