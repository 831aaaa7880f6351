"""Fixtures over real databases: a fresh SQLite file, a fresh PostgreSQL schema, a store on each.

tests/conftest.py imports them. PostgreSQL is the server named by SUIVI_TEST_POSTGRES_URL
(default postgres@127.0.0.1:5432/test); where none answers its tests are skipped with the
reason, except under CI=true, where they fail.
"""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa

from suivi.adapters.store import Store, open_store

POSTGRES_SERVER_URL = os.environ.get(
    "SUIVI_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


def postgres_connect(url: str = POSTGRES_SERVER_URL) -> psycopg.Connection:
    """An autocommit psycopg connection to the test server, for schema set-up."""
    parsed = sa.make_url(url)
    return psycopg.connect(
        host=parsed.host or "127.0.0.1",
        port=parsed.port or 5432,
        user=parsed.username or "postgres",
        password=parsed.password,
        dbname=parsed.database or "test",
        connect_timeout=3,
        autocommit=True,
    )


@functools.cache
def postgres_unavailable() -> str | None:
    """Why the test server cannot be used, or None when it answers (asked once a session)."""
    try:
        with postgres_connect() as connection:
            connection.execute("SELECT 1")
    except psycopg.Error as error:
        where = sa.make_url(POSTGRES_SERVER_URL).render_as_string(hide_password=True)
        return f"no PostgreSQL server at {where}: {str(error).strip().splitlines()[0]}"
    return None


def running_in_ci() -> bool:
    """True on the CI runners, where a missing server is a failure, not a skip."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1")


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """URL of a SQLite file that does not exist yet, in a folder that does not exist yet."""
    return f"sqlite:///{tmp_path / 'history' / 'suivi.db'}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """URL of an empty schema of its own on the test server, dropped afterwards."""
    reason = postgres_unavailable()
    if reason is not None:
        if running_in_ci():
            pytest.fail(f"{reason} (CI=true: the PostgreSQL tests must run)")
        pytest.skip(reason)
    schema = f"suivi_test_{uuid.uuid4().hex[:16]}"
    with postgres_connect() as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    # Every connection of the store starts in that schema, so tests never see each other.
    url = sa.make_url(POSTGRES_SERVER_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with postgres_connect() as connection:
            connection.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest) -> Iterator[Store]:
    """An open, migrated, empty store on each backend in turn."""
    url: str = request.getfixturevalue(f"{request.param}_url")
    with open_store(url) as opened:
        yield opened
