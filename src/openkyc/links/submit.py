"""A link visit's submission: the visitor's pictures and ID number made into the job the link's
ID type asks for, through the very functions behind the API.

The image products (Biometric KYC, Document Verification, Enhanced Document Verification) are
packed as an SDK's zip and go through ``jobs.submission.submit_payload`` (prep-upload and PUT in
one: checked, stored, queued, verified and called back as any API job); Enhanced KYC runs
``jobs.id_verification`` as /v1/id_verification does. Every job carries the link's
partner_params, its ref id and the visit's user and job ids, is sent from the link
(``jobs.api_key_id`` = ``link:<ref>``) and is called back to the link's callback_url, else to the
partner's default.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from openkyc.api_errors import INVALID_VALUE, MISSING_PARAMETER, ApiError
from openkyc.db import transaction, utcnow
from openkyc.idverification.request import parse_request
from openkyc.job_types import JobType
from openkyc.jobs import id_verification, submission
from openkyc.jobs.intake import ImageRole, IntakeError
from openkyc.jobs.intake.packing import pack_job_zip
from openkyc.jobs.submission import Submitter
from openkyc.jobs.v2_forms import LIVENESS_FRAMES
from openkyc.links import manage, visits
from openkyc.links.models import VerificationMethod
from openkyc.links.visits import Visit
from openkyc.partner_input import PartnerParams, parse_partner_params
from openkyc.partners.models import Partner
from openkyc.runtime import Runtime
from openkyc.signing.environment import Environment

JOB_TYPES = {
    VerificationMethod.BIOMETRIC_KYC: JobType.BIOMETRIC_KYC,
    VerificationMethod.DOC_VERIFICATION: JobType.DOCUMENT_VERIFICATION,
    VerificationMethod.ENHANCED_DOCUMENT_VERIFICATION: JobType.ENHANCED_DOCUMENT_VERIFICATION,
    VerificationMethod.ENHANCED_KYC: JobType.ENHANCED_KYC,
}
# What a visitor may add to an ID number (the look-up matches them when given).
PERSON_FIELDS = ("first_name", "last_name", "dob")
MAX_FIELD = 100


@dataclass
class Capture:
    """What the page sent: the pictures (JPEG or PNG bytes) and the typed fields."""

    selfie: bytes | None = None
    liveness: list[bytes] = field(default_factory=list)
    id_front: bytes | None = None
    id_back: bytes | None = None
    id_number: str = ""
    person: dict[str, str] = field(default_factory=dict)


def _check(visit: Visit, capture: Capture) -> None:
    """Refuse (2213/2413) what this ID type's job cannot do without, before anything is claimed."""
    wanted = visit.id_type
    if wanted.needs_selfie and capture.selfie is None:
        raise ApiError(MISSING_PARAMETER, "Take your selfie first.")
    if capture.liveness and len(capture.liveness) not in LIVENESS_FRAMES:
        raise ApiError(INVALID_VALUE, "The liveness pictures are incomplete: take your selfie again.")
    if wanted.needs_document and capture.id_front is None:
        raise ApiError(MISSING_PARAMETER, "Take a picture of the front of your document first.")
    if wanted.needs_id_number and not capture.id_number:
        raise ApiError(MISSING_PARAMETER, "Enter your ID number.")
    if len(capture.id_number) > MAX_FIELD or any(len(v) > MAX_FIELD for v in capture.person.values()):
        raise ApiError(INVALID_VALUE, f"A field is longer than {MAX_FIELD} characters.")


def _params(visit: Visit) -> PartnerParams:
    return parse_partner_params(
        {
            **(visit.link.partner_params or {}),
            "user_id": visit.user_id,
            "job_id": visit.job_id,
            "job_type": int(JOB_TYPES[visit.id_type.verification_method]),
            "ref_id": visit.link.ref_id,
        }
    )


def _submitter(visit: Visit) -> Submitter:
    return Submitter(
        partner_id=visit.link.partner_id,
        environment=Environment(visit.link.environment),
        key_id=manage.source_key(visit.link.ref_id),
    )


def _images(visit: Visit, capture: Capture) -> list[tuple[ImageRole, bytes]]:
    """In the order the SDKs zip them: selfie, liveness frames, document front and back."""
    images: list[tuple[ImageRole, bytes]] = []
    if capture.selfie is not None:
        images.append((ImageRole.SELFIE, capture.selfie))
        images += [(ImageRole.LIVENESS, frame) for frame in capture.liveness]
    if visit.id_type.needs_document and capture.id_front is not None:
        images.append((ImageRole.ID_FRONT, capture.id_front))
        if capture.id_back is not None:
            images.append((ImageRole.ID_BACK, capture.id_back))
    return images


def _id_info(visit: Visit, capture: Capture) -> dict[str, Any]:
    info: dict[str, Any] = {"country": visit.id_type.country, "id_type": visit.id_type.id_type}
    if capture.id_number:
        info["id_number"] = capture.id_number
        info.update({name: value for name, value in capture.person.items() if value})
    return info


def _has_callback(runtime: Runtime, visit: Visit) -> bool:
    if visit.link.callback_url:
        return True
    with transaction(runtime.sessions) as session:
        partner = session.get(Partner, visit.link.partner_id)
        return partner is not None and bool(partner.callback_url_for(visit.link.environment))


def _run(runtime: Runtime, visit: Visit, capture: Capture) -> str:
    params, submitter = _params(visit), _submitter(visit)
    if visit.id_type.verification_method is VerificationMethod.ENHANCED_KYC:
        body = {
            "partner_params": params.raw,
            **_id_info(visit, capture),
            "callback_url": visit.link.callback_url,
        }
        result = id_verification.run(
            runtime,
            submitter,
            parse_request(body),
            id_verification.ENHANCED_KYC,
            asynchronous=_has_callback(runtime, visit),
        )
        return str(result["SmileJobID"])
    payload = pack_job_zip(
        partner_params=params.raw, images=_images(visit, capture), id_info=_id_info(visit, capture)
    )
    return submission.submit_payload(
        runtime, submitter, params, payload, callback_url=visit.link.callback_url
    )


def submit(runtime: Runtime, token: str, capture: Capture) -> str:
    """Open the visit's job; its SmileJobID. Refused: VisitRefused (no visit, or its job sent),
    LinkClosed, ApiError / IntakeError (what the job cannot use: the visit may send again)."""
    with transaction(runtime.sessions) as session:
        visit = visits.visit_of(session, token, utcnow())
    _check(visit, capture)
    with transaction(runtime.sessions) as session:
        visits.claim(session, visit, utcnow())
    try:
        smile_job_id = _run(runtime, visit, capture)
    except (ApiError, IntakeError):
        with transaction(runtime.sessions) as session:
            visits.release(session, visit)
        raise
    with transaction(runtime.sessions) as session:
        visits.record_job(session, visit, smile_job_id)
    return smile_job_id
