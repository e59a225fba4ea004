"""AML watch-list entries

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import openkyc.db

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "aml_list_entries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("list_source", sa.String(length=32), nullable=False),
        sa.Column("entry_id", sa.String(length=200), nullable=False),
        sa.Column("primary_name", sa.String(length=500), nullable=False),
        sa.Column("search_key", sa.String(length=500), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("aliases", sa.JSON(), nullable=False),
        sa.Column("dates_of_birth", sa.JSON(), nullable=False),
        sa.Column("nationalities", sa.JSON(), nullable=False),
        sa.Column("addresses", sa.JSON(), nullable=False),
        sa.Column("programs", sa.JSON(), nullable=False),
        sa.Column("positions", sa.JSON(), nullable=False),
        sa.Column("source_link", sa.String(length=2048), nullable=True),
        sa.Column("listed_date", sa.String(length=32), nullable=True),
        sa.Column("loaded_at", openkyc.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("list_source", "entry_id"),
    )
    op.create_index(
        op.f("ix_aml_list_entries_list_source"), "aml_list_entries", ["list_source"], unique=False
    )
    op.create_index(op.f("ix_aml_list_entries_search_key"), "aml_list_entries", ["search_key"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_aml_list_entries_search_key"), table_name="aml_list_entries")
    op.drop_index(op.f("ix_aml_list_entries_list_source"), table_name="aml_list_entries")
    op.drop_table("aml_list_entries")
