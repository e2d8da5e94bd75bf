"""The review record: SQLAlchemy 2 models of the system design's six tables.

JSON columns are JSONB on PostgreSQL and JSON (text) on SQLite. Ids are 64-bit integers
(INTEGER on SQLite, whose rowid is the only auto-incrementing key). Every timestamp is UTC.
The Alembic migrations in `mochi/store/migrations/versions/` create exactly this schema;
`tests/store/test_migrations.py` checks that the two agree. The column names are the system
design's; revision 0003 renamed the earlier ones (`v0003_design_names.py` lists what moved where).

reviews                       one row per review run (a retry reuses its row)
    id                        bigint PK
    review_type               LOCAL | PR (CHECK): PR for a pull/merge request, else LOCAL (a checkout,
                              a CI push)
    repo_path                 the checkout path of a local review, NULL for a hosted one
    github_owner, github_repo "owner" and "name" of a hosted repository's "owner/name" (a GitLab
                              project path: "group/subgroup" and "project"); NULL for a local review
    base_commit, head_commit  the resolved commits, when known
    ai_model                  "provider/model" of the model that answered; NULL for built-in checks only
    user_id                   who asked (the server's API key user); NULL for a CLI or CI run
    repository                "owner/name" for a hosted PR, the checkout path for a local review
                              (what `reviews list --repo` and a checkout's listing match)
    pr_number                 PR/MR number, NULL for a local review
    target_kind               worktree | staged | range | diff_file | pull_request
    target_label              human description ("working tree vs main", "#12")
    target                    JSON: the ReviewTarget, enough to re-run it (`reviews retry`)
    options                   JSON: what was asked for (provider, model, fallback, include, exclude);
                              never a secret
    branch                    the head branch, when known
    status                    PENDING | IN_PROGRESS | COMPLETED | FAILED (CHECK)
    requested_provider/_model what the settings asked for
    provider, model           what actually answered (the fallback when the first one failed);
                              NULL when no model answered (built-in checks only)
    providers_used            JSON list of "provider/model" in call order
    llm_calls, prompt_tokens, completion_tokens
    duration_s                the pipeline's duration; started_at/completed_at give the wall time
    cost                      NUMERIC(12,6), from the answering model's configured prices; NULL
                              when no prices are configured
    findings_count
    error                     the failure, for FAILED (and the provider failure of a degraded run)
    summary, stats            JSON, as in `--format json`
    attempts                  1, then +1 per `reviews retry`
    mochi_version
    created_at, started_at, completed_at, updated_at
    indexes: (repository, pr_number), status, created_at

review_comments               one row per finding
    id, review_id             FK reviews ON DELETE CASCADE
    file_path, line_number, end_line, side (CHECK)
    comment_type              suggestion | question | bug | praise (CHECK)
    severity                  low | medium | high | critical (CHECK)
    category, message
    suggested_code            the suggested replacement, when the finding has one
    metadata                  JSON: the finding's provenance {"source", "rule_id", "anchored"}
                              (also kept as the columns below); default {}
    source, rule_id, anchored, fingerprint
    posted_comment_id         the id of the comment a publisher posted (GitHub, GitLab...)
    posted_url                its URL
    posted_at, created_at
    indexes: review_id, (review_id, fingerprint)

ai_model_configs              named model configurations (`mochi models`)
    id, name (UNIQUE), provider
    model_name                the provider's model name (Azure: the deployment)
    api_endpoint              the server URL (Ollama host, OpenAI-compatible URL, Azure endpoint)
    api_key_encrypted         Fernet token (MOCHI_SECRET_KEY); never the key itself
    config                    JSON: temperature, num_ctx, max_output_tokens, timeout_s, ...
    is_active                 FALSE: kept, but never used as the default model (default TRUE)
    is_default                at most one TRUE row (partial unique index)
    prompt_price_per_1k, completion_price_per_1k   NUMERIC(12,6), in the user's currency
    created_at, updated_at

integration_configs           credentials for the services mochi talks to (`mochi integrations`)
    id, type (github | jira, CHECK)
    name                      UNIQUE per type; `mochi integrations set` names it after its type
    api_endpoint              the service's URL
    credentials_encrypted     Fernet token of a JSON object (token, private key, ...)
    config                    JSON, non-secret (email, app_id, ...)
    is_active                 FALSE: kept, but not used by reviews (default TRUE)
    user_id                   whose integration it is (the server's users); NULL: everyone's
    created_at, updated_at

review_templates              prompt templates per language and framework (`mochi templates`)
    id, name (UNIQUE), language, framework ('' for a language template), content, active
    at most one ACTIVE row per (language, framework) (partial unique index)
    created_at, updated_at

review_history                one row per lifecycle step
    id, review_id             FK reviews ON DELETE CASCADE
    action                    CREATED | STARTED | COMPLETED | FAILED (CHECK)
    status                    the review's status after the step
    details                   JSON: {"error": ...}, {"attempt": 2}, {"provider": ...}
    timestamp                 when it happened
    index: (review_id, timestamp)

api_keys                      the keys of `mochi serve` (`mochi apikeys`); never the key itself
    id, name (UNIQUE)
    key_hash                  SHA-256 hex of the key (UNIQUE); compared in constant time
    role                      reader | reviewer | admin (CHECK)
    user_id                   whose key it is (the server's users); NULL for now
    created_at, last_used_at, revoked_at (NULL: the key works)

llm_answers                   the model's answers already paid for (mochi.cache), shared by every
                              machine that uses this database (CI runners are thrown away)
    key                       PK: SHA-256 of provider, model, prompt, schema and options
    provider, model
    answer                    JSON: the Completion (text, tokens, timings)
    size                      bytes of the answer, for the bound
    created_at, used_at       used_at: the last hit; index, for pruning
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

STATUSES = ("PENDING", "IN_PROGRESS", "COMPLETED", "FAILED")
REVIEW_TYPES = ("LOCAL", "PR")
ACTIONS = ("CREATED", "STARTED", "COMPLETED", "FAILED")
INTEGRATION_TYPES = ("github", "jira")
COMMENT_TYPES = ("suggestion", "question", "bug", "praise")
SEVERITIES = ("low", "medium", "high", "critical")
SIDES = ("RIGHT", "LEFT")
ROLES = ("reader", "reviewer", "admin")

# JSONB on PostgreSQL (indexable, compact), JSON text on SQLite.
Json = JSON().with_variant(JSONB(), "postgresql")
# SQLite only auto-increments an INTEGER PRIMARY KEY.
Id = BigInteger().with_variant(Integer(), "sqlite")
Money = Numeric(12, 6)
# Server defaults for the columns the design gives a default, so that SQL written from the design
# (which does not know mochi's Python defaults) can leave them out.
EMPTY_JSON = text("'{}'")

# Constraint names are stable so that migrations can refer to them.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: Json, list[Any]: Json}  # noqa: RUF012 (SQLAlchemy reads it)


class _Timestamps:
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow, nullable=False
    )


class ReviewRow(_Timestamps, Base):
    __tablename__ = "reviews"
    __table_args__ = (
        CheckConstraint(_in("status", STATUSES), name="status"),
        CheckConstraint(_in("review_type", REVIEW_TYPES), name="review_type"),
        Index("ix_reviews_repository_pr_number", "repository", "pr_number"),
        Index("ix_reviews_status", "status"),
        Index("ix_reviews_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    review_type: Mapped[str] = mapped_column(String(8), nullable=False)
    repo_path: Mapped[str | None] = mapped_column(String(1024))
    github_owner: Mapped[str | None] = mapped_column(String(255))
    github_repo: Mapped[str | None] = mapped_column(String(255))
    base_commit: Mapped[str | None] = mapped_column(String(64))
    head_commit: Mapped[str | None] = mapped_column(String(64))
    ai_model: Mapped[str | None] = mapped_column(String(320))
    user_id: Mapped[int | None] = mapped_column(Id)
    repository: Mapped[str] = mapped_column(String(512), nullable=False)
    pr_number: Mapped[int | None] = mapped_column(Integer)
    target_kind: Mapped[str] = mapped_column(String(32), nullable=False)
    target_label: Mapped[str] = mapped_column(String(512), nullable=False, default="")
    target: Mapped[dict[str, Any]] = mapped_column(nullable=False, default=dict)
    options: Mapped[dict[str, Any]] = mapped_column(nullable=False, default=dict)
    branch: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="PENDING")
    requested_provider: Mapped[str | None] = mapped_column(String(64))
    requested_model: Mapped[str | None] = mapped_column(String(255))
    provider: Mapped[str | None] = mapped_column(String(64))
    model: Mapped[str | None] = mapped_column(String(255))
    providers_used: Mapped[list[Any]] = mapped_column(nullable=False, default=list)
    llm_calls: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    prompt_tokens: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    duration_s: Mapped[float | None] = mapped_column(Float)
    cost: Mapped[Decimal | None] = mapped_column(Money)
    findings_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    summary: Mapped[dict[str, Any] | None] = mapped_column(Json)
    stats: Mapped[dict[str, Any] | None] = mapped_column(Json)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    mochi_version: Mapped[str | None] = mapped_column(String(32))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    comments: Mapped[list[CommentRow]] = relationship(
        back_populates="review", cascade="all, delete-orphan", passive_deletes=True, order_by="CommentRow.id"
    )
    history: Mapped[list[HistoryRow]] = relationship(
        back_populates="review", cascade="all, delete-orphan", passive_deletes=True, order_by="HistoryRow.id"
    )


class CommentRow(Base):
    __tablename__ = "review_comments"
    __table_args__ = (
        CheckConstraint(_in("comment_type", COMMENT_TYPES), name="comment_type"),
        CheckConstraint(_in("severity", SEVERITIES), name="severity"),
        CheckConstraint(_in("side", SIDES), name="side"),
        Index("ix_review_comments_review_id_fingerprint", "review_id", "fingerprint"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    review_id: Mapped[int] = mapped_column(
        Id, ForeignKey("reviews.id", ondelete="CASCADE"), nullable=False, index=True
    )
    file_path: Mapped[str] = mapped_column(String(1024), nullable=False)
    line_number: Mapped[int | None] = mapped_column(Integer)
    end_line: Mapped[int | None] = mapped_column(Integer)
    side: Mapped[str] = mapped_column(String(8), nullable=False, default="RIGHT")
    comment_type: Mapped[str] = mapped_column(String(16), nullable=False)
    severity: Mapped[str] = mapped_column(String(16), nullable=False)
    category: Mapped[str | None] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(Text, nullable=False)
    suggested_code: Mapped[str | None] = mapped_column(Text)
    # `metadata` is the declarative class's MetaData: the attribute has another name
    metadata_: Mapped[dict[str, Any]] = mapped_column(
        "metadata", Json, nullable=False, default=dict, server_default=EMPTY_JSON
    )
    source: Mapped[str] = mapped_column(String(255), nullable=False)
    rule_id: Mapped[str | None] = mapped_column(String(128))
    anchored: Mapped[str] = mapped_column(String(16), nullable=False)
    fingerprint: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    posted_comment_id: Mapped[str | None] = mapped_column(String(64))
    posted_url: Mapped[str | None] = mapped_column(String(1024))
    posted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, nullable=False)

    review: Mapped[ReviewRow] = relationship(back_populates="comments")


class HistoryRow(Base):
    __tablename__ = "review_history"
    __table_args__ = (
        CheckConstraint(_in("action", ACTIONS), name="action"),
        Index("ix_review_history_review_id_timestamp", "review_id", "timestamp"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    review_id: Mapped[int] = mapped_column(Id, ForeignKey("reviews.id", ondelete="CASCADE"), nullable=False)
    action: Mapped[str] = mapped_column(String(16), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    details: Mapped[dict[str, Any]] = mapped_column(nullable=False, default=dict)
    timestamp: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, nullable=False)

    review: Mapped[ReviewRow] = relationship(back_populates="history")


class ModelConfigRow(_Timestamps, Base):
    __tablename__ = "ai_model_configs"
    __table_args__ = (
        # at most one default model
        Index(
            "uq_ai_model_configs_default",
            "is_default",
            unique=True,
            postgresql_where=text("is_default"),
            sqlite_where=text("is_default"),
        ),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(128), nullable=False, unique=True)
    provider: Mapped[str] = mapped_column(String(64), nullable=False)
    model_name: Mapped[str] = mapped_column(String(255), nullable=False)
    api_endpoint: Mapped[str | None] = mapped_column(String(1024))
    api_key_encrypted: Mapped[str | None] = mapped_column(Text)
    config: Mapped[dict[str, Any]] = mapped_column(nullable=False, default=dict)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True, server_default=true())
    is_default: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    prompt_price_per_1k: Mapped[Decimal | None] = mapped_column(Money)
    completion_price_per_1k: Mapped[Decimal | None] = mapped_column(Money)


class IntegrationRow(_Timestamps, Base):
    __tablename__ = "integration_configs"
    __table_args__ = (
        CheckConstraint(_in("type", INTEGRATION_TYPES), name="type"),
        UniqueConstraint("type", "name"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    type: Mapped[str] = mapped_column(String(16), nullable=False)
    name: Mapped[str] = mapped_column(String(128), nullable=False)
    api_endpoint: Mapped[str] = mapped_column(String(1024), nullable=False)
    credentials_encrypted: Mapped[str | None] = mapped_column(Text)
    config: Mapped[dict[str, Any]] = mapped_column(nullable=False, default=dict)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True, server_default=true())
    user_id: Mapped[int | None] = mapped_column(Id)


class TemplateRow(_Timestamps, Base):
    __tablename__ = "review_templates"
    __table_args__ = (
        # at most one active template per language and framework
        Index(
            "uq_review_templates_active",
            "language",
            "framework",
            unique=True,
            postgresql_where=text("active"),
            sqlite_where=text("active"),
        ),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(128), nullable=False, unique=True)
    language: Mapped[str] = mapped_column(String(64), nullable=False)
    framework: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    content: Mapped[str] = mapped_column(Text, nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)


class AnswerRow(Base):
    __tablename__ = "llm_answers"
    __table_args__ = (Index("ix_llm_answers_used_at", "used_at"),)

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    provider: Mapped[str] = mapped_column(String(64), nullable=False)
    model: Mapped[str] = mapped_column(String(255), nullable=False)
    answer: Mapped[dict[str, Any]] = mapped_column(nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, nullable=False)
    used_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, nullable=False)


class ApiKeyRow(Base):
    __tablename__ = "api_keys"
    __table_args__ = (CheckConstraint(_in("role", ROLES), name="role"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(128), nullable=False, unique=True)
    key_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    user_id: Mapped[int | None] = mapped_column(Id)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, nullable=False)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class DeliveryRow(Base):
    """A webhook delivery `mochi serve` accepted (GitHub's X-GitHub-Delivery, GitLab's
    X-Gitlab-Event-UUID): a replay of the same id is answered 2xx and queues nothing."""

    __tablename__ = "webhook_deliveries"

    host: Mapped[str] = mapped_column(String(16), primary_key=True)
    delivery_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    event: Mapped[str] = mapped_column(String(64), nullable=False)
    received_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, nullable=False, index=True
    )
    outcome: Mapped[str | None] = mapped_column(String(512))
    job_id: Mapped[int | None] = mapped_column(Id)
