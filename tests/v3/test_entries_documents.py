"""POST /v3/document_verification, /v3/enhanced_document_verification and
/v3/residency_document_verification (openkyc.v3.documents): queued V3 jobs of job types 6 and 11,
the residency job's visa kept with it, and the refusals."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from openkyc.db import transaction
from openkyc.jobs.models import Job, JobState
from openkyc.jobs.status import stored_image_key
from openkyc.jobs.v3_results import callback_payload
from openkyc.runtime import Runtime
from openkyc.typeid import is_typeid
from tests.server import PartnerCreds
from tests.v3.conftest import token_for
from tests.v3.entry_forms import accepted, frames, images, passport, png, post, refused, selfie, stored

pytestmark = pytest.mark.usefixtures("conforming")

DOCV = "/v3/document_verification"
EDV = "/v3/enhanced_document_verification"
RESIDENCY = "/v3/residency_document_verification"


def document_files(**named: bytes | None) -> list[Any]:
    return images(selfie_image=selfie(), liveness=frames(7), **{"document": passport(), **named})


def no_jobs(runtime: Runtime) -> bool:
    with transaction(runtime.sessions) as session:
        return session.scalar(select(Job).limit(1)) is None


@pytest.mark.parametrize(
    ("path", "job_type", "product", "fields"),
    [
        (DOCV, 6, "document_verification", {"country": "KE"}),
        (EDV, 11, "enhanced_document_verification", {"country": "NG", "id_type": "NIN"}),
    ],
)
def test_accepted_as_a_queued_v3_job(
    client: TestClient,
    runtime: Runtime,
    partner: PartnerCreds,
    auth: dict[str, str],
    path: str,
    job_type: int,
    product: str,
    fields: dict[str, Any],
) -> None:
    files = document_files(document_back=png())
    answer = post(
        client, path, auth, files=files, headers={"SmileID-Partner-ID": partner.partner_id}, **fields
    )
    body = accepted(answer)
    assert is_typeid(body["job_id"], "job")
    job = stored(runtime, body["job_id"])
    assert job.state == JobState.QUEUED and job.api_version == "v3" and job.job_type == job_type
    assert (job.v3_request or {})["product"] == product
    assert runtime.blobs.exists(job.inputs["payload"])


def test_residency_keeps_the_visa_with_the_job(
    client: TestClient, runtime: Runtime, auth: dict[str, str]
) -> None:
    answer = post(client, RESIDENCY, auth, files=document_files(visa=png()), country="NG", id_type="PASSPORT")
    body = accepted(answer)
    job = stored(runtime, body["job_id"])
    assert job.job_type == 6 and (job.v3_request or {})["product"] == "residency_document_verification"
    key = stored_image_key(job, "visa")  # what image links, the portal and reviewers read
    assert key is not None and key.startswith(f"jobs/{job.smile_job_id}/")
    assert runtime.blobs.get(key) == png()

    # Finished clear, its callback body gives the visa as an additional document: its link only
    # (nothing is read from it), a link that serves the visa.
    runtime.served_at = "http://testserver"
    job.state = JobState.COMPLETE
    job.result = {"ResultCode": "0810", "ResultText": "Document Verified", "IsFinalResult": "true"}
    payload = callback_payload(runtime, job)
    assert payload["status"] == "clear" and payload["product"] == "residency_document_verification"
    (visa,) = payload["additional_documents"]
    assert list(visa) == ["image_link"]
    served = client.get(visa["image_link"].removeprefix("http://testserver"))
    assert served.status_code == 200 and served.content == png()
    job.result = {
        "ResultCode": "0811",
        "ResultText": "Unable to Verify Document - reason",
        "IsFinalResult": "true",
    }
    assert callback_payload(runtime, job)["additional_documents"] == []  # only on clear or attention


@pytest.mark.parametrize(
    ("path", "files", "fields", "message"),
    [
        (DOCV, {"document": None}, {"country": "KE"}, "Required field 'document' is missing or invalid."),
        (
            DOCV,
            {"document": b"GIF89a not a document"},
            {"country": "KE"},
            "Document image must be JPEG or PNG.",
        ),
        (
            DOCV,
            {"document_back": b"BM not a document"},
            {"country": "KE"},
            "Document image must be JPEG or PNG.",
        ),
        (  # each image decoded once, by intake, which says which part failed
            DOCV,
            {"document_back": b"\x89PNG\r\n\x1a\n torn"},
            {"country": "KE"},
            "Required field 'document_back' is missing or invalid.",
        ),
        (
            RESIDENCY,
            {"visa": b"\xff\xd8\xff torn"},
            {"country": "NG", "id_type": "PASSPORT"},
            "Required field 'visa' is missing or invalid.",
        ),
        (DOCV, {}, {"country": "Kenya"}, "Field 'country' is invalid."),
        (EDV, {}, {"country": "NG"}, "Required field 'id_type' is missing or invalid."),
        (RESIDENCY, {"visa": png()}, {"country": "NG"}, "Required field 'id_type' is missing or invalid."),
        (
            RESIDENCY,
            {"visa": png()},
            {"country": "NG", "id_type": "NIN"},
            "Field 'id_type' must be PASSPORT for residency document verification.",
        ),
        (
            RESIDENCY,
            {},
            {"country": "NG", "id_type": "PASSPORT"},
            "Required field 'visa' is missing or invalid.",
        ),
        (
            RESIDENCY,
            {"visa": b"%PDF-1.4 a visa"},
            {"country": "NG", "id_type": "PASSPORT"},
            "Visa image must be JPEG or PNG.",
        ),
    ],
)
def test_refusals(
    client: TestClient,
    runtime: Runtime,
    auth: dict[str, str],
    path: str,
    files: dict[str, bytes | None],
    fields: dict[str, Any],
    message: str,
) -> None:
    refused(post(client, path, auth, files=document_files(**files), **fields), 400, message)
    assert no_jobs(runtime)


def test_an_id_type_edv_cannot_look_up_is_403(client: TestClient, auth: dict[str, str]) -> None:
    answer = post(client, EDV, auth, files=document_files(), country="KE", id_type="KRA_PIN_CARD")
    refused(answer, 403, "ID type not enabled for this partner.")


def test_residency_takes_only_an_unscoped_token(client: TestClient, partner: PartnerCreds) -> None:
    token = {"SmileID-Token": token_for(client, partner, product="document_verification")}
    answer = post(
        client, RESIDENCY, token, files=document_files(visa=png()), country="NG", id_type="PASSPORT"
    )
    refused(answer, 403, "Product not enabled for this partner.")
    accepted(post(client, DOCV, token, files=document_files(), country="NG"))


def test_a_missing_callback_with_no_default_is_400(
    client: TestClient, runtime: Runtime, production_auth: dict[str, str]
) -> None:
    answer = post(client, DOCV, production_auth, files=document_files(), country="KE", callback_url=None)
    refused(
        answer,
        400,
        "A valid callback_url is required in the request or a default callback URL must be configured in "
        "the portal.",
    )
    assert no_jobs(runtime)
