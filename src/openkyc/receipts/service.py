"""A job's KYC receipt: which facts of the job it shows, and the PDF of them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from openkyc.job_types import JOB_TYPE_NAMES, RECEIPT_JOB_TYPES
from openkyc.jobs.models import Job, JobState
from openkyc.partners.models import Partner
from openkyc.receipts.pdf import Receipt, render
from openkyc.storage.links import LinkSigner, has_receipt, receipt_link

# Product names as the receipt prints them, one per receipt job type (job_types.RECEIPT_JOB_TYPES;
# tests/receipts holds the two to the same types).
PRODUCTS: dict[int, str] = {job_type: JOB_TYPE_NAMES[job_type] for job_type in RECEIPT_JOB_TYPES}


class NoReceipt(Exception):
    """The job has no receipt (another product, or no final result yet)."""


def receipt_for(*, db_session: Session, job: Job) -> Receipt:
    """The receipt of ``job``: its partner, ids, product, date, result code and text, and each
    check's outcome. Read field by field from the job's columns and its result's ResultCode,
    ResultText and Actions, so nothing else of the result (names, ID numbers, dates of birth,
    addresses, phone numbers, images) nor the partner's user_id can reach the PDF."""
    if not has_receipt(job.job_type, job.result) or job.result is None or job.completed_at is None:
        raise NoReceipt(job.smile_job_id)
    partner = db_session.get(Partner, job.partner_id)
    return Receipt(
        partner_id=job.partner_id,
        partner_name=partner.name if partner is not None else "",
        smile_job_id=job.smile_job_id,
        job_id=job.job_id,
        product=PRODUCTS[job.job_type],
        environment=job.environment,
        completed_at=job.completed_at,
        result_code=_text(job.result.get("ResultCode")),
        result_text=_text(job.result.get("ResultText")),
        actions=_actions(job.result.get("Actions")),
    )


def link_for(job: Job, *, links: LinkSigner, base_url: str, expires: datetime) -> str | None:
    """The signed link to ``job``'s receipt until ``expires`` (under ``base_url``; "" for a link
    relative to this server), or None when the job has no receipt (yet)."""
    if job.state not in (JobState.COMPLETE, JobState.FAILED) or not has_receipt(job.job_type, job.result):
        return None
    return receipt_link(links, base_url=base_url, smile_job_id=job.smile_job_id, expires=expires)


def receipt_pdf(*, db_session: Session, job: Job) -> bytes:
    """The receipt of ``job`` as PDF bytes (raises :class:`NoReceipt`)."""
    return render(receipt_for(db_session=db_session, job=job))


def file_name(smile_job_id: str) -> str:
    """The download's name (smile_job_id is ours: digits only)."""
    return f"kyc-receipt-{smile_job_id}.pdf"


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _actions(value: Any) -> tuple[tuple[str, str], ...]:
    # Action names and values come from the product catalogue; anything else is left out.
    if not isinstance(value, Mapping):
        return ()
    return tuple((name, outcome) for name, outcome in value.items() if isinstance(outcome, str))
