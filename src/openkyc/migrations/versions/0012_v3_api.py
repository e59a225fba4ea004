"""the V3 API's front door on the job table: which API a job came through, its V3 request
(user_details, consent, metadata: sealed), and the wire format of each callback delivery

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN with a server default: SQLite adds them in place, existing rows read as v1.
    op.add_column("jobs", sa.Column("api_version", sa.String(length=4), nullable=False, server_default="v1"))
    op.add_column("jobs", sa.Column("v3_request", sa.JSON(), nullable=True))
    op.add_column(
        "callback_deliveries", sa.Column("wire", sa.String(length=4), nullable=False, server_default="v1")
    )


def downgrade() -> None:
    op.drop_column("callback_deliveries", "wire")
    op.drop_column("jobs", "v3_request")
    op.drop_column("jobs", "api_version")
