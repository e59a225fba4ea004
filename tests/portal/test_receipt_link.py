"""The job page's "Print PDF": the KYC receipt of a finished receipt product's job, same origin."""

from __future__ import annotations

import html
import io
import re
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader

from openkyc.job_types import JobType
from openkyc.jobs.models import JobState
from openkyc.portal.models import PortalRole
from openkyc.runtime import Runtime
from tests.portal.helpers import Member, sign_in
from tests.receipts.jobs import FORBIDDEN, add_job
from tests.server import PartnerCreds

_RECEIPT = re.compile(r'<a id="receipt" href="([^"]+)">Print PDF</a>')


@pytest.mark.parametrize("role", list(PortalRole))
def test_every_role_prints_the_receipt_of_a_finished_job(
    runtime: Runtime,
    portal: TestClient,
    team: dict[PortalRole, Member],
    partner: PartnerCreds,
    role: PortalRole,
) -> None:
    job = add_job(runtime, partner.partner_id, job_type=JobType.ENHANCED_DOCUMENT_VERIFICATION)
    sign_in(portal, team[role])
    page = portal.get(f"/portal/jobs/{job.smile_job_id}")
    assert page.status_code == 200
    (href,) = _RECEIPT.findall(page.text)
    link = urlsplit(html.unescape(href))
    assert (link.scheme, link.netloc) == ("", "")  # same origin, as the page's images
    assert link.path == f"/v1/receipts/{job.smile_job_id}"
    pdf = portal.get(html.unescape(href))
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert job.smile_job_id in text and "Enhanced Document Verification" in text
    for leaked in FORBIDDEN:
        assert leaked not in text and leaked.encode() not in pdf.content, leaked


@pytest.mark.parametrize(
    ("job_type", "state"),
    [
        (JobType.SMART_SELFIE_REGISTRATION, JobState.COMPLETE),
        (JobType.DOCUMENT_VERIFICATION, JobState.REVIEW),
        (JobType.BIOMETRIC_KYC, JobState.PROCESSING),
    ],
)
def test_no_receipt_link_where_there_is_no_receipt(
    runtime: Runtime,
    portal: TestClient,
    team: dict[PortalRole, Member],
    partner: PartnerCreds,
    job_type: int,
    state: str,
) -> None:
    job = add_job(runtime, partner.partner_id, job_type=job_type, state=state)
    sign_in(portal, team[PortalRole.OPERATOR])
    page = portal.get(f"/portal/jobs/{job.smile_job_id}")
    assert page.status_code == 200 and "Print PDF" not in page.text
