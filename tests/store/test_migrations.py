"""The schema: migrations up and down on SQLite and PostgreSQL, and the constraints they create."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from mochi.store import migrate
from mochi.store.db import SCHEMA_REVISION, ensure_schema, make_engine, schema_revision
from mochi.store.models import Base

TABLES = {
    "reviews",
    "review_comments",
    "ai_model_configs",
    "integration_configs",
    "review_templates",
    "review_history",
}


def test_the_fast_revision_check_names_alembics_head() -> None:
    assert migrate.head() == SCHEMA_REVISION


def test_upgrade_creates_the_six_tables_and_downgrade_removes_them(db_url: str) -> None:
    engine = make_engine(db_url)
    assert schema_revision(engine) is None
    migrate.upgrade(engine)
    assert schema_revision(engine) == migrate.head()
    assert set(inspect(engine).get_table_names()) >= TABLES
    migrate.downgrade(engine, "base")
    assert schema_revision(engine) is None
    assert not TABLES & set(inspect(engine).get_table_names())
    migrate.upgrade(engine)  # and up again, on the same database
    assert set(inspect(engine).get_table_names()) >= TABLES


def test_migrations_build_exactly_the_models_schema(db_url: str) -> None:
    engine = make_engine(db_url)
    ensure_schema(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == []


def test_indexes_and_jsonb(db_url: str) -> None:
    engine = make_engine(db_url)
    ensure_schema(engine)
    insp = inspect(engine)
    review_indexes = {tuple(ix["column_names"]) for ix in insp.get_indexes("reviews")}
    assert {("repository", "pr_number"), ("status",), ("created_at",)} <= review_indexes
    summary = next(c for c in insp.get_columns("reviews") if c["name"] == "summary")
    expected = "JSONB" if engine.dialect.name == "postgresql" else "JSON"
    assert type(summary["type"]).__name__ == expected


def _insert_review(conn, status: str = "PENDING") -> int:  # type: ignore[no-untyped-def]
    conn.execute(
        text(
            "INSERT INTO reviews (review_type, repository, target_kind, target_label, target, options, "
            "status, providers_used, llm_calls, prompt_tokens, completion_tokens, findings_count, attempts, "
            "created_at, updated_at) VALUES ('LOCAL', 'r', 'worktree', '', '{}', '{}', :status, '[]', "
            "0, 0, 0, 0, 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
        ),
        {"status": status},
    )
    return int(conn.execute(text("SELECT max(id) FROM reviews")).scalar_one())


def test_constraints_reject_bad_rows_and_deleting_a_review_deletes_its_rows(db_url: str) -> None:
    engine = make_engine(db_url)
    ensure_schema(engine)
    with pytest.raises(IntegrityError), engine.begin() as conn:
        _insert_review(conn, status="DONE")
    with engine.begin() as conn:
        review_id = _insert_review(conn)
        conn.execute(
            text(
                "INSERT INTO review_history (review_id, action, status, details, timestamp) "
                "VALUES (:id, 'CREATED', 'PENDING', '{}', CURRENT_TIMESTAMP)"
            ),
            {"id": review_id},
        )
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO review_history (review_id, action, status, details, timestamp) "
                "VALUES (:id, 'EXPLODED', 'PENDING', '{}', CURRENT_TIMESTAMP)"
            ),
            {"id": review_id},
        )
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM reviews WHERE id = :id"), {"id": review_id})
        assert conn.execute(text("SELECT count(*) FROM review_history")).scalar_one() == 0


def test_at_most_one_default_model_and_one_active_template_per_language(db_url: str) -> None:
    engine = make_engine(db_url)
    ensure_schema(engine)
    insert_model = text(
        "INSERT INTO ai_model_configs (name, provider, model_name, config, is_default, created_at, "
        "updated_at) VALUES (:name, 'ollama', 'm', '{}', :d, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
    )
    with engine.begin() as conn:
        conn.execute(insert_model, {"name": "a", "d": True})
        conn.execute(insert_model, {"name": "b", "d": False})
        conn.execute(insert_model, {"name": "c", "d": False})
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(insert_model, {"name": "d", "d": True})
    insert_template = text(
        "INSERT INTO review_templates (name, language, framework, content, active, created_at, updated_at) "
        "VALUES (:name, 'java', '', 'x', :active, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
    )
    with engine.begin() as conn:
        conn.execute(insert_template, {"name": "t1", "active": True})
        conn.execute(insert_template, {"name": "t2", "active": False})
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(insert_template, {"name": "t3", "active": True})
