"""Where the record lives: the engine for a database URL, and the schema kept at the head revision.

Local default: `<user data dir>/mochi.db` (SQLite, `platformdirs`), so nothing has to be set up.
`MOCHI_DATABASE_URL=postgresql+psycopg://user@host/db` selects PostgreSQL (`postgresql://` and
`postgres://` are accepted and use psycopg 3). The schema is migrated to the head revision on
first use; `mochi db upgrade|downgrade|current` do it by hand.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from mochi.store.errors import StoreError
from mochi.store.paths import DB_FILE, default_data_dir, sqlite_url

__all__ = ["DB_FILE", "default_data_dir", "sqlite_url"]  # where they were: mochi.store.paths now

logger = logging.getLogger(__name__)

# The head of mochi/store/migrations/versions: checking it needs no Alembic import on every review.
# tests/store/test_migrations.py keeps it equal to Alembic's head.
SCHEMA_REVISION = "0005"
CONNECT_TIMEOUT_S = 5
STATEMENT_TIMEOUT_MS = 15_000


def normalize_url(url: str) -> str:
    """`postgres://` and `postgresql://` -> `postgresql+psycopg://` (psycopg 3 is the driver we ship)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def safe_url(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        return make_url(normalize_url(url)).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparsable database URL>"


def make_engine(url: str) -> Engine:
    """An engine for a SQLite or PostgreSQL URL; the SQLite file's directory is created."""
    url = normalize_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreError(
            "the database URL is not valid: use postgresql+psycopg://user:password@host:5432/db "
            "or sqlite:///path/to/mochi.db"
        ) from None
    backend = parsed.get_backend_name()
    connect_args: dict[str, Any] = {}
    if backend == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        connect_args["timeout"] = 30  # wait for another writer instead of failing at once
    elif backend == "postgresql":
        if parsed.get_driver_name() == "psycopg":
            from mochi.extras import MissingExtraError, require

            try:
                require("psycopg", "postgres", "a record on PostgreSQL")
            except MissingExtraError as exc:
                raise StoreError(str(exc)) from None
        connect_args["connect_timeout"] = CONNECT_TIMEOUT_S
        connect_args["application_name"] = "mochi"
        # a statement or a lock that takes longer is the server's problem, not the review's
        connect_args["options"] = (
            f"-c statement_timeout={STATEMENT_TIMEOUT_MS} -c lock_timeout={STATEMENT_TIMEOUT_MS}"
        )
        # a connection whose packets go unacknowledged (a dead host) is dropped instead of hanging
        connect_args["tcp_user_timeout"] = STATEMENT_TIMEOUT_MS
        connect_args["keepalives"] = 1
        connect_args["keepalives_idle"] = 10
        connect_args["keepalives_interval"] = 5
        connect_args["keepalives_count"] = 3
    else:
        raise StoreError(
            f"unsupported database '{backend}' in {safe_url(url)}: mochi records reviews in "
            "PostgreSQL (postgresql+psycopg://...) or SQLite (sqlite:///...)"
        )
    engine = create_engine(
        url,
        connect_args=connect_args,
        pool_pre_ping=backend == "postgresql",
        json_deserializer=_json_loads(),
    )
    if backend == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _json_loads() -> Callable[[str], Any]:
    """How JSON columns are read: orjson where it is installed (the server's extra; a fifth of the
    cost of json.loads for a review's comments and their metadata, bench/server_load.py), else
    json.loads. A module-level function, not a closure: psycopg keeps a loader per function."""
    try:
        import orjson  # noqa: F401
    except ImportError:
        return json.loads
    return _orjson_loads


def _orjson_loads(text: str | bytes) -> Any:
    """orjson.loads; what orjson refuses and json.loads reads (NaN, an integer past 64 bits) is still
    read by json.loads."""
    import orjson

    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")  # ON DELETE CASCADE needs it
    cursor.execute("PRAGMA journal_mode=WAL")  # readers do not block the writer
    cursor.close()


def schema_revision(engine: Engine) -> str | None:
    """The Alembic revision the database is at; None for an empty database."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def ensure_schema(engine: Engine) -> None:
    """Migrate to the head revision when the database is behind (first use, or a new mochi).

    Raises StoreError when the database cannot be reached or is newer than this mochi.
    """
    try:
        revision = schema_revision(engine)
        if revision == SCHEMA_REVISION:
            return
        from mochi.store import migrate

        if revision is not None and not migrate.is_known(revision):
            raise StoreError(
                f"the database {safe_url(str(engine.url))} is at schema revision {revision}, which this "
                "mochi does not know: upgrade mochi"
            )
        try:
            migrate.upgrade(engine, lock=True)
        except SQLAlchemyError:
            # Another process may have migrated at the same moment (SQLite has no advisory lock).
            if schema_revision(engine) != SCHEMA_REVISION:
                raise
    except SQLAlchemyError as exc:
        raise StoreError(f"the database {safe_url(str(engine.url))} is not usable: {describe(exc)}") from exc


def open_engine(url: str, *, migrate: bool = True) -> Engine:
    """make_engine + ensure_schema. Raises StoreError."""
    engine = make_engine(url)
    if migrate:
        ensure_schema(engine)
    return engine


def describe(exc: BaseException) -> str:
    """A one-line reason from a driver error (SQLAlchemy's message carries the SQL and a link)."""
    orig = getattr(exc, "orig", None) or exc
    line = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    return line.rstrip(".")
