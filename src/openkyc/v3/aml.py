"""The V3 AML operations: One-Time AML (``POST /v3/aml``, ``POST /v3/aml/sync``), AML Monitoring
(``POST /v3/aml/monitoring``) and its news look-up (``GET /v3/aml/monitoring/{job_id}/news/{reference}``).

Requests are checked in the spec's order with its messages (``countries`` a JSON array part, never
a bare or repeated field; ``birth_year`` four digits up to this year; at most 20 ``aliases`` of
at most 256 characters; then the shared parts, with ``user_details.``-prefixed names as the AML
operations write them). The screening itself and the job it is recorded as are ``jobs.v3_aml``'s.

* ``/v3/aml`` answers 202 once the job is stored with its result and its callback (to the request's
  ``callback_url``, else the partner's default for the environment; neither is a 400).
* ``/v3/aml/sync`` answers the callback's body itself, signed in ``Response-Signature`` /
  ``Response-Timestamp`` with ``SmileID-Job-ID`` and ``User-ID``; no callback is sent. With a
  ``SmileID-Idempotency-Key`` the job id is derived from the partner, the environment and the key,
  so a repeat answers the first request's result without screening again. A screening that could
  not be made (no list loaded) is a 500 carrying ``SmileID-Job-ID``, as the spec reports it.
* ``/v3/aml/monitoring`` screens at once (that result is called back like a one-time screening's,
  product ``aml_monitoring``) and enrols the person: ``jobs.aml_monitoring`` screens them again
  whenever the lists change.
* The news look-up: openkyc screens sanctions and PEP lists and has no news-media source, so no
  person in any result has news, and no reference is in a monitoring job's news set: a known
  monitoring job answers the spec's 404 ``"REF not found for this AML job"`` for every reference
  (after the query's 400s), any other job ``"No AML job found for this partner"``. No article is
  ever made up.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, replace

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from openkyc.callbacks.service import v3_signature_headers
from openkyc.db import utcnow
from openkyc.jobs import v3_aml
from openkyc.jobs.models import ApiVersion, Job
from openkyc.jobs.v3_aml import AmlSubject, AmlSubmission, NoEnrolledUser, NoPriorRecord, PriorRecord
from openkyc.runtime import Runtime
from openkyc.signing.sid_request import format_js_iso
from openkyc.typeid import derived as derived_typeid
from openkyc.typeid import new as new_typeid
from openkyc.v3.auth import V3Caller, token_caller
from openkyc.v3.entries import require_callback_destination
from openkyc.v3.errors import UNEXPECTED, V3Error, bad_request, invalid, missing
from openkyc.v3.fields import Common, boolean, common
from openkyc.v3.forms import V3Form, read_form
from openkyc.webdeps import RuntimeDep

log = logging.getLogger(__name__)

router = APIRouter(tags=["V3: AML"])

ACCEPTED = "Job submitted successfully"  # OneTimeAmlAcceptedResponse
MONITORING_ACCEPTED = "Request accepted and queued for processing."  # AcceptedResponse
MAX_COUNTRIES = 250
MAX_FULL_NAME = 500
MAX_ALIASES = 20
MAX_ALIAS = 256
IDEMPOTENCY_HEADER = "SmileID-Idempotency-Key"
_IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_-]{16,128}$")
_COUNTRY = re.compile(r"^[A-Za-z]{2}$")
_YEAR = re.compile(r"^\d{4}$")
_PAGE = re.compile(r"^[0-9]{1,6}$")
DETAILS_PREFIX = "user_details."
NEWS_CATEGORIES = (
    "arms_trafficking",
    "credit_update",
    "environmental_crime",
    "financial_crime",
    "human_rights_violation",
    "leadership_change",
    "legal_risk",
    "location_change",
    "narcotics",
    "other",
    "other_crime",
    "ownership_change",
    "product_change",
    "regulatory",
    "sexual_crime",
    "technology_event",
    "terrorism",
    "violent_crime",
)
# The token products (POST /v3/token's ``product``) that may call each operation.
ONE_TIME_SCOPES = ("one_time_aml", "aml")
MONITORING_SCOPES = ("aml",)
PRODUCT_NOT_ENABLED = "Product not enabled for this partner."
SYNC_PRODUCT_NOT_ENABLED = "This feature requires you to activate ID Validation for your Smile ID account."
NO_AML_JOB = "No AML job found for this partner"
NO_REFERENCE = "REF not found for this AML job"
MAX_NEWS_PAGE = 100


def _countries(form: V3Form) -> tuple[str, ...]:
    """``countries``: one JSON array part of two-letter codes (a bare or repeated field is refused)."""
    values = form.texts.get("countries", [])
    if len(values) != 1 or form.file_parts.get("countries"):
        raise missing("countries")
    try:
        codes = json.loads(values[0])
    except ValueError as error:
        raise missing("countries") from error
    if not isinstance(codes, list) or not 1 <= len(codes) <= MAX_COUNTRIES:
        raise missing("countries")
    if not all(isinstance(code, str) and _COUNTRY.match(code) for code in codes):
        raise missing("countries")
    return tuple(dict.fromkeys(code.upper() for code in codes))


def _full_name(form: V3Form, *, required: bool) -> str | None:
    name = form.text("full_name")
    if name is None or not name.strip():
        if required:
            raise missing("full_name")
        return None
    if len(name) > MAX_FULL_NAME or any(ord(char) < 0x20 for char in name):
        raise missing("full_name")
    return name.strip()


def _birth_year(form: V3Form, *, monitoring: bool) -> int | None:
    """Four digits (a bare integer part is the same text), from 1000 to this year."""
    text = form.text("birth_year")
    if text is None or not text.strip():
        return None
    text = text.strip()
    if not _YEAR.match(text) or not 1000 <= int(text) <= utcnow().year:
        raise (
            bad_request("Field 'birth_year' must be a four digit year.")
            if monitoring
            else invalid("birth_year")
        )
    return int(text)


def _aliases(form: V3Form) -> tuple[str, ...]:
    raw = form.text("aliases")
    if raw is None or not raw.strip():
        return ()
    try:
        aliases = json.loads(raw)
    except ValueError as error:
        raise invalid("aliases") from error
    if not isinstance(aliases, list) or not all(isinstance(alias, str) for alias in aliases):
        raise invalid("aliases")
    if len(aliases) > MAX_ALIASES:
        raise bad_request(f"Field 'aliases' must contain at most {MAX_ALIASES} entries.")
    if any(len(alias) > MAX_ALIAS for alias in aliases):
        raise bad_request(f"Field 'aliases' entries must be at most {MAX_ALIAS} characters.")
    if any(not alias.strip() or any(ord(char) < 0x20 for char in alias) for alias in aliases):
        raise invalid("aliases")
    return tuple(dict.fromkeys(alias.strip() for alias in aliases))


@dataclass(frozen=True)
class _Checked:
    caller: V3Caller
    submission: AmlSubmission


def _searched_user(form: V3Form, request: Request, caller: V3Caller, *, monitoring: bool) -> str:
    """The user search_existing_user names: the body's ``user_id`` (monitoring also takes the
    ``User-ID`` header's or the token's), else the spec's 400."""
    given = form.text("user_id")
    if monitoring:
        given = given or request.headers.get("user-id") or caller.scope.user_id
    if given is None or not given.strip():
        raise bad_request("Required field 'user_id' is missing or invalid when search_existing_user is true.")
    return given.strip()


def _prior(runtime: Runtime, caller: V3Caller, user_id: str) -> PriorRecord:
    try:
        return v3_aml.prior_record(
            runtime, partner_id=caller.partner_id, environment=caller.environment.value, user_id=user_id
        )
    except NoEnrolledUser as error:
        raise V3Error(404, "No enrolled user found for this partner.") from error
    except NoPriorRecord as error:
        raise V3Error(
            404, "No prior KYC record with a usable name and country was found for this user."
        ) from error


def _scoped(caller: V3Caller, products: tuple[str, ...], message: str = PRODUCT_NOT_ENABLED) -> None:
    """A token scoped to a product may call only that product's operations (403); unscoped, any."""
    if caller.scope.product is not None and caller.scope.product not in products:
        raise V3Error(403, message)


async def _check(
    request: Request,
    runtime: Runtime,
    *,
    product: str,
    callback_message: str | None,
    product_message: str = PRODUCT_NOT_ENABLED,
) -> _Checked:
    """Authenticate and check an AML request in the spec's order; ``callback_message``: the 400
    when neither the request nor the partner's settings give a callback URL (None: optional)."""
    caller = await token_caller(request, runtime)
    _scoped(caller, ONE_TIME_SCOPES if product == v3_aml.ONE_TIME_AML else MONITORING_SCOPES, product_message)
    form = await read_form(request)
    monitoring = product == v3_aml.AML_MONITORING
    countries = _countries(form)
    search_existing_user = boolean(form.text("search_existing_user"), "search_existing_user")
    # Monitoring may leave full_name to the user's prior record; One-Time AML never does.
    full_name = _full_name(form, required=not (monitoring and search_existing_user))
    birth_year = _birth_year(form, monitoring=monitoring)
    strict_match = boolean(form.text("strict_match"), "strict_match", default=True)
    aliases = _aliases(form)
    searched = _searched_user(form, request, caller, monitoring=monitoring) if search_existing_user else None
    shared: Common = common(
        form,
        scope=caller.scope,
        user_header=request.headers.get("user-id"),
        now=utcnow(),
        details_prefix=DETAILS_PREFIX,
    )
    # Only the request's (or token's) URL is kept with the job: a callback without one goes to the
    # partner's default as it is when the callback is sent (jobs.results_out).
    if callback_message is not None:
        await run_in_threadpool(
            require_callback_destination, runtime, caller, shared.callback_url, callback_message
        )
    if searched is not None:
        prior = await run_in_threadpool(_prior, runtime, caller, searched)
        # The one-time screening's name, countries and birth year stay the request's (the flag is
        # a gate); monitoring takes the name and birth year of the prior record when not sent.
        full_name = full_name or prior.full_name
        if monitoring and birth_year is None:
            birth_year = prior.birth_year
    if full_name is None:  # required above unless the prior record gave it
        raise missing("full_name")
    subject = AmlSubject(
        full_name=full_name,
        countries=countries,
        aliases=aliases,
        birth_year=birth_year,
        strict_match=strict_match,
    )
    return _Checked(
        caller,
        AmlSubmission(
            job_id=new_typeid("job"),
            user_id=shared.user_id,
            product=product,
            subject=subject,
            v3_request={
                **shared.record(product),
                **subject.record(),
                "search_existing_user": search_existing_user,
            },
            partner_params=shared.partner_params,
            callback_url=shared.callback_url,
        ),
    )


@router.post(
    "/v3/aml",
    status_code=202,
    summary="Submit One-Time AML screening",
    responses={400: {}, 401: {}, 403: {}, 404: {}, 413: {}, 415: {}, 500: {}},
)
async def one_time_aml(request: Request, runtime: RuntimeDep) -> JSONResponse:
    checked = await _check(
        request,
        runtime,
        product=v3_aml.ONE_TIME_AML,
        callback_message="Required field 'callback_url' is missing or invalid.",
    )
    job = await run_in_threadpool(
        v3_aml.submit, runtime, checked.caller.submitter, checked.submission, call_back=True
    )
    body = {"status": "accepted", "message": ACCEPTED, "job_id": job.job_id, "user_id": job.user_id}
    return JSONResponse(status_code=202, content=body)


def _idempotency_key(request: Request) -> str | None:
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None or not key.strip():
        return None
    if not _IDEMPOTENCY_KEY.match(key.strip()):
        raise invalid(IDEMPOTENCY_HEADER)
    return key.strip()


def _keyed_job_id(caller: V3Caller, key: str) -> str:
    """The job id an idempotency key names: the same for every request of the partner's
    environment carrying it, and for no other partner's or environment's."""
    seed = "\n".join(("openkyc v3 aml/sync", caller.partner_id, caller.environment.value, key))
    return derived_typeid("job", seed.encode("utf-8"))


@router.post(
    "/v3/aml/sync",
    summary="Submit One-Time AML screening and receive the result inline",
    responses={400: {}, 401: {}, 403: {}, 404: {}, 413: {}, 415: {}, 500: {}},
)
async def one_time_aml_sync(request: Request, runtime: RuntimeDep) -> JSONResponse:
    checked = await _check(
        request,
        runtime,
        product=v3_aml.ONE_TIME_AML,
        callback_message=None,
        product_message=SYNC_PRODUCT_NOT_ENABLED,
    )
    key = _idempotency_key(request)
    caller, submission = checked.caller, checked.submission
    if key is None:
        job = await run_in_threadpool(v3_aml.submit, runtime, caller.submitter, submission, call_back=False)
    else:
        keyed = replace(submission, job_id=_keyed_job_id(caller, key))
        job = await run_in_threadpool(v3_aml.submit_once, runtime, caller.submitter, keyed)
    body = v3_aml.payload(job)
    ids = {"SmileID-Job-ID": job.job_id, "User-ID": job.user_id}
    if body["status"] == "error":
        # The spec reports a screening that could not be made as a 500 (never a 200 "error");
        # the job holds the error, which GET /v3/status gives.
        raise V3Error(500, UNEXPECTED, headers=ids)
    headers = {**v3_signature_headers(caller.api_key, caller.partner_id, utcnow()), **ids}
    return JSONResponse(status_code=200, content=body, headers=headers)


@router.post(
    "/v3/aml/monitoring",
    status_code=202,
    summary="Submit AML Monitoring screening",
    responses={400: {}, 401: {}, 403: {}, 404: {}, 415: {}, 500: {}},
)
async def aml_monitoring(request: Request, runtime: RuntimeDep) -> JSONResponse:
    checked = await _check(
        request,
        runtime,
        product=v3_aml.AML_MONITORING,
        callback_message=(
            "A valid callback_url is required in the request or a default callback URL must be "
            "configured in the portal."
        ),
    )
    job = await run_in_threadpool(
        v3_aml.submit, runtime, checked.caller.submitter, checked.submission, call_back=True
    )
    body = {
        "status": "accepted",
        "message": MONITORING_ACCEPTED,
        "job_id": job.job_id,
        "user_id": job.user_id,
        "created_at": format_js_iso(job.created_at),
    }
    return JSONResponse(status_code=202, content=body)


def _page_number(request: Request, name: str, default: int) -> int:
    text = request.query_params.get(name)
    if text is None:
        return default
    # ASCII digits, a few: str.isdigit() also takes "²" (which int() refuses) and int() refuses
    # texts past 4300 digits; either was a 500.
    if not _PAGE.match(text.strip()) or not 1 <= int(text.strip()) <= MAX_NEWS_PAGE:
        raise bad_request(f"{name} must be an integer between 1 and {MAX_NEWS_PAGE}")
    return int(text.strip())


def _monitoring_job(runtime: Runtime, caller: V3Caller, job_id: str) -> Job | None:
    """The partner's (and token user's, for a token bound to one) AML Monitoring job ``job_id``."""
    job = v3_aml.find_job(
        runtime, partner_id=caller.partner_id, environment=caller.environment.value, job_id=job_id
    )
    if job is None or job.api_version != ApiVersion.V3:
        return None
    if (job.v3_request or {}).get("product") != v3_aml.AML_MONITORING:
        return None
    if caller.scope.user_id is not None and caller.scope.user_id != job.user_id:
        return None
    return job


@router.get(
    "/v3/aml/monitoring/{job_id}/news/{reference}",
    summary="Get AML Monitoring news media details for a reference",
    response_model=None,
    responses={400: {}, 401: {}, 404: {}},
)
async def aml_monitoring_news(job_id: str, reference: str, request: Request, runtime: RuntimeDep) -> None:
    caller = await token_caller(request, runtime)
    _scoped(caller, MONITORING_SCOPES)
    category = request.query_params.get("news_category")
    if category is None or not category.strip():
        raise bad_request("news_category is required")
    if category not in NEWS_CATEGORIES:
        raise bad_request(f"news_category must be one of: {', '.join(NEWS_CATEGORIES)}")
    _page_number(request, "page", 1)
    _page_number(request, "limit", 25)
    job = await run_in_threadpool(_monitoring_job, runtime, caller, job_id)
    if job is None:
        raise V3Error(404, NO_AML_JOB)
    # No news-media source is screened: no person of any result has news, so no reference is in
    # this job's news set (see the module's docstring).
    raise V3Error(404, NO_REFERENCE)
