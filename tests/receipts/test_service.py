"""A job's receipt names the job and its decision and holds none of the holder's personal data."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from openkyc.db import transaction
from openkyc.job_types import RECEIPT_JOB_TYPES, JobType
from openkyc.jobs.models import JobState
from openkyc.receipts.service import PRODUCTS, NoReceipt, file_name, receipt_for, receipt_pdf
from openkyc.runtime import Runtime
from tests.receipts.jobs import ACTIONS, FORBIDDEN, add_job
from tests.server import PartnerCreds, make_partner


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.mark.parametrize("job_type", sorted(RECEIPT_JOB_TYPES))
def test_the_receipt_names_the_job_and_holds_no_personal_data(
    runtime: Runtime, partner: PartnerCreds, job_type: int
) -> None:
    job = add_job(runtime, partner.partner_id, job_type=job_type, job_id="order-88")
    with transaction(runtime.sessions) as session:
        pdf = receipt_pdf(db_session=session, job=job)
    text = pdf_text(pdf)
    for expected in (
        f"Test partner (partner ID {partner.partner_id})",
        PRODUCTS[job_type],
        "sandbox",
        job.smile_job_id,
        "order-88",
        "2026-03-01 14:05:09 UTC",
        "0810",
        "Document Verified",
        "Selfie To ID Card Compare",
        "Liveness Check",
    ):
        assert expected in text, expected
    for leaked in FORBIDDEN:
        # Neither in the text a reader extracts nor anywhere in the file (metadata, streams).
        assert leaked not in text, leaked
        assert leaked.encode() not in pdf, leaked


def test_each_check_and_its_outcome_in_the_result_order(runtime: Runtime, partner: PartnerCreds) -> None:
    job = add_job(runtime, partner.partner_id)
    with transaction(runtime.sessions) as session:
        receipt = receipt_for(db_session=session, job=job)
    assert receipt.actions == tuple(ACTIONS.items())
    assert receipt.partner_name == "Test partner" and receipt.environment == "sandbox"
    assert receipt.product == "Document Verification"


def test_a_rejected_job_has_a_receipt_too(runtime: Runtime, partner: PartnerCreds) -> None:
    job = add_job(runtime, partner.partner_id, state=JobState.FAILED)
    with transaction(runtime.sessions) as session:
        assert receipt_for(db_session=session, job=job).result_code == "0810"


@pytest.mark.parametrize(
    ("job_type", "state"),
    [
        (JobType.SMART_SELFIE_REGISTRATION, JobState.COMPLETE),
        (JobType.SMART_SELFIE_AUTHENTICATION, JobState.COMPLETE),
        (JobType.DOCUMENT_VERIFICATION, JobState.REVIEW),  # provisional: the reviewer decides next
        (JobType.DOCUMENT_VERIFICATION, JobState.PROCESSING),
        (JobType.BIOMETRIC_KYC, JobState.QUEUED),
    ],
)
def test_other_products_and_unfinished_jobs_have_none(
    runtime: Runtime, partner: PartnerCreds, job_type: int, state: str
) -> None:
    job = add_job(runtime, partner.partner_id, job_type=job_type, state=state)
    with transaction(runtime.sessions) as session, pytest.raises(NoReceipt):
        receipt_for(db_session=session, job=job)


def test_the_receipt_is_of_the_jobs_own_partner(runtime: Runtime, partner: PartnerCreds) -> None:
    other = make_partner(runtime, name="Other partner")
    job = add_job(runtime, other.partner_id)
    with transaction(runtime.sessions) as session:
        receipt = receipt_for(db_session=session, job=job)
    assert (receipt.partner_id, receipt.partner_name) == (other.partner_id, "Other partner")


def test_every_receipt_product_has_its_printed_name() -> None:
    assert set(PRODUCTS) == set(RECEIPT_JOB_TYPES)


def test_the_file_name() -> None:
    assert file_name("0000012345") == "kyc-receipt-0000012345.pdf"
