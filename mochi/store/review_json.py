"""The `--json` shape of recorded reviews, their comments and history: the design's column names,
and until version 2 of the output the earlier names as aliases with the same values."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row

from mochi.store.models import CommentRow, HistoryRow, ReviewRow

# old `--json` name -> the design's name, per dict; the old names go in version 2 of the output
ALIASES = {
    "review": {"base_sha": "base_commit", "head_sha": "head_commit"},
    "comment": {
        "path": "file_path",
        "line": "line_number",
        "type": "comment_type",
        "suggestion": "suggested_code",
    },
    "history": {"event": "action", "at": "timestamp"},
}


def review_dict(row: ReviewRow | Row[Any]) -> dict[str, Any]:
    """The `--json` shape of a review (version 1 of `mochi reviews ... --json`; see ALIASES)."""
    data = {
        "id": row.id,
        "review_type": row.review_type,
        "repo_path": row.repo_path,
        "github_owner": row.github_owner,
        "github_repo": row.github_repo,
        "base_commit": row.base_commit,
        "head_commit": row.head_commit,
        "ai_model": row.ai_model,
        "user_id": row.user_id,
        "repository": row.repository,
        "pr_number": row.pr_number,
        "target_kind": row.target_kind,
        "target_label": row.target_label,
        "target": row.target,
        "options": row.options,
        "branch": row.branch,
        "status": row.status,
        "requested_provider": row.requested_provider,
        "requested_model": row.requested_model,
        "provider": row.provider,
        "model": row.model,
        "providers_used": row.providers_used,
        "llm_calls": row.llm_calls,
        "prompt_tokens": row.prompt_tokens,
        "completion_tokens": row.completion_tokens,
        "duration_s": row.duration_s,
        "cost": str(row.cost) if row.cost is not None else None,
        "findings_count": row.findings_count,
        "error": row.error,
        "summary": row.summary,
        "stats": row.stats,
        "attempts": row.attempts,
        "mochi_version": row.mochi_version,
        "created_at": _iso(row.created_at),
        "started_at": _iso(row.started_at),
        "completed_at": _iso(row.completed_at),
    }
    return _with_aliases(data, "review")


_COMMENT_KEYS = (
    "id", "review_id", "file_path", "line_number", "end_line", "side", "comment_type", "severity",
    "category", "message", "suggested_code", "metadata", "source", "rule_id", "anchored", "fingerprint",
    "posted_comment_id", "posted_url", "posted_at", "created_at",
)  # fmt: skip


def comment_dict(row: CommentRow | Row[Any]) -> dict[str, Any]:
    # a Core row of reviews' labelled columns is read by its mapping (faster), an ORM row by attribute
    # the named keys only (a column added later is not published by accident), in this order
    if isinstance(row, Row):
        columns = row._asdict()  # a Core row of the labelled columns: one dict, read by key
        data = {key: columns["metadata_" if key == "metadata" else key] for key in _COMMENT_KEYS}
    else:
        data = {key: getattr(row, "metadata_" if key == "metadata" else key) for key in _COMMENT_KEYS}
    data["posted_at"] = _iso(data["posted_at"])
    data["created_at"] = _iso(data["created_at"])
    return _with_aliases(data, "comment")


def history_dict(row: HistoryRow | Row[Any]) -> dict[str, Any]:
    data = {
        "action": row.action,
        "status": row.status,
        "details": row.details,
        "timestamp": _iso(row.timestamp),
    }
    return _with_aliases(data, "history")


def _with_aliases(data: dict[str, Any], kind: str) -> dict[str, Any]:
    for old, new in ALIASES[kind].items():
        data[old] = data[new]
    return data


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
