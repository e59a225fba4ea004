"""partner portal: team invitations, a member's last sign-in and 2FA re-enrolment after a reset

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import openkyc.db

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "portal_invitations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("partner_id", sa.String(length=32), nullable=False),
        sa.Column("token_digest", sa.String(length=64), nullable=False),
        sa.Column("email_digest", sa.String(length=64), nullable=False),
        sa.Column("email_encrypted", sa.LargeBinary(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("invited_by", sa.Integer(), nullable=True),
        sa.Column("created_at", openkyc.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", openkyc.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", openkyc.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", openkyc.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["invited_by"], ["portal_users.id"]),
        sa.ForeignKeyConstraint(["partner_id"], ["partners.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_digest"),
    )
    with op.batch_alter_table("portal_invitations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_portal_invitations_partner_id"), ["partner_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_portal_invitations_email_digest"), ["email_digest"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_portal_invitations_expires_at"), ["expires_at"], unique=False)

    with op.batch_alter_table("portal_users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("totp_must_enrol", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("last_sign_in_at", openkyc.db.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("portal_users", schema=None) as batch_op:
        batch_op.drop_column("last_sign_in_at")
        batch_op.drop_column("totp_must_enrol")
    with op.batch_alter_table("portal_invitations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_portal_invitations_expires_at"))
        batch_op.drop_index(batch_op.f("ix_portal_invitations_email_digest"))
        batch_op.drop_index(batch_op.f("ix_portal_invitations_partner_id"))
    op.drop_table("portal_invitations")
