"""The store's tables of the recruitment pipeline (招商项目), the chain's health over time and
the sources of data, as SQLAlchemy 2 declarative models on :class:`~recommender.store.models.Base`.

``projects`` and their ``project_events`` (every stage change), ``weak_link_snapshots`` (one
node's diagnosis on one day) and ``data_sources`` (where a firm's field or a region table came
from, as of when). :mod:`recommender.store` imports this module, so the tables are in
``Base.metadata`` whenever the store is.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from recommender import columns as C
from recommender.store import models as M

__all__ = [
    "CONTACT_EMAIL",
    "CONTACT_NAME",
    "CONTACT_PHONE",
    "CONTACT_TITLE",
    "CREATED_BY",
    "DATA_SOURCES",
    "DataSource",
    "FROM_STAGE",
    "LOST_REASON",
    "NEXT_FOLLOW_UP",
    "OWNER",
    "PLANNED_INVESTMENT",
    "PLANNED_JOBS",
    "PLANT_FIRM_ID",
    "PROJECTS",
    "PROJECT_EVENTS",
    "PROJECT_ID",
    "PROJECT_STAGE",
    "PROJECT_STAGES",
    "Project",
    "ProjectEvent",
    "SNAPSHOT_CHAIN_ID",
    "SNAPSHOT_TAKEN_AT",
    "SNAPSHOT_TAKEN_ON",
    "SOURCE_FIELD",
    "SOURCE_SUBJECT",
    "SOURCE_TABLE",
    "STAGE_CHANGED_AT",
    "TO_STAGE",
    "WEAK_LINK_SNAPSHOTS",
    "WeakLinkSnapshot",
]

PROJECT_ID = "project_id"
PROJECT_STAGE = "stage"  # lead … production, on_hold, lost (recommender.pipeline.transitions)
STAGE_CHANGED_AT = "stage_changed_at"  # when the project entered its present stage
LOST_REASON = "lost_reason"  # why a project was lost: cost, policy, site, rival_region, …
OWNER = "owner"  # the officer who runs the project
CONTACT_NAME = "contact_name"  # 联系人: personal data, officers and admins only
CONTACT_TITLE = "contact_title"  # 职务
CONTACT_PHONE = "contact_phone"  # 电话
CONTACT_EMAIL = "contact_email"  # 邮箱
NEXT_FOLLOW_UP = "next_follow_up"  # 下次跟进
PLANNED_INVESTMENT = "planned_investment_wan"  # 计划投资额, 万元 (10,000 CNY)
PLANNED_JOBS = "planned_jobs"
PLANT_FIRM_ID = "plant_firm_id"  # the local firm a project in production added
CREATED_BY = "created_by"
FROM_STAGE = "from_stage"
TO_STAGE = "to_stage"
SNAPSHOT_CHAIN_ID = "chain_id"
SNAPSHOT_TAKEN_ON = "taken_on"  # the day a weak-link snapshot describes
SNAPSHOT_TAKEN_AT = "taken_at"
SOURCE_TABLE = "table_name"  # firms, region_imports, export_controls, leader_needs
SOURCE_SUBJECT = "subject"  # a firm's id, or a region's
SOURCE_FIELD = "field"  # a column, or "*" for every column of the subject's rows
PROJECT_STAGES = ("lead", "contacted", "visit", "negotiation", "signed", "registered",
                  "construction", "production", "on_hold", "lost")


class Project(M.Base):
    """One recruitment project (招商项目): a firm for one weak link, optionally into a park."""

    __tablename__ = "projects"
    __table_args__ = (
        sa.CheckConstraint(
            f"{PROJECT_STAGE} IN ({', '.join(repr(s) for s in PROJECT_STAGES)})",
            name="stage_known"),
        sa.Index(None, PROJECT_STAGE),
    )

    id: Mapped[int] = mapped_column(M.ID, primary_key=True, autoincrement=True)
    firm_id: Mapped[str] = mapped_column(
        C.FIRM_ID, sa.ForeignKey(M.Firm.firm_id, ondelete="CASCADE"), index=True)
    node_id: Mapped[str] = mapped_column(C.NODE_ID, index=True)
    park_id: Mapped[str | None] = mapped_column(C.PARK_ID)
    region_id: Mapped[str | None] = mapped_column(C.REGION_ID)
    campaign_id: Mapped[str | None] = mapped_column(C.CAMPAIGN_ID)
    stage: Mapped[str] = mapped_column(PROJECT_STAGE)
    stage_changed_at: Mapped[dt.datetime] = mapped_column(STAGE_CHANGED_AT)
    lost_reason: Mapped[str | None] = mapped_column(LOST_REASON)
    owner: Mapped[str | None] = mapped_column(OWNER)
    contact_name: Mapped[str | None] = mapped_column(CONTACT_NAME)
    contact_title: Mapped[str | None] = mapped_column(CONTACT_TITLE)
    contact_phone: Mapped[str | None] = mapped_column(CONTACT_PHONE)
    contact_email: Mapped[str | None] = mapped_column(CONTACT_EMAIL)
    next_follow_up: Mapped[dt.date | None] = mapped_column(NEXT_FOLLOW_UP)
    planned_investment_wan: Mapped[float | None] = mapped_column(PLANNED_INVESTMENT)
    planned_jobs: Mapped[int | None] = mapped_column(PLANNED_JOBS)
    note: Mapped[str | None] = mapped_column(C.NOTE, sa.Text)
    plant_firm_id: Mapped[str | None] = mapped_column(PLANT_FIRM_ID)
    created_at: Mapped[dt.datetime] = mapped_column(M.CREATED_AT)
    created_by: Mapped[str | None] = mapped_column(CREATED_BY)
    updated_at: Mapped[dt.datetime] = mapped_column(M.UPDATED_AT)


class ProjectEvent(M.Base):
    """One stage change of a project: from, to, why, who and when (never changed)."""

    __tablename__ = "project_events"

    id: Mapped[int] = mapped_column(M.ID, primary_key=True, autoincrement=True)
    project_id: Mapped[int] = mapped_column(
        PROJECT_ID, sa.ForeignKey(Project.id, ondelete="CASCADE"), index=True)
    from_stage: Mapped[str | None] = mapped_column(FROM_STAGE)
    to_stage: Mapped[str] = mapped_column(TO_STAGE)
    lost_reason: Mapped[str | None] = mapped_column(LOST_REASON)
    note: Mapped[str | None] = mapped_column(C.NOTE, sa.Text)
    recorded_at: Mapped[dt.datetime] = mapped_column(M.RECORDED_AT)
    recorded_by: Mapped[str | None] = mapped_column(M.RECORDED_BY)


class WeakLinkSnapshot(M.Base):
    """One node's weak-link diagnosis on one day: the chain's health, kept over time."""

    __tablename__ = "weak_link_snapshots"
    __table_args__ = (sa.UniqueConstraint(C.REGION_ID, SNAPSHOT_CHAIN_ID, SNAPSHOT_TAKEN_ON,
                                          C.NODE_ID),)

    id: Mapped[int] = mapped_column(M.ID, primary_key=True, autoincrement=True)
    region_id: Mapped[str] = mapped_column(C.REGION_ID)
    chain_id: Mapped[str] = mapped_column(SNAPSHOT_CHAIN_ID)
    taken_on: Mapped[dt.date] = mapped_column(SNAPSHOT_TAKEN_ON, index=True)
    taken_at: Mapped[dt.datetime] = mapped_column(SNAPSHOT_TAKEN_AT)
    node_id: Mapped[str] = mapped_column(C.NODE_ID)
    weak_link_score: Mapped[float] = mapped_column(C.WEAK_LINK_SCORE)
    rank: Mapped[int | None] = mapped_column(C.RANK)
    local_firms: Mapped[int] = mapped_column(C.LOCAL_FIRMS)
    local_gap: Mapped[float] = mapped_column(C.LOCAL_GAP)
    demand: Mapped[float] = mapped_column(C.DEMAND)
    leader_need: Mapped[float] = mapped_column(C.LEADER_NEED)
    data_version: Mapped[int] = mapped_column(M.DATA_VERSION, sa.BigInteger)


class DataSource(M.Base):
    """Where a firm's field or a region table came from, and the day it was true there."""

    __tablename__ = "data_sources"
    __table_args__ = (sa.UniqueConstraint(SOURCE_TABLE, SOURCE_SUBJECT, SOURCE_FIELD),)

    id: Mapped[int] = mapped_column(M.ID, primary_key=True, autoincrement=True)
    table_name: Mapped[str] = mapped_column(SOURCE_TABLE)
    subject: Mapped[str] = mapped_column(SOURCE_SUBJECT)
    field: Mapped[str] = mapped_column(SOURCE_FIELD)
    source: Mapped[str] = mapped_column(C.SOURCE)
    as_of: Mapped[dt.date] = mapped_column(M.AS_OF)
    recorded_at: Mapped[dt.datetime] = mapped_column(M.RECORDED_AT)
    recorded_by: Mapped[str | None] = mapped_column(M.RECORDED_BY)


PROJECTS = Project.__table__
PROJECT_EVENTS = ProjectEvent.__table__
WEAK_LINK_SNAPSHOTS = WeakLinkSnapshot.__table__
DATA_SOURCES = DataSource.__table__
