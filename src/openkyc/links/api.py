"""The signed REST API of verification links (Smile Links): create, read, list, change, disable.

Signed as the rest of v1: ``partner_id``, ``timestamp`` and ``signature`` in the JSON body, or the
``SmileID-*`` headers (the GET routes, which have no body). What a link may be is decided by
:mod:`openkyc.links.manage`, shared with the portal; this module reads the wire format and answers
a :class:`~openkyc.links.manage.LinkError` with the documented codes: 2204 for a field of the wrong
JSON type, 2213 for a missing one, 2413 for a value that cannot be used (an unsupported ID type, an
expiry in the past, a logo that cannot be read), and 404/2404 for a link that is not the caller's.

A link belongs to the environment of the key that created it, and a key reads and changes only its
own environment's links, as ``job_status`` reads only its environment's jobs: a sandbox key (often
kept less carefully) never sees a production link, whose URL lets anyone start production jobs.

A ``logo_url`` is read once, here, when the link is created or its logo changed, and kept as a PNG
that the hosted page serves itself (:mod:`openkyc.links.logo`); an inline ``data:`` logo is kept
only as that PNG (the link's ``logo_url`` then reads null, ``has_logo`` true).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field, InstanceOf, model_validator
from pydantic.json_schema import SkipJsonSchema
from sqlalchemy import select
from sqlalchemy.orm import Session, defer
from starlette.concurrency import run_in_threadpool

from openkyc import audit
from openkyc.api_errors import (
    INVALID_VALUE,
    MISSING_PARAMETER,
    NOT_FOUND,
    PRODUCTION_NOT_ENABLED,
    SERVICE_UNAVAILABLE,
    SIGNED_BODY_ERRORS,
    SYSTEM_ERROR,
    UNAUTHORIZED,
    WRONG_DATA_TYPE,
    ApiError,
    error_responses,
)
from openkyc.db import transaction, utcnow
from openkyc.http import SIGNATURE_HEADERS, SignedBody, json_body, read_json_object, validate_body
from openkyc.links import manage
from openkyc.links.logo import is_data_url, logo_png_async
from openkyc.links.manage import LinkError, LinkFields, LinkState
from openkyc.links.models import SmileLink, VerificationMethod
from openkyc.partners.auth import Caller, authenticate
from openkyc.runtime import Runtime
from openkyc.signing.environment import Environment
from openkyc.webdeps import RuntimeDep, public_base_url

router = APIRouter(prefix="/v1", tags=["verification links"])

# GET /v1/smile_links answers at most this many links, the newest first.
LIST_LIMIT = 500
AUDIT_TARGET = "link"  # as the portal records its link changes

# What a header-signed GET may answer besides its own 404: the signature, production, failures.
_HEADER_SIGNED_ERRORS = (
    WRONG_DATA_TYPE,
    UNAUTHORIZED,
    PRODUCTION_NOT_ENABLED,
    SYSTEM_ERROR,
    SERVICE_UNAVAILABLE,
)
LINK_NOT_FOUND = "Link not found"

# The JSON type each field must have (2204 otherwise), checked before what the value means.
_TEXT_FIELDS = (
    "name",
    "company_name",
    "callback_url",
    "data_privacy_policy_url",
    "logo_url",
    "user_id",
    "expires_at",
    "description",
    "redirect_url",
    "theme_color",
)
# What changes_of reads, and the logo this module handles itself.
CHANGEABLE = (
    "name",
    "company_name",
    "id_types",
    "callback_url",
    "data_privacy_policy_url",
    "logo_url",
    "expires_at",
    "partner_params",
    "description",
    "redirect_url",
    "theme_color",
    "is_disabled",
)
# What visitors and jobs were promised: answered 2413 when a change asks for another value.
FIXED = ("is_single_use", "user_id")


# --- reading bodies --------------------------------------------------------------------------------


def _check_types(body: dict[str, Any]) -> None:
    """2204 for the first field of the wrong JSON type (absent and null fields are left to the rest)."""
    for name in _TEXT_FIELDS:
        value = body.get(name)
        if value is not None and not isinstance(value, str):
            raise ApiError(WRONG_DATA_TYPE, f"{name} must be a string")
    id_types = body.get("id_types")
    if id_types is not None:
        if not isinstance(id_types, list):
            raise ApiError(WRONG_DATA_TYPE, "id_types must be a list of objects")
        for index, entry in enumerate(id_types):
            if not isinstance(entry, dict):
                raise ApiError(WRONG_DATA_TYPE, f"id_types[{index}] must be an object")
            for key in ("country", "id_type", "verification_method"):
                if entry.get(key) is not None and not isinstance(entry[key], str):
                    raise ApiError(WRONG_DATA_TYPE, f"id_types[{index}].{key} must be a string")
    single_use = body.get("is_single_use")
    if (
        single_use is not None
        and not isinstance(single_use, bool)
        and single_use not in ("true", "false", "")
    ):
        raise ApiError(WRONG_DATA_TYPE, "is_single_use must be true or false")
    params = body.get("partner_params")
    if params is not None and params != "" and not isinstance(params, dict):
        raise ApiError(WRONG_DATA_TYPE, "partner_params must be an object")
    disabled = body.get("is_disabled")
    if disabled is not None and not isinstance(disabled, bool):
        raise ApiError(WRONG_DATA_TYPE, "is_disabled must be true or false")


def _top_field(field: str) -> str:
    return re.split(r"[.\[]", field, maxsplit=1)[0]


def api_error(error: LinkError, body: dict[str, Any]) -> ApiError:
    """The documented answer to ``error``: 2213 when its field was not given, else 2413."""
    given = body.get(_top_field(error.field))
    if error.message == f"{error.field} is required" or given is None or given in ("", []):
        return ApiError(MISSING_PARAMETER, error.message)
    return ApiError(INVALID_VALUE, error.message)


def _logo_source(value: Any) -> tuple[str | None, bool]:
    """(what to read the logo from, whether it is inline): a data: URL or a checked http(s) URL."""
    if value is None or value == "":
        return None, False
    text = str(value).strip()
    if is_data_url(text):
        return text, True
    return manage.check_url("logo_url", text, required=False), False


def parse_create(body: dict[str, Any], *, now: datetime) -> tuple[LinkFields, str | None]:
    """A new link's fields and where its logo comes from, or the documented ApiError."""
    _check_types(body)
    try:
        logo, inline = _logo_source(body.get("logo_url"))
        # An inline logo is kept as the PNG only: the row's logo_url holds a URL, not an image.
        # company_name may be left out: the page then names the partner by its own name.
        fields = manage.fields_of(
            {**body, "logo_url": None} if inline else body, now=now, company_required=False
        )
    except LinkError as error:
        raise api_error(error, body) from None
    return fields, logo


def parse_changes(body: dict[str, Any], *, now: datetime) -> tuple[dict[str, Any], bool, str | None]:
    """(the checked changes, whether the logo changes, where the new one comes from)."""
    _check_types(body)
    try:
        changes = manage.changes_of(body, now=now)
        logo, _ = _logo_source(body.get("logo_url"))
    except LinkError as error:
        raise api_error(error, body) from None
    logo_given = "logo_url" in body
    if not changes and not logo_given:
        raise ApiError(MISSING_PARAMETER, f"Nothing to change: send any of {', '.join(CHANGEABLE)}")
    return changes, logo_given, logo


class SmileLinkIdType(BaseModel):
    country: str = Field(description="ISO 3166-1 alpha-2.", examples=["NG"])
    id_type: str = Field(description="As GET /v1/services names it.", examples=["PASSPORT"])
    verification_method: VerificationMethod = Field(description="What the visitor goes through for it.")


_ID_TYPES_DESCRIPTION = (
    "The ID types a visitor may choose from, each with one verification method: biometric_kyc and "
    "enhanced_kyc take an ID number (GET /v1/services), doc_verification and "
    "enhanced_document_verification a document (POST /v1/valid_documents)."
)
_LOGO_DESCRIPTION = (
    "An http(s) URL of a PNG or JPEG, read once now (5 s, 1 MiB, public addresses only), or a "
    "data:image/png or data:image/jpeg base64 URL; kept as a PNG of at most 256 px that the link's "
    "page serves itself. One that cannot be read is refused with 2413."
)
_DESCRIPTION_DESCRIPTION = "Shown to visitors under your company's name (at most 1000 characters)."
_REDIRECT_DESCRIPTION = "Where the page sends the visitor once their verification is submitted (http(s))."
_THEME_DESCRIPTION = "The page's accent colour, #rgb or #rrggbb."
_EXPIRES_DESCRIPTION = (
    "ISO 8601, in the future (a date alone means its end); a single-use link given none expires "
    "after 90 days."
)


class SmileLinkCreateRequest(SignedBody):
    """POST /v1/smile_links: a new verification link, in the environment of the signing key."""

    parsed: SkipJsonSchema[InstanceOf[LinkFields]] = Field(exclude=True)
    logo_source: SkipJsonSchema[str | None] = Field(default=None, exclude=True)
    name: str = Field(description="Shown to you, not to visitors.", examples=["Onboarding"])
    company_name: str | None = Field(
        default=None,
        description="Shown to visitors; your partner name when left out.",
        examples=["Acme Ltd"],
    )
    id_types: list[SmileLinkIdType] = Field(
        description=_ID_TYPES_DESCRIPTION,
        examples=[[{"country": "NG", "id_type": "PASSPORT", "verification_method": "doc_verification"}]],
    )
    callback_url: str | None = Field(
        default=None,
        description="Where each visitor's job result is POSTed; else your default callback URL.",
        examples=["https://partner.example.com/callback"],
    )
    data_privacy_policy_url: str = Field(
        description="Your privacy policy, linked from the consent screen.",
        examples=["https://partner.example.com/privacy"],
    )
    logo_url: str | None = Field(default=None, description=_LOGO_DESCRIPTION)
    is_single_use: bool = Field(default=False, description="One job by one person, or anyone, many times.")
    user_id: str | None = Field(
        default=None,
        description="Single-use links only: the person's user_id (generated when not given).",
    )
    expires_at: datetime | None = Field(default=None, description=_EXPIRES_DESCRIPTION)
    partner_params: dict[str, Any] = Field(
        default_factory=dict,
        description="Copied into each job's partner_params (not user_id, job_id, job_type or ref_id).",
    )
    description: str | None = Field(default=None, description=_DESCRIPTION_DESCRIPTION)
    redirect_url: str | None = Field(default=None, description=_REDIRECT_DESCRIPTION)
    theme_color: str | None = Field(default=None, description=_THEME_DESCRIPTION, examples=["#0b5cad"])

    @model_validator(mode="before")
    @classmethod
    def _documented_errors(cls, body: Any) -> Any:
        fields, logo = parse_create(body, now=utcnow())
        return {
            "parsed": fields,
            "logo_source": logo,
            "name": fields.name,
            "company_name": fields.company_name,
            "id_types": [t.as_dict() for t in fields.id_types],
            "callback_url": fields.callback_url,
            "data_privacy_policy_url": fields.data_privacy_policy_url,
            "logo_url": fields.logo_url,
            "is_single_use": fields.is_single_use,
            "user_id": fields.user_id,
            "expires_at": fields.expires_at,
            "partner_params": fields.partner_params,
            "description": fields.description,
            "redirect_url": fields.redirect_url,
            "theme_color": fields.theme_color,
        }


class SmileLinkUpdateRequest(SignedBody):
    """PUT /v1/smile_links/{ref_id}: only the fields sent change (a null clears an optional one).

    ``is_single_use`` and ``user_id`` are fixed at creation; sent with another value they are
    refused (2413), sent unchanged (a resource read back and sent again) they are ignored.
    """

    changes: SkipJsonSchema[InstanceOf[dict]] = Field(exclude=True)  # type: ignore[type-arg]
    logo_given: SkipJsonSchema[bool] = Field(default=False, exclude=True)
    logo_source: SkipJsonSchema[str | None] = Field(default=None, exclude=True)
    fixed: SkipJsonSchema[InstanceOf[dict]] = Field(exclude=True)  # type: ignore[type-arg]
    name: str | None = Field(default=None, examples=["Onboarding (2027)"])
    company_name: str | None = None
    id_types: list[SmileLinkIdType] | None = Field(default=None, description=_ID_TYPES_DESCRIPTION)
    callback_url: str | None = None
    data_privacy_policy_url: str | None = None
    logo_url: str | None = Field(default=None, description=_LOGO_DESCRIPTION + " null removes the logo.")
    expires_at: datetime | None = Field(default=None, description=_EXPIRES_DESCRIPTION + " null: never.")
    partner_params: dict[str, Any] | None = None
    description: str | None = Field(default=None, description=_DESCRIPTION_DESCRIPTION + " null removes it.")
    redirect_url: str | None = Field(default=None, description=_REDIRECT_DESCRIPTION + " null removes it.")
    theme_color: str | None = Field(default=None, description=_THEME_DESCRIPTION + " null: the default.")
    is_disabled: bool | None = Field(default=None, description="true disables the link, false enables it.")

    @model_validator(mode="before")
    @classmethod
    def _documented_errors(cls, body: Any) -> Any:
        changes, logo_given, logo = parse_changes(body, now=utcnow())
        fixed: dict[str, Any] = {}
        try:
            if "is_single_use" in body:
                fixed["is_single_use"] = manage.single_use_of(body["is_single_use"])
        except LinkError as error:
            raise api_error(error, body) from None
        if "user_id" in body:
            fixed["user_id"] = body["user_id"] or None
        return {"changes": changes, "logo_given": logo_given, "logo_source": logo, "fixed": fixed}


class SmileLinkReadRequest(SignedBody):
    """Only the credentials: the link is named by the path."""


class SmileLinkDisableRequest(SignedBody):
    """Only the credentials: the link is named by the path. Disabling a disabled link changes nothing."""


# --- answers ---------------------------------------------------------------------------------------


class SmileLinkCreated(BaseModel):
    success: bool = Field(examples=[True])
    link: str = Field(
        description="The page to send your customer to.",
        examples=["https://kyc.example.com/verify/q0c5n7aOAFUrzqS0wVxPZ5QG0zl3PS1gF9VXyPvQfX8"],
    )
    ref_id: str = Field(description="The link's id.", examples=["0b0a5f6e-8a5c-4d4b-9d8c-1f6f0c2a9e11"])


class SmileLinkResource(BaseModel):
    """A link as it is now; the job figures come with a single link's answer only."""

    ref_id: str
    link: str
    name: str
    company_name: str
    id_types: list[SmileLinkIdType]
    callback_url: str | None
    data_privacy_policy_url: str
    logo_url: str | None = Field(
        description="The http(s) URL the logo was read from; null for an inline one."
    )
    has_logo: bool = Field(description="Whether the link's page shows a logo.")
    is_single_use: bool
    user_id: str | None
    partner_params: dict[str, Any]
    expires_at: str | None
    description: str | None
    redirect_url: str | None
    theme_color: str | None
    is_disabled: bool
    status: LinkState
    environment: Environment
    created_at: str
    total_jobs: int | None = Field(default=None, description="Jobs submitted through the link.")
    successful_jobs: int | None = Field(default=None, description="Finished with a successful result.")
    failed_jobs: int | None = Field(default=None, description="Finished with an unsuccessful result.")
    pending_jobs: int | None = Field(default=None, description="Not finished, or awaiting review.")


class SmileLinkAnswer(SmileLinkResource):
    success: bool = Field(examples=[True])


class SmileLinkList(BaseModel):
    success: bool = Field(examples=[True])
    links: list[SmileLinkResource] = Field(description=f"The newest first, at most {LIST_LIMIT}.")
    truncated: bool = Field(description=f"More than {LIST_LIMIT} links matched: the oldest are left out.")


def _resource(
    link: SmileLink, *, base_url: str, now: datetime, has_logo: bool, jobs: manage.LinkJobs | None = None
) -> dict[str, Any]:
    return {**manage.resource(link, base_url=base_url, now=now, jobs=jobs), "has_logo": has_logo}


def _answer(session: Session, link: SmileLink, *, base_url: str, now: datetime) -> dict[str, Any]:
    """One link's answer: the resource with its jobs' figures."""
    jobs = manage.jobs_of(session, link)
    return {
        "success": True,
        **_resource(link, base_url=base_url, now=now, has_logo=link.logo_png is not None, jobs=jobs),
    }


def _own_link(session: Session, caller: Caller, ref_id: str) -> SmileLink:
    """The caller's link ``ref_id`` of its key's environment, or 404 (another partner's, unknown, junk)."""
    link = manage.get_link(session, caller.partner_id, ref_id)
    if link is None or link.environment != caller.environment.value:
        raise ApiError(NOT_FOUND, LINK_NOT_FOUND)
    return link


def _actor(caller: Caller) -> audit.Actor:
    return audit.Actor.partner(caller.partner_id)


async def _logo(runtime: Runtime, source: str | None) -> bytes | None:
    if source is None:
        return None
    try:
        return await logo_png_async(source, allow_private=runtime.settings.allow_private_callbacks)
    except LinkError as error:
        raise ApiError(INVALID_VALUE, error.message) from None


# --- routes ----------------------------------------------------------------------------------------

_BODY_ERRORS = error_responses(*SIGNED_BODY_ERRORS, MISSING_PARAMETER, INVALID_VALUE, NOT_FOUND)


@router.post(
    "/smile_links",
    response_model=None,
    openapi_extra=json_body(SmileLinkCreateRequest),
    responses={
        200: {"model": SmileLinkCreated, "description": "The link."},
        **error_responses(*SIGNED_BODY_ERRORS, MISSING_PARAMETER, INVALID_VALUE),
    },
)
async def create_smile_link(request: Request, runtime: RuntimeDep) -> dict[str, Any]:
    """Create a verification link for your customers, in the environment of the signing key."""
    body = await read_json_object(request, runtime.settings.max_json_body)
    caller = authenticate(runtime, headers=request.headers, body=body)
    parsed = validate_body(SmileLinkCreateRequest, body)
    png = await _logo(runtime, parsed.logo_source)
    base_url = public_base_url(request, runtime)

    def create() -> dict[str, Any]:
        with transaction(runtime.sessions) as session:
            link = manage.create_link(
                session,
                partner_id=caller.partner_id,
                environment=caller.environment.value,
                fields=parsed.parsed,
                created_by=f"api:{caller.key_id}",
                now=utcnow(),
                logo_png=png,
            )
            audit.record(
                session,
                actor=_actor(caller),
                action="link.created",
                target_type=AUDIT_TARGET,
                target_id=link.ref_id,
                detail={
                    "environment": link.environment,
                    "key_id": caller.key_id,
                    "is_single_use": link.is_single_use,
                    "id_types": len(link.id_types),
                    "has_logo": png is not None,
                },
            )
            return {"success": True, "link": manage.link_url(base_url, link), "ref_id": link.ref_id}

    return await run_in_threadpool(create)


async def _read(request: Request, runtime: Runtime, caller: Caller, ref_id: str) -> dict[str, Any]:
    base_url = public_base_url(request, runtime)

    def read() -> dict[str, Any]:
        with transaction(runtime.sessions) as session:
            return _answer(session, _own_link(session, caller, ref_id), base_url=base_url, now=utcnow())

    return await run_in_threadpool(read)


_REF_ID = Annotated[str, Path(description="The link's ref_id (a uuid), as its creation answered.")]


@router.post(
    "/smile_links/{ref_id}",
    response_model=None,
    openapi_extra=json_body(SmileLinkReadRequest),
    responses={
        200: {"model": SmileLinkAnswer, "description": "The link, with its jobs' figures."},
        **_BODY_ERRORS,
    },
)
async def read_smile_link_signed_body(
    ref_id: _REF_ID, request: Request, runtime: RuntimeDep
) -> dict[str, Any]:
    """One of your links with its jobs' figures (the body-signed form the server SDKs send)."""
    body = await read_json_object(request, runtime.settings.max_json_body)
    caller = authenticate(runtime, headers=request.headers, body=body)
    validate_body(SmileLinkReadRequest, body)
    return await _read(request, runtime, caller, ref_id)


@router.get(
    "/smile_links/{ref_id}",
    response_model=None,
    openapi_extra={"parameters": SIGNATURE_HEADERS},
    responses={
        200: {"model": SmileLinkAnswer, "description": "The link, with its jobs' figures."},
        **error_responses(*_HEADER_SIGNED_ERRORS, NOT_FOUND),
    },
)
async def read_smile_link(ref_id: _REF_ID, request: Request, runtime: RuntimeDep) -> dict[str, Any]:
    """One of your links with its jobs' figures (signed with the SmileID-* headers)."""
    caller = authenticate(runtime, headers=request.headers, body=None)
    return await _read(request, runtime, caller, ref_id)


def _choice(name: str, value: str | None, choices: list[str]) -> str | None:
    if value is None or value == "":
        return None
    if value not in choices:
        raise ApiError(INVALID_VALUE, f"{name} must be one of {', '.join(choices)}")
    return value


@router.get(
    "/smile_links",
    response_model=None,
    openapi_extra={"parameters": SIGNATURE_HEADERS},
    responses={
        200: {"model": SmileLinkList, "description": f"Your links, the newest first, at most {LIST_LIMIT}."},
        **error_responses(*_HEADER_SIGNED_ERRORS, INVALID_VALUE),
    },
)
async def list_smile_links(
    request: Request,
    runtime: RuntimeDep,
    environment: Annotated[
        str | None,
        Query(description="sandbox or production: must be the signing key's own (the default)."),
    ] = None,
    status: Annotated[str | None, Query(description="active, disabled, expired or used.")] = None,
) -> dict[str, Any]:
    """Your links of the signing key's environment, the newest first (without job figures)."""
    caller = authenticate(runtime, headers=request.headers, body=None)
    wanted_environment = _choice("environment", environment, [e.value for e in Environment])
    if wanted_environment not in (None, caller.environment.value):
        raise ApiError(
            UNAUTHORIZED,
            f"A {caller.environment.value} key lists {caller.environment.value} links only: "
            f"sign with your {wanted_environment} key to list {wanted_environment} links",
        )
    wanted_status = _choice("status", status, [s.value for s in LinkState])
    base_url = public_base_url(request, runtime)

    def read() -> dict[str, Any]:
        now = utcnow()
        query = (
            select(SmileLink, SmileLink.logo_png.is_not(None))
            .where(SmileLink.partner_id == caller.partner_id)
            .where(SmileLink.environment == caller.environment.value)
            .options(defer(SmileLink.logo_png))  # the logos stay in the database
            .order_by(SmileLink.created_at.desc(), SmileLink.ref_id)
            .execution_options(yield_per=100)
        )
        # Only disabled links are disabled: the one rule of state_of the database can apply alone.
        if wanted_status == LinkState.DISABLED:
            query = query.where(SmileLink.disabled_at.is_not(None))
        elif wanted_status is not None:
            query = query.where(SmileLink.disabled_at.is_(None))
        found: list[dict[str, Any]] = []
        truncated = False
        with transaction(runtime.sessions) as session:
            for link, has_logo in session.execute(query):
                if wanted_status is not None and manage.state_of(link, now) != wanted_status:
                    continue
                if len(found) == LIST_LIMIT:
                    truncated = True
                    break
                found.append(_resource(link, base_url=base_url, now=now, has_logo=bool(has_logo)))
        return {"success": True, "links": found, "truncated": truncated}

    return await run_in_threadpool(read)


def _check_fixed(link: SmileLink, fixed: dict[str, Any]) -> None:
    if "is_single_use" in fixed and fixed["is_single_use"] != link.is_single_use:
        raise ApiError(INVALID_VALUE, "is_single_use cannot be changed: create a new link")
    if "user_id" in fixed and fixed["user_id"] != link.user_id:
        raise ApiError(INVALID_VALUE, "user_id cannot be changed: create a new link")


# Audit details name the fields changed, never their values (URLs may carry tokens, params PII).
_AUDIT_NAMES = {"disabled_at": "is_disabled", "logo_png": None}


@router.put(
    "/smile_links/{ref_id}",
    response_model=None,
    openapi_extra=json_body(SmileLinkUpdateRequest),
    responses={200: {"model": SmileLinkAnswer, "description": "The link as changed."}, **_BODY_ERRORS},
)
async def update_smile_link(ref_id: _REF_ID, request: Request, runtime: RuntimeDep) -> dict[str, Any]:
    """Change one of your links: only the fields sent change."""
    body = await read_json_object(request, runtime.settings.max_json_body)
    caller = authenticate(runtime, headers=request.headers, body=body)
    parsed = validate_body(SmileLinkUpdateRequest, body)
    changes = dict(parsed.changes)
    if parsed.logo_given:
        source = parsed.logo_source
        changes["logo_png"] = await _logo(runtime, source)
        changes["logo_url"] = None if source is None or is_data_url(source) else source
    base_url = public_base_url(request, runtime)

    def update() -> dict[str, Any]:
        now = utcnow()
        with transaction(runtime.sessions) as session:
            link = _own_link(session, caller, ref_id)
            _check_fixed(link, parsed.fixed)
            manage.apply_changes(link, changes, now=now)
            names = sorted(filter(None, (_AUDIT_NAMES.get(name, name) for name in changes)))
            audit.record(
                session,
                actor=_actor(caller),
                action="link.updated",
                target_type=AUDIT_TARGET,
                target_id=link.ref_id,
                detail={"environment": link.environment, "key_id": caller.key_id, "fields": ",".join(names)},
            )
            session.flush()
            return _answer(session, link, base_url=base_url, now=now)

    return await run_in_threadpool(update)


@router.post(
    "/smile_links/{ref_id}/disable",
    response_model=None,
    openapi_extra=json_body(SmileLinkDisableRequest),
    responses={200: {"model": SmileLinkAnswer, "description": "The link, disabled."}, **_BODY_ERRORS},
)
async def disable_smile_link(ref_id: _REF_ID, request: Request, runtime: RuntimeDep) -> dict[str, Any]:
    """Disable one of your links: its page stops taking visitors (PUT is_disabled false enables it)."""
    body = await read_json_object(request, runtime.settings.max_json_body)
    caller = authenticate(runtime, headers=request.headers, body=body)
    validate_body(SmileLinkDisableRequest, body)
    base_url = public_base_url(request, runtime)

    def disable() -> dict[str, Any]:
        now = utcnow()
        with transaction(runtime.sessions) as session:
            link = _own_link(session, caller, ref_id)
            if link.disabled_at is None:
                manage.apply_changes(link, {"disabled_at": now}, now=now)
                audit.record(
                    session,
                    actor=_actor(caller),
                    action="link.disabled",
                    target_type=AUDIT_TARGET,
                    target_id=link.ref_id,
                    detail={"environment": link.environment, "key_id": caller.key_id},
                )
                session.flush()
            return _answer(session, link, base_url=base_url, now=now)

    return await run_in_threadpool(disable)
