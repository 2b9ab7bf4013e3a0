"""Recruitment projects and their stage history, weak-link snapshots, data sources, dated
leader needs, and the firm of a chain leader's key.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 09:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None

_STAGES = ("lead", "contacted", "visit", "negotiation", "signed", "registered",
           "construction", "production", "on_hold", "lost")
_NEED_COLUMNS = (("volume", sa.String()), ("needed_by", sa.Date()),
                 ("supplier_countries", sa.JSON()), ("as_of", sa.Date()),
                 ("entered_by", sa.String()))


def upgrade() -> None:
    op.create_table(
        "projects",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("firm_id", sa.String(), nullable=False),
        sa.Column("node_id", sa.String(), nullable=False),
        sa.Column("park_id", sa.String(), nullable=True),
        sa.Column("region_id", sa.String(), nullable=True),
        sa.Column("campaign_id", sa.String(), nullable=True),
        sa.Column("stage", sa.String(), nullable=False),
        sa.Column("stage_changed_at", sa.DateTime(), nullable=False),
        sa.Column("lost_reason", sa.String(), nullable=True),
        sa.Column("owner", sa.String(), nullable=True),
        sa.Column("contact_name", sa.String(), nullable=True),
        sa.Column("contact_title", sa.String(), nullable=True),
        sa.Column("contact_phone", sa.String(), nullable=True),
        sa.Column("contact_email", sa.String(), nullable=True),
        sa.Column("next_follow_up", sa.Date(), nullable=True),
        sa.Column("planned_investment_wan", sa.Double(), nullable=True),
        sa.Column("planned_jobs", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("plant_firm_id", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(f"stage IN ({', '.join(repr(s) for s in _STAGES)})",
                           name=op.f("ck_projects_stage_known")),
        sa.ForeignKeyConstraint(["firm_id"], ["firms.firm_id"], ondelete="CASCADE",
                                name=op.f("fk_projects_firm_id_firms")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_projects")),
    )
    op.create_index(op.f("ix_projects_firm_id"), "projects", ["firm_id"])
    op.create_index(op.f("ix_projects_node_id"), "projects", ["node_id"])
    op.create_index(op.f("ix_projects_stage"), "projects", ["stage"])
    op.create_table(
        "project_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("from_stage", sa.String(), nullable=True),
        sa.Column("to_stage", sa.String(), nullable=False),
        sa.Column("lost_reason", sa.String(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("recorded_by", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], ondelete="CASCADE",
                                name=op.f("fk_project_events_project_id_projects")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_events")),
    )
    op.create_index(op.f("ix_project_events_project_id"), "project_events", ["project_id"])
    op.create_table(
        "weak_link_snapshots",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("region_id", sa.String(), nullable=False),
        sa.Column("chain_id", sa.String(), nullable=False),
        sa.Column("taken_on", sa.Date(), nullable=False),
        sa.Column("taken_at", sa.DateTime(), nullable=False),
        sa.Column("node_id", sa.String(), nullable=False),
        sa.Column("weak_link_score", sa.Double(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=True),
        sa.Column("local_firms", sa.Integer(), nullable=False),
        sa.Column("local_gap", sa.Double(), nullable=False),
        sa.Column("demand", sa.Double(), nullable=False),
        sa.Column("leader_need", sa.Double(), nullable=False),
        sa.Column("data_version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_weak_link_snapshots")),
        sa.UniqueConstraint(
            "region_id", "chain_id", "taken_on", "node_id",
            name=op.f("uq_weak_link_snapshots_region_id_chain_id_taken_on_node_id")),
    )
    op.create_index(op.f("ix_weak_link_snapshots_taken_on"), "weak_link_snapshots",
                    ["taken_on"])
    op.create_table(
        "data_sources",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("table_name", sa.String(), nullable=False),
        sa.Column("subject", sa.String(), nullable=False),
        sa.Column("field", sa.String(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("recorded_by", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_sources")),
        sa.UniqueConstraint("table_name", "subject", "field",
                            name=op.f("uq_data_sources_table_name_subject_field")),
    )
    for name, kind in _NEED_COLUMNS:
        op.add_column("leader_needs", sa.Column(name, kind, nullable=True))
    op.add_column("api_keys", sa.Column("firm_id", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("firm_id")
    with op.batch_alter_table("leader_needs") as batch:
        for name, _ in reversed(_NEED_COLUMNS):
            batch.drop_column(name)
    op.drop_table("data_sources")
    op.drop_index(op.f("ix_weak_link_snapshots_taken_on"), table_name="weak_link_snapshots")
    op.drop_table("weak_link_snapshots")
    op.drop_index(op.f("ix_project_events_project_id"), table_name="project_events")
    op.drop_table("project_events")
    op.drop_index(op.f("ix_projects_stage"), table_name="projects")
    op.drop_index(op.f("ix_projects_node_id"), table_name="projects")
    op.drop_index(op.f("ix_projects_firm_id"), table_name="projects")
    op.drop_table("projects")
