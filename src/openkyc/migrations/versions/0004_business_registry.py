"""local business registry records

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import openkyc.db

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "business_registry_records",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("id_type", sa.String(length=64), nullable=False),
        sa.Column("number_digest", sa.String(length=64), nullable=False),
        sa.Column("record_encrypted", sa.LargeBinary(), nullable=False),
        sa.Column("imported_at", openkyc.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("country", "id_type", "number_digest"),
    )


def downgrade() -> None:
    op.drop_table("business_registry_records")
