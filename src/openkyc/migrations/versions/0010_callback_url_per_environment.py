"""partners: a default callback URL per environment (sandbox_callback_url, production_callback_url)

A partner's sandbox jobs usually report to a test receiver and its production jobs to the real
one. The single ``default_callback_url`` becomes ``sandbox_callback_url`` and its value is copied
to the new ``production_callback_url``, so every job's callbacks go where they went before.
Downgrading keeps the sandbox URL.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


# Plain ALTER TABLE statements, no batch mode: SQLite (3.35+) renames, adds and drops these columns
# in place, where a batch would rebuild ``partners``, which other tables' rows refer to.


def upgrade() -> None:
    op.alter_column("partners", "default_callback_url", new_column_name="sandbox_callback_url")
    op.add_column("partners", sa.Column("production_callback_url", sa.String(length=2048), nullable=True))
    op.execute("UPDATE partners SET production_callback_url = sandbox_callback_url")


def downgrade() -> None:
    op.drop_column("partners", "production_callback_url")
    op.alter_column("partners", "sandbox_callback_url", new_column_name="default_callback_url")
