"""Initial schema: the six tables of the system design (see mochi/store/models.py).

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
MONEY = sa.Numeric(precision=12, scale=6)
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "ai_model_configs",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("provider", sa.String(length=64), nullable=False),
        sa.Column("model", sa.String(length=255), nullable=False),
        sa.Column("base_url", sa.String(length=1024), nullable=True),
        sa.Column("api_key_encrypted", sa.Text(), nullable=True),
        sa.Column("parameters", JSON, nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("prompt_price_per_1k", MONEY, nullable=True),
        sa.Column("completion_price_per_1k", MONEY, nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ai_model_configs")),
        sa.UniqueConstraint("name", name=op.f("uq_ai_model_configs_name")),
    )
    with op.batch_alter_table("ai_model_configs", schema=None) as batch_op:
        batch_op.create_index(
            "uq_ai_model_configs_default",
            ["is_default"],
            unique=True,
            postgresql_where=sa.text("is_default"),
            sqlite_where=sa.text("is_default"),
        )

    op.create_table(
        "integration_configs",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("url", sa.String(length=1024), nullable=False),
        sa.Column("credentials_encrypted", sa.Text(), nullable=True),
        sa.Column("settings", JSON, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.CheckConstraint("kind IN ('github', 'jira')", name=op.f("ck_integration_configs_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integration_configs")),
        sa.UniqueConstraint("kind", name=op.f("uq_integration_configs_kind")),
    )
    op.create_table(
        "review_templates",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("language", sa.String(length=64), nullable=False),
        sa.Column("framework", sa.String(length=64), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_templates")),
        sa.UniqueConstraint("name", name=op.f("uq_review_templates_name")),
    )
    with op.batch_alter_table("review_templates", schema=None) as batch_op:
        batch_op.create_index(
            "uq_review_templates_active",
            ["language", "framework"],
            unique=True,
            postgresql_where=sa.text("active"),
            sqlite_where=sa.text("active"),
        )

    op.create_table(
        "reviews",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("repository", sa.String(length=512), nullable=False),
        sa.Column("pr_number", sa.Integer(), nullable=True),
        sa.Column("target_kind", sa.String(length=32), nullable=False),
        sa.Column("target_label", sa.String(length=512), nullable=False),
        sa.Column("target", JSON, nullable=False),
        sa.Column("options", JSON, nullable=False),
        sa.Column("base_sha", sa.String(length=64), nullable=True),
        sa.Column("head_sha", sa.String(length=64), nullable=True),
        sa.Column("branch", sa.String(length=255), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("requested_provider", sa.String(length=64), nullable=True),
        sa.Column("requested_model", sa.String(length=255), nullable=True),
        sa.Column("provider", sa.String(length=64), nullable=True),
        sa.Column("model", sa.String(length=255), nullable=True),
        sa.Column("providers_used", JSON, nullable=False),
        sa.Column("llm_calls", sa.Integer(), nullable=False),
        sa.Column("prompt_tokens", sa.Integer(), nullable=False),
        sa.Column("completion_tokens", sa.Integer(), nullable=False),
        sa.Column("duration_s", sa.Float(), nullable=True),
        sa.Column("cost", MONEY, nullable=True),
        sa.Column("findings_count", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("summary", JSON, nullable=True),
        sa.Column("stats", JSON, nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("mochi_version", sa.String(length=32), nullable=True),
        sa.Column("started_at", TIMESTAMP, nullable=True),
        sa.Column("completed_at", TIMESTAMP, nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.CheckConstraint(
            "status IN ('PENDING', 'IN_PROGRESS', 'COMPLETED', 'FAILED')", name=op.f("ck_reviews_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviews")),
    )
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.create_index("ix_reviews_created_at", ["created_at"], unique=False)
        batch_op.create_index("ix_reviews_repository_pr_number", ["repository", "pr_number"], unique=False)
        batch_op.create_index("ix_reviews_status", ["status"], unique=False)

    op.create_table(
        "review_comments",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("review_id", ID, nullable=False),
        sa.Column("path", sa.String(length=1024), nullable=False),
        sa.Column("line", sa.Integer(), nullable=True),
        sa.Column("end_line", sa.Integer(), nullable=True),
        sa.Column("side", sa.String(length=8), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("suggestion", sa.Text(), nullable=True),
        sa.Column("source", sa.String(length=255), nullable=False),
        sa.Column("rule_id", sa.String(length=128), nullable=True),
        sa.Column("anchored", sa.String(length=16), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("posted_comment_id", sa.String(length=64), nullable=True),
        sa.Column("posted_url", sa.String(length=1024), nullable=True),
        sa.Column("posted_at", TIMESTAMP, nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.CheckConstraint(
            "severity IN ('low', 'medium', 'high', 'critical')", name=op.f("ck_review_comments_severity")
        ),
        sa.CheckConstraint("side IN ('RIGHT', 'LEFT')", name=op.f("ck_review_comments_side")),
        sa.CheckConstraint(
            "type IN ('suggestion', 'question', 'bug', 'praise')", name=op.f("ck_review_comments_type")
        ),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["reviews.id"],
            name=op.f("fk_review_comments_review_id_reviews"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_comments")),
    )
    with op.batch_alter_table("review_comments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_comments_review_id"), ["review_id"], unique=False)
        batch_op.create_index(
            "ix_review_comments_review_id_fingerprint", ["review_id", "fingerprint"], unique=False
        )

    op.create_table(
        "review_history",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("review_id", ID, nullable=False),
        sa.Column("event", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("details", JSON, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.CheckConstraint(
            "event IN ('CREATED', 'STARTED', 'COMPLETED', 'FAILED')", name=op.f("ck_review_history_event")
        ),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["reviews.id"],
            name=op.f("fk_review_history_review_id_reviews"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_history")),
    )
    with op.batch_alter_table("review_history", schema=None) as batch_op:
        batch_op.create_index(
            "ix_review_history_review_id_created_at", ["review_id", "created_at"], unique=False
        )


def downgrade() -> None:
    # dependants first; their indexes go with them
    for table in (
        "review_history",
        "review_comments",
        "reviews",
        "review_templates",
        "integration_configs",
        "ai_model_configs",
    ):
        op.drop_table(table)
