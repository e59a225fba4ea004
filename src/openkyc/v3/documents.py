"""The V3 document products: ``POST /v3/document_verification``,
``/v3/enhanced_document_verification`` and ``/v3/residency_document_verification``, queued jobs of
v1 job types 6, 11 and 6 on the API's own pipeline (``v3.entries``).

Each takes a JPEG selfie, 6-8 JPEG liveness frames, the document's front (``document``, JPEG or
PNG) and optionally its back (``document_back``), and ``country``:

* Document Verification: ``id_type`` optional (the document is classified when it is absent);
* Enhanced Document Verification: ``id_type`` required, one this server can look up (403 the
  spec's text otherwise); the number is read from the document and looked up;
* Residency Document Verification: a passport (``id_type`` PASSPORT, required) verified as
  Document Verification verifies it, and the ``visa`` page (JPEG or PNG, required). The visa is
  kept with the job, encrypted (its image kind ``visa``: the portal, reviewers and image links
  show it); nothing is read from it. The V3 product name, ``residency_document_verification``,
  is the job's ``v3_request`` product.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from openkyc.job_types import JobType
from openkyc.jobs.intake import ImageRole
from openkyc.v3.entries import (
    DOCUMENT,
    DOCUMENT_BACK,
    ERROR_RESPONSES,
    SELFIE,
    VISA,
    AcceptedAnswer,
    Entry,
    ImageJob,
    Images,
    id_fields,
    image,
    liveness,
    read_entry,
    submit_image_job,
)
from openkyc.v3.errors import bad_request
from openkyc.webdeps import RuntimeDep

router = APIRouter(tags=["V3: Document Verification"])

DOCUMENT_VERIFICATION = "document_verification"
ENHANCED_DOCUMENT_VERIFICATION = "enhanced_document_verification"
RESIDENCY_DOCUMENT_VERIFICATION = "residency_document_verification"
PASSPORT = "PASSPORT"

_ACCEPTED: dict[str, Any] = {
    "status_code": 202,
    "response_model": AcceptedAnswer,
    "responses": ERROR_RESPONSES,
}


def _document_images(entry: Entry) -> Images:
    images = Images()
    images.add(ImageRole.SELFIE, image(entry.form, SELFIE, required=True))
    for frame in liveness(entry.form, required=True):
        images.add(ImageRole.LIVENESS, frame)
    images.add(ImageRole.ID_FRONT, image(entry.form, DOCUMENT, required=True))
    images.add(ImageRole.ID_BACK, image(entry.form, DOCUMENT_BACK, required=False))
    return images


@router.post("/v3/document_verification", summary="Submit Document Verification", **_ACCEPTED)
async def document_verification(request: Request, runtime: RuntimeDep) -> JSONResponse:
    entry = await read_entry(
        request, runtime, products=(DOCUMENT_VERIFICATION,), job_type=JobType.DOCUMENT_VERIFICATION
    )
    ids = id_fields(entry, id_type_required=False, id_number_required=False, looked_up=False)
    job = ImageJob(
        job_type=JobType.DOCUMENT_VERIFICATION,
        images=_document_images(entry),
        v3_request=entry.record(DOCUMENT_VERIFICATION),
        id_info=ids.id_info(),
    )
    return await submit_image_job(runtime, entry, job)


@router.post(
    "/v3/enhanced_document_verification", summary="Submit Enhanced Document Verification", **_ACCEPTED
)
async def enhanced_document_verification(request: Request, runtime: RuntimeDep) -> JSONResponse:
    entry = await read_entry(
        request,
        runtime,
        products=(ENHANCED_DOCUMENT_VERIFICATION,),
        job_type=JobType.ENHANCED_DOCUMENT_VERIFICATION,
    )
    ids = id_fields(entry, id_type_required=True, id_number_required=False, looked_up=True)
    job = ImageJob(
        job_type=JobType.ENHANCED_DOCUMENT_VERIFICATION,
        images=_document_images(entry),
        v3_request=entry.record(ENHANCED_DOCUMENT_VERIFICATION),
        id_info=ids.id_info(),
    )
    return await submit_image_job(runtime, entry, job)


@router.post(
    "/v3/residency_document_verification",
    summary="Submit Residency Document Verification",
    **_ACCEPTED,
)
async def residency_document_verification(request: Request, runtime: RuntimeDep) -> JSONResponse:
    # The token's product enum has no residency product: only an unscoped token calls it.
    entry = await read_entry(request, runtime, products=(), job_type=JobType.DOCUMENT_VERIFICATION)
    ids = id_fields(entry, id_type_required=True, id_number_required=False, looked_up=False)
    if ids.id_type != PASSPORT:
        raise bad_request("Field 'id_type' must be PASSPORT for residency document verification.")
    images = _document_images(entry)
    visa = image(entry.form, VISA, required=True)
    if visa is not None:
        images.extra["visa"] = visa
    job = ImageJob(
        job_type=JobType.DOCUMENT_VERIFICATION,
        images=images,
        v3_request=entry.record(RESIDENCY_DOCUMENT_VERIFICATION),
        id_info=ids.id_info(),
    )
    return await submit_image_job(runtime, entry, job)
