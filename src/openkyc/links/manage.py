"""Verification links (Smile Links): create, read, change, disable, and count their jobs.

One home for what a link is allowed to be, used by the signed REST API (``links.api``) and the
portal (``portal.link_pages``) alike: both hand in the fields as received and get a
:class:`LinkError` naming the field that is wrong, which each answers in its own way (the API with
its documented code, the portal with its form). A link's jobs are found by their source
(``jobs.api_key_id`` = :func:`source_key`), so a link's figures outlive its visits' tokens.
"""

from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from openkyc.jobs.models import Job, JobState
from openkyc.jobs.service import FINISHED_STATES
from openkyc.links.models import SmileLink, VerificationMethod
from openkyc.partner_input import PartnerInputError, check_strings
from openkyc.partners.models import Partner
from openkyc.services.documents import document_types
from openkyc.services.id_types import id_number_type

# Where a link's visitor lands: ``{public base URL}{LINK_PATH}/{slug}``.
LINK_PATH = "/verify"
# jobs.api_key_id of a job sent through a link: this and the ref id's 32 hex digits (37 of 40).
SOURCE_PREFIX = "link:"
# A single-use link given no expiry lasts this long (Smile ID's default for its single-use links).
SINGLE_USE_TTL = timedelta(days=90)
MAX_ID_TYPES = 50
MAX_NAME = 200
MAX_URL = 2048
MAX_PARTNER_PARAMS = 50  # keys
MAX_DESCRIPTION = 1000
# A CSS hex colour: the only form the page puts in its stylesheet.
_THEME_COLOR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
# What a link's partner_params may not set: each job's own ids and type, and the link's ref id.
RESERVED_PARAMS = frozenset({"user_id", "job_id", "job_type", "ref_id"})


class LinkError(ValueError):
    """A field of a link that cannot be used as given."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class LinkState(StrEnum):
    ACTIVE = "active"
    DISABLED = "disabled"
    EXPIRED = "expired"
    USED = "used"  # a single-use link whose job was submitted


@dataclass(frozen=True)
class LinkIdType:
    country: str
    id_type: str
    verification_method: VerificationMethod

    def as_dict(self) -> dict[str, str]:
        return {
            "country": self.country,
            "id_type": self.id_type,
            "verification_method": self.verification_method.value,
        }

    @property
    def needs_id_number(self) -> bool:
        return self.verification_method in (VerificationMethod.BIOMETRIC_KYC, VerificationMethod.ENHANCED_KYC)

    @property
    def needs_selfie(self) -> bool:
        return self.verification_method != VerificationMethod.ENHANCED_KYC

    @property
    def needs_document(self) -> bool:
        return self.verification_method in (
            VerificationMethod.DOC_VERIFICATION,
            VerificationMethod.ENHANCED_DOCUMENT_VERIFICATION,
        )


def source_key(ref_id: str) -> str:
    """The jobs.api_key_id of the jobs sent through link ``ref_id``."""
    return f"{SOURCE_PREFIX}{uuid.UUID(ref_id).hex}"


def is_link_source(key_id: str) -> bool:
    return key_id.startswith(SOURCE_PREFIX)


def link_url(base_url: str, link: SmileLink) -> str:
    return f"{base_url.rstrip('/')}{LINK_PATH}/{link.slug}"


# --- checking what a creator sends ---------------------------------------------------------------


def _text(field: str, value: Any, *, required: bool, limit: int = MAX_NAME) -> str | None:
    if value is None or value == "":
        if required:
            raise LinkError(field, f"{field} is required")
        return None
    if not isinstance(value, str):
        raise LinkError(field, f"{field} must be a string")
    value = value.strip()
    if not value and required:
        raise LinkError(field, f"{field} is required")
    if len(value) > limit:
        raise LinkError(field, f"{field} must be at most {limit} characters")
    try:
        check_strings(value)
    except PartnerInputError as error:
        raise LinkError(field, f"{field}: {error}") from None
    return value or None


def check_url(field: str, value: Any, *, required: bool) -> str | None:
    """An absolute http(s) URL, as a browser or the callback client can use it."""
    text = _text(field, value, required=required, limit=MAX_URL)
    if text is None:
        return None
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise LinkError(field, f"{field} must be an absolute http or https URL")
    return text


def id_type_of(raw: Any, index: int = 0) -> LinkIdType:
    """One entry of ``id_types``: a supported ID type of its country for its verification method."""
    field = f"id_types[{index}]"
    if not isinstance(raw, dict):
        raise LinkError(
            "id_types", f"{field} must be an object with country, id_type and verification_method"
        )
    country = _text(f"{field}.country", raw.get("country"), required=True, limit=8) or ""
    id_type = _text(f"{field}.id_type", raw.get("id_type"), required=True, limit=64) or ""
    method_value = raw.get("verification_method")
    try:
        method = VerificationMethod(str(method_value))
    except ValueError:
        choices = ", ".join(m.value for m in VerificationMethod)
        raise LinkError("id_types", f"{field}.verification_method must be one of {choices}") from None
    country, id_type = country.upper(), id_type.upper()
    if method in (VerificationMethod.DOC_VERIFICATION, VerificationMethod.ENHANCED_DOCUMENT_VERIFICATION):
        supported = any(kind["code"] == id_type for kind in document_types(country))
    else:
        number = id_number_type(country, id_type)
        supported = number is not None
        if number is not None and method is VerificationMethod.BIOMETRIC_KYC and not number.has_photo:
            # Biometric KYC compares the selfie with the authority's photo: without one, nothing.
            raise LinkError(
                "id_types",
                f"{field}: {country} {id_type} has no photo to compare a selfie with (biometric_kyc)",
            )
    if not supported:
        raise LinkError("id_types", f"{field}: {country} {id_type} is not supported for {method.value}")
    return LinkIdType(country, id_type, method)


def id_types_of(raw: Any) -> list[LinkIdType]:
    if not isinstance(raw, list) or not raw:
        raise LinkError("id_types", "id_types must be a non-empty list")
    if len(raw) > MAX_ID_TYPES:
        raise LinkError("id_types", f"id_types may list at most {MAX_ID_TYPES} entries")
    found = [id_type_of(entry, index) for index, entry in enumerate(raw)]
    if len({(t.country, t.id_type) for t in found}) != len(found):
        raise LinkError("id_types", "id_types lists a country and ID type twice")
    return found


def partner_params_of(raw: Any) -> dict[str, Any]:
    if raw is None or raw == "":
        return {}
    if not isinstance(raw, dict):
        raise LinkError("partner_params", "partner_params must be an object")
    if len(raw) > MAX_PARTNER_PARAMS:
        raise LinkError("partner_params", f"partner_params may have at most {MAX_PARTNER_PARAMS} keys")
    reserved = sorted(RESERVED_PARAMS & raw.keys())
    if reserved:
        raise LinkError(
            "partner_params", f"partner_params may not set {', '.join(reserved)}: each job gets its own"
        )
    try:
        check_strings(raw)
    except PartnerInputError as error:
        raise LinkError("partner_params", f"partner_params: {error}") from None
    if len(repr(raw)) > 8192:
        raise LinkError("partner_params", "partner_params is too large")
    return dict(raw)


def expiry_of(raw: Any, *, now: datetime) -> datetime | None:
    """An ISO 8601 date-time in the future (a date alone means its end), or None."""
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str) or len(raw) > 64:
        raise LinkError("expires_at", "expires_at must be an ISO 8601 date-time")
    try:
        if len(raw) == 10:
            when = datetime.fromisoformat(raw).replace(hour=23, minute=59, second=59)
        else:
            when = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise LinkError("expires_at", "expires_at must be an ISO 8601 date-time") from None
    when = when if when.tzinfo is not None else when.replace(tzinfo=UTC)
    if when <= now:
        raise LinkError("expires_at", "expires_at must be in the future")
    return when.astimezone(UTC)


def theme_color_of(raw: Any) -> str | None:
    """``#rgb`` or ``#rrggbb`` (kept as sent), or None."""
    text = _text("theme_color", raw, required=False, limit=16)
    if text is None:
        return None
    if not _THEME_COLOR.match(text):
        raise LinkError("theme_color", "theme_color must be a hex colour, #rgb or #rrggbb")
    return text


def single_use_of(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    if raw in ("true", "false"):
        return bool(raw == "true")
    if raw is None or raw == "":
        return False
    raise LinkError("is_single_use", "is_single_use must be true or false")


# --- the links ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LinkFields:
    """A link's fields as checked, ready to store (see :func:`fields_of`)."""

    name: str
    company_name: str
    id_types: list[LinkIdType]
    callback_url: str | None
    data_privacy_policy_url: str
    logo_url: str | None
    is_single_use: bool
    user_id: str | None
    expires_at: datetime | None
    partner_params: dict[str, Any]
    # Shown on the page, where the visitor goes when done, the page's accent colour.
    description: str | None = None
    redirect_url: str | None = None
    theme_color: str | None = None


def fields_of(body: dict[str, Any], *, now: datetime, company_required: bool = True) -> LinkFields:
    """A new link's fields from a body with the documented names; LinkError at the first wrong one.
    Without ``company_required`` a missing company_name is "" (:func:`create_link` then shows the
    partner's own name)."""
    name = _text("name", body.get("name"), required=True) or ""
    company_name = _text("company_name", body.get("company_name"), required=company_required) or ""
    id_types = id_types_of(body.get("id_types"))
    callback_url = check_url("callback_url", body.get("callback_url"), required=False)
    policy = check_url("data_privacy_policy_url", body.get("data_privacy_policy_url"), required=True) or ""
    logo_url = _text("logo_url", body.get("logo_url"), required=False, limit=MAX_URL)
    single_use = single_use_of(body.get("is_single_use"))
    user_id = _text("user_id", body.get("user_id"), required=False)
    if user_id is not None and not single_use:
        raise LinkError(
            "user_id", "user_id is for a single-use link: a multi-use link gives each visitor their own"
        )
    expires_at = expiry_of(body.get("expires_at"), now=now)
    if single_use and expires_at is None:
        expires_at = now + SINGLE_USE_TTL
    return LinkFields(
        name=name,
        company_name=company_name,
        id_types=id_types,
        callback_url=callback_url,
        data_privacy_policy_url=policy,
        logo_url=logo_url,
        is_single_use=single_use,
        user_id=user_id,
        expires_at=expires_at,
        partner_params=partner_params_of(body.get("partner_params")),
        description=_text("description", body.get("description"), required=False, limit=MAX_DESCRIPTION),
        redirect_url=check_url("redirect_url", body.get("redirect_url"), required=False),
        theme_color=theme_color_of(body.get("theme_color")),
    )


def new_user_id() -> str:
    # 96 random bits, in the shape of Smile ID's generated ids (a "user_" prefix).
    return f"user_{secrets.token_hex(12)}"


def _partner_name(db_session: Session, partner_id: str) -> str:
    partner = db_session.get(Partner, partner_id)
    return partner.name[:MAX_NAME] if partner is not None and partner.name else partner_id


def create_link(
    db_session: Session,
    *,
    partner_id: str,
    environment: str,
    fields: LinkFields,
    created_by: str,
    now: datetime,
    logo_png: bytes | None = None,
) -> SmileLink:
    link = SmileLink(
        ref_id=str(uuid.uuid4()),
        partner_id=partner_id,
        environment=environment,
        slug=secrets.token_urlsafe(32),
        name=fields.name,
        company_name=fields.company_name or _partner_name(db_session, partner_id),
        id_types=[t.as_dict() for t in fields.id_types],
        callback_url=fields.callback_url,
        data_privacy_policy_url=fields.data_privacy_policy_url,
        logo_url=fields.logo_url,
        logo_png=logo_png,
        is_single_use=fields.is_single_use,
        user_id=(fields.user_id or new_user_id()) if fields.is_single_use else None,
        partner_params=fields.partner_params,
        expires_at=fields.expires_at,
        description=fields.description,
        redirect_url=fields.redirect_url,
        theme_color=fields.theme_color,
        created_by=created_by,
        created_at=now,
        updated_at=now,
    )
    db_session.add(link)
    db_session.flush()
    return link


# The fields a link's owner may change after creation, and how each is checked. Single use and its
# user are what the link was made for: a new link is made for another person. A change of ID
# types applies to visits started afterwards (a visit keeps the ID type its visitor chose).
def changes_of(body: dict[str, Any], *, now: datetime) -> dict[str, Any]:
    """The changes a body asks for (only the fields it names), checked."""
    found: dict[str, Any] = {}
    if "name" in body:
        found["name"] = _text("name", body["name"], required=True)
    if "company_name" in body:
        found["company_name"] = _text("company_name", body["company_name"], required=True)
    if "id_types" in body:
        found["id_types"] = [t.as_dict() for t in id_types_of(body["id_types"])]
    if "callback_url" in body:
        found["callback_url"] = check_url("callback_url", body["callback_url"], required=False)
    if "data_privacy_policy_url" in body:
        found["data_privacy_policy_url"] = check_url(
            "data_privacy_policy_url", body["data_privacy_policy_url"], required=True
        )
    if "expires_at" in body:
        found["expires_at"] = expiry_of(body["expires_at"], now=now)
    if "partner_params" in body:
        found["partner_params"] = partner_params_of(body["partner_params"])
    if "description" in body:
        found["description"] = _text(
            "description", body["description"], required=False, limit=MAX_DESCRIPTION
        )
    if "redirect_url" in body:
        found["redirect_url"] = check_url("redirect_url", body["redirect_url"], required=False)
    if "theme_color" in body:
        found["theme_color"] = theme_color_of(body["theme_color"])
    if "is_disabled" in body:
        disabled = body["is_disabled"]
        if not isinstance(disabled, bool):
            raise LinkError("is_disabled", "is_disabled must be true or false")
        found["disabled_at"] = now if disabled else None
    return found


def apply_changes(link: SmileLink, changes: dict[str, Any], *, now: datetime) -> None:
    for name, value in changes.items():
        if name == "disabled_at" and value is not None and link.disabled_at is not None:
            continue  # disabled already: keep when
        setattr(link, name, value)
    link.updated_at = now


def get_link(db_session: Session, partner_id: str, ref_id: str) -> SmileLink | None:
    """The partner's link ``ref_id`` (None for another partner's, or an id that is no uuid)."""
    try:
        canonical = str(uuid.UUID(ref_id))
    except (ValueError, AttributeError, TypeError):
        return None
    link = db_session.get(SmileLink, canonical)
    return link if link is not None and link.partner_id == partner_id else None


def link_by_slug(db_session: Session, slug: str) -> SmileLink | None:
    if not slug or len(slug) > 64:
        return None
    return db_session.scalar(select(SmileLink).where(SmileLink.slug == slug))


def list_links(db_session: Session, partner_id: str, *, environment: str | None = None) -> list[SmileLink]:
    query = select(SmileLink).where(SmileLink.partner_id == partner_id)
    if environment is not None:
        query = query.where(SmileLink.environment == environment)
    return list(db_session.scalars(query.order_by(SmileLink.created_at.desc(), SmileLink.ref_id)))


def state_of(link: SmileLink, now: datetime) -> LinkState:
    if link.disabled_at is not None:
        return LinkState.DISABLED
    if link.is_single_use and link.spent_at is not None:
        return LinkState.USED
    if link.expires_at is not None and link.expires_at <= now:
        return LinkState.EXPIRED
    return LinkState.ACTIVE


@dataclass(frozen=True)
class LinkJobs:
    total: int
    successful: int
    failed: int
    pending: int


def jobs_of(db_session: Session, link: SmileLink) -> LinkJobs:
    """How many jobs the link's visitors submitted, and how they ended (so far)."""
    success = Job.result["_success"].as_boolean()
    rows = db_session.execute(
        select(Job.state, success, func.count())
        .where(Job.partner_id == link.partner_id, Job.api_key_id == source_key(link.ref_id))
        .group_by(Job.state, success)
    ).all()
    total = successful = failed = 0
    for state, succeeded, count in rows:
        total += count
        if state in FINISHED_STATES and state != JobState.REVIEW:
            if succeeded:
                successful += count
            else:
                failed += count
    return LinkJobs(total=total, successful=successful, failed=failed, pending=total - successful - failed)


def resource(
    link: SmileLink, *, base_url: str, now: datetime, jobs: LinkJobs | None = None
) -> dict[str, Any]:
    """The link as the API answers it (the documented names, and its state and jobs)."""
    found: dict[str, Any] = {
        "ref_id": link.ref_id,
        "link": link_url(base_url, link),
        "name": link.name,
        "company_name": link.company_name,
        "id_types": list(link.id_types),
        "callback_url": link.callback_url,
        "data_privacy_policy_url": link.data_privacy_policy_url,
        "logo_url": link.logo_url,
        "is_single_use": link.is_single_use,
        "user_id": link.user_id,
        "partner_params": dict(link.partner_params or {}),
        "expires_at": link.expires_at.isoformat() if link.expires_at else None,
        "description": link.description,
        "redirect_url": link.redirect_url,
        "theme_color": link.theme_color,
        "is_disabled": link.disabled_at is not None,
        "status": state_of(link, now).value,
        "environment": link.environment,
        "created_at": link.created_at.isoformat(),
    }
    if jobs is not None:
        found.update(
            total_jobs=jobs.total,
            successful_jobs=jobs.successful,
            failed_jobs=jobs.failed,
            pending_jobs=jobs.pending,
        )
    return found
