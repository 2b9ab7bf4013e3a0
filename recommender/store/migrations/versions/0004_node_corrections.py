"""People's corrections of firms' chain nodes: confirm, reject or add a node, why, who, when.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    op.create_table(
        "node_corrections",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("firm_id", sa.String(), nullable=False),
        sa.Column("node_id", sa.String(), nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("recorded_by", sa.String(), nullable=True),
        sa.CheckConstraint("action IN ('confirm', 'reject', 'add')",
                           name=op.f("ck_node_corrections_action_known")),
        sa.ForeignKeyConstraint(["firm_id"], ["firms.firm_id"], ondelete="CASCADE",
                                name=op.f("fk_node_corrections_firm_id_firms")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_node_corrections")),
    )
    op.create_index(op.f("ix_node_corrections_firm_id"), "node_corrections", ["firm_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_node_corrections_firm_id"), table_name="node_corrections")
    op.drop_table("node_corrections")
