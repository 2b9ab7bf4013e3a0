"""The tables of the ChainScout store, as typed SQLAlchemy 2 declarative models.

Column names come from :mod:`recommender.columns`; the few bookkeeping columns that only
the store has (timestamps, versions, the audit trail) are named here, once. Column types
follow :mod:`recommender.firms.schemas`: counts that sources report loosely (employees, patents,
countries) are floats.

Text columns carry no length limit on purpose: SQLite ignores ``VARCHAR(n)`` while
PostgreSQL enforces it, and the store must behave the same on both. Lengths and formats are
checked by validation before a write.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from recommender import columns as C

__all__ = [
    "API_KEYS",
    "AS_OF",
    "ApiKey",
    "BATCH_FILE",
    "BATCH_FINISHED",
    "BATCH_INSERTED",
    "BATCH_KIND",
    "BATCH_MESSAGE",
    "BATCH_ROWS",
    "BATCH_SHA256",
    "BATCH_STARTED",
    "BATCH_STATUS",
    "BATCH_UNCHANGED",
    "BATCH_UPDATED",
    "Base",
    "CAMPAIGNS",
    "CONSTRAINT_HINTS",
    "CORRECTION_ACTION",
    "CORRECTION_ACTIONS",
    "CORRECTION_ADD",
    "CORRECTION_CONFIRM",
    "CORRECTION_REASON",
    "CORRECTION_REJECT",
    "CREATED_AT",
    "Campaign",
    "DATA_VERSION",
    "ENTERED_BY",
    "EXPORT_CONTROLS",
    "ExportControl",
    "FIRMS",
    "FIRM_NODES",
    "Firm",
    "FirmNode",
    "ID",
    "IMPORT_BATCHES",
    "ImportBatch",
    "JOBS",
    "JOB_CREATED_BY",
    "JOB_ERROR",
    "JOB_FINISHED_AT",
    "JOB_KIND",
    "JOB_PARAMS",
    "JOB_RESULT",
    "JOB_STARTED_AT",
    "JOB_STATUS",
    "JOB_STATUSES",
    "Job",
    "KEY_FIRM_ID",
    "KEY_HASH",
    "KEY_LABEL",
    "KEY_NAME",
    "KEY_PARK_IDS",
    "KEY_PREFIX",
    "KEY_REVOKED_AT",
    "KEY_ROLE",
    "KEY_UNIT",
    "LEADER_NEEDS",
    "LeaderNeed",
    "META",
    "META_KEY",
    "META_VALUE",
    "Meta",
    "NAMING_CONVENTION",
    "NEED_BY",
    "NEED_SUPPLIER_COUNTRIES",
    "NEED_VOLUME",
    "NODE_CORRECTIONS",
    "NodeCorrection",
    "OUTCOMES",
    "Outcome",
    "PARKS",
    "Park",
    "RECORDED_AT",
    "RECORDED_BY",
    "RECORDED_BY_KEY",
    "REGION_IMPORTS",
    "REGION_TABLES",
    "REGION_TABLE_ALIASES",
    "RegionImport",
    "UPDATED_AT",
    "utcnow",
]

# --- column names that exist only in the store --------------------------------------------
CREATED_AT = "created_at"
UPDATED_AT = "updated_at"
DATA_VERSION = "data_version"  # the store-wide counter when the row last changed
RECORDED_AT = "recorded_at"
RECORDED_BY = "recorded_by"
RECORDED_BY_KEY = "recorded_by_key"  # the id of the API key a row was recorded with
ID = "id"
META_KEY = "key"
META_VALUE = "value"
BATCH_KIND = "kind"
BATCH_FILE = "file_name"
BATCH_SHA256 = "sha256"
BATCH_ROWS = "rows"
BATCH_INSERTED = "inserted"
BATCH_UPDATED = "updated"
BATCH_UNCHANGED = "unchanged"
BATCH_STARTED = "started_at"
BATCH_FINISHED = "finished_at"
BATCH_STATUS = "status"  # running | ok | failed
BATCH_MESSAGE = "message"
NEED_VOLUME = "volume"  # a leader need's volume, in the leader's words ("5万件/年")
NEED_BY = "needed_by"  # by when the leader needs local supply
NEED_SUPPLIER_COUNTRIES = "supplier_countries"  # ISO2 codes of its current suppliers
AS_OF = "as_of"  # the day a value was true at its source
ENTERED_BY = "entered_by"  # who entered a row (a key's person, else its label, else its prefix)
CORRECTION_ACTION = "action"  # confirm | reject | add
CORRECTION_REASON = "reason"  # why, in the corrector's words
CORRECTION_CONFIRM = "confirm"
CORRECTION_REJECT = "reject"
CORRECTION_ADD = "add"
CORRECTION_ACTIONS = (CORRECTION_CONFIRM, CORRECTION_REJECT, CORRECTION_ADD)

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# A readable explanation for each named constraint, used when a write breaks one.
CONSTRAINT_HINTS = {
    "pk_firms": "two firms share a firm_id",
    "uq_firms_firm_key": "two firms share a firm_key",
    "fk_firm_nodes_firm_id_firms": "a firm-node link names a firm that is not in the store",
    "pk_firm_nodes": "a firm-node link appears twice (same firm_id, node_id and method)",
    "fk_node_corrections_firm_id_firms": "a node correction names a firm that is not in the store",
    "ck_node_corrections_action_known": "a node correction's action is not confirm, reject or add",
    "pk_campaigns": "two campaigns share a campaign_id",
    "ck_outcomes_stage_range": "an outcome stage is outside 0-4",
    "uq_outcomes_firm_id_node_id_campaign_id_date_stage": "an outcome appears twice",
    "pk_parks": "two parks share a park_id",
    "pk_region_imports": "an import row appears twice (region, HS code, origin, year)",
    "pk_export_controls": "an export-control row appears twice (region, origin, node)",
    "pk_leader_needs": "a leader need appears twice (region, leader firm, node)",
    "fk_projects_firm_id_firms": "a project names a firm that is not in the store",
    "ck_projects_stage_known": "a project's stage is not one of the pipeline's",
    "fk_project_events_project_id_projects": "a stage change names a project not in the store",
    "uq_weak_link_snapshots_region_id_chain_id_taken_on_node_id":
        "a weak-link snapshot has a node twice on one day",
    "uq_data_sources_table_name_subject_field": "a data source is recorded twice",
}


def utcnow() -> dt.datetime:
    """Return the current UTC time without tzinfo (SQLite keeps no zone, so neither do we)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        str: sa.String(),
        dict[str, Any]: sa.JSON(),
        list[str]: sa.JSON(),
    }


class Firm(Base):
    """One firm (企业画像), keyed by ``firm_key``; ``firm_id`` never changes once given."""

    __tablename__ = "firms"

    firm_id: Mapped[str] = mapped_column(C.FIRM_ID, primary_key=True)
    firm_key: Mapped[str] = mapped_column(C.FIRM_KEY, unique=True)
    name: Mapped[str | None] = mapped_column(C.NAME)
    name_zh: Mapped[str | None] = mapped_column(C.NAME_ZH)
    credit_code: Mapped[str | None] = mapped_column(C.CREDIT_CODE, index=True)
    country: Mapped[str | None] = mapped_column(C.COUNTRY, index=True)
    province: Mapped[str | None] = mapped_column(C.PROVINCE)
    city: Mapped[str | None] = mapped_column(C.CITY)
    lat: Mapped[float | None] = mapped_column(C.LAT)
    lon: Mapped[float | None] = mapped_column(C.LON)
    geocode_quality: Mapped[str | None] = mapped_column(C.GEO_QUALITY)
    founded_year: Mapped[int | None] = mapped_column(C.FOUNDED_YEAR)
    registered_capital_cny: Mapped[float | None] = mapped_column(C.REGISTERED_CAPITAL)
    employees: Mapped[float | None] = mapped_column(C.EMPLOYEES)
    revenue_musd: Mapped[float | None] = mapped_column(C.REVENUE)
    revenue_growth: Mapped[float | None] = mapped_column(C.REVENUE_GROWTH)
    rd_intensity: Mapped[float | None] = mapped_column(C.RD_INTENSITY)
    patents: Mapped[float | None] = mapped_column(C.PATENTS)
    is_listed: Mapped[bool | None] = mapped_column(C.IS_LISTED)
    size_class: Mapped[str | None] = mapped_column(C.SIZE_CLASS)
    intl_countries: Mapped[float | None] = mapped_column(C.INTL_COUNTRIES)
    in_china: Mapped[bool | None] = mapped_column(C.IN_CHINA)
    in_gba: Mapped[bool | None] = mapped_column(C.IN_GBA)
    industry_code: Mapped[str | None] = mapped_column(C.INDUSTRY_CODE)
    business_scope: Mapped[str | None] = mapped_column(C.BUSINESS_SCOPE, sa.Text)
    website: Mapped[str | None] = mapped_column(C.WEBSITE)
    symbol: Mapped[str | None] = mapped_column(C.SYMBOL)
    isin: Mapped[str | None] = mapped_column(C.ISIN)
    source: Mapped[str | None] = mapped_column(C.SOURCE)
    is_synthetic: Mapped[bool] = mapped_column(C.IS_SYNTHETIC, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(CREATED_AT)
    updated_at: Mapped[dt.datetime] = mapped_column(UPDATED_AT)
    data_version: Mapped[int] = mapped_column(DATA_VERSION, sa.BigInteger, index=True)


class FirmNode(Base):
    """A firm's activity in one chain node, as found by one method."""

    __tablename__ = "firm_nodes"
    __table_args__ = (sa.Index(None, C.NODE_ID),)

    firm_id: Mapped[str] = mapped_column(
        C.FIRM_ID, sa.ForeignKey(Firm.firm_id, ondelete="CASCADE"), primary_key=True
    )
    node_id: Mapped[str] = mapped_column(C.NODE_ID, primary_key=True)
    method: Mapped[str] = mapped_column(C.METHOD, primary_key=True)
    confidence: Mapped[float | None] = mapped_column(C.CONFIDENCE)
    evidence: Mapped[str | None] = mapped_column(C.EVIDENCE, sa.Text)


class Campaign(Base):
    """An outreach campaign of a region for one chain node; ``date`` is its start."""

    __tablename__ = "campaigns"

    campaign_id: Mapped[str] = mapped_column(C.CAMPAIGN_ID, primary_key=True)
    campaign_name: Mapped[str | None] = mapped_column(C.CAMPAIGN_NAME)
    region_id: Mapped[str | None] = mapped_column(C.REGION_ID)
    node_id: Mapped[str | None] = mapped_column(C.NODE_ID)
    date: Mapped[dt.date | None] = mapped_column(C.DATE)
    is_synthetic: Mapped[bool] = mapped_column(C.IS_SYNTHETIC, default=False)


class Outcome(Base):
    """How far one firm got in one campaign for one node, on one day (the ranking labels)."""

    __tablename__ = "outcomes"
    __table_args__ = (
        sa.CheckConstraint(f"{C.OUTCOME_STAGE} BETWEEN 0 AND 4", name="stage_range"),
        sa.UniqueConstraint(C.FIRM_ID, C.NODE_ID, C.CAMPAIGN_ID, C.DATE, C.OUTCOME_STAGE),
    )

    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    firm_id: Mapped[str] = mapped_column(C.FIRM_ID, index=True)
    node_id: Mapped[str] = mapped_column(C.NODE_ID)
    campaign_id: Mapped[str] = mapped_column(C.CAMPAIGN_ID)
    date: Mapped[dt.date] = mapped_column(C.DATE)
    stage: Mapped[int] = mapped_column(C.OUTCOME_STAGE, sa.SmallInteger)
    note: Mapped[str | None] = mapped_column(C.NOTE, sa.Text)
    source: Mapped[str | None] = mapped_column(C.SOURCE)
    recorded_at: Mapped[dt.datetime] = mapped_column(RECORDED_AT)
    recorded_by: Mapped[str | None] = mapped_column(RECORDED_BY)  # the person, when recorded
    recorded_by_key: Mapped[int | None] = mapped_column(RECORDED_BY_KEY)  # their key's id


class Park(Base):
    """An industrial park profile (园区画像); focus nodes and tenants are JSON lists."""

    __tablename__ = "parks"

    park_id: Mapped[str] = mapped_column(C.PARK_ID, primary_key=True)
    name_zh: Mapped[str | None] = mapped_column(C.PARK_NAME_ZH)
    name_en: Mapped[str | None] = mapped_column(C.PARK_NAME_EN)
    city_id: Mapped[str | None] = mapped_column(C.CITY_ID)
    lat: Mapped[float | None] = mapped_column(C.LAT)
    lon: Mapped[float | None] = mapped_column(C.LON)
    focus_nodes: Mapped[list[str]] = mapped_column(C.FOCUS_NODES, default=list)
    land_available_ha: Mapped[float | None] = mapped_column(C.LAND_HA)
    building_available_m2: Mapped[float | None] = mapped_column(C.BUILDING_M2)
    power_capacity_mva: Mapped[float | None] = mapped_column(C.POWER_MVA)
    clean_room_m2: Mapped[float | None] = mapped_column(C.CLEAN_ROOM_M2)
    rent_cny_m2_month: Mapped[float | None] = mapped_column(C.RENT)
    incentives_zh: Mapped[str | None] = mapped_column(C.INCENTIVES_ZH, sa.Text)
    incentives_en: Mapped[str | None] = mapped_column(C.INCENTIVES_EN, sa.Text)
    max_new_firms: Mapped[int | None] = mapped_column(C.MAX_NEW_FIRMS)
    tenants: Mapped[list[str]] = mapped_column(C.TENANTS, default=list)
    is_illustrative: Mapped[bool] = mapped_column(C.IS_ILLUSTRATIVE, default=False)
    source: Mapped[str | None] = mapped_column(C.SOURCE)
    updated_at: Mapped[dt.datetime] = mapped_column(UPDATED_AT)


class RegionImport(Base):
    """A region's imports of one HS code from one origin in one year."""

    __tablename__ = "region_imports"

    region_id: Mapped[str] = mapped_column(C.REGION_ID, primary_key=True)
    hs_code: Mapped[str] = mapped_column(C.HS_CODE, primary_key=True)
    origin_country: Mapped[str] = mapped_column(C.ORIGIN, primary_key=True)
    year: Mapped[int] = mapped_column(C.YEAR, primary_key=True, autoincrement=False)
    value_usd: Mapped[float | None] = mapped_column(C.VALUE_USD)
    is_illustrative: Mapped[bool] = mapped_column(C.IS_ILLUSTRATIVE, default=False)


class ExportControl(Base):
    """How strictly an origin country controls export of a node's technology (0..1)."""

    __tablename__ = "export_controls"

    region_id: Mapped[str] = mapped_column(C.REGION_ID, primary_key=True)
    origin_country: Mapped[str] = mapped_column(C.ORIGIN, primary_key=True)
    node_id: Mapped[str] = mapped_column(C.NODE_ID, primary_key=True)
    control: Mapped[float | None] = mapped_column(C.CONTROL)
    note: Mapped[str | None] = mapped_column(C.NOTE, sa.Text)
    is_illustrative: Mapped[bool] = mapped_column(C.IS_ILLUSTRATIVE, default=False)


class LeaderNeed(Base):
    """How badly a local chain leader needs local suppliers for a node (配套需求, 1..5)."""

    __tablename__ = "leader_needs"

    region_id: Mapped[str] = mapped_column(C.REGION_ID, primary_key=True)
    leader_firm_id: Mapped[str] = mapped_column(C.LEADER_FIRM_ID, primary_key=True)
    node_id: Mapped[str] = mapped_column(C.NODE_ID, primary_key=True)
    need: Mapped[float | None] = mapped_column(C.NEED)
    note: Mapped[str | None] = mapped_column(C.NOTE, sa.Text)
    is_illustrative: Mapped[bool] = mapped_column(C.IS_ILLUSTRATIVE, default=False)
    volume: Mapped[str | None] = mapped_column(NEED_VOLUME)
    needed_by: Mapped[dt.date | None] = mapped_column(NEED_BY)
    supplier_countries: Mapped[list[str] | None] = mapped_column(NEED_SUPPLIER_COUNTRIES)
    as_of: Mapped[dt.date | None] = mapped_column(AS_OF)
    entered_by: Mapped[str | None] = mapped_column(ENTERED_BY)


class ImportBatch(Base):
    """One ingest run: what file, how many rows, what happened (the audit trail)."""

    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(BATCH_KIND)
    file_name: Mapped[str | None] = mapped_column(BATCH_FILE)
    sha256: Mapped[str | None] = mapped_column(BATCH_SHA256, index=True)
    rows: Mapped[int | None] = mapped_column(BATCH_ROWS, sa.BigInteger)
    inserted: Mapped[int | None] = mapped_column(BATCH_INSERTED, sa.BigInteger)
    updated: Mapped[int | None] = mapped_column(BATCH_UPDATED, sa.BigInteger)
    unchanged: Mapped[int | None] = mapped_column(BATCH_UNCHANGED, sa.BigInteger)
    started_at: Mapped[dt.datetime] = mapped_column(BATCH_STARTED)
    finished_at: Mapped[dt.datetime | None] = mapped_column(BATCH_FINISHED)
    status: Mapped[str] = mapped_column(BATCH_STATUS)
    message: Mapped[str | None] = mapped_column(BATCH_MESSAGE, sa.Text)


class Meta(Base):
    """Store-wide key/value settings, such as the ``data_version`` counter."""

    __tablename__ = "meta"

    key: Mapped[str] = mapped_column(META_KEY, primary_key=True)
    value: Mapped[str | None] = mapped_column(META_VALUE, sa.Text)


FIRMS = Firm.__table__
FIRM_NODES = FirmNode.__table__
CAMPAIGNS = Campaign.__table__
OUTCOMES = Outcome.__table__
PARKS = Park.__table__
REGION_IMPORTS = RegionImport.__table__
EXPORT_CONTROLS = ExportControl.__table__
LEADER_NEEDS = LeaderNeed.__table__
IMPORT_BATCHES = ImportBatch.__table__
META = Meta.__table__

REGION_TABLES = {t.name: t for t in (REGION_IMPORTS, EXPORT_CONTROLS, LEADER_NEEDS)}
REGION_TABLE_ALIASES = {"imports": REGION_IMPORTS.name}  # the region file's and schema's name


# --- API keys (the service's callers; only a hash of each key is kept) ----------------------
KEY_PREFIX = "prefix"  # the key's first characters, shown in lists and audit columns
KEY_HASH = "key_hash"  # SHA-256 of the whole key, hex
KEY_ROLE = "role"
KEY_PARK_IDS = "park_ids"  # the parks a park manager's key is scoped to
KEY_LABEL = "label"
KEY_REVOKED_AT = "revoked_at"
KEY_FIRM_ID = C.FIRM_ID  # the firm a chain leader's key speaks for
KEY_NAME = "display_name"  # the person the key is for, as pages and records show them
KEY_UNIT = "unit"  # their organisation unit (招商一科)


class ApiKey(Base):
    """One API key of the web service: its role, its parks, and when it was revoked."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    prefix: Mapped[str] = mapped_column(KEY_PREFIX, index=True)
    key_hash: Mapped[str] = mapped_column(KEY_HASH, unique=True)
    role: Mapped[str] = mapped_column(KEY_ROLE)
    park_ids: Mapped[list[str]] = mapped_column(KEY_PARK_IDS, default=list)
    label: Mapped[str | None] = mapped_column(KEY_LABEL)
    firm_id: Mapped[str | None] = mapped_column(KEY_FIRM_ID)  # a chain leader's own firm
    display_name: Mapped[str | None] = mapped_column(KEY_NAME)
    unit: Mapped[str | None] = mapped_column(KEY_UNIT)
    created_at: Mapped[dt.datetime] = mapped_column(CREATED_AT)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(KEY_REVOKED_AT)


API_KEYS = ApiKey.__table__


# --- jobs (work the service runs in the background, such as training a model) ---------------
JOB_KIND = "kind"  # what the job does: "train"
JOB_STATUS = "status"  # queued | running | done | failed
JOB_CREATED_BY = "created_by"  # prefix of the API key that asked for it
JOB_STARTED_AT = "started_at"
JOB_FINISHED_AT = "finished_at"
JOB_PARAMS = "params"  # the arguments it was asked with, JSON
JOB_RESULT = "result"  # what it produced, JSON
JOB_ERROR = "error"  # why it failed
JOB_STATUSES = ("queued", "running", "done", "failed")


class Job(Base):
    """One background job: who asked, when it ran, what it produced or why it failed."""

    __tablename__ = "jobs"
    __table_args__ = (sa.Index(None, JOB_KIND, JOB_STATUS),)

    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(JOB_KIND)
    status: Mapped[str] = mapped_column(JOB_STATUS)
    created_by: Mapped[str | None] = mapped_column(JOB_CREATED_BY)
    created_at: Mapped[dt.datetime] = mapped_column(CREATED_AT)
    started_at: Mapped[dt.datetime | None] = mapped_column(JOB_STARTED_AT)
    finished_at: Mapped[dt.datetime | None] = mapped_column(JOB_FINISHED_AT)
    params: Mapped[dict[str, Any] | None] = mapped_column(JOB_PARAMS)
    result: Mapped[dict[str, Any] | None] = mapped_column(JOB_RESULT)
    error: Mapped[str | None] = mapped_column(JOB_ERROR, sa.Text)


JOBS = Job.__table__


class NodeCorrection(Base):
    """A person's correction of a firm's chain nodes: confirm, reject or add one, and why.

    Rows are never changed: the latest correction of a (firm, node) is the one in force.
    """

    __tablename__ = "node_corrections"
    __table_args__ = (
        sa.CheckConstraint(
            f"{CORRECTION_ACTION} IN ({', '.join(repr(a) for a in CORRECTION_ACTIONS)})",
            name="action_known"),
    )

    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    firm_id: Mapped[str] = mapped_column(
        C.FIRM_ID, sa.ForeignKey(Firm.firm_id, ondelete="CASCADE"), index=True)
    node_id: Mapped[str] = mapped_column(C.NODE_ID)
    action: Mapped[str] = mapped_column(CORRECTION_ACTION)
    reason: Mapped[str] = mapped_column(CORRECTION_REASON, sa.Text)
    recorded_at: Mapped[dt.datetime] = mapped_column(RECORDED_AT)
    recorded_by: Mapped[str | None] = mapped_column(RECORDED_BY)


NODE_CORRECTIONS = NodeCorrection.__table__
