"""Alembic, driven from code: the migration scripts ship inside the package (`migrations/`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
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


@contextmanager
def _migrating(engine: Engine, *, lock: bool = True) -> Iterator[Connection]:
    """A connection whose migrations run in one transaction, committed only when they all succeed.

    PostgreSQL: the advisory lock (`lock`), and no statement timeout: moving a large record's rows
    may take longer than any statement of a review.

    SQLite: foreign keys off while migrating. A batch migration rebuilds a table (CREATE the new
    one, copy, DROP the old one), and with foreign keys on, dropping `reviews` would cascade into
    every comment and history row. The pragma has no effect inside a transaction, so it is set
    before BEGIN; the foreign keys are checked before COMMIT instead. BEGIN IMMEDIATE, issued here
    because pysqlite would leave DDL outside any transaction, makes the whole migration atomic and
    makes a second process wait for the first (then find the schema at head) instead of racing it.
    """
    if engine.dialect.name != "sqlite":
        with engine.begin() as conn:
            if lock:
                _lock(conn)
            if conn.dialect.name == "postgresql":
                conn.execute(text("SET LOCAL statement_timeout = 0"))
            yield conn
        return
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        conn.commit()
        raw = conn.connection.driver_connection
        legacy = getattr(raw, "isolation_level", "")
        raw.isolation_level = None  # type: ignore[union-attr]  # BEGIN/COMMIT are ours
        try:
            with conn.begin():
                conn.exec_driver_sql("BEGIN IMMEDIATE")
                yield conn
                broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"the migration left rows without their parent: {broken[:5]}")
        finally:
            raw.isolation_level = legacy  # type: ignore[union-attr]
            conn.exec_driver_sql("PRAGMA foreign_keys=ON")
            conn.commit()


def upgrade(engine: Engine, revision: str = "head", *, lock: bool = True) -> None:
    """Apply migrations up to `revision` in one transaction."""
    with _migrating(engine, lock=lock) as conn:
        command.upgrade(_config(conn), revision)


def downgrade(engine: Engine, revision: str = "-1") -> None:
    """Revert migrations down to `revision` ("-1": one step, "base": everything)."""
    with _migrating(engine) as conn:
        command.downgrade(_config(conn), revision)


def current(engine: Engine) -> str | None:
    """The revision the database is at; None when it has no schema yet."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        revision = MigrationContext.configure(conn).get_current_revision()
    return str(revision) if revision is not None else None
