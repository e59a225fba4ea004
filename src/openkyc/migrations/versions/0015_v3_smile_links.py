"""Smile Links' V3 fields, which the hosted page honours: a description shown to the visitor, where
to send them when done, the page's accent colour

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN of nullable columns: SQLite adds them in place; links made so far have none.
    op.add_column("smile_links", sa.Column("description", sa.String(length=1000), nullable=True))
    op.add_column("smile_links", sa.Column("redirect_url", sa.String(length=2048), nullable=True))
    op.add_column("smile_links", sa.Column("theme_color", sa.String(length=16), nullable=True))


def downgrade() -> None:
    op.drop_column("smile_links", "theme_color")
    op.drop_column("smile_links", "redirect_url")
    op.drop_column("smile_links", "description")
