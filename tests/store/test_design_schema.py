"""The migrated record has the system design's tables: its column names and its value sets as CHECKs."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import IntegrityError

from mochi.store.db import ensure_schema, make_engine

# the design's columns of each table (mochi keeps more: see mochi/store/models.py)
DESIGN = {
    "reviews": {
        "id", "review_type", "repo_path", "github_owner", "github_repo", "pr_number", "base_commit",
        "head_commit", "status", "ai_model", "user_id", "created_at", "updated_at", "completed_at",
    },
    "review_comments": {
        "id", "review_id", "file_path", "line_number", "comment_type", "severity", "category", "message",
        "suggested_code", "metadata", "created_at",
    },
    "review_history": {"id", "review_id", "action", "status", "details", "timestamp"},
    "ai_model_configs": {
        "id", "name", "provider", "model_name", "api_endpoint", "api_key_encrypted", "config", "is_active",
        "is_default", "created_at", "updated_at",
    },
    "integration_configs": {
        "id", "type", "name", "api_endpoint", "credentials_encrypted", "config", "is_active", "user_id",
        "created_at", "updated_at",
    },
    "review_templates": {
        "id", "name", "language", "framework", "content", "active", "created_at", "updated_at",
    },
}  # fmt: skip
# the names before revision 0003: none is left
RENAMED = {
    "reviews": {"base_sha", "head_sha"},
    "review_comments": {"path", "line", "type", "suggestion"},
    "review_history": {"event"},
    "ai_model_configs": {"model", "base_url", "parameters"},
    "integration_configs": {"kind", "url", "settings"},
}
# table -> column -> the value set its CHECK allows
VALUE_SETS = {
    "reviews": {
        "review_type": {"LOCAL", "PR"},
        "status": {"PENDING", "IN_PROGRESS", "COMPLETED", "FAILED"},
    },
    "review_comments": {
        "comment_type": {"suggestion", "question", "bug", "praise"},
        "severity": {"low", "medium", "high", "critical"},
        "side": {"RIGHT", "LEFT"},
    },
    "review_history": {"action": {"CREATED", "STARTED", "COMPLETED", "FAILED"}},
    "integration_configs": {"type": {"github", "jira"}},
}


def _engine(db_url: str) -> Engine:
    engine = make_engine(db_url)
    ensure_schema(engine)
    return engine


def test_every_table_has_the_designs_columns_and_none_of_the_old_names(db_url: str) -> None:
    insp = inspect(_engine(db_url))
    for table, design in DESIGN.items():
        columns = {c["name"] for c in insp.get_columns(table)}
        assert design <= columns, (table, design - columns)
        assert not RENAMED.get(table, set()) & columns, table


def test_the_designs_value_sets_are_check_constraints(db_url: str) -> None:
    insp = inspect(_engine(db_url))
    for table, checks in VALUE_SETS.items():
        reflected = {c["name"]: c["sqltext"] for c in insp.get_check_constraints(table)}
        for column, values in checks.items():
            sql = reflected[f"ck_{table}_{column}"]  # named after the column (mochi.store.models.NAMING)
            assert column in sql
            assert set(re.findall(r"'([^']*)'", sql)) == values, (table, column, sql)


def test_the_history_index_and_the_integration_names_follow_the_renames(db_url: str) -> None:
    insp = inspect(_engine(db_url))
    history = {ix["name"]: ix["column_names"] for ix in insp.get_indexes("review_history")}
    assert history["ix_review_history_review_id_timestamp"] == ["review_id", "timestamp"]
    unique = {u["name"]: u["column_names"] for u in insp.get_unique_constraints("integration_configs")}
    assert unique == {"uq_integration_configs_type_name": ["type", "name"]}


def _review(conn, review_type: str = "LOCAL") -> int:  # type: ignore[no-untyped-def]
    conn.execute(
        text(
            "INSERT INTO reviews (review_type, repository, target_kind, target_label, target, options, "
            "status, providers_used, llm_calls, prompt_tokens, completion_tokens, findings_count, attempts, "
            "created_at, updated_at) VALUES (:t, '/src/app', 'worktree', '', '{}', '{}', 'PENDING', '[]', "
            "0, 0, 0, 0, 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
        ),
        {"t": review_type},
    )
    return int(conn.execute(text("SELECT max(id) FROM reviews")).scalar_one())


def test_sql_written_from_the_design_works_and_the_checks_hold(db_url: str) -> None:
    engine = _engine(db_url)
    with pytest.raises(IntegrityError), engine.begin() as conn:
        _review(conn, "REMOTE")
    with engine.begin() as conn:
        review_id = _review(conn, "PR")
        # metadata and is_active have the design's defaults in the database itself
        conn.execute(
            text(
                "INSERT INTO review_comments (review_id, file_path, line_number, side, comment_type, "
                "severity, message, suggested_code, source, anchored, fingerprint, created_at) VALUES (:id, "
                "'a.py', 3, 'RIGHT', 'bug', 'high', 'm', 'x = 1', 'llm', 'inline', '', CURRENT_TIMESTAMP)"
            ),
            {"id": review_id},
        )
        conn.execute(
            text(
                "INSERT INTO integration_configs (type, name, api_endpoint, config, created_at, updated_at) "
                "VALUES ('jira', 'work', 'https://jira.example.com', '{}', CURRENT_TIMESTAMP, "
                "CURRENT_TIMESTAMP)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO integration_configs (type, name, api_endpoint, config, created_at, updated_at) "
                "VALUES ('jira', 'jira', 'https://jira.example.com', '{}', CURRENT_TIMESTAMP, "
                "CURRENT_TIMESTAMP)"
            )
        )
        meta = conn.execute(text("SELECT metadata FROM review_comments")).scalar_one()
        active = conn.execute(text("SELECT is_active FROM integration_configs")).scalars().all()
    assert meta in ({}, "{}") and active == [True, True]
    for bad in (
        "INSERT INTO review_comments (review_id, file_path, side, comment_type, severity, message, "
        "source, anchored, fingerprint, created_at) VALUES (:id, 'a.py', 'RIGHT', 'nit', 'high', 'm', "
        "'llm', 'inline', '', CURRENT_TIMESTAMP)",
        "INSERT INTO review_history (review_id, action, status, details, timestamp) "
        "VALUES (:id, 'EXPLODED', 'PENDING', '{}', CURRENT_TIMESTAMP)",
        # one name per type
        "INSERT INTO integration_configs (type, name, api_endpoint, config, created_at, updated_at) "
        "VALUES ('jira', 'work', 'https://x', '{}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
        "INSERT INTO integration_configs (type, name, api_endpoint, config, created_at, updated_at) "
        "VALUES ('gitea', 'gitea', 'https://x', '{}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
    ):
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(text(bad), {"id": review_id})
