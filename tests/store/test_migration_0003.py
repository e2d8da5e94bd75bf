"""Revision 0003 moves an existing record to the design's names and back, losing nothing.

A database is built at 0002 and filled with SQL under the old names, as an older mochi wrote it;
after the upgrade mochi reads every row under the new ones; after the downgrade SQL finds them
under the old names again.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Connection, Engine, text

from mochi.store import migrate, model_configs, reviews, templates
from mochi.store.crypto import Cipher
from mochi.store.db import SCHEMA_REVISION, make_engine, schema_revision
from mochi.store.integrations import list_integrations, load_integration, set_integration

NOW = "CURRENT_TIMESTAMP"


def _insert(conn: Connection, table: str, row: dict[str, Any]) -> int:
    """One row by raw SQL (JSON values as JSON text, as a driver would send them); returns its id."""
    values = {k: json.dumps(v) if isinstance(v, (dict, list)) else v for k, v in row.items()}
    columns = [*values, "created_at"] + (["updated_at"] if table not in ("review_comments",) else [])
    params = [f":{k}" for k in values] + [NOW] * (len(columns) - len(values))
    conn.execute(text(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(params)})"), values)
    return int(conn.execute(text(f"SELECT max(id) FROM {table}")).scalar_one())


def _review(conn: Connection, **row: Any) -> int:
    base = {
        "target_label": "",
        "target": {},
        "options": {},
        "status": "COMPLETED",
        "providers_used": [],
        "llm_calls": 0,
        "prompt_tokens": 0,
        "completion_tokens": 0,
        "findings_count": 0,
        "attempts": 1,
    }
    return _insert(conn, "reviews", {**base, **row})


def _history(conn: Connection, review_id: int, event: str, status: str, details: dict[str, Any]) -> None:
    conn.execute(
        text(
            "INSERT INTO review_history (review_id, event, status, details, created_at) "
            f"VALUES (:id, :event, :status, :details, {NOW})"
        ),
        {"id": review_id, "event": event, "status": status, "details": json.dumps(details)},
    )


def _fill_0002(engine: Engine, cipher: Cipher) -> dict[str, int]:
    """What an older mochi recorded: a local review, a GitHub PR, a GitLab MR (by project id), a push."""
    with engine.begin() as conn:
        ids = {
            "local": _review(
                conn,
                repository="/src/app",
                target_kind="worktree",
                target={"kind": "worktree", "repo": "/src/app", "base": "main"},
                base_sha="a" * 40,
                head_sha="b" * 40,
                provider="ollama",
                model="qwen2.5-coder:7b",
                providers_used=["ollama/qwen2.5-coder:7b"],
                findings_count=2,
            ),
            "github": _review(
                conn,
                repository="acme/api",
                pr_number=7,
                target_kind="pull_request",
                target={"kind": "pull_request", "number": 7, "url": "https://github.com/acme/api/pull/7"},
                base_sha="c" * 40,
                head_sha="d" * 40,
                provider="openai",
                model="gpt-4o-mini",
            ),
            "gitlab": _review(
                conn,
                repository="4242",
                pr_number=5,
                target_kind="pull_request",
                target={
                    "kind": "pull_request",
                    "url": "https://gitlab.example.com/grp/sub/svc/-/merge_requests/5",
                },
                status="FAILED",
                error="ollama is not reachable",
            ),
            "push": _review(conn, repository="acme/api", target_kind="range", head_sha="e" * 40),
        }
        for path, line, kind, suggestion, source, rule in (
            ("src/App.java", 9, "bug", "guard b == 0", "llm:ollama/qwen2.5-coder:7b", None),
            ("src/log.js", 3, "suggestion", None, "builtin:js.console-log", "js.console-log"),
        ):
            _insert(
                conn,
                "review_comments",
                {
                    "review_id": ids["local"],
                    "path": path,
                    "line": line,
                    "end_line": line + 1,
                    "side": "RIGHT",
                    "type": kind,
                    "severity": "high",
                    "category": "correctness",
                    "message": f"finding in {path}",
                    "suggestion": suggestion,
                    "source": source,
                    "rule_id": rule,
                    "anchored": "inline",
                    "fingerprint": f"fp-{line}",
                    "posted_comment_id": "4242" if line == 9 else None,
                },
            )
        _history(conn, ids["local"], "CREATED", "PENDING", {})
        _history(conn, ids["local"], "STARTED", "IN_PROGRESS", {"attempt": 1})
        _history(conn, ids["local"], "COMPLETED", "COMPLETED", {"findings": 2})
        _history(conn, ids["gitlab"], "FAILED", "FAILED", {"error": "ollama is not reachable"})
        ids["model"] = _insert(
            conn,
            "ai_model_configs",
            {
                "name": "team",
                "provider": "openai",
                "model": "gpt-4o-mini",
                "base_url": "https://llm.example.com/v1",
                "api_key_encrypted": cipher.encrypt("sk-team-secret"),
                "parameters": {"temperature": 0.2},
                "is_default": True,
                "prompt_price_per_1k": "0.15",
            },
        )
        _insert(
            conn,
            "ai_model_configs",
            {"name": "local", "provider": "ollama", "model": "qwen", "parameters": {}, "is_default": False},
        )
        ids["jira"] = _insert(
            conn,
            "integration_configs",
            {
                "kind": "jira",
                "url": "https://acme.atlassian.net",
                "credentials_encrypted": cipher.encrypt(json.dumps({"token": "jira-secret"})),
                "settings": {"email": "dev@acme.com"},
            },
        )
        ids["template"] = _insert(
            conn,
            "review_templates",
            {
                "name": "team-java",
                "language": "java",
                "framework": "",
                "content": "Java: {{ x }}",
                "active": True,
            },
        )
    return ids


def _snapshot(conn: Connection) -> dict[str, list[tuple[Any, ...]]]:
    """The 0002 columns that must come back unchanged after a downgrade (JSON normalised)."""

    def rows(sql: str) -> list[tuple[Any, ...]]:
        out = []
        for row in conn.execute(text(sql)):
            out.append(
                tuple(json.loads(v) if isinstance(v, str) and v.startswith(("{", "[")) else v for v in row)
            )
        return out

    return {
        "reviews": rows(
            "SELECT id, repository, pr_number, target_kind, target, base_sha, head_sha, status, provider, "
            "model, providers_used, error, created_at FROM reviews ORDER BY id"
        ),
        "comments": rows(
            "SELECT id, review_id, path, line, end_line, type, severity, suggestion, source, rule_id, "
            "anchored, fingerprint, posted_comment_id, created_at FROM review_comments ORDER BY id"
        ),
        "history": rows(
            "SELECT id, review_id, event, status, details, created_at FROM review_history ORDER BY id"
        ),
        "models": rows(
            "SELECT id, name, provider, model, base_url, api_key_encrypted, parameters, is_default, "
            "prompt_price_per_1k FROM ai_model_configs ORDER BY id"
        ),
        "integrations": rows(
            "SELECT id, kind, url, credentials_encrypted, settings FROM integration_configs ORDER BY id"
        ),
        "templates": rows(
            "SELECT id, name, language, framework, content, active FROM review_templates ORDER BY id"
        ),
    }


def test_an_existing_record_moves_to_the_designs_names_and_back(db_url: str) -> None:
    engine = make_engine(db_url)
    migrate.upgrade(engine, "0002")
    cipher = Cipher(Fernet.generate_key().decode())
    ids = _fill_0002(engine, cipher)
    with engine.connect() as conn:
        before = _snapshot(conn)

    migrate.upgrade(engine)
    assert schema_revision(engine) == SCHEMA_REVISION

    # reviews: renamed, and the design's new columns filled from what was recorded
    local = reviews.get_review(engine, ids["local"])
    assert (local["review_type"], local["repo_path"], local["github_owner"], local["github_repo"]) == (
        "LOCAL",
        "/src/app",
        None,
        None,
    )
    assert (local["base_commit"], local["head_commit"]) == ("a" * 40, "b" * 40)
    assert local["ai_model"] == "ollama/qwen2.5-coder:7b" and local["user_id"] is None
    github = reviews.get_review(engine, ids["github"])
    assert (github["review_type"], github["repo_path"], github["github_owner"], github["github_repo"]) == (
        "PR",
        None,
        "acme",
        "api",
    )
    assert github["ai_model"] == "openai/gpt-4o-mini" and github["base_commit"] == "c" * 40
    gitlab = reviews.get_review(engine, ids["gitlab"])  # a project id: its merge request's URL names it
    assert (gitlab["review_type"], gitlab["github_owner"], gitlab["github_repo"]) == ("PR", "grp/sub", "svc")
    assert gitlab["ai_model"] is None and gitlab["error"] == "ollama is not reachable"
    push = reviews.get_review(engine, ids["push"])  # a CI push: not a pull request, not a checkout either
    assert (push["review_type"], push["repo_path"], push["github_owner"]) == ("LOCAL", None, "acme")

    # comments: renamed, with their provenance in metadata; history: action and timestamp
    first, second = local["comments"]
    assert (first["file_path"], first["line_number"], first["comment_type"], first["suggested_code"]) == (
        "src/App.java",
        9,
        "bug",
        "guard b == 0",
    )
    assert first["metadata"] == {
        "source": "llm:ollama/qwen2.5-coder:7b",
        "rule_id": None,
        "anchored": "inline",
    }
    assert second["metadata"]["rule_id"] == "js.console-log" and second["suggested_code"] is None
    assert first["posted_comment_id"] == "4242" and first["end_line"] == 10
    assert [(h["action"], h["status"]) for h in local["history"]] == [
        ("CREATED", "PENDING"),
        ("STARTED", "IN_PROGRESS"),
        ("COMPLETED", "COMPLETED"),
    ]
    assert all(h["timestamp"] for h in local["history"])
    assert [r["id"] for r in reviews.list_reviews(engine, repositories=["acme/api"])] == [
        ids["push"],
        ids["github"],
    ]

    # models: renamed, active, and the encrypted key still decrypts
    team = model_configs.get_model(engine, "team")
    assert (team["model_name"], team["api_endpoint"], team["config"]) == (
        "gpt-4o-mini",
        "https://llm.example.com/v1",
        {"temperature": 0.2},
    )
    assert team["is_active"] is True and team["is_default"] is True
    assert model_configs.default_model(engine) is not None
    encrypted = model_configs.encrypted_key(engine, ids["model"])
    assert encrypted is not None and cipher.decrypt(encrypted) == "sk-team-secret"
    assert model_configs.get_model(engine, "local")["is_active"] is True

    # integrations: renamed, named after their type, active
    [listed] = list_integrations(engine)
    assert (
        listed["type"],
        listed["name"],
        listed["api_endpoint"],
        listed["is_active"],
        listed["user_id"],
    ) == (
        "jira",
        "jira",
        "https://acme.atlassian.net",
        True,
        None,
    )
    jira = load_integration(engine, cipher, "jira", active_only=True)
    assert jira is not None and jira.credentials == {"token": "jira-secret"}
    assert jira.config == {"email": "dev@acme.com"}

    # templates and answers: as they were
    assert templates.active_templates(engine) == {"languages/java.md.j2": "Java: {{ x }}"}

    # mochi goes on writing to the migrated record
    set_integration(
        engine, cipher, "jira", api_endpoint="https://jira.work.example", credentials={}, name="work"
    )

    migrate.downgrade(engine, "0002")
    assert schema_revision(engine) == "0002"
    with engine.connect() as conn:
        after = _snapshot(conn)
    assert after == before  # every row under its old name; the second jira integration could not stay

    migrate.upgrade(engine)  # and up again
    assert reviews.get_review(engine, ids["local"])["comments"][0]["metadata"]["anchored"] == "inline"


def test_the_migration_refuses_to_rebuild_reviews_with_sqlite_foreign_keys_on(tmp_path: Any) -> None:
    """Dropping the old reviews table would cascade into every comment and history row."""
    from alembic import command

    engine = make_engine(f"sqlite:///{tmp_path / 'mochi.db'}")
    migrate.upgrade(engine, "0002")
    # foreign keys on, as every mochi connection has them
    with engine.begin() as conn, pytest.raises(RuntimeError, match="foreign keys"):
        command.upgrade(migrate._config(conn), "head")


def test_an_upgrade_that_fails_half_way_leaves_the_record_as_it_was(db_url: str) -> None:
    """One transaction on both databases (pysqlite would otherwise run the DDL outside any)."""
    engine = make_engine(db_url)
    migrate.upgrade(engine, "0002")
    _fill_0002(engine, Cipher(Fernet.generate_key().decode()))
    with engine.begin() as conn:  # the name of an index 0003 creates after rebuilding three tables
        conn.execute(text("CREATE INDEX ix_review_history_review_id_timestamp ON review_templates (name)"))
        before = _snapshot(conn)
    with pytest.raises(Exception, match="ix_review_history_review_id_timestamp"):
        migrate.upgrade(engine)
    assert schema_revision(engine) == "0002"
    with engine.connect() as conn:
        assert _snapshot(conn) == before
