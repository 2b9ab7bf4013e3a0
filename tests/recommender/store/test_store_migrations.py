import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from recommender.store import Base
from recommender.store.migrate import head_revision

TABLES = {
    "firms", "firm_nodes", "campaigns", "outcomes", "parks", "region_imports",
    "export_controls", "leader_needs", "import_batches", "meta", "api_keys", "jobs",
    "node_corrections",
    "projects", "project_events", "weak_link_snapshots", "data_sources",
}


def table_names(store) -> set[str]:
    return set(sa.inspect(store.engine).get_table_names()) - {"alembic_version"}


def test_migrations_create_every_table_at_the_head_revision(store):
    assert table_names(store) == TABLES
    assert store.revision() == head_revision() is not None
    assert store.data_version() == 0


def test_the_migrations_match_the_models(store):
    with store.engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert differences == []


def test_upgrading_twice_changes_nothing(store, firm_frame):
    store.upsert_firms(firm_frame())
    revision = store.revision()

    store.upgrade()

    assert store.revision() == revision
    assert table_names(store) == TABLES
    assert len(store.firms()) == 3 and store.data_version() == 1


def test_downgrade_to_base_drops_every_table_and_upgrade_restores_them(store, firm_frame):
    store.upsert_firms(firm_frame())

    store.downgrade("base")

    assert table_names(store) == set()
    assert store.revision() is None
    store.upgrade()
    assert table_names(store) == TABLES
    assert store.firms().empty and store.data_version() == 0


def test_upgrading_a_store_of_unnamed_keys_keeps_them_working_under_their_labels(store):
    from recommender.store import auth, migrate

    store.downgrade("0005")
    key = auth.generate_key()
    with store.engine.begin() as conn:  # a key as revision 0005 stored it: no person, no unit
        conn.execute(sa.text(
            "INSERT INTO api_keys (prefix, key_hash, role, park_ids, label, created_at) "
            "VALUES (:prefix, :hash, 'officer', '[]', 'front desk', CURRENT_TIMESTAMP)"),
            {"prefix": key[:auth.PREFIX_LENGTH], "hash": auth.hash_key(key)})

    store.upgrade()

    assert store.revision() == migrate.head_revision() == "0006"
    principal = auth.authenticate(store, key)
    assert (principal.role, principal.name, principal.display_name, principal.unit) == (
        "officer", "front desk", None, None)
    columns = {c["name"] for c in sa.inspect(store.engine).get_columns("outcomes")}
    assert "recorded_by_key" in columns
