"""verification links: smile_links, their visits (web_tokens bound to a link) and the hosted page's
rate-limit events

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import openkyc.db

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "smile_links",
        sa.Column("ref_id", sa.String(length=36), nullable=False),
        sa.Column("partner_id", sa.String(length=32), nullable=False),
        sa.Column("environment", sa.String(length=16), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("company_name", sa.String(length=200), nullable=False),
        sa.Column("id_types", sa.JSON(), nullable=False),
        sa.Column("callback_url", sa.String(length=2048), nullable=True),
        sa.Column("data_privacy_policy_url", sa.String(length=2048), nullable=False),
        sa.Column("logo_url", sa.String(length=2048), nullable=True),
        sa.Column("logo_png", sa.LargeBinary(), nullable=True),
        sa.Column("is_single_use", sa.Boolean(), nullable=False),
        sa.Column("user_id", sa.String(length=200), nullable=True),
        sa.Column("partner_params", sa.JSON(), nullable=False),
        sa.Column("expires_at", openkyc.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("disabled_at", openkyc.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("spent_at", openkyc.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", openkyc.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", openkyc.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["partner_id"], ["partners.id"]),
        sa.PrimaryKeyConstraint("ref_id"),
        sa.UniqueConstraint("slug"),
    )
    op.create_index(op.f("ix_smile_links_partner_id"), "smile_links", ["partner_id"], unique=False)
    op.create_table(
        "link_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key_digest", sa.String(length=64), nullable=False),
        sa.Column("at", openkyc.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_link_events_at"), "link_events", ["at"], unique=False)
    op.create_index(op.f("ix_link_events_key_digest"), "link_events", ["key_digest"], unique=False)
    # Plain ADD COLUMN (nullable, no constraint): SQLite adds them in place.
    op.add_column("web_tokens", sa.Column("link_ref_id", sa.String(length=36), nullable=True))
    op.add_column("web_tokens", sa.Column("country", sa.String(length=8), nullable=True))
    op.add_column("web_tokens", sa.Column("id_type", sa.String(length=64), nullable=True))
    op.add_column(
        "web_tokens", sa.Column("submitted_at", openkyc.db.UTCDateTime(timezone=True), nullable=True)
    )
    op.add_column("web_tokens", sa.Column("smile_job_id", sa.String(length=20), nullable=True))
    op.create_index(op.f("ix_web_tokens_link_ref_id"), "web_tokens", ["link_ref_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_web_tokens_link_ref_id"), table_name="web_tokens")
    for column in ("smile_job_id", "submitted_at", "id_type", "country", "link_ref_id"):
        op.drop_column("web_tokens", column)
    op.drop_index(op.f("ix_link_events_key_digest"), table_name="link_events")
    op.drop_index(op.f("ix_link_events_at"), table_name="link_events")
    op.drop_table("link_events")
    op.drop_index(op.f("ix_smile_links_partner_id"), table_name="smile_links")
    op.drop_table("smile_links")
