"""Hosted-web tokens and verification links (Smile Links).

A :class:`WebToken` is what a partner's backend, or a verification link's visitor, is authorised
to do on the hosted capture page: one person (user id), one job (job id), one product. A
:class:`SmileLink` is the partner's standing offer behind such visits: its branding, the ID types
a visitor may choose from (each with one verification method), where results are called back,
and whether one person may use it once or anyone many times. Each visit to a link is a
``WebToken`` with ``link_ref_id`` set, and the job submitted with it carries the link as its
source (``jobs.api_key_id`` is ``link:`` + the ref id's hex, as a portal member's jobs carry
``portal:``), so a link's jobs are found long after its visits' tokens have expired.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from openkyc.db import Base, utcnow
from openkyc.sealed import SealedJSON

# The link's partner_params are the partner's own (they may name the person): sealed at rest.
_NO_CLEAR_KEYS: frozenset[str] = frozenset()


class WebProduct(StrEnum):
    """The ``product`` values the SDKs send to /v1/token (compatibility §3.3, Java ``Product``)."""

    AUTHENTICATION = "authentication"
    BASIC_KYC = "basic_kyc"
    SMARTSELFIE = "smartselfie"
    BIOMETRIC_KYC = "biometric_kyc"
    ENHANCED_KYC = "enhanced_kyc"
    DOC_VERIFICATION = "doc_verification"
    ENHANCED_DOCUMENT_VERIFICATION = "enhanced_document_verification"
    EKYC_SMARTSELFIE = "ekyc_smartselfie"
    IDENTITY_VERIFICATION = "identity_verification"


class VerificationMethod(StrEnum):
    """What a link's visitor goes through for one ID type (a link's ``id_types[].verification_method``)."""

    BIOMETRIC_KYC = "biometric_kyc"
    DOC_VERIFICATION = "doc_verification"
    ENHANCED_DOCUMENT_VERIFICATION = "enhanced_document_verification"
    ENHANCED_KYC = "enhanced_kyc"


class WebToken(Base):
    __tablename__ = "web_tokens"

    # sha256 of the token: the token itself is a bearer credential, given out once and never stored.
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id"), index=True)
    environment: Mapped[str] = mapped_column(String(16))
    api_key_id: Mapped[str] = mapped_column(String(40))
    user_id: Mapped[str] = mapped_column(String(200))
    job_id: Mapped[str] = mapped_column(String(200))
    product: Mapped[str] = mapped_column(String(32))
    callback_url: Mapped[str | None] = mapped_column(String(2048), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    # A link's visit: the link, and the ID type the visitor chose from its list.
    link_ref_id: Mapped[str | None] = mapped_column(String(36), default=None, index=True)
    country: Mapped[str | None] = mapped_column(String(8), default=None)
    id_type: Mapped[str | None] = mapped_column(String(64), default=None)
    # One job per token: claimed (compare-and-set) before the job is opened, its id once it is.
    submitted_at: Mapped[datetime | None] = mapped_column(default=None)
    smile_job_id: Mapped[str | None] = mapped_column(String(20), default=None)


class SmileLink(Base):
    __tablename__ = "smile_links"

    ref_id: Mapped[str] = mapped_column(String(36), primary_key=True)  # a uuid4, as Smile ID's
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id"), index=True)
    environment: Mapped[str] = mapped_column(String(16))
    # The link's path segment: 32 random bytes, so the URL cannot be guessed from the ref id.
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    company_name: Mapped[str] = mapped_column(String(200))
    # [{"country": "NG", "id_type": "PASSPORT", "verification_method": "doc_verification"}, ...]
    id_types: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    callback_url: Mapped[str | None] = mapped_column(String(2048), default=None)
    data_privacy_policy_url: Mapped[str] = mapped_column(String(2048))
    logo_url: Mapped[str | None] = mapped_column(String(2048), default=None)
    # The logo as this server serves it (a PNG it made from the partner's image): the hosted page
    # loads nothing from another origin, so a logo_url is fetched once, never hot-linked.
    logo_png: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    is_single_use: Mapped[bool] = mapped_column(default=False)
    user_id: Mapped[str | None] = mapped_column(String(200), default=None)
    partner_params: Mapped[dict[str, Any]] = mapped_column(SealedJSON(_NO_CLEAR_KEYS), default=dict)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    disabled_at: Mapped[datetime | None] = mapped_column(default=None)
    spent_at: Mapped[datetime | None] = mapped_column(default=None)  # a single-use link's job
    created_by: Mapped[str] = mapped_column(String(64))  # "api:<key id>" or "portal:<member>"
    # Shown on the page under the company's name.
    description: Mapped[str | None] = mapped_column(String(1000), default=None)
    # Where the page sends the visitor once their job is submitted (an http(s) URL).
    redirect_url: Mapped[str | None] = mapped_column(String(2048), default=None)
    # The page's accent colour, #rgb or #rrggbb.
    theme_color: Mapped[str | None] = mapped_column(String(16), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class LinkEvent(Base):
    """One counted action on the hosted page (a visit started, an image checked, a submission),
    for the rate limits per link and per client: keys are HMACs, no address in clear."""

    __tablename__ = "link_events"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    key_digest: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
