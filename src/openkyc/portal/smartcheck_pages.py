"""SmartCheck: a member runs a job from the portal and sees its result.

The portal opens the job through the very functions behind the API, never through the API over
HTTP and never a copy: the image products (SmartSelfie registration and authentication, Document
Verification) are packed as an SDK's zip and go through ``jobs.submission``, prep-upload and the
zip PUT in one; Enhanced KYC and Basic KYC run ``jobs.id_verification``, as /v1/id_verification
and /v2/verify do. So a SmartCheck job is checked, counted, queued, verified, enrolled and called
back as the partner's own, carries the member as its source (its key id is "portal:<member>")
and is audited with the member as actor. Running one needs OPERATE; its result page, READ.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from openkyc.api_errors import ApiError
from openkyc.db import transaction
from openkyc.idverification.request import MAX_TEXT, parse_request
from openkyc.job_types import JobType
from openkyc.jobs import id_verification, submission
from openkyc.jobs.intake import ImageRole, IntakeError
from openkyc.jobs.intake.packing import pack_job_zip
from openkyc.jobs.models import Job, JobState
from openkyc.jobs.submission import Submitter
from openkyc.jobs.v2_forms import LIVENESS_FRAMES
from openkyc.offload import run_bounded
from openkyc.partner_input import parse_partner_params
from openkyc.partners.models import Partner
from openkyc.portal.pages import (
    Operator,
    PortalRefusal,
    Reader,
    SignedIn,
    form_field,
    new_router,
    page,
    redirect,
)
from openkyc.portal.roles import Permission
from openkyc.runtime import Runtime
from openkyc.services.documents import country_names, document_types, valid_documents
from openkyc.services.id_types import ID_NUMBER_TYPES
from openkyc.signing.environment import Environment
from openkyc.webdeps import RuntimeDep

router = new_router()

# The ids SmartCheck generates start with this, so its jobs stand out in lists and job_status.
ID_PREFIX = "smartcheck-"
# States in which a job has no result yet: its page refreshes itself.
WAITING_STATES = frozenset(
    {JobState.AWAITING_UPLOAD, JobState.RECEIVING, JobState.QUEUED, JobState.PROCESSING}
)
REFRESH_SECONDS = 3


@dataclass(frozen=True)
class Product:
    key: str  # the form's value
    title: str
    summary: str
    job_type: JobType
    images: bool  # a selfie (and more) is uploaded; else an ID is looked up
    lookup: id_verification.Product | None = None


PRODUCTS = {
    product.key: product
    for product in (
        Product(
            "registration",
            "SmartSelfie registration",
            "Enrol a person's face under a user ID: a selfie, and liveness frames if you have them.",
            JobType.SMART_SELFIE_REGISTRATION,
            images=True,
        ),
        Product(
            "authentication",
            "SmartSelfie authentication",
            "Compare a new selfie with the face enrolled under a user ID.",
            JobType.SMART_SELFIE_AUTHENTICATION,
            images=True,
        ),
        Product(
            "document",
            "Document Verification",
            "Check an ID document (front, and back if it has one) and match its portrait with a selfie.",
            JobType.DOCUMENT_VERIFICATION,
            images=True,
        ),
        Product(
            "enhanced-kyc",
            "Enhanced KYC",
            "Look an ID number up with the ID authority and get the holder's record.",
            JobType.ENHANCED_KYC,
            images=False,
            lookup=id_verification.ENHANCED_KYC,
        ),
        Product(
            "basic-kyc",
            "Basic KYC",
            "Match a person's name, date of birth or phone number with the ID authority's record.",
            JobType.ENHANCED_KYC,  # /v2/verify's jobs are job_type 5 too
            images=False,
            lookup=id_verification.BASIC_KYC,
        ),
    )
}
# Job types by the name a result page gives them (Enhanced and Basic KYC share job_type 5).
JOB_TYPE_TITLES = {
    int(JobType.SMART_SELFIE_REGISTRATION): "SmartSelfie registration",
    int(JobType.SMART_SELFIE_AUTHENTICATION): "SmartSelfie authentication",
    int(JobType.DOCUMENT_VERIFICATION): "Document Verification",
    int(JobType.ENHANCED_KYC): "Enhanced / Basic KYC",
}


def _bad_form(message: str) -> PortalRefusal:
    return PortalRefusal(400, "Check the form", message)


def _text(form: FormData, name: str, limit: int = MAX_TEXT) -> str:
    """A text field as typed (stripped), "" when absent; a file where text belongs is refused."""
    value = form.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _bad_form(f"The field {name} must be text.")
    return form_field(value, limit).strip()


def _product(key: str) -> Product:
    product = PRODUCTS.get(key)
    if product is None:
        raise PortalRefusal(404, "Unknown product", "Choose one of the SmartCheck products.")
    return product


def environments_of(runtime: Runtime, partner_id: str) -> list[Environment]:
    """Where the member may run a job: the sandbox, and production once it is enabled."""
    with transaction(runtime.sessions) as db:
        partner = db.get(Partner, partner_id)
        production = partner is not None and partner.production_enabled
    return [Environment.SANDBOX, Environment.PRODUCTION] if production else [Environment.SANDBOX]


def _environment(runtime: Runtime, partner_id: str, value: str) -> Environment:
    try:
        chosen = Environment(value or Environment.SANDBOX.value)
    except ValueError:
        raise _bad_form("Choose the sandbox or production.") from None
    if chosen not in environments_of(runtime, partner_id):
        raise PortalRefusal(
            403,
            "Production is not enabled",
            "Production is not enabled for your team yet: run SmartCheck in the sandbox.",
        )
    return chosen


def _documents() -> list[dict[str, Any]]:
    """Document Verification's countries and document types (POST /v1/valid_documents's list)."""
    return [
        {
            "name": entry["country"]["name"],
            "types": [
                {"value": f"{entry['country']['code']}:{kind['code']}", "name": kind["name"]}
                for kind in entry["id_types"]
            ],
        }
        for entry in sorted(valid_documents(), key=lambda entry: str(entry["country"]["name"]))
    ]


def _id_numbers() -> list[dict[str, Any]]:
    """The ID types looked up by number, per country (GET /v1/services's list), with the sandbox's
    test number of each."""
    names = country_names()
    return [
        {
            "name": names.get(country, country),
            "types": [
                {"value": f"{country}:{kind.code}", "name": kind.label, "test_data": kind.test_data}
                for kind in kinds
            ],
        }
        for country, kinds in sorted(ID_NUMBER_TYPES.items(), key=lambda item: names.get(item[0], item[0]))
    ]


def _country_and_type(value: str) -> tuple[str, str]:
    country, _, id_type = value.partition(":")
    if not country or not id_type:
        raise _bad_form("Choose a country and ID type from the list.")
    return country, id_type


# --- the form ----------------------------------------------------------------------------------


@router.get("/smartcheck")
def smartcheck_page(request: Request, runtime: RuntimeDep, member: Operator) -> Response:
    key = form_field(request.query_params.get("product", ""), 64)
    product = _product(key) if key else None
    return page(
        request,
        "smartcheck.html",
        member=member,
        products=list(PRODUCTS.values()),
        product=product,
        environments=[item.value for item in environments_of(runtime, member.user.partner_id)],
        documents=_documents() if product is not None and product.key == "document" else [],
        id_numbers=_id_numbers() if product is not None and product.lookup is not None else [],
        user_id=form_field(request.query_params.get("user_id", ""), 200),
        liveness=LIVENESS_FRAMES,
    )


@router.post("/smartcheck")
async def run_smartcheck(request: Request, runtime: RuntimeDep, member: Operator) -> Response:
    form = await request.form()  # read (within the portal's limits) before the route ran
    product = _product(_text(form, "product", 64))
    environment = await run_in_threadpool(
        _environment, runtime, member.user.partner_id, _text(form, "environment", 32)
    )
    submitter = Submitter.portal_member(member.user.partner_id, environment, member.user.id)
    try:
        if product.lookup is None:
            images = await _images(form, product)
            smile_job_id = await run_bounded(
                "upload-check",
                runtime.settings.upload_check_workers,
                _submit_images,
                runtime,
                submitter,
                product,
                _user_id(form, product),
                images,
                _document(form, product),
            )
        else:
            smile_job_id = await run_in_threadpool(_look_up, runtime, submitter, product, _lookup_body(form))
    except ApiError as error:
        raise PortalRefusal(
            error.http_status if 400 <= error.http_status < 500 else 400,
            "SmartCheck refused this job",
            f"{error.message} (code {error.spec.code})",
        ) from error
    except IntakeError as error:
        raise PortalRefusal(
            error.http_status if 400 <= error.http_status < 500 else 400,
            "These files cannot be used",
            error.message,
        ) from error
    return redirect(request, f"/smartcheck/{smile_job_id}")


def _user_id(form: FormData, product: Product) -> str:
    """The user ID typed, or a new one for a registration; authentication needs an enrolled one."""
    user_id = _text(form, "user_id", 200)
    if user_id:
        return user_id
    if product.job_type == JobType.SMART_SELFIE_AUTHENTICATION:
        raise _bad_form("Type the user ID whose enrolled face the selfie is compared with.")
    return _new_id()


def _new_id() -> str:
    # 64 random bits: short enough for the job list, and a clash (2215) is left to chance alone.
    return f"{ID_PREFIX}{secrets.token_hex(8)}"


async def _files(form: FormData, name: str) -> list[bytes]:
    """The non-empty files sent under ``name`` (a browser sends an empty part for no file)."""
    found: list[bytes] = []
    for value in form.getlist(name):
        if isinstance(value, str):
            if value:
                raise _bad_form(f"The field {name} must be a file.")
            continue
        if isinstance(value, UploadFile):
            data = await value.read()
            if data:
                found.append(data)
    return found


async def _images(form: FormData, product: Product) -> list[tuple[ImageRole, bytes]]:
    """The job's images in the order the SDKs zip them: selfie, liveness frames, document."""
    selfies = await _files(form, "selfie")
    if len(selfies) != 1:
        raise _bad_form("Choose one selfie image.")
    frames = await _files(form, "liveness")
    if frames and len(frames) not in LIVENESS_FRAMES:
        raise _bad_form(
            f"Liveness frames are optional; when sent they are {LIVENESS_FRAMES.start} to "
            f"{LIVENESS_FRAMES.stop - 1} images ({len(frames)} were chosen)."
        )
    images = [(ImageRole.SELFIE, selfies[0]), *((ImageRole.LIVENESS, frame) for frame in frames)]
    if product.job_type == JobType.DOCUMENT_VERIFICATION:
        fronts, backs = await _files(form, "id_front"), await _files(form, "id_back")
        if len(fronts) != 1:
            raise _bad_form("Choose one image of the document's front.")
        if len(backs) > 1:
            raise _bad_form("Choose at most one image of the document's back.")
        images += [(ImageRole.ID_FRONT, fronts[0]), *((ImageRole.ID_BACK, back) for back in backs)]
    return images


def _document(form: FormData, product: Product) -> dict[str, str] | None:
    """Document Verification's id_info: a country and document type from the documented list."""
    if product.job_type != JobType.DOCUMENT_VERIFICATION:
        return None
    country, id_type = _country_and_type(_text(form, "document", 100))
    if any(kind["code"] == id_type for kind in document_types(country)):
        return {"country": country, "id_type": id_type}
    raise _bad_form("Choose a country and document type from the list.")


def _submit_images(
    runtime: Runtime,
    submitter: Submitter,
    product: Product,
    user_id: str,
    images: list[tuple[ImageRole, bytes]],
    id_info: dict[str, str] | None,
) -> str:
    params = parse_partner_params(
        {"user_id": user_id, "job_id": _new_id(), "job_type": int(product.job_type)}
    )
    payload = pack_job_zip(partner_params=params.raw, images=images, id_info=id_info)
    return submission.submit_payload(runtime, submitter, params, payload)


_PERSON_FIELDS = ("first_name", "middle_name", "last_name", "dob", "gender", "phone_number", "bank_code")


def _lookup_body(form: FormData) -> dict[str, Any]:
    """The form as the body /v1/id_verification and /v2/verify take, parsed by their parser."""
    country, id_type = _country_and_type(_text(form, "id", 100))
    body: dict[str, Any] = {
        "partner_params": {"user_id": _new_id(), "job_id": _new_id(), "job_type": int(JobType.ENHANCED_KYC)},
        "country": country,
        "id_type": id_type,
        "id_number": _text(form, "id_number"),
    }
    for name in _PERSON_FIELDS:
        value = _text(form, name)
        if value:
            body[name] = value
    return body


def _look_up(runtime: Runtime, submitter: Submitter, product: Product, body: dict[str, Any]) -> str:
    if product.lookup is None:
        raise ValueError(f"{product.key} looks nothing up")
    result = id_verification.run(runtime, submitter, parse_request(body), product.lookup)
    return str(result["SmileJobID"])


# --- the result --------------------------------------------------------------------------------


def _job_of(runtime: Runtime, member: SignedIn, smile_job_id: str) -> dict[str, Any]:
    """What the result page shows of the member's partner's job (404 for any other)."""
    job = None
    with transaction(runtime.sessions) as db:
        if smile_job_id.isascii() and smile_job_id.isdigit() and len(smile_job_id) <= 20:
            job = db.get(Job, smile_job_id)
        if job is None or job.partner_id != member.user.partner_id:
            raise PortalRefusal(404, "No such job", "Your team has no job with this ID.")
        result = job.result or {}
        actions = result.get("Actions")
        return {
            "smile_job_id": job.smile_job_id,
            "product": JOB_TYPE_TITLES.get(job.job_type, f"job_type {job.job_type}"),
            "job_type": job.job_type,
            "environment": job.environment,
            "user_id": job.user_id,
            "job_id": job.job_id,
            "state": job.state,
            "waiting": job.state in WAITING_STATES,
            "from_portal": submission.is_portal_key(job.api_key_id),
            "created_at": job.created_at.strftime("%Y-%m-%d %H:%M:%S"),
            "result_code": str(result.get("ResultCode") or ""),
            "result_text": str(result.get("ResultText") or ""),
            "result_type": str(result.get("ResultType") or ""),
            "final": str(result.get("IsFinalResult", "true")) == "true",
            "actions": [(str(name), str(value)) for name, value in actions.items()]
            if isinstance(actions, dict)
            else [],
        }


@router.get("/smartcheck/{smile_job_id}")
def smartcheck_result(request: Request, runtime: RuntimeDep, member: Reader, smile_job_id: str) -> Response:
    job = _job_of(runtime, member, smile_job_id)
    return page(
        request,
        "smartcheck_result.html",
        member=member,
        job=job,
        refresh=REFRESH_SECONDS if job["waiting"] else None,
        can_run=member.can(Permission.OPERATE),
        registration=job["job_type"] == JobType.SMART_SELFIE_REGISTRATION,
    )
