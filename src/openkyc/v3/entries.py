"""What the V3 submission endpoints share: the request's checks in the spec's order, the job they
open on the pipeline v1 uses, and the 202 they answer.

Every entry endpoint (``v3.kyc``, ``v3.selfie``, ``v3.documents``) reads its request the same way:
the token (401/403), a product-scoped token's product (403), the multipart body (415/413), the
shared fields (``v3.fields.common``: consent, user_details, the user id, partner_params,
metadata, callback_url; 400/403), then its own. Its job is a v1 job of the matching job type,
with ``api_version`` ``"v3"``, a ``job_…`` TypeID as its partner ``job_id``, the V3 user id, and
its request's V3 parts sealed in ``v3_request`` (``fields.Common.record``), all set when the row
is inserted. The image products pack their images as an SDK's zip and go through
``jobs.submission.submit_payload`` (intake checks, encrypted storage, queue, engine, enrolment,
callbacks: the API's own); Enhanced KYC goes through ``jobs.id_verification``.

An async job needs somewhere to send its result: the request's (or token's) ``callback_url``, else
the partner's default for the environment; neither is the spec's 400. Accepted:
``{"status": "accepted", "message": "Request accepted and queued for processing.", "job_id",
"user_id", "created_at"}`` with HTTP 202.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from openkyc.api_errors import ApiError
from openkyc.db import transaction, utcnow
from openkyc.engine.errors import ImageError
from openkyc.engine.images.decode import load_image
from openkyc.jobs import service, submission
from openkyc.jobs.intake import ImageRole, IntakeError
from openkyc.jobs.intake.packing import pack_job_zip
from openkyc.jobs.models import ApiVersion, Job
from openkyc.jobs.uploads import CHECK_LIMITS
from openkyc.offload import run_bounded
from openkyc.partner_input import PartnerParams, parse_partner_params
from openkyc.partners.models import Partner
from openkyc.products.v3_sandbox import SANDBOX_RESULT_KEY, known_sandbox_code, sandbox_code
from openkyc.runtime import Runtime
from openkyc.services.id_types import id_number_type
from openkyc.signing.environment import Environment
from openkyc.signing.sid_request import format_js_iso
from openkyc.typeid import new as new_typeid
from openkyc.v3 import fields
from openkyc.v3.auth import V3Caller, token_caller
from openkyc.v3.errors import V3Error, bad_request, invalid, missing
from openkyc.v3.fields import Common
from openkyc.v3.forms import FilePart, V3Form, read_form

ACCEPTED = "accepted"
ACCEPTED_MESSAGE = "Request accepted and queued for processing."
log = logging.getLogger(__name__)

CALLBACK_REQUIRED = (
    "A valid callback_url is required in the request or a default callback URL must be configured in "
    "the portal."
)
PRODUCT_NOT_ENABLED = "Product not enabled for this partner."
ID_TYPE_NOT_ENABLED = "ID type not enabled for this partner."
LIVENESS_FRAMES = range(6, 9)  # the spec's minItems 6, maxItems 8
MAX_SANDBOX_RESULT = 32  # "0840", "840.0"... with room to spare


class AcceptedAnswer(BaseModel):
    """The spec's ``AcceptedResponse``."""

    status: str = Field(default=ACCEPTED, examples=[ACCEPTED])
    message: str = Field(default=ACCEPTED_MESSAGE, examples=[ACCEPTED_MESSAGE])
    job_id: str = Field(examples=["job_01h8x9y2z3a4b5c6d7e8f9g0h1"])
    user_id: str = Field(examples=["user_01h8x9y2z3a4b5c6d7e8f9g0h1"])
    created_at: str = Field(examples=["2026-03-10T12:00:00.000Z"])


# Every entry route's documented answers besides its success (the spec's operation replaces
# FastAPI's in /openapi.json: v3.contract).
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {} for status in (400, 401, 402, 403, 413, 415, 429, 500)
}


@dataclass(frozen=True)
class Entry:
    """An entry request read and checked as far as every endpoint goes alike."""

    caller: V3Caller
    form: V3Form
    common: Common
    job_id: str  # the new job's TypeID
    user_id_given: bool  # in the User-ID header, the body or the token (else common.user_id is minted)
    sandbox_result: str | None  # kept in the sandbox only

    @property
    def sandbox(self) -> bool:
        return self.caller.environment == Environment.SANDBOX

    def record(self, product: str, **extra: Any) -> dict[str, Any]:
        """The job's ``v3_request``: the shared parts, the sandbox_result sent, ``extra``."""
        kept = self.common.record(product)
        if self.sandbox_result is not None:
            kept[SANDBOX_RESULT_KEY] = self.sandbox_result
        return {**kept, **extra}

    def params(self, job_type: int) -> PartnerParams:
        """The job's partner_params: the partner's (echoed back) and the job's own ids."""
        return parse_partner_params(
            {
                **self.common.partner_params,
                "user_id": self.common.user_id,
                "job_id": self.job_id,
                "job_type": job_type,
            }
        )

    def bound(self, name: str) -> str | None:
        """A text field a scoped token binds (country, id_type, id_number...), else the body's."""
        value = self.caller.scope.payload.get(name)
        return value if isinstance(value, str) else self.form.text(name)


async def read_entry(
    request: Request,
    runtime: Runtime,
    *,
    products: Sequence[str],
    job_type: int,
    user_id_required: bool = False,
    product_message: str = PRODUCT_NOT_ENABLED,
    consent_absent: str | None = None,
) -> Entry:
    """Authenticate and read an entry request in the spec's order (401/403, 415/413, 400/403).

    ``products``: the token ``product`` scopes that may call this endpoint (an unscoped token may
    call any); ``job_type`` names the product whose ``sandbox_result`` codes are accepted;
    ``consent_absent``: the operation's own 400 text for a request without consent, if it has one.
    """
    caller = await token_caller(request, runtime)
    if caller.scope.product is not None and caller.scope.product not in products:
        raise V3Error(403, product_message)
    declared = request.headers.get("smileid-partner-id")
    if declared is not None and declared.strip() and declared.strip() != caller.partner_id:
        raise V3Error(401, "Invalid authentication credentials.")
    form = await read_form(request)
    header = request.headers.get("user-id")
    given = any(
        value is not None and value.strip() for value in (header, form.text("user_id"), caller.scope.user_id)
    )
    if user_id_required and not given:
        raise missing("user_id")
    common = fields.common(
        form, scope=caller.scope, user_header=header, now=utcnow(), consent_absent=consent_absent
    )
    return Entry(
        caller=caller,
        form=form,
        common=common,
        job_id=new_typeid("job"),
        user_id_given=given,
        sandbox_result=_sandbox_result(form, caller, job_type),
    )


def _sandbox_result(form: V3Form, caller: V3Caller, job_type: int) -> str | None:
    """``sandbox_result``: a result code of the product, kept in the sandbox (elsewhere the spec
    says it has no effect, so it is not even read). A value that is no number is a 400; a number
    the product has no result for forces nothing (the spec's own Biometric KYC example, 1220, is a
    SmartSelfie code): the job is then decided as if it were not sent."""
    value = form.text("sandbox_result")
    if value is None or not value.strip() or caller.environment != Environment.SANDBOX:
        return None
    # A result code has four digits: a longer text is refused before int() reads it (past 4300
    # digits int() raises instead of answering).
    if len(value.strip()) > MAX_SANDBOX_RESULT or sandbox_code(value.strip()) is None:
        raise invalid("sandbox_result")
    return value.strip() if known_sandbox_code(job_type, value.strip()) else None


def require_callback(runtime: Runtime, entry: Entry) -> None:
    """An async job's result must have somewhere to go: see :func:`require_callback_destination`."""
    require_callback_destination(runtime, entry.caller, entry.common.callback_url)


def require_callback_destination(
    runtime: Runtime, caller: V3Caller, callback_url: str | None, message: str = CALLBACK_REQUIRED
) -> None:
    """The request's callback URL, else the partner's default for the environment when it is an
    https URL (a default set for v1 may be http, where a V3 callback is never delivered); with
    neither, the spec's 400 (``message``) in production.

    A sandbox job with neither is accepted, with a WARNING: its result is read with
    ``GET /v3/status`` and sent anywhere with ``POST /v3/replay`` and a ``callback_url``. Smile ID's
    SDKs' own end-to-end tests send no callback URL, counting on the default their sandbox
    partner set in Smile ID's portal, which a new openkyc partner has not set. Reads the
    database: call it off the event loop."""
    if callback_url is not None:
        return
    with transaction(runtime.sessions) as session:
        partner = session.get(Partner, caller.partner_id)
        default = partner.callback_url_for(caller.environment.value) if partner is not None else None
    if default is not None and _is_https_url(default):
        return
    if caller.environment != Environment.SANDBOX:
        raise bad_request(message)
    log.warning(
        "partner %s sent a sandbox V3 job with no callback_url and has no https default callback URL: "
        "accepted, its result is only read with GET /v3/status (or sent with POST /v3/replay)",
        caller.partner_id,
    )


def _is_https_url(url: str) -> bool:
    try:
        return fields.https_url(url, "callback_url") is not None
    except V3Error:
        return False


def accepted(job: Job) -> JSONResponse:
    """The spec's 202 body for an accepted job."""
    answer = AcceptedAnswer(job_id=job.job_id, user_id=job.user_id, created_at=format_js_iso(job.created_at))
    return JSONResponse(status_code=202, content=answer.model_dump())


def job_of(runtime: Runtime, entry: Entry) -> Job:
    """The entry's job as stored (its created_at is the database's)."""
    with transaction(runtime.sessions) as session:
        job = service.find_job_by_partner_job_id(
            db_session=session,
            partner_id=entry.caller.partner_id,
            environment=entry.caller.environment.value,
            job_id=entry.job_id,
        )
        if job is None:  # committed by this very request: never
            raise V3Error(500, "An unexpected error occurred. Please try again or contact support.")
        session.expunge(job)
    return job


# --- the ID fields --------------------------------------------------------------------------------


@dataclass(frozen=True)
class IdFields:
    country: str
    id_type: str | None
    id_number: str | None = None
    bank_code: str | None = None

    def id_info(self) -> dict[str, Any]:
        """As a job zip's ``id_info`` (or an ID verification body's fields) carries them."""
        info = {"country": self.country, "id_type": self.id_type, "id_number": self.id_number}
        if self.bank_code is not None:
            info["bank_code"] = self.bank_code
        return {name: value for name, value in info.items() if value is not None}


def id_fields(entry: Entry, *, id_type_required: bool, id_number_required: bool, looked_up: bool) -> IdFields:
    """``country``, ``id_type``, ``id_number`` (and ``bank_code`` where the ID type needs one), a
    scoped token's values first. ``looked_up``: the product looks the number up, so the ID type
    must be one this server can look up (403, the spec's text) and the number must have its format
    (400)."""
    country = fields.country(entry.bound("country"))
    if country is None:
        raise missing("country")
    id_type = fields.id_type(entry.bound("id_type"), required=id_type_required)
    if id_type is not None:
        id_type = id_type.upper()
    if not looked_up or id_type is None:
        return IdFields(country=country, id_type=id_type)
    known = id_number_type(country, id_type)
    if known is None:
        raise V3Error(403, ID_TYPE_NOT_ENABLED)
    number = fields.id_number(
        entry.bound("id_number"), country_code=country, type_code=id_type, required=id_number_required
    )
    bank_code = entry.bound("bank_code")
    bank_code = bank_code.strip() if bank_code and bank_code.strip() else None
    if bank_code is not None and len(bank_code) > 20:
        raise invalid("bank_code")
    if "bank_code" in known.extra_fields and bank_code is None:
        raise missing("bank_code")
    return IdFields(country=country, id_type=id_type, id_number=number, bank_code=bank_code)


# --- images ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """One image part: its name, which formats it may be, and what a wrong one is told."""

    name: str
    png_allowed: bool
    wrong_format: str


SELFIE = Kind("selfie_image", False, "Selfie image must be JPEG.")
LIVENESS = Kind("liveness_images", False, "Liveness images must be JPEG.")
COMPARISON = Kind("comparison_image", False, "Comparison image must be JPEG.")
DOCUMENT = Kind("document", True, "Document image must be JPEG or PNG.")
DOCUMENT_BACK = Kind("document_back", True, "Document image must be JPEG or PNG.")
VISA = Kind("visa", True, "Visa image must be JPEG or PNG.")


def image(form: V3Form, kind: Kind, *, required: bool) -> FilePart | None:
    """The one image part ``kind``, of an accepted format (checked by its bytes, whatever type it
    was declared with); its pixels are checked later, off the event loop, by intake (:func:`_open_image_job`)."""
    part = form.file(kind.name)
    if part is None or not part.data:
        if required:
            raise missing(kind.name)
        return None
    if not (part.is_jpeg or (kind.png_allowed and part.is_png)):
        raise bad_request(kind.wrong_format)
    return part


def liveness(form: V3Form, *, required: bool) -> list[FilePart]:
    """``liveness_images``: 6 to 8 JPEG parts (none at all, where they are optional)."""
    frames = [part for part in form.files(LIVENESS.name) if part.data]
    if not frames:
        if required:
            raise missing(LIVENESS.name)
        return []
    if len(frames) < LIVENESS_FRAMES.start:
        raise bad_request(f"liveness_images must contain at least {LIVENESS_FRAMES.start} images.")
    if len(frames) >= LIVENESS_FRAMES.stop:
        raise bad_request(f"liveness_images must contain at most {LIVENESS_FRAMES.stop - 1} images.")
    if not all(frame.is_jpeg for frame in frames):
        raise bad_request(LIVENESS.wrong_format)
    return frames


@dataclass
class Images:
    """A job's images in the order the SDKs zip them, each with the part it came from."""

    parts: list[tuple[ImageRole, FilePart]] = field(default_factory=list)
    extra: dict[str, FilePart] = field(default_factory=dict)  # kept beside the zip (a visa)

    def add(self, role: ImageRole, part: FilePart | None) -> None:
        if part is not None:
            self.parts.append((role, part))


def check_extra_pixels(images: Images) -> None:
    """Every image kept beside the zip (a visa) decodes (at a fraction of its size, as the upload
    checks do): a broken one is the spec's 400 naming its part, before any job is opened. The
    zip's own images are decoded once, by intake, which says which one failed (:func:`_open_image_job`)."""
    for part in images.extra.values():
        try:
            load_image(part.data, limits=CHECK_LIMITS.image)
        except ImageError:
            raise missing(part.name) from None


# --- opening an image job -------------------------------------------------------------------------

# What the shared user checks refuse (jobs.submission.refuse_impossible_user, users.service), in
# the V3 answer: 400, the one status every entry endpoint documents for a request it cannot take.
USER_REFUSALS = {
    "2207": "Enrolled user is disabled.",
    "2208": "Enrolled user was deleted. Set allow_new_enroll to true to enroll the user again.",
    "2209": "User is already enrolled. Set allow_new_enroll to true to replace the enrollment.",
    "2210": "No enrolled user found for this partner.",
    "2211": "Enrolled user must complete re-enrollment.",
    "2216": "Enrolled user does not have a photo on file.",
}


def refused_user(error: ApiError) -> V3Error | None:
    """The V3 answer to a user check's refusal; None for any other error."""
    message = USER_REFUSALS.get(error.spec.code)
    return V3Error(400, message) if message is not None else None


@dataclass(frozen=True)
class ImageJob:
    """What an image product's job is made of, once its request is read."""

    job_type: int
    images: Images
    v3_request: dict[str, Any]
    id_info: dict[str, Any] = field(default_factory=dict)
    use_enrolled_image: bool = False
    allow_new_enroll: bool = False


def _open_image_job(runtime: Runtime, entry: Entry, job: ImageJob, before: Callable[[], None] | None) -> Job:
    require_callback(runtime, entry)
    if before is not None:
        before()
    check_extra_pixels(job.images)
    params = entry.params(job.job_type)
    payload = pack_job_zip(
        partner_params=params.raw,
        images=[(role, part.data) for role, part in job.images.parts],
        id_info=job.id_info,
    )
    try:
        submission.submit_payload(
            runtime,
            entry.caller.submitter,
            params,
            payload,
            use_enrolled_image=job.use_enrolled_image,
            allow_new_enroll=job.allow_new_enroll,
            callback_url=entry.common.callback_url,
            api_version=ApiVersion.V3,
            v3_request=job.v3_request,
            extra_images={kind: part.data for kind, part in job.images.extra.items()} or None,
        )
    except ApiError as error:
        refusal = refused_user(error)
        if refusal is not None:
            raise refusal from error
        raise
    except IntakeError as error:
        if error.image_index is not None:  # that image would not decode: the part it came from
            raise missing(job.images.parts[error.image_index][1].name) from None
        raise bad_request(error.message) from error  # the zip's own, never the partner's
    return job_of(runtime, entry)


async def submit_image_job(
    runtime: Runtime, entry: Entry, job: ImageJob, *, before: Callable[[], None] | None = None
) -> JSONResponse:
    """Open ``job`` (decoding, packing and intake on the upload-check pool, never on the event
    loop) and answer 202. ``before``: a check of the product's own, run there first."""
    opened = await run_bounded(
        "upload-check", runtime.settings.upload_check_workers, _open_image_job, runtime, entry, job, before
    )
    return accepted(opened)
