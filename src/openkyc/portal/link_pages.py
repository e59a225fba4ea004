"""Verification links in the portal: the team's links, a form to create one, a link's page (its
URL and QR code, settings, state and jobs) and Disable / Enable.

A link made here is checked and stored by ``links.manage``, the very functions behind
``POST /v1/smile_links``: the form is turned into a body with the documented field names, and a
:class:`~openkyc.links.manage.LinkError` comes back as the form again with the message next to
the field it names. Reading needs READ; creating, disabling and enabling need OPERATE (operators run
verifications; auditors only read). Every change is audited with the member as actor and without
the link's partner_params or anything that could name a person.

The job pages name a job's source with :func:`job_sources`: an API key, the portal (SmartCheck)
or "Link: <name>" linking here.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from openkyc import audit
from openkyc.db import transaction, utcnow
from openkyc.jobs.models import Job
from openkyc.jobs.submission import is_portal_key
from openkyc.links import logo, manage
from openkyc.links.manage import LinkError
from openkyc.links.models import SmileLink, VerificationMethod
from openkyc.partners.models import Partner
from openkyc.portal import accounts, two_factor
from openkyc.portal.models import PortalUser
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
from openkyc.portal.smartcheck_pages import environments_of
from openkyc.runtime import Runtime
from openkyc.services.catalogue import services_body
from openkyc.signing.environment import Environment
from openkyc.webdeps import RuntimeDep, public_base_url

router = new_router()

# The latest jobs a link's page lists (its counts cover them all).
LATEST_JOBS = 25
MAX_PARAMS_TEXT = 8192
MAX_URL_FIELD = manage.MAX_URL
MAX_TEXT_FIELD = manage.MAX_NAME

# What a visitor goes through for each verification method, as the form explains it.
METHOD_TITLES = {
    VerificationMethod.DOC_VERIFICATION: (
        "Document Verification",
        "A selfie and a photo of the ID document: the document is checked and its portrait matched with the selfie.",
    ),
    VerificationMethod.ENHANCED_DOCUMENT_VERIFICATION: (
        "Enhanced Document Verification",
        "Document Verification, and the document's number is checked with the ID authority.",
    ),
    VerificationMethod.BIOMETRIC_KYC: (
        "Biometric KYC",
        "An ID number and a selfie: the selfie is compared with the ID authority's photo.",
    ),
    VerificationMethod.ENHANCED_KYC: (
        "Enhanced KYC",
        "An ID number alone, looked up with the ID authority (no selfie).",
    ),
}
# The form's text fields, by the documented names they are sent under.
_TEXT_FIELDS = {
    "name": MAX_TEXT_FIELD,
    "company_name": MAX_TEXT_FIELD,
    "callback_url": MAX_URL_FIELD,
    "data_privacy_policy_url": MAX_URL_FIELD,
    "user_id": MAX_TEXT_FIELD,
    "expires_at": 64,
    "is_single_use": 16,
    "environment": 32,
    "partner_params": MAX_PARAMS_TEXT,
}


def _moment(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M") if at is not None else ""


def _no_link() -> PortalRefusal:
    return PortalRefusal(404, "No such link", "Your team has no verification link with this id.")


def _actor(member: SignedIn) -> audit.Actor:
    return audit.Actor.portal_user(member.user.id)


# --- the ID types a link may offer ---------------------------------------------------------------


@cache
def id_type_choices() -> tuple[dict[str, Any], ...]:
    """The form's choices, per verification method and country: what the hosted page offers for
    each product (GET /v1/services's ``hosted_web``), e.g. Biometric KYC only where the ID
    authority returns a photo. Each value is ``country:id_type:verification_method``."""
    hosted = services_body()["hosted_web"]
    groups = []
    for method, (title, summary) in METHOD_TITLES.items():
        countries = sorted(hosted[method.value].items(), key=lambda item: str(item[1]["name"]))
        groups.append(
            {
                "method": method.value,
                "title": title,
                "summary": summary,
                "countries": [
                    {
                        "name": entry["name"],
                        "types": [
                            {"value": f"{code}:{id_type}:{method.value}", "name": kind["label"]}
                            for id_type, kind in entry["id_types"].items()
                        ],
                    }
                    for code, entry in countries
                ],
            }
        )
    return tuple(groups)


@cache
def _id_type_names() -> dict[str, str]:
    return {
        kind["value"]: f"{country['name']}: {kind['name']}"
        for group in id_type_choices()
        for country in group["countries"]
        for kind in country["types"]
    }


def _id_types_shown(id_types: list[dict[str, str]]) -> list[dict[str, str]]:
    names = _id_type_names()
    shown = []
    for entry in id_types:
        country, id_type, method = entry["country"], entry["id_type"], entry["verification_method"]
        titles = METHOD_TITLES.get(VerificationMethod(method)) if method in METHOD_TITLES else None
        shown.append(
            {
                "name": names.get(f"{country}:{id_type}:{method}", f"{country}: {id_type}"),
                "method": titles[0] if titles is not None else method,
            }
        )
    return shown


def _id_types_of(values: list[str]) -> list[dict[str, str]]:
    """The chosen ``country:id_type:method`` values as the API's ``id_types`` entries."""
    found = []
    for value in values:
        parts = value.split(":")
        if len(parts) != 3 or not all(parts):
            raise LinkError("id_types", "Choose the ID types from the list.")
        found.append({"country": parts[0], "id_type": parts[1], "verification_method": parts[2]})
    if not found:
        raise LinkError("id_types", "Choose at least one ID type the visitor may verify with.")
    return found


# --- reading the form --------------------------------------------------------------------------


def partner_params_of(text: str) -> dict[str, str]:
    """``key=value`` lines (blank lines skipped) as the link's partner_params."""
    found: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        key, equals, value = line.partition("=")
        key = key.strip()
        if not equals or not key:
            raise LinkError("partner_params", f"Line {number}: write each parameter as key=value.")
        if key in found:
            raise LinkError("partner_params", f"Line {number}: {key} is set twice.")
        found[key] = value.strip()
    return found


def _typed(form: FormData) -> dict[str, Any]:
    """What the member typed, by field (kept to fill the form again when it is refused)."""
    typed: dict[str, Any] = {}
    for name, limit in _TEXT_FIELDS.items():
        value = form.get(name)
        if value is not None and not isinstance(value, str):
            raise PortalRefusal(400, "Check the form", f"The field {name} must be text.")
        typed[name] = form_field(value or "", limit).strip()
    chosen = []
    for value in form.getlist("id_types"):
        if not isinstance(value, str):
            raise PortalRefusal(400, "Check the form", "The field id_types must be text.")
        chosen.append(form_field(value, 200))
    typed["id_types"] = chosen
    return typed


async def _logo_sent(form: FormData) -> bytes | None:
    """The logo file's bytes (None when no file was chosen), read no further than its limit."""
    value = form.get("logo")
    if value is None or value == "":
        return None  # a browser sends an empty part, or nothing, for no file
    if not isinstance(value, UploadFile):
        raise PortalRefusal(400, "Check the form", "The field logo must be a file.")
    data = await value.read(logo.MAX_LOGO_BYTES + 1)  # one byte more tells it is too large
    return data or None


def normalised_logo(data: bytes) -> bytes:
    """The uploaded logo as the PNG the hosted page serves (``links.logo``'s checks and
    re-encoding, as for an API's ``logo_url``); its refusals are put to the form's logo field."""
    try:
        return logo.to_png(data)
    except logo.LogoError as error:
        # links.logo speaks of the API's field; the form's is an upload.
        message = error.message.replace("logo_url's image", "The logo").replace("logo_url", "The logo")
        raise LinkError("logo", message) from None


def _environment_of(value: str, allowed: list[Environment]) -> Environment:
    try:
        chosen = Environment(value or Environment.SANDBOX.value)
    except ValueError:
        raise LinkError("environment", "Choose the sandbox or production.") from None
    if chosen not in allowed:
        raise LinkError(
            "environment", "Production is not enabled for your team yet: create the link in the sandbox."
        )
    return chosen


def _body_of(typed: dict[str, Any]) -> dict[str, Any]:
    """The form as a body with the documented field names (what POST /v1/smile_links takes)."""
    return {
        "name": typed["name"],
        "company_name": typed["company_name"],
        "id_types": _id_types_of(typed["id_types"]),
        "callback_url": typed["callback_url"],
        "data_privacy_policy_url": typed["data_privacy_policy_url"],
        "is_single_use": typed["is_single_use"],
        "user_id": typed["user_id"],
        "expires_at": typed["expires_at"],
        "partner_params": partner_params_of(typed["partner_params"]),
    }


def _create(runtime: Runtime, member: SignedIn, typed: dict[str, Any], logo_sent: bytes | None) -> str:
    """Check the form, store the link and audit it; its ref id. LinkError names a wrong field."""
    environment = _environment_of(typed["environment"], environments_of(runtime, member.user.partner_id))
    now = utcnow()
    fields = manage.fields_of(_body_of(typed), now=now)
    logo_png = normalised_logo(logo_sent) if logo_sent is not None else None
    with transaction(runtime.sessions) as db:
        link = manage.create_link(
            db,
            partner_id=member.user.partner_id,
            environment=environment.value,
            fields=fields,
            created_by=f"portal:{member.user.id}",
            now=now,
            logo_png=logo_png,
        )
        audit.record(
            db,
            actor=_actor(member),
            action="link.created",
            target_type="link",
            target_id=link.ref_id,
            detail={
                "partner_id": member.user.partner_id,
                "environment": environment.value,
                "is_single_use": fields.is_single_use,
                "id_types": len(fields.id_types),
                "callback": fields.callback_url is not None,
                "logo": logo_png is not None,
                "via": "portal",
            },
        )
        return link.ref_id


# --- pages -------------------------------------------------------------------------------------


def _form_page(
    request: Request,
    runtime: Runtime,
    member: SignedIn,
    *,
    typed: dict[str, Any] | None = None,
    error: LinkError | None = None,
) -> Response:
    partner_id = member.user.partner_id
    environments = [item.value for item in environments_of(runtime, partner_id)]
    if typed is None:
        with transaction(runtime.sessions) as db:
            partner = db.get(Partner, partner_id)
            company = partner.name if partner is not None else ""
        typed = {name: "" for name in _TEXT_FIELDS} | {"company_name": company, "id_types": []}
    # The message goes next to its field: "id_types[2].country" is the ID types' list.
    field = error.field.split("[")[0].split(".")[0] if error is not None else None
    return page(
        request,
        "link_new.html",
        status=400 if error is not None else 200,
        member=member,
        typed=typed,
        chosen=set(typed["id_types"]),
        # A method's list is folded away unless something of it is chosen.
        open_methods={value.rpartition(":")[2] for value in typed["id_types"]},
        choices=id_type_choices(),
        environments=environments,
        errors={field: error.message} if error is not None and field else {},
        max_id_types=manage.MAX_ID_TYPES,
        logo_side=logo.LOGO_LONG_SIDE,
        logo_mb=logo.MAX_LOGO_BYTES // (1024 * 1024),
    )


@router.get("/links")
def links_page(request: Request, runtime: RuntimeDep, member: Reader) -> Response:
    environment = form_field(request.query_params.get("environment", ""), 32)
    if environment and environment not in {item.value for item in Environment}:
        raise PortalRefusal(400, "Unknown environment", "Choose sandbox, production or both.")
    now = utcnow()
    with transaction(runtime.sessions) as db:
        rows = [
            {
                "ref_id": link.ref_id,
                "name": link.name,
                "company_name": link.company_name,
                "environment": link.environment,
                "id_types": _id_types_shown(link.id_types),
                "single_use": link.is_single_use,
                "state": manage.state_of(link, now).value,
                "expires_at": _moment(link.expires_at),
                "created_at": _moment(link.created_at),
                "jobs": manage.jobs_of(db, link),
            }
            for link in manage.list_links(db, member.user.partner_id, environment=environment or None)
        ]
    return page(
        request,
        "links.html",
        member=member,
        rows=rows,
        environment=environment,
        environments=[item.value for item in Environment],
        can_operate=member.can(Permission.OPERATE),
    )


@router.get("/links/new")
def new_link_form(request: Request, runtime: RuntimeDep, member: Operator) -> Response:
    return _form_page(request, runtime, member)


@router.post("/links/new")
async def create_link(request: Request, runtime: RuntimeDep, member: Operator) -> Response:
    form = await request.form()  # read (within the portal's limits) before the route ran
    typed = _typed(form)
    try:
        logo_sent = await _logo_sent(form)
        ref_id = await run_in_threadpool(_create, runtime, member, typed, logo_sent)
    except LinkError as error:
        return await run_in_threadpool(_form_page, request, runtime, member, typed=typed, error=error)
    return redirect(request, f"/links/{ref_id}")


def _own_link(db: Session, member: SignedIn, ref_id: str) -> SmileLink:
    link = manage.get_link(db, member.user.partner_id, ref_id)  # None for anything but a uuid
    if link is None:
        raise _no_link()
    return link


def _creator(db: Session, runtime: Runtime, link: SmileLink) -> str:
    """Who made the link, as the team knows them: a member's address, or the API key."""
    kind, _, who = link.created_by.partition(":")
    if kind == "portal" and who.isdigit():
        user = db.get(PortalUser, int(who))
        if user is not None and user.partner_id == link.partner_id:
            return f"{accounts.email_of(runtime.box, user)} (portal)"
        return "a former member (portal)"
    if kind == "api":
        return f"API key {who}"
    return link.created_by


@router.get("/links/{ref_id}")
def link_page(request: Request, runtime: RuntimeDep, member: Reader, ref_id: str) -> Response:
    base_url = public_base_url(request, runtime)
    now = utcnow()
    with transaction(runtime.sessions) as db:
        link = _own_link(db, member, ref_id)
        url = manage.link_url(base_url, link)
        jobs = manage.jobs_of(db, link)
        latest = [
            {
                "smile_job_id": job.smile_job_id,
                "created_at": _moment(job.created_at),
                "user_id": job.user_id,
                "state": job.state,
                "result_code": (job.result or {}).get("ResultCode") or "",
                "result_text": (job.result or {}).get("ResultText") or "",
            }
            for job in db.scalars(
                select(Job)
                .where(Job.partner_id == link.partner_id, Job.api_key_id == manage.source_key(link.ref_id))
                .order_by(Job.created_at.desc(), Job.smile_job_id.desc())
                .limit(LATEST_JOBS)
            )
        ]
        details = {
            "ref_id": link.ref_id,
            "name": link.name,
            "company_name": link.company_name,
            "environment": link.environment,
            "id_types": _id_types_shown(link.id_types),
            "callback_url": link.callback_url,
            "data_privacy_policy_url": link.data_privacy_policy_url,
            "single_use": link.is_single_use,
            "user_id": link.user_id,
            "partner_params": sorted((str(k), str(v)) for k, v in (link.partner_params or {}).items()),
            "expires_at": _moment(link.expires_at),
            "created_at": _moment(link.created_at),
            "created_by": _creator(db, runtime, link),
            "disabled": link.disabled_at is not None,
            "disabled_at": _moment(link.disabled_at),
            "state": manage.state_of(link, now).value,
            "logo": base64.b64encode(link.logo_png).decode("ascii") if link.logo_png else None,
        }
    return page(
        request,
        "link.html",
        member=member,
        link=details,
        url=url,
        qr=two_factor.qr_svg(url),
        jobs=jobs,
        latest=latest,
        latest_limit=LATEST_JOBS,
        can_operate=member.can(Permission.OPERATE),
    )


def _set_disabled(runtime: Runtime, member: SignedIn, ref_id: str, *, disabled: bool) -> str:
    now = utcnow()
    with transaction(runtime.sessions) as db:
        link = _own_link(db, member, ref_id)
        if (link.disabled_at is not None) != disabled:  # already so: nothing changes, nothing recorded
            manage.apply_changes(link, manage.changes_of({"is_disabled": disabled}, now=now), now=now)
            audit.record(
                db,
                actor=_actor(member),
                action="link.disabled" if disabled else "link.enabled",
                target_type="link",
                target_id=link.ref_id,
                detail={"partner_id": link.partner_id, "environment": link.environment, "via": "portal"},
            )
        return link.ref_id


@router.post("/links/{ref_id}/disable")
def disable_link(request: Request, runtime: RuntimeDep, member: Operator, ref_id: str) -> Response:
    return redirect(request, f"/links/{_set_disabled(runtime, member, ref_id, disabled=True)}")


@router.post("/links/{ref_id}/enable")
def enable_link(request: Request, runtime: RuntimeDep, member: Operator, ref_id: str) -> Response:
    return redirect(request, f"/links/{_set_disabled(runtime, member, ref_id, disabled=False)}")


# --- a job's source, for the job pages -----------------------------------------------------------


@dataclass(frozen=True)
class JobSource:
    """How the job pages name where a job came from (and the link's page, for a link's job)."""

    label: str
    link_ref_id: str | None = None


def job_sources(db_session: Session, partner_id: str, key_ids: Iterable[str]) -> dict[str, JobSource]:
    """Each job source (``jobs.api_key_id``) named: "Link: <name>" (one query for all the links
    named), "Portal (SmartCheck)" or "API key <id>"."""
    keys = set(key_ids)
    refs: dict[str, str] = {}
    for key in keys:
        if manage.is_link_source(key):
            try:
                refs[key] = str(uuid.UUID(hex=key[len(manage.SOURCE_PREFIX) :]))
            except ValueError:
                continue
    names: dict[str, str] = {}
    if refs:
        found = db_session.execute(
            select(SmileLink.ref_id, SmileLink.name).where(
                SmileLink.partner_id == partner_id, SmileLink.ref_id.in_(set(refs.values()))
            )
        )
        names = {ref_id: name for ref_id, name in found}
    sources: dict[str, JobSource] = {}
    for key in keys:
        ref_id = refs.get(key)
        if ref_id is not None and ref_id in names:
            sources[key] = JobSource(f"Link: {names[ref_id]}", ref_id)
        elif manage.is_link_source(key):
            sources[key] = JobSource("Link (not found)")
        elif is_portal_key(key):
            sources[key] = JobSource("Portal (SmartCheck)")
        else:
            sources[key] = JobSource(f"API key {key}")
    return sources
