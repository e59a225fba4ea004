"""fraud reports on a partner's users (V3 report_fraud; who reported and the notes sealed) and the
flag per (partner, environment, user_id) they raise and lower (with the flagged face, encrypted)

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import openkyc.db

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fraud_reports",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("partner_id", sa.String(length=32), nullable=False),
        sa.Column("environment", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.String(length=200), nullable=False),
        sa.Column("is_fraud", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("api_key_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", openkyc.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["partner_id"], ["partners.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_fraud_reports_partner_env_user",
        "fraud_reports",
        ["partner_id", "environment", "user_id"],
        unique=False,
    )
    op.create_table(
        "fraud_flags",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("partner_id", sa.String(length=32), nullable=False),
        sa.Column("environment", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=True),
        sa.Column("face_encrypted", sa.LargeBinary(), nullable=True),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("created_at", openkyc.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", openkyc.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["partner_id"], ["partners.id"]),
        sa.ForeignKeyConstraint(["report_id"], ["fraud_reports.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("partner_id", "environment", "user_id"),
    )
    op.create_index(
        "ix_fraud_flags_partner_env_active",
        "fraud_flags",
        ["partner_id", "environment", "active"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_fraud_flags_partner_env_active", table_name="fraud_flags")
    op.drop_table("fraud_flags")
    op.drop_index("ix_fraud_reports_partner_env_user", table_name="fraud_reports")
    op.drop_table("fraud_reports")
