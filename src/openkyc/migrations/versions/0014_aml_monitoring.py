"""people under ongoing AML monitoring (V3 /v3/aml/monitoring): who is screened and the last answer
(both sealed), the lists that answer was screened against

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import openkyc.db

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "aml_monitored_subjects",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("smile_job_id", sa.String(length=20), nullable=False),
        sa.Column("partner_id", sa.String(length=32), nullable=False),
        sa.Column("environment", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.JSON(), nullable=False),
        sa.Column("last_screening", sa.JSON(), nullable=False),
        sa.Column("lists_version", sa.String(length=64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("screenings", sa.Integer(), nullable=False),
        sa.Column("screened_at", openkyc.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", openkyc.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["partner_id"], ["partners.id"]),
        sa.ForeignKeyConstraint(["smile_job_id"], ["jobs.smile_job_id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("smile_job_id"),
    )
    op.create_index(
        "ix_aml_monitored_subjects_due", "aml_monitored_subjects", ["active", "lists_version"], unique=False
    )
    op.create_index(
        op.f("ix_aml_monitored_subjects_partner_id"), "aml_monitored_subjects", ["partner_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_aml_monitored_subjects_partner_id"), table_name="aml_monitored_subjects")
    op.drop_index("ix_aml_monitored_subjects_due", table_name="aml_monitored_subjects")
    op.drop_table("aml_monitored_subjects")
