"""management API nonces shared by every API process

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import openkyc.db

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "management_nonces",
        sa.Column("api_key", sa.String(length=64), nullable=False),
        sa.Column("nonce_digest", sa.String(length=64), nullable=False),
        sa.Column("expires_at", openkyc.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("api_key", "nonce_digest"),
    )
    with op.batch_alter_table("management_nonces", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_management_nonces_expires_at"), ["expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("management_nonces", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_management_nonces_expires_at"))
    op.drop_table("management_nonces")
