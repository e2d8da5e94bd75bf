"""The system design's column names, value sets and columns; every existing row moves with them.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01

    reviews              base_sha -> base_commit, head_sha -> head_commit
                         + review_type   LOCAL | PR (CHECK): PR when pr_number is set or target_kind
                                         is pull_request, else LOCAL
                         + repo_path     the repository when it is a checkout path
                         + github_owner, github_repo   "owner" and "name" of an "owner/name"
                                         repository (GitLab "group/sub/project": "group/sub", "project";
                                         a GitLab project id: from the merge request's URL)
                         + ai_model      "provider/model" from provider and model; NULL for built-in only
                         + user_id       NULL (who asked: the server's API key user, later)
    review_comments      path -> file_path, line -> line_number, type -> comment_type (its CHECK
                         too), suggestion -> suggested_code
                         + metadata      JSON {"source", "rule_id", "anchored"} from those columns
    review_history       event -> action (its CHECK too), created_at -> timestamp (and the index
                         on (review_id, created_at) -> (review_id, timestamp))
    ai_model_configs     model -> model_name, base_url -> api_endpoint, parameters -> config
                         + is_active     TRUE
    integration_configs  kind -> type (its CHECK too), url -> api_endpoint, settings -> config
                         + name          the type ("jira"); UNIQUE (type, name) replaces UNIQUE (kind)
                         + is_active     TRUE
                         + user_id       NULL
    review_templates, llm_answers        unchanged

The downgrade renames everything back and drops the added columns (derived from the kept ones,
except user_id and is_active). 0002 keeps one integration per kind: when several of a type exist, the
one named after its type (else the lowest id) stays and the others are deleted, with a warning.

On SQLite every rebuilt table is copied by Alembic's batch mode. That needs foreign keys off (see
mochi.store.migrate._migrating): dropping the old `reviews` table would otherwise cascade into every
comment and history row, so this migration refuses to run with them on.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

logger = logging.getLogger(__name__)

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIMESTAMP = sa.DateTime(timezone=True)
EMPTY_JSON = sa.text("'{}'")

REVIEW_TYPES = "review_type IN ('LOCAL', 'PR')"
COMMENT_TYPES = "IN ('suggestion', 'question', 'bug', 'praise')"
ACTIONS = "IN ('CREATED', 'STARTED', 'COMPLETED', 'FAILED')"
INTEGRATION_TYPES = "IN ('github', 'jira')"

_WINDOWS_PATH = re.compile(r"^[A-Za-z]:[\\/]")
_BATCH = 1000


_CHANGE_URL = re.compile(r"^https?://[^/]+/(?P<project>[^?#]+?)/(?:pull|-/merge_requests)/\d+")


def _where(repository: str, url: str | None) -> tuple[str | None, str | None, str | None]:
    """(repo_path, github_owner, github_repo) of a recorded `repository` and its change's URL: a
    copy of mochi.store.reviews.locate as it was at this revision (a migration never changes)."""
    if not repository:
        return None, None, None
    if repository.startswith(("/", "\\", "~", ".")) or _WINDOWS_PATH.match(repository):
        return repository[:1024], None, None
    owner, _, name = repository.strip("/").rpartition("/")
    if not (owner and name):  # a GitLab project id: the merge request's URL names the project
        match = _CHANGE_URL.match(url or "")
        owner, _, name = match.group("project").rpartition("/") if match else ("", "", "")
    if not (owner and name):
        return None, None, None
    return None, owner[:255], name[:255]


def _url(target: Any) -> str | None:
    """The change's URL in the recorded target (JSON text on SQLite, a dict from PostgreSQL's JSONB)."""
    if isinstance(target, str):
        try:
            target = json.loads(target)
        except ValueError:
            return None
    url = target.get("url") if isinstance(target, dict) else None
    return url if isinstance(url, str) else None


def _foreign_keys_must_be_off() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite" and bind.exec_driver_sql("PRAGMA foreign_keys").scalar():
        raise RuntimeError(
            "revision 0003 rebuilds the reviews table, which on SQLite with foreign keys on would delete "
            "every comment and history row: run it with `mochi db upgrade` (it turns them off meanwhile)"
        )


# --------------------------------------------------------------------------- upgrade


def upgrade() -> None:
    _foreign_keys_must_be_off()
    _upgrade_reviews()
    _upgrade_comments()
    _upgrade_history()
    _upgrade_models()
    _upgrade_integrations()


def _upgrade_reviews() -> None:
    # new columns first (nullable: a plain ADD COLUMN, no copy), filled, then constrained
    with op.batch_alter_table("reviews") as batch:
        batch.add_column(sa.Column("review_type", sa.String(length=8), nullable=True))
        batch.add_column(sa.Column("repo_path", sa.String(length=1024), nullable=True))
        batch.add_column(sa.Column("github_owner", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("github_repo", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("ai_model", sa.String(length=320), nullable=True))
        batch.add_column(sa.Column("user_id", ID, nullable=True))
    op.execute(
        "UPDATE reviews SET "
        "review_type = CASE WHEN pr_number IS NOT NULL OR target_kind = 'pull_request' "
        "THEN 'PR' ELSE 'LOCAL' END, "
        "ai_model = CASE WHEN provider IS NULL THEN NULL WHEN model IS NULL THEN provider "
        "ELSE provider || '/' || model END"
    )
    _fill_locations()
    with op.batch_alter_table("reviews") as batch:
        batch.alter_column("base_sha", new_column_name="base_commit", existing_type=sa.String(length=64))
        batch.alter_column("head_sha", new_column_name="head_commit", existing_type=sa.String(length=64))
        batch.alter_column("review_type", existing_type=sa.String(length=8), nullable=False)
        batch.create_check_constraint(op.f("ck_reviews_review_type"), REVIEW_TYPES)


def _fill_locations() -> None:
    """repo_path or github_owner/github_repo from each review's repository, a page of rows at a time."""
    bind = op.get_bind()
    select = sa.text("SELECT id, repository, target FROM reviews WHERE id > :after ORDER BY id LIMIT :n")
    update = sa.text(
        "UPDATE reviews SET repo_path = :repo_path, github_owner = :owner, github_repo = :repo WHERE id = :id"
    )
    after = -1
    while True:
        rows = bind.execute(select, {"after": after, "n": _BATCH}).all()
        if not rows:
            return
        changes = []
        for review_id, repository, target in rows:
            repo_path, owner, repo = _where(repository or "", _url(target))
            if repo_path or owner:
                changes.append({"id": review_id, "repo_path": repo_path, "owner": owner, "repo": repo})
        if changes:
            bind.execute(update, changes)
        after = rows[-1][0]


def _upgrade_comments() -> None:
    with op.batch_alter_table("review_comments") as batch:
        batch.add_column(sa.Column("metadata", JSON, nullable=True))
    build = "jsonb_build_object" if op.get_bind().dialect.name == "postgresql" else "json_object"
    op.execute(
        f"UPDATE review_comments SET metadata = {build}('source', source, 'rule_id', rule_id, "
        "'anchored', anchored)"
    )
    with op.batch_alter_table("review_comments") as batch:
        batch.drop_constraint(op.f("ck_review_comments_type"), type_="check")
        batch.alter_column("path", new_column_name="file_path", existing_type=sa.String(length=1024))
        batch.alter_column("line", new_column_name="line_number", existing_type=sa.Integer())
        batch.alter_column("type", new_column_name="comment_type", existing_type=sa.String(length=16))
        batch.alter_column("suggestion", new_column_name="suggested_code", existing_type=sa.Text())
        batch.alter_column("metadata", existing_type=JSON, nullable=False, server_default=EMPTY_JSON)
        batch.create_check_constraint(
            op.f("ck_review_comments_comment_type"), "comment_type " + COMMENT_TYPES
        )


def _upgrade_history() -> None:
    with op.batch_alter_table("review_history") as batch:
        batch.drop_index("ix_review_history_review_id_created_at")
        batch.drop_constraint(op.f("ck_review_history_event"), type_="check")
        batch.alter_column("event", new_column_name="action", existing_type=sa.String(length=16))
        batch.alter_column("created_at", new_column_name="timestamp", existing_type=TIMESTAMP)
        batch.create_check_constraint(op.f("ck_review_history_action"), "action " + ACTIONS)
    # after the rebuild: batch mode looks the index's columns up in the table before the renames
    op.create_index("ix_review_history_review_id_timestamp", "review_history", ["review_id", "timestamp"])


def _upgrade_models() -> None:
    with op.batch_alter_table("ai_model_configs") as batch:
        batch.alter_column("model", new_column_name="model_name", existing_type=sa.String(length=255))
        batch.alter_column("base_url", new_column_name="api_endpoint", existing_type=sa.String(length=1024))
        batch.alter_column("parameters", new_column_name="config", existing_type=JSON)
        batch.add_column(sa.Column("is_active", sa.Boolean(), nullable=False, server_default=sa.true()))


def _upgrade_integrations() -> None:
    with op.batch_alter_table("integration_configs") as batch:
        batch.add_column(sa.Column("name", sa.String(length=128), nullable=True))
    op.execute("UPDATE integration_configs SET name = kind")
    with op.batch_alter_table("integration_configs") as batch:
        batch.drop_constraint(op.f("uq_integration_configs_kind"), type_="unique")
        batch.drop_constraint(op.f("ck_integration_configs_kind"), type_="check")
        batch.alter_column("kind", new_column_name="type", existing_type=sa.String(length=16))
        batch.alter_column("url", new_column_name="api_endpoint", existing_type=sa.String(length=1024))
        batch.alter_column("settings", new_column_name="config", existing_type=JSON)
        batch.alter_column("name", existing_type=sa.String(length=128), nullable=False)
        batch.add_column(sa.Column("is_active", sa.Boolean(), nullable=False, server_default=sa.true()))
        batch.add_column(sa.Column("user_id", ID, nullable=True))
        batch.create_check_constraint(op.f("ck_integration_configs_type"), "type " + INTEGRATION_TYPES)
    # a second batch: batch mode silently leaves out a constraint on a column renamed in the same one
    with op.batch_alter_table("integration_configs") as batch:
        batch.create_unique_constraint(op.f("uq_integration_configs_type_name"), ["type", "name"])


# --------------------------------------------------------------------------- downgrade


def downgrade() -> None:
    _foreign_keys_must_be_off()
    _downgrade_integrations()
    _downgrade_models()
    _downgrade_history()
    _downgrade_comments()
    _downgrade_reviews()


def _downgrade_reviews() -> None:
    with op.batch_alter_table("reviews") as batch:
        batch.drop_constraint(op.f("ck_reviews_review_type"), type_="check")
        batch.alter_column("base_commit", new_column_name="base_sha", existing_type=sa.String(length=64))
        batch.alter_column("head_commit", new_column_name="head_sha", existing_type=sa.String(length=64))
        for column in ("review_type", "repo_path", "github_owner", "github_repo", "ai_model", "user_id"):
            batch.drop_column(column)


def _downgrade_comments() -> None:
    with op.batch_alter_table("review_comments") as batch:
        batch.drop_constraint(op.f("ck_review_comments_comment_type"), type_="check")
        batch.alter_column("file_path", new_column_name="path", existing_type=sa.String(length=1024))
        batch.alter_column("line_number", new_column_name="line", existing_type=sa.Integer())
        batch.alter_column("comment_type", new_column_name="type", existing_type=sa.String(length=16))
        batch.alter_column("suggested_code", new_column_name="suggestion", existing_type=sa.Text())
        batch.drop_column("metadata")
        batch.create_check_constraint(op.f("ck_review_comments_type"), "type " + COMMENT_TYPES)


def _downgrade_history() -> None:
    with op.batch_alter_table("review_history") as batch:
        batch.drop_index("ix_review_history_review_id_timestamp")
        batch.drop_constraint(op.f("ck_review_history_action"), type_="check")
        batch.alter_column("action", new_column_name="event", existing_type=sa.String(length=16))
        batch.alter_column("timestamp", new_column_name="created_at", existing_type=TIMESTAMP)
        batch.create_check_constraint(op.f("ck_review_history_event"), "event " + ACTIONS)
    op.create_index("ix_review_history_review_id_created_at", "review_history", ["review_id", "created_at"])


def _downgrade_models() -> None:
    with op.batch_alter_table("ai_model_configs") as batch:
        batch.alter_column("model_name", new_column_name="model", existing_type=sa.String(length=255))
        batch.alter_column("api_endpoint", new_column_name="base_url", existing_type=sa.String(length=1024))
        batch.alter_column("config", new_column_name="parameters", existing_type=JSON)
        batch.drop_column("is_active")


def _downgrade_integrations() -> None:
    _keep_one_integration_per_type()
    with op.batch_alter_table("integration_configs") as batch:
        batch.drop_constraint(op.f("uq_integration_configs_type_name"), type_="unique")
        batch.drop_constraint(op.f("ck_integration_configs_type"), type_="check")
        batch.alter_column("type", new_column_name="kind", existing_type=sa.String(length=16))
        batch.alter_column("api_endpoint", new_column_name="url", existing_type=sa.String(length=1024))
        batch.alter_column("config", new_column_name="settings", existing_type=JSON)
        for column in ("name", "is_active", "user_id"):
            batch.drop_column(column)
        batch.create_check_constraint(op.f("ck_integration_configs_kind"), "kind " + INTEGRATION_TYPES)
    with op.batch_alter_table("integration_configs") as batch:
        batch.create_unique_constraint(op.f("uq_integration_configs_kind"), ["kind"])


def _keep_one_integration_per_type() -> None:
    """0002 has one integration per kind: the one named after its type stays (else the lowest id)."""
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, type, name FROM integration_configs ORDER BY id")).all()
    kept: dict[str, Any] = {}
    for row_id, kind, name in rows:
        if kind not in kept or (name == kind and kept[kind][1] != kind):
            kept[kind] = (row_id, name)
    doomed = [(row_id, kind, name) for row_id, kind, name in rows if kept[kind][0] != row_id]
    for row_id, kind, name in doomed:
        logger.warning(
            "revision 0002 keeps one %s integration: deleting '%s' (id %s), keeping '%s'",
            kind,
            name,
            row_id,
            kept[kind][1],
        )
        bind.execute(sa.text("DELETE FROM integration_configs WHERE id = :id"), {"id": row_id})
