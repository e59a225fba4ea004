"""The V3 selfie products: ``POST /v3/biometric_kyc``, ``/v3/registration``,
``/v3/authentication`` and ``/v3/compare``, each a queued job of its v1 job type (1, 4, 2, 3) on the
API's own pipeline (``v3.entries``).

* Biometric KYC: a JPEG selfie, 6-8 JPEG liveness frames and the ID to look up (``country``,
  ``id_type``, ``id_number``); the selfie is compared with the authority's photo.
* Registration (SmartSelfie enrolment): selfie and liveness; an enrolled user is refused unless
  ``allow_new_enroll`` is true (400).
* Authentication: ``user_id`` (required; an enrolled user, else 400), selfie and liveness, compared
  with the enrolled face. ``use_enrolled_image`` true without a selfie is a server-side
  re-verification: no images at all (liveness frames without a selfie are a 400), the job's
  selfie is the enrolled one (``jobs.flows``: the account's state, the fraud screen, the passive
  checks and the match with the enrolled embedding; no same-photograph check, no active
  liveness), and a disabled user or one due to re-enrol is answered by the job
  (``account_locked``) rather than refused. With a selfie sent, the flag is not used: the capture
  is authenticated as usual.
* Compare: a JPEG selfie and a JPEG ``comparison_image`` of type DOCUMENT, ID_PHOTO or PORTRAIT,
  liveness optional; a match enrols the selfie as the user's face when a ``user_id`` was given
  (an enrolled one only with ``allow_new_enroll``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from openkyc.api_errors import ApiError
from openkyc.db import transaction
from openkyc.job_types import JobType
from openkyc.jobs.flows import COMPARE_ENROLS
from openkyc.jobs.intake import ImageRole
from openkyc.runtime import Runtime
from openkyc.users.service import require_enrollable
from openkyc.v3.entries import (
    COMPARISON,
    ERROR_RESPONSES,
    LIVENESS,
    SELFIE,
    AcceptedAnswer,
    Entry,
    ImageJob,
    Images,
    id_fields,
    image,
    liveness,
    read_entry,
    refused_user,
    submit_image_job,
)
from openkyc.v3.errors import bad_request
from openkyc.v3.fields import boolean
from openkyc.webdeps import RuntimeDep

router = APIRouter(tags=["V3: SmartSelfie and Biometric KYC"])

BIOMETRIC_KYC = "biometric_kyc"
REGISTRATION = "smart_selfie_registration"
AUTHENTICATION = "smart_selfie_authentication"
COMPARE = "smart_selfie_compare"
COMPARISON_IMAGE_TYPES = ("DOCUMENT", "ID_PHOTO", "PORTRAIT")
FRAMES_WITHOUT_SELFIE = (
    "Field 'liveness_images' needs selfie_image: send both, or use_enrolled_image alone to re-verify "
    "the enrolled image."
)

_ACCEPTED: dict[str, Any] = {
    "status_code": 202,
    "response_model": AcceptedAnswer,
    "responses": ERROR_RESPONSES,
}


def _selfie_images(entry: Entry, *, liveness_required: bool) -> Images:
    images = Images()
    images.add(ImageRole.SELFIE, image(entry.form, SELFIE, required=True))
    for frame in liveness(entry.form, required=liveness_required):
        images.add(ImageRole.LIVENESS, frame)
    return images


@router.post("/v3/biometric_kyc", summary="Submit Biometric KYC verification", **_ACCEPTED)
async def biometric_kyc(request: Request, runtime: RuntimeDep) -> JSONResponse:
    entry = await read_entry(request, runtime, products=(BIOMETRIC_KYC,), job_type=JobType.BIOMETRIC_KYC)
    ids = id_fields(entry, id_type_required=True, id_number_required=True, looked_up=True)
    job = ImageJob(
        job_type=JobType.BIOMETRIC_KYC,
        images=_selfie_images(entry, liveness_required=True),
        v3_request=entry.record(BIOMETRIC_KYC),
        id_info=ids.id_info(),
    )
    return await submit_image_job(runtime, entry, job)


@router.post("/v3/registration", summary="Submit biometric enrollment", **_ACCEPTED)
async def registration(request: Request, runtime: RuntimeDep) -> JSONResponse:
    entry = await read_entry(
        request, runtime, products=(REGISTRATION,), job_type=JobType.SMART_SELFIE_REGISTRATION
    )
    job = ImageJob(
        job_type=JobType.SMART_SELFIE_REGISTRATION,
        images=_selfie_images(entry, liveness_required=True),
        v3_request=entry.record(REGISTRATION),
        allow_new_enroll=boolean(entry.form.text("allow_new_enroll"), "allow_new_enroll"),
    )
    return await submit_image_job(runtime, entry, job)


@router.post("/v3/authentication", summary="Submit biometric authentication", **_ACCEPTED)
async def authentication(request: Request, runtime: RuntimeDep) -> JSONResponse:
    entry = await read_entry(
        request,
        runtime,
        products=(AUTHENTICATION,),
        job_type=JobType.SMART_SELFIE_AUTHENTICATION,
        user_id_required=True,
    )
    use_enrolled_image = boolean(entry.form.text("use_enrolled_image"), "use_enrolled_image")
    reverify = use_enrolled_image and not _sent(entry, SELFIE.name)
    if reverify and _sent(entry, LIVENESS.name):
        raise bad_request(FRAMES_WITHOUT_SELFIE)
    job = ImageJob(
        job_type=JobType.SMART_SELFIE_AUTHENTICATION,
        # A re-verification's zip holds no image: the worker takes the enrolled selfie.
        images=Images() if reverify else _selfie_images(entry, liveness_required=True),
        v3_request=entry.record(AUTHENTICATION),
        use_enrolled_image=reverify,
    )
    # The user is checked (enrolled, active, with a face on file) when the job opens
    # (jobs.submission.refuse_impossible_user): 400 with the reason otherwise (a re-verification
    # takes a disabled user or one due to re-enrol in, and its result says so).
    return await submit_image_job(runtime, entry, job)


def _sent(entry: Entry, name: str) -> bool:
    return any(part.data for part in entry.form.files(name))


@router.post("/v3/compare", summary="Submit smart selfie compare", **_ACCEPTED)
async def compare(request: Request, runtime: RuntimeDep) -> JSONResponse:
    entry = await read_entry(request, runtime, products=(COMPARE,), job_type=JobType.SMART_SELFIE_COMPARE)
    comparison_type = (entry.form.text("comparison_image_type") or "").strip()
    images = Images()
    images.add(ImageRole.SELFIE, image(entry.form, SELFIE, required=True))
    # The queued flow reads the comparison image as the zip's document front (jobs.flows).
    images.add(ImageRole.ID_FRONT, image(entry.form, COMPARISON, required=True))
    if comparison_type not in COMPARISON_IMAGE_TYPES:
        raise bad_request("Field 'comparison_image_type' must be either DOCUMENT, ID_PHOTO, or PORTRAIT.")
    for frame in liveness(entry.form, required=False):
        images.add(ImageRole.LIVENESS, frame)
    allow_new_enroll = boolean(entry.form.text("allow_new_enroll"), "allow_new_enroll")
    job = ImageJob(
        job_type=JobType.SMART_SELFIE_COMPARE,
        images=images,
        v3_request=entry.record(
            COMPARE,
            comparison_image_type=comparison_type,
            **{COMPARE_ENROLS: entry.user_id_given},
        ),
    )

    def enrollable() -> None:
        # A match enrols the named user: one already enrolled only when re-enrolling is allowed.
        if entry.user_id_given:
            _require_enrollable(runtime, entry, allow_new_enroll)

    return await submit_image_job(runtime, entry, job, before=enrollable)


def _require_enrollable(runtime: Runtime, entry: Entry, allow_new_enroll: bool) -> None:
    with transaction(runtime.sessions) as session:
        try:
            require_enrollable(
                db_session=session,
                partner_id=entry.caller.partner_id,
                environment=entry.caller.environment.value,
                user_id=entry.common.user_id,
                allow_new_enroll=allow_new_enroll,
            )
        except ApiError as error:
            refusal = refused_user(error)
            raise (refusal or error) from error
