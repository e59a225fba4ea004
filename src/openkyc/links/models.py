"""Hosted-web tokens: what a partner's backend authorised one end user to do on the capture page."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from openkyc.db import Base, utcnow


class WebProduct(StrEnum):
    """The ``product`` values the SDKs send to /v1/token (compatibility §3.3, Java ``Product``)."""

    AUTHENTICATION = "authentication"
    BASIC_KYC = "basic_kyc"
    SMARTSELFIE = "smartselfie"
    BIOMETRIC_KYC = "biometric_kyc"
    ENHANCED_KYC = "enhanced_kyc"
    DOC_VERIFICATION = "doc_verification"
    EKYC_SMARTSELFIE = "ekyc_smartselfie"
    IDENTITY_VERIFICATION = "identity_verification"


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
