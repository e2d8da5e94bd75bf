"""Alembic environment: runs on the connection mochi.store.migrate hands over (never reads a URL)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from mochi.store.models import Base

config = context.config
connection = config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError("run migrations with `mochi db upgrade` (mochi.store.migrate), not the alembic CLI")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies the table
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
