"""Alembic, driven from code: the migration scripts ship inside the package (`migrations/`)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_LOCK_KEY = 0x6D6F636869  # "mochi": serialises concurrent migrations on PostgreSQL


def _config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head() -> str:
    """The newest revision of the shipped migrations."""
    rev = ScriptDirectory.from_config(_config()).get_current_head()
    assert rev is not None
    return rev


def is_known(revision: str) -> bool:
    try:
        return ScriptDirectory.from_config(_config()).get_revision(revision) is not None
    except Exception:  # alembic raises several types for an unknown id
        return False


def _lock(conn: Connection) -> None:
    # Two first-use migrations at once would both try CREATE TABLE; the second waits here and
    # then finds the schema at head. Released when the transaction ends.
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})


def upgrade(engine: Engine, revision: str = "head", *, lock: bool = True) -> None:
    """Apply migrations up to `revision` in one transaction."""
    with engine.begin() as conn:
        if lock:
            _lock(conn)
        command.upgrade(_config(conn), revision)


def downgrade(engine: Engine, revision: str = "-1") -> None:
    """Revert migrations down to `revision` ("-1": one step, "base": everything)."""
    with engine.begin() as conn:
        _lock(conn)
        command.downgrade(_config(conn), revision)


def current(engine: Engine) -> str | None:
    """The revision the database is at; None when it has no schema yet."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        revision = MigrationContext.configure(conn).get_current_revision()
    return str(revision) if revision is not None else None
