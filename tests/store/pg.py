"""Databases for the store's tests: a temporary SQLite file, and a real PostgreSQL server.

PostgreSQL (127.0.0.1:5432, user postgres, trust auth): one uniquely named database per test
session, created on the `postgres` database and dropped at the end; each test starts from an empty
schema. Outside CI an unreachable server skips the PostgreSQL variants; in CI (CI=true) it fails
them, so they can never silently not run there.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

PG_ADMIN_URL = os.environ.get("MOCHI_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """The URL of this session's PostgreSQL database."""
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
    name = f"mochi_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        admin.dispose()
        message = f"PostgreSQL is not reachable at {PG_ADMIN_URL}: {exc}"
        if os.environ.get("CI"):
            pytest.fail(message + " (CI must run the PostgreSQL tests)")
        pytest.skip(message)
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def empty_pg(url: str) -> str:
    """Reset the session database to an empty schema."""
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'data' / 'mochi.db'}"
    return empty_pg(request.getfixturevalue("pg_database"))


@pytest.fixture
def pg_url(pg_database: str) -> str:
    """An empty PostgreSQL database (for the tests that are about PostgreSQL itself)."""
    return empty_pg(pg_database)
