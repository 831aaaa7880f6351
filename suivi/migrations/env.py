"""Alembic environment for the history store.

`open_store` runs it with a live connection (`config.attributes["connection"]`). Run by hand,
it opens `sqlalchemy.url` from the Alembic config, else `SUIVI_DATABASE_URL`, else the
default SQLite file. A new revision, from the repository root:

    python -c "from alembic import command; from suivi.adapters.store import alembic_config; \
command.revision(alembic_config(), 'what changes', rev_id='0002')"
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy.engine import Connection

from suivi.adapters.store import VERSION_TABLE, database_url, make_engine, metadata


def run_with(connection: Connection) -> None:
    """Apply the migrations on a connection; batch mode lets SQLite alter tables."""
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def configured_url() -> str | None:
    """The database named by the Alembic config or the environment; None for the default."""
    return context.config.get_main_option("sqlalchemy.url") or os.environ.get("SUIVI_DATABASE_URL")


def run_offline() -> None:
    """Print the SQL instead of running it (`alembic upgrade --sql`)."""
    context.configure(
        url=database_url(configured_url()),
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Run on the shared connection, or on a connection of our own."""
    shared = context.config.attributes.get("connection")
    if shared is not None:
        run_with(shared)
        return
    engine = make_engine(configured_url())
    try:
        with engine.connect() as connection:
            run_with(connection)
            connection.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
