"""The procrastinate App over the record's PostgreSQL database, and its schema.

procrastinate keeps its own tables (procrastinate_jobs, _events, _workers, _periodic_defers) and
migrations; `ensure_schema` applies its schema once, when those tables are not there yet. The
server defers with a synchronous connector (its endpoints run on threads); `mochi worker` runs with
the asynchronous one (LISTEN/NOTIFY).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mochi.errors import UsageError

if TYPE_CHECKING:
    import procrastinate

QUEUE = "reviews"
TASK = "mochi:review_change"  # the blueprint's review_change, in the "mochi" namespace


def conninfo(database_url: str) -> str:
    """libpq connection string of a SQLAlchemy PostgreSQL URL; UsageError for anything else."""
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        raise UsageError(
            "the review queue needs the record on PostgreSQL (MOCHI_DATABASE_URL=postgresql://...); "
            "with the embedded SQLite record, `mochi serve` runs reviews in its own process"
        )
    plain = url.set(drivername="postgresql")
    return plain.render_as_string(hide_password=False)


def queue_app(database_url: str, *, sync: bool = False) -> procrastinate.App:
    """The App with mochi's tasks (not opened): `sync` for deferring from threads."""
    from mochi.extras import require

    require("procrastinate", "queue", "the review queue (`mochi worker`, webhooks on PostgreSQL)")
    import procrastinate

    from mochi.queue.tasks import blueprint

    info = conninfo(database_url)
    connector: procrastinate.BaseConnector
    if sync:
        connector = procrastinate.SyncPsycopgConnector(conninfo=info, min_size=1, max_size=4)
    else:
        connector = procrastinate.PsycopgConnector(conninfo=info, min_size=1, max_size=8)
    app = procrastinate.App(connector=connector)
    app.add_tasks_from(blueprint, namespace="mochi")
    return app


def ensure_schema(database_url: str) -> bool:
    """Apply procrastinate's schema when its tables are missing; True when it was applied."""
    import psycopg

    info = conninfo(database_url)
    with psycopg.connect(info, autocommit=True) as connection:
        found = connection.execute("SELECT to_regclass('procrastinate_jobs') IS NOT NULL").fetchone()
        if found and found[0]:
            return False
    app = queue_app(database_url, sync=True)
    with app.open():
        app.schema_manager.apply_schema()
    return True
