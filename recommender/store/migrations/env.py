"""Alembic environment of the store; run through :mod:`recommender.store.migrate`."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from recommender.store.models import Base


def run_offline() -> None:
    """Write the migration SQL for ``sqlalchemy.url`` instead of running it."""
    context.configure(
        url=context.config.get_main_option("sqlalchemy.url"),
        target_metadata=Base.metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online(connection: sa.Connection) -> None:
    """Run the migrations on ``connection`` (inside the caller's transaction, if any)."""
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER much
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    given = context.config.attributes.get("connection")
    if given is not None:
        run_online(given)
    else:
        from recommender.store.database import create_store_engine

        engine = create_store_engine(context.config.get_main_option("sqlalchemy.url"))
        try:
            with engine.begin() as connection:
                run_online(connection)
        finally:
            engine.dispose()
