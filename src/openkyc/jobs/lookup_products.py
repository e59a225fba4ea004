"""The queued products that look an ID up: Biometric KYC (1) and Enhanced Document Verification (11).

The partner names the ID in the zip's ``id_info``. Its request errors (a missing or mistyped
field, an unsupported country or ID type: 2213/2204/2413) and the per-number rate limit
(429/2222) answer the zip's PUT, before the job is accepted (:func:`check_upload`); a
malformed number is not a look-up (nothing counted) and becomes the job's 1014 result. The
look-up itself runs in the worker, with the job.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from openkyc.api_errors import ApiError
from openkyc.db import transaction
from openkyc.engine.images.decode import DecodedImage, load_image
from openkyc.engine.smart_selfie import assess_smart_selfie
from openkyc.idverification.id_format import is_well_formed
from openkyc.idverification.lookup import look_up, precheck
from openkyc.idverification.request import VerificationRequest, request_for_job
from openkyc.job_types import LOOKUP_JOB_TYPES, JobType
from openkyc.jobs import service, v3_sandbox
from openkyc.jobs.intake import JobPayload
from openkyc.jobs.models import Job
from openkyc.jobs.pad import liveness_configs
from openkyc.partner_input import parse_partner_params
from openkyc.products import ProductResult, biometric_kyc
from openkyc.products import enhanced_document_verification as edv
from openkyc.products.authority import AuthorityRecord, InvalidIdNumber, LookupFailure
from openkyc.products.biometric_kyc import Reference
from openkyc.products.catalogue import NOT_AVAILABLE, IdField
from openkyc.products.evidence import evidence_record
from openkyc.runtime import Runtime
from openkyc.signing.environment import Environment

log = logging.getLogger(__name__)

# Set in a job's inputs once its look-up was counted against the rate limit (at the PUT, or by
# the worker when the number came from the document), so a rerun does not count it again.
COUNTED = "lookup_counted"


class RateLimited(Exception):
    """The job's look-up was refused by the per-number rate limit."""


def lookup_request(job: Job, payload: JobPayload) -> VerificationRequest:
    """The look-up the job's id_info asks for; ApiError (2213/2204/2413) when it cannot be made.

    Enhanced Document Verification may leave the number out: it is then read from the document.
    """
    params = parse_partner_params(job.partner_params)
    return request_for_job(params, payload.id_info, number_required=job.job_type == JobType.BIOMETRIC_KYC)


def count_lookup(
    runtime: Runtime, request: VerificationRequest, *, partner_id: str, environment: str, api_version: str
) -> bool:
    """:func:`~openkyc.idverification.lookup.precheck` (whether the number may be looked up,
    counted against its rate limit), except for a V3 sandbox job, whose test identity answers
    without a look-up: only checked for its format, never counted."""
    if v3_sandbox.asks_no_authority(api_version=api_version, environment=environment):
        return is_well_formed(request.id_number_type, request.country, request.id_number, environment)
    return precheck(runtime, request, partner_id=partner_id, environment=environment)


def check_upload(runtime: Runtime, job: Job, payload: JobPayload) -> dict[str, Any]:
    """At the PUT: refuse what the job could never look up, and count the look-up (2222/429).

    Returns what to add to the job's inputs.
    """
    if job.job_type not in LOOKUP_JOB_TYPES:
        return {}
    request = lookup_request(job, payload)
    if not request.id_number:
        return {}  # read from the document later, and counted then
    counted = count_lookup(
        runtime, request, partner_id=job.partner_id, environment=job.environment, api_version=job.api_version
    )
    return {COUNTED: counted}


def authority_answer(
    runtime: Runtime, job: Job, request: VerificationRequest
) -> AuthorityRecord | LookupFailure:
    """The authority's record for the job's number, or why there is none (raises RateLimited).

    A V3 sandbox job asks no authority: its test identity says what the look-up finds."""
    forced = v3_sandbox.lookup_answer(job)
    if forced is not None:
        return forced
    counted = bool((job.inputs or {}).get(COUNTED))
    if not counted:
        try:
            well_formed = precheck(runtime, request, partner_id=job.partner_id, environment=job.environment)
        except ApiError as error:
            raise RateLimited(error.spec.code) from error
        if not well_formed:
            return InvalidIdNumber("Invalid ID number format")
        _mark_counted(runtime, job)
    elif not is_well_formed(request.id_number_type, request.country, request.id_number, job.environment):
        return InvalidIdNumber("Invalid ID number format")
    outcome = look_up(runtime, request, partner_id=job.partner_id, environment=job.environment)
    if outcome.record is not None:
        return outcome.record
    if outcome.failure is None:
        raise ValueError("a look-up outcome with neither a record nor a failure")
    return outcome.failure


def _mark_counted(runtime: Runtime, job: Job) -> None:
    with transaction(runtime.sessions) as session:
        stored = service.get_job(db_session=session, smile_job_id=job.smile_job_id)
        stored.inputs = {**(stored.inputs or {}), COUNTED: True}
    job.inputs = {**(job.inputs or {}), COUNTED: True}


def decide_biometric_kyc(
    runtime: Runtime,
    job: Job,
    payload: JobPayload,
    selfie: DecodedImage,
    frames: list[DecodedImage],
    sandbox_result: str | None,
) -> ProductResult:
    """Look the ID up, then judge the selfie against the authority's photo (or the ID card's)."""
    request = lookup_request(job, payload)
    ids = {"country": request.country, "id_type": request.id_type, "id_number": request.id_number}
    try:
        answer = authority_answer(runtime, job, request)
    except RateLimited:
        return biometric_kyc.rate_limited(**ids)
    if isinstance(answer, LookupFailure):
        return biometric_kyc.lookup_failed(answer, **ids)
    reference, image = _reference(answer, payload)
    configs = liveness_configs(runtime)
    evidence = assess_smart_selfie(
        selfie,
        frames,
        reference=image.bgr if image is not None else None,
        liveness_config=configs.active,
        selfie_config=configs.passive,
    )
    result = biometric_kyc.decide(
        evidence,
        answer,
        reference=reference,
        sandbox=job.environment == Environment.SANDBOX.value,
        sandbox_result=sandbox_result,
        **ids,
    )
    return result.with_enrolment(evidence.selfie_analysis.embedding).with_evidence(
        evidence_record(evidence, root="selfie")
    )


def _reference(record: AuthorityRecord, payload: JobPayload) -> tuple[Reference, DecodedImage | None]:
    """The photo to compare the selfie with: the authority's, else the ID card image sent."""
    if record.photo:
        try:
            return Reference.AUTHORITY_PHOTO, load_image(record.photo)
        except Exception as error:  # an adapter's unreadable photo is as good as none
            log.warning("authority photo could not be decoded: %s", type(error).__name__)
    card = payload.images.id_front
    if card is not None:
        return Reference.ID_CARD, card.decoded
    return Reference.NONE, None


def decide_enhanced_document_verification(
    runtime: Runtime, job: Job, payload: JobPayload, docv: ProductResult
) -> ProductResult:
    """The job's Document Verification result, checked against the authority's record of its number
    (the partner's id_number, else the one read from the document)."""
    sandbox = job.environment == Environment.SANDBOX.value
    request = lookup_request(job, payload)
    read = docv.id_fields.get(IdField.ID_NUMBER.value, NOT_AVAILABLE)
    number = request.id_number or (read if read != NOT_AVAILABLE else "")
    if not edv.needs_lookup(docv) or not number:
        result = edv.decide(docv, authority=None, looked_up_number=None, sandbox=sandbox)
    else:
        try:
            answer = authority_answer(runtime, job, replace(request, id_number=number))
        except RateLimited:
            return edv.rate_limited(docv)
        result = edv.decide(docv, authority=answer, looked_up_number=number, sandbox=sandbox)
    return result.with_enrolment(docv.enrolment_embedding)
