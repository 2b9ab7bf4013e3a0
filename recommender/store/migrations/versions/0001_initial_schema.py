"""Initial schema: firms, firm-node links, campaigns, outcomes, parks, region tables, audit.

Revision ID: 0001
Revises:
Create Date: 2026-11-28 01:18:17.465912
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    op.create_table(
        "firms",
        sa.Column("firm_id", sa.String(), nullable=False),
        sa.Column("firm_key", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=True),
        sa.Column("name_zh", sa.String(), nullable=True),
        sa.Column("credit_code", sa.String(), nullable=True),
        sa.Column("country", sa.String(), nullable=True),
        sa.Column("province", sa.String(), nullable=True),
        sa.Column("city", sa.String(), nullable=True),
        sa.Column("lat", sa.Double(), nullable=True),
        sa.Column("lon", sa.Double(), nullable=True),
        sa.Column("geocode_quality", sa.String(), nullable=True),
        sa.Column("founded_year", sa.Integer(), nullable=True),
        sa.Column("registered_capital_cny", sa.Double(), nullable=True),
        sa.Column("employees", sa.Double(), nullable=True),
        sa.Column("revenue_musd", sa.Double(), nullable=True),
        sa.Column("revenue_growth", sa.Double(), nullable=True),
        sa.Column("rd_intensity", sa.Double(), nullable=True),
        sa.Column("patents", sa.Double(), nullable=True),
        sa.Column("is_listed", sa.Boolean(), nullable=True),
        sa.Column("size_class", sa.String(), nullable=True),
        sa.Column("intl_countries", sa.Double(), nullable=True),
        sa.Column("in_china", sa.Boolean(), nullable=True),
        sa.Column("in_gba", sa.Boolean(), nullable=True),
        sa.Column("industry_code", sa.String(), nullable=True),
        sa.Column("business_scope", sa.Text(), nullable=True),
        sa.Column("website", sa.String(), nullable=True),
        sa.Column("symbol", sa.String(), nullable=True),
        sa.Column("isin", sa.String(), nullable=True),
        sa.Column("source", sa.String(), nullable=True),
        sa.Column("is_synthetic", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("data_version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("firm_id", name=op.f("pk_firms")),
        sa.UniqueConstraint("firm_key", name=op.f("uq_firms_firm_key")),
    )
    op.create_index(op.f("ix_firms_country"), "firms", ["country"])
    op.create_index(op.f("ix_firms_credit_code"), "firms", ["credit_code"])
    op.create_index(op.f("ix_firms_data_version"), "firms", ["data_version"])

    op.create_table(
        "firm_nodes",
        sa.Column("firm_id", sa.String(), nullable=False),
        sa.Column("node_id", sa.String(), nullable=False),
        sa.Column("method", sa.String(), nullable=False),
        sa.Column("confidence", sa.Double(), nullable=True),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["firm_id"], ["firms.firm_id"],
            name=op.f("fk_firm_nodes_firm_id_firms"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("firm_id", "node_id", "method", name=op.f("pk_firm_nodes")),
    )
    op.create_index(op.f("ix_firm_nodes_node_id"), "firm_nodes", ["node_id"])

    op.create_table(
        "campaigns",
        sa.Column("campaign_id", sa.String(), nullable=False),
        sa.Column("campaign_name", sa.String(), nullable=True),
        sa.Column("region_id", sa.String(), nullable=True),
        sa.Column("node_id", sa.String(), nullable=True),
        sa.Column("date", sa.Date(), nullable=True),
        sa.Column("is_synthetic", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("campaign_id", name=op.f("pk_campaigns")),
    )

    op.create_table(
        "outcomes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("firm_id", sa.String(), nullable=False),
        sa.Column("node_id", sa.String(), nullable=False),
        sa.Column("campaign_id", sa.String(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("stage", sa.SmallInteger(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("source", sa.String(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("recorded_by", sa.String(), nullable=True),
        sa.CheckConstraint("stage BETWEEN 0 AND 4", name=op.f("ck_outcomes_stage_range")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outcomes")),
        sa.UniqueConstraint(
            "firm_id", "node_id", "campaign_id", "date", "stage",
            name=op.f("uq_outcomes_firm_id_node_id_campaign_id_date_stage"),
        ),
    )
    op.create_index(op.f("ix_outcomes_firm_id"), "outcomes", ["firm_id"])

    op.create_table(
        "parks",
        sa.Column("park_id", sa.String(), nullable=False),
        sa.Column("name_zh", sa.String(), nullable=True),
        sa.Column("name_en", sa.String(), nullable=True),
        sa.Column("city_id", sa.String(), nullable=True),
        sa.Column("lat", sa.Double(), nullable=True),
        sa.Column("lon", sa.Double(), nullable=True),
        sa.Column("focus_nodes", sa.JSON(), nullable=False),
        sa.Column("land_available_ha", sa.Double(), nullable=True),
        sa.Column("building_available_m2", sa.Double(), nullable=True),
        sa.Column("power_capacity_mva", sa.Double(), nullable=True),
        sa.Column("clean_room_m2", sa.Double(), nullable=True),
        sa.Column("rent_cny_m2_month", sa.Double(), nullable=True),
        sa.Column("incentives_zh", sa.Text(), nullable=True),
        sa.Column("incentives_en", sa.Text(), nullable=True),
        sa.Column("max_new_firms", sa.Integer(), nullable=True),
        sa.Column("tenants", sa.JSON(), nullable=False),
        sa.Column("is_illustrative", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("park_id", name=op.f("pk_parks")),
    )

    op.create_table(
        "region_imports",
        sa.Column("region_id", sa.String(), nullable=False),
        sa.Column("hs_code", sa.String(), nullable=False),
        sa.Column("origin_country", sa.String(), nullable=False),
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("value_usd", sa.Double(), nullable=True),
        sa.Column("is_illustrative", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint(
            "region_id", "hs_code", "origin_country", "year", name=op.f("pk_region_imports")
        ),
    )
    op.create_table(
        "export_controls",
        sa.Column("region_id", sa.String(), nullable=False),
        sa.Column("origin_country", sa.String(), nullable=False),
        sa.Column("node_id", sa.String(), nullable=False),
        sa.Column("control", sa.Double(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("is_illustrative", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint(
            "region_id", "origin_country", "node_id", name=op.f("pk_export_controls")
        ),
    )
    op.create_table(
        "leader_needs",
        sa.Column("region_id", sa.String(), nullable=False),
        sa.Column("leader_firm_id", sa.String(), nullable=False),
        sa.Column("node_id", sa.String(), nullable=False),
        sa.Column("need", sa.Double(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("is_illustrative", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint(
            "region_id", "leader_firm_id", "node_id", name=op.f("pk_leader_needs")
        ),
    )

    op.create_table(
        "import_batches",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("file_name", sa.String(), nullable=True),
        sa.Column("sha256", sa.String(), nullable=True),
        sa.Column("rows", sa.BigInteger(), nullable=True),
        sa.Column("inserted", sa.BigInteger(), nullable=True),
        sa.Column("updated", sa.BigInteger(), nullable=True),
        sa.Column("unchanged", sa.BigInteger(), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_batches")),
    )
    op.create_index(op.f("ix_import_batches_sha256"), "import_batches", ["sha256"])

    meta = op.create_table(
        "meta",
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_meta")),
    )
    op.bulk_insert(meta, [{"key": "data_version", "value": "0"}])


def downgrade() -> None:
    op.drop_table("meta")
    op.drop_index(op.f("ix_import_batches_sha256"), table_name="import_batches")
    op.drop_table("import_batches")
    op.drop_table("leader_needs")
    op.drop_table("export_controls")
    op.drop_table("region_imports")
    op.drop_table("parks")
    op.drop_index(op.f("ix_outcomes_firm_id"), table_name="outcomes")
    op.drop_table("outcomes")
    op.drop_table("campaigns")
    op.drop_index(op.f("ix_firm_nodes_node_id"), table_name="firm_nodes")
    op.drop_table("firm_nodes")
    op.drop_index(op.f("ix_firms_data_version"), table_name="firms")
    op.drop_index(op.f("ix_firms_credit_code"), table_name="firms")
    op.drop_index(op.f("ix_firms_country"), table_name="firms")
    op.drop_table("firms")
