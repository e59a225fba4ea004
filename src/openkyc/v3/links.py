"""``POST /v3/smile_links`` and ``GET /v3/smile_links/{refId}``: Smile Links through the V3 API.

The same links as ``POST /v1/smile_links`` and the portal make (``links.manage``: one home for what
a link may be, one table, one hosted page); this module reads and writes the V3 wire format:

* a token scoped to a product may not manage links (401, the spec's text); the body is multipart,
  ``id_types`` and ``partner_params`` JSON parts;
* the V3 names map onto the link's fields: ``notice_privacy_policy_url`` is the page's privacy
  policy, ``verification_method`` ``document_verification`` is the link's ``doc_verification``
  (either name is taken; answers use the V3 one). ``description``, ``redirect_url`` and
  ``theme_color`` are stored and honoured by the page (shown under the company's name; a
  "Continue" button to the URL when the visitor is done; the page's accent colour);
* a single-use link given no ``user_id`` gets a ``user_…`` TypeID; a ``user_id`` another link of
  the partner's environment already has is the spec's 409;
* a token bound to a user names no other user: another ``user_id`` is 403, a single-use link
  given none is the token's user's, and another user's link reads as not found (404);
* the link answers are the spec's ``SmileLinkCreated`` (201) and ``SmileLinkResource`` (the
  spec's fields, then, as its schema allows, the link's state and job figures).

A link's visitors' jobs are the hosted page's v1 jobs, whichever API made the link: the page is the
v1 hosted-web flow, whose jobs are called back in the v1 format (docs/v3.md, Smile Links).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from openkyc import audit
from openkyc.db import transaction, utcnow
from openkyc.links import manage
from openkyc.links.logo import is_data_url, logo_png_async
from openkyc.links.manage import LinkError, LinkFields
from openkyc.links.models import SmileLink, VerificationMethod
from openkyc.partners.models import Partner
from openkyc.runtime import Runtime
from openkyc.signing.sid_request import format_js_iso
from openkyc.signing.v3_tokens import TokenScope
from openkyc.typeid import new as new_typeid
from openkyc.v3 import fields
from openkyc.v3.auth import LINKS_UNAUTHORIZED, V3Caller, token_caller
from openkyc.v3.errors import V3Error, bad_request, missing
from openkyc.v3.fields import NOT_THIS_USER
from openkyc.v3.forms import V3Form, read_form
from openkyc.webdeps import RuntimeDep, public_base_url

router = APIRouter(tags=["V3: Smile Links"])

CREATED = "Smile Link created"
USER_ID_TAKEN = "User ID is taken. Please provide a unique ID."
BAD_REF_ID = "refId must be a valid link id"
LINK_NOT_FOUND = "Link not found"
AUDIT_TARGET = "link"  # as the v1 API and the portal record link changes
REQUIRED = ("id_types", "name", "notice_privacy_policy_url", "is_single_use")
TEXT_FIELDS = ("name", "callback_url", "description", "expires_at", "logo_url", "redirect_url", "theme_color")
ID_TYPE_KEYS = frozenset({"country", "id_type", "verification_method"})
# V3 product names for the link's verification methods, both ways.
V3_METHODS = {VerificationMethod.DOC_VERIFICATION.value: "document_verification"}
FROM_V3_METHODS = {v3: method for method, v3 in V3_METHODS.items()}


async def _caller(request: Request, runtime: Runtime) -> V3Caller:
    """The token's partner; a product-scoped token is refused as the spec says (401)."""
    caller = await token_caller(request, runtime, message=LINKS_UNAUTHORIZED)
    if caller.scope.product is not None:
        raise V3Error(401, LINKS_UNAUTHORIZED)
    return caller


# --- the request -----------------------------------------------------------------------------------


def _id_types(value: Any) -> list[dict[str, Any]]:
    """``id_types`` as the link takes them: each entry exactly the spec's three keys."""
    if not isinstance(value, list) or not value:
        raise missing("id_types")
    entries: list[dict[str, Any]] = []
    for entry in value:
        if not isinstance(entry, dict) or set(entry) != ID_TYPE_KEYS:
            raise bad_request(
                "Field 'id_types' is invalid: each entry must have exactly country, id_type and "
                "verification_method."
            )
        method = entry["verification_method"]
        if isinstance(method, str):  # any other type is refused by links.manage, naming the field
            method = FROM_V3_METHODS.get(method, method)
        entries.append({**entry, "verification_method": method})
    return entries


def _link_body(form: V3Form, *, minted: bool = True) -> dict[str, Any]:
    """The request as ``links.manage`` names a link's fields (checks of presence and JSON types)."""
    for name in REQUIRED:
        given = form.text(name)
        if given is None or not given.strip():
            raise missing(name)
    body: dict[str, Any] = {name: form.text(name) for name in TEXT_FIELDS}
    body["id_types"] = _id_types(form.json("id_types"))
    body["data_privacy_policy_url"] = form.text("notice_privacy_policy_url")
    body["is_single_use"] = fields.boolean(form.text("is_single_use"), "is_single_use")
    params = form.json("partner_params")
    if params is not None and not isinstance(params, dict):
        raise bad_request("Field 'partner_params' is invalid.")
    body["partner_params"] = params
    user_id = form.text("user_id")
    body["user_id"] = user_id.strip() if user_id is not None and user_id.strip() else None
    if minted and body["is_single_use"] and body["user_id"] is None:  # (else the token's user)
        body["user_id"] = new_typeid("user")
    return body


# The V3 name of each link field a LinkError names.
_V3_NAMES = {"data_privacy_policy_url": "notice_privacy_policy_url"}


def _refused(error: LinkError, body: dict[str, Any]) -> V3Error:
    """A field ``links.manage`` refuses: the spec's "missing or invalid" when it was not given,
    else what is wrong with it."""
    top = error.field.split(".", 1)[0].split("[", 1)[0]
    name = _V3_NAMES.get(top, top)
    if body.get(top) in (None, "", []):
        return missing(name)
    return bad_request(f"Field '{name}' is invalid: {error.message}.")


def _bound_user(body: dict[str, Any], scope: TokenScope) -> None:
    """A token bound to a user names no other user: a link's ``user_id`` must be the token's (403,
    the spec's text for a user id a token does not cover), and a single-use link given none is the
    token's user's. A multi-use link, which names no user, is left as it is."""
    if scope.user_id is None:
        return
    if body["user_id"] not in (None, scope.user_id):
        raise V3Error(403, NOT_THIS_USER)
    if body["is_single_use"]:
        body["user_id"] = scope.user_id


def parse(form: V3Form, *, now: datetime, scope: TokenScope | None = None) -> tuple[LinkFields, str | None]:
    """The link's checked fields and where its logo comes from (an http(s) or data: URL).
    ``scope``: the token's, which may bind the link to its user."""
    body = _link_body(form, minted=scope is None or scope.user_id is None)
    if scope is not None:
        _bound_user(body, scope)
    logo = body.get("logo_url")
    inline = isinstance(logo, str) and is_data_url(logo.strip())
    try:
        if isinstance(logo, str) and logo.strip() and not inline:
            manage.check_url("logo_url", logo, required=False)
        checked = manage.fields_of(
            {**body, "logo_url": None} if inline else body, now=now, company_required=False
        )
    except LinkError as error:
        raise _refused(error, body) from None
    return checked, (logo.strip() if isinstance(logo, str) and logo.strip() else None)


# --- the answers -----------------------------------------------------------------------------------


def v3_id_types(link: SmileLink) -> list[dict[str, str]]:
    return [
        {
            **entry,
            "verification_method": V3_METHODS.get(entry["verification_method"], entry["verification_method"]),
        }
        for entry in link.id_types
    ]


def v3_resource(
    link: SmileLink, *, base_url: str, now: datetime, default_callback_url: str | None, jobs: manage.LinkJobs
) -> dict[str, Any]:
    """The spec's ``SmileLinkResource``: its fields (a string the link has none of is left out,
    a nullable one is null), then the link's state and its jobs' figures."""
    found: dict[str, Any] = {
        "ref_id": link.ref_id,
        "link": manage.link_url(base_url, link),
        "name": link.name,
        "description": link.description,
        "id_types": v3_id_types(link),
        "is_single_use": link.is_single_use,
        "notice_privacy_policy_url": link.data_privacy_policy_url,
        "redirect_url": link.redirect_url,
        "expires_at": format_js_iso(link.expires_at) if link.expires_at is not None else None,
        "partner_params": dict(link.partner_params) if link.partner_params else None,
        "user_id": link.user_id,
    }
    # Where the results go: the link's URL, else the partner's default when it has one.
    callback_url = link.callback_url or default_callback_url
    if callback_url:
        found["callback_url"] = callback_url
    if link.logo_url:
        found["logo_url"] = link.logo_url
    if link.theme_color:
        found["theme_color"] = link.theme_color
    found.update(
        company_name=link.company_name,
        has_logo=link.logo_png is not None,
        status=manage.state_of(link, now).value,
        is_disabled=link.disabled_at is not None,
        environment=link.environment,
        created_at=format_js_iso(link.created_at),
        total_jobs=jobs.total,
        successful_jobs=jobs.successful,
        failed_jobs=jobs.failed,
        pending_jobs=jobs.pending,
    )
    return found


# --- the routes ------------------------------------------------------------------------------------


def _user_id_taken(session: Session, caller: V3Caller, user_id: str) -> bool:
    return (
        session.scalar(
            select(SmileLink.ref_id)
            .where(
                SmileLink.partner_id == caller.partner_id,
                SmileLink.environment == caller.environment.value,
                SmileLink.user_id == user_id,
            )
            .limit(1)
        )
        is not None
    )


@router.post("/v3/smile_links", summary="Create a Smile Link", status_code=201)
async def create_smile_link(request: Request, runtime: RuntimeDep) -> JSONResponse:
    caller = await _caller(request, runtime)
    form = await read_form(request)
    checked, logo_source = parse(form, now=utcnow(), scope=caller.scope)
    png = None
    if logo_source is not None:
        try:
            png = await logo_png_async(logo_source, allow_private=runtime.settings.allow_private_callbacks)
        except LinkError as error:
            raise bad_request(f"Field 'logo_url' is invalid: {error.message}.") from None
    base_url = public_base_url(request, runtime)

    def create() -> dict[str, Any]:
        with transaction(runtime.sessions) as session:
            if checked.user_id is not None and _user_id_taken(session, caller, checked.user_id):
                raise V3Error(409, USER_ID_TAKEN)
            link = manage.create_link(
                session,
                partner_id=caller.partner_id,
                environment=caller.environment.value,
                fields=checked,
                created_by=f"api:{caller.key_id}",
                now=utcnow(),
                logo_png=png,
            )
            audit.record(
                session,
                actor=audit.Actor.partner(caller.partner_id),
                action="link.created",
                target_type=AUDIT_TARGET,
                target_id=link.ref_id,
                detail={
                    "environment": link.environment,
                    "key_id": caller.key_id,
                    "api": "v3",
                    "is_single_use": link.is_single_use,
                    "id_types": len(link.id_types),
                    "has_logo": png is not None,
                },
            )
            return {
                "link": manage.link_url(base_url, link),
                "message": CREATED,
                "ref_id": link.ref_id,
                "user_id": link.user_id,
            }

    return JSONResponse(status_code=201, content=await run_in_threadpool(create))


@router.get("/v3/smile_links/{refId}", summary="Fetch a Smile Link")
async def get_smile_link(refId: str, request: Request, runtime: RuntimeDep) -> dict[str, Any]:
    caller = await _caller(request, runtime)
    try:
        ref_id = str(uuid.UUID(refId))
    except ValueError:
        raise bad_request(BAD_REF_ID) from None
    base_url = public_base_url(request, runtime)

    def read() -> dict[str, Any]:
        with transaction(runtime.sessions) as session:
            link = manage.get_link(session, caller.partner_id, ref_id)
            if link is None or link.environment != caller.environment.value:
                raise V3Error(404, LINK_NOT_FOUND)
            bound = caller.scope.user_id
            if bound is not None and link.user_id not in (None, bound):
                raise V3Error(404, LINK_NOT_FOUND)  # another user's link: as if it did not exist
            partner = session.get(Partner, caller.partner_id)
            default = partner.callback_url_for(link.environment) if partner is not None else None
            return v3_resource(
                link,
                base_url=base_url,
                now=utcnow(),
                default_callback_url=default,
                jobs=manage.jobs_of(session, link),
            )

    return await run_in_threadpool(read)
