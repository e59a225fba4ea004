"""partner portal: team members, sessions, failed sign-ins, team policy

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import openkyc.db

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "portal_users",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("partner_id", sa.String(length=32), nullable=False),
        sa.Column("email_digest", sa.String(length=64), nullable=False),
        sa.Column("email_encrypted", sa.LargeBinary(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("totp_secret_encrypted", sa.LargeBinary(), nullable=True),
        sa.Column("totp_last_step", sa.Integer(), nullable=True),
        sa.Column("recovery_codes", sa.JSON(), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", openkyc.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", openkyc.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["partner_id"], ["partners.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("email_digest"),
    )
    with op.batch_alter_table("portal_users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_portal_users_partner_id"), ["partner_id"], unique=False)

    op.create_table(
        "portal_sessions",
        sa.Column("token_digest", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("second_factor_pending", sa.Boolean(), nullable=False),
        sa.Column("created_at", openkyc.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", openkyc.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", openkyc.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["portal_users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("token_digest"),
    )
    with op.batch_alter_table("portal_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_portal_sessions_user_id"), ["user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_portal_sessions_expires_at"), ["expires_at"], unique=False)

    op.create_table(
        "portal_login_failures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key_digest", sa.String(length=64), nullable=False),
        sa.Column("at", openkyc.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("portal_login_failures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_portal_login_failures_key_digest"), ["key_digest"], unique=False)
        batch_op.create_index(batch_op.f("ix_portal_login_failures_at"), ["at"], unique=False)

    op.create_table(
        "portal_team_policies",
        sa.Column("partner_id", sa.String(length=32), nullable=False),
        sa.Column("totp_required", sa.Boolean(), nullable=False),
        sa.Column("updated_at", openkyc.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["partner_id"], ["partners.id"]),
        sa.PrimaryKeyConstraint("partner_id"),
    )


def downgrade() -> None:
    op.drop_table("portal_team_policies")
    with op.batch_alter_table("portal_login_failures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_portal_login_failures_at"))
        batch_op.drop_index(batch_op.f("ix_portal_login_failures_key_digest"))
    op.drop_table("portal_login_failures")
    with op.batch_alter_table("portal_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_portal_sessions_expires_at"))
        batch_op.drop_index(batch_op.f("ix_portal_sessions_user_id"))
    op.drop_table("portal_sessions")
    with op.batch_alter_table("portal_users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_portal_users_partner_id"))
    op.drop_table("portal_users")
