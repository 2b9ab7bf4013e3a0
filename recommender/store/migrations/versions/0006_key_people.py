"""The person behind an API key (a display name and an organisation unit), and the key an
outcome was recorded with.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    op.add_column("api_keys", sa.Column("display_name", sa.String(), nullable=True))
    op.add_column("api_keys", sa.Column("unit", sa.String(), nullable=True))
    op.add_column("outcomes", sa.Column("recorded_by_key", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outcomes") as batch:
        batch.drop_column("recorded_by_key")
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("unit")
        batch.drop_column("display_name")
