"""The job table: one row per partner job, its state, inputs and result history."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from openkyc.db import Base, utcnow
from openkyc.sealed import CLEAR_PARTNER_PARAMS_KEYS, CLEAR_RESULT_KEYS, SealedJSON


class JobState(StrEnum):
    AWAITING_UPLOAD = "awaiting_upload"
    RECEIVING = "receiving"  # a worker is taking in a direct (S3) upload
    QUEUED = "queued"
    PROCESSING = "processing"
    REVIEW = "review"  # provisional result given; a reviewer decides
    COMPLETE = "complete"
    FAILED = "failed"  # the payload was unusable (0001 etc.); complete from the partner's view


class ApiVersion(StrEnum):
    V1 = "v1"
    V3 = "v3"


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (
        UniqueConstraint("partner_id", "environment", "job_id"),
        # Retention looks for unpurged jobs finished before a cutoff, on every sweep.
        Index("ix_jobs_retention", "purged_at", "completed_at"),
        # /metrics reads the last hour of finished jobs on every scrape.
        Index("ix_jobs_completed_at", "completed_at"),
        # The portal's dashboard reads one partner's results of a period, per environment (jobs.stats).
        Index("ix_jobs_partner_env_completed", "partner_id", "environment", "completed_at"),
    )

    # Smile ID's job ids are zero-padded 10-digit strings.
    smile_job_id: Mapped[str] = mapped_column(String(20), primary_key=True)
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id"), index=True)
    environment: Mapped[str] = mapped_column(String(16))
    api_key_id: Mapped[str] = mapped_column(String(40))
    user_id: Mapped[str] = mapped_column(String(200), index=True)
    job_id: Mapped[str] = mapped_column(String(200))
    job_type: Mapped[int]
    # Partner-defined (may name a person); sealed, see openkyc.sealed.
    partner_params: Mapped[dict[str, Any]] = mapped_column(SealedJSON(CLEAR_PARTNER_PARAMS_KEYS))
    callback_url: Mapped[str | None] = mapped_column(String(2048), default=None)
    use_enrolled_image: Mapped[bool] = mapped_column(default=False)
    state: Mapped[str] = mapped_column(String(24), default=JobState.AWAITING_UPLOAD, index=True)
    # sha256 of the upload capability token; the token itself is only in the URL given out.
    upload_token_hash: Mapped[str | None] = mapped_column(String(64), default=None, unique=True)
    upload_expires_at: Mapped[datetime | None] = mapped_column(default=None)
    # Inputs after intake: id_info and blob keys of the images ({"selfie": key, "liveness": [...]}).
    inputs: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # What the ID authority answered (names, ID numbers, dates of birth...) is sealed (encrypted).
    result: Mapped[dict[str, Any] | None] = mapped_column(SealedJSON(CLEAR_RESULT_KEYS), default=None)
    history: Mapped[list[Any]] = mapped_column(SealedJSON(CLEAR_RESULT_KEYS, items=True), default=list)
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    queued_at: Mapped[datetime | None] = mapped_column(default=None)
    completed_at: Mapped[datetime | None] = mapped_column(default=None)
    # When retention or a user's deletion removed the job's images and PII (the result stays).
    purged_at: Mapped[datetime | None] = mapped_column(default=None)
    # The API the job came through: "v1" (v1/v2 endpoints, the portal, links) or "v3". A V3 job's
    # partner job_id is its TypeID (job_...), its callbacks are V3 payloads signed in headers.
    api_version: Mapped[str] = mapped_column(String(4), default=ApiVersion.V1, server_default=ApiVersion.V1)
    # A V3 job's request beyond the v1 fields (user_details, consent, metadata, the V3 product name):
    # sealed, it names a person. None for v1 jobs.
    v3_request: Mapped[dict[str, Any] | None] = mapped_column(SealedJSON(frozenset()), default=None)
