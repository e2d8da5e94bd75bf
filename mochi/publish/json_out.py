"""`--format json`: the machine-readable review, version 1. This is a contract; keep it stable.

    {
      "version": 1,
      "target": {"kind", "label", "repo", "base", "head", "base_sha", "head_sha", "diff_file",
                 "title", "url", "number", "branch"},
      "findings": [{"path", "line", "end_line", "side", "type", "severity", "category", "message",
                    "suggestion", "source", "rule_id", "fingerprint", "anchored"}],
      "summary": {"overall_assessment", "key_concerns", "recommendations",
                  "ticket_compliance": [{"ticket", "criterion", "status", "reason"}]},
      "stats": {"files_reviewed", "files_skipped", "lines_changed", "llm_calls", "prompt_tokens",
                "completion_tokens", "duration_s", "findings_suppressed", "findings_below_min_severity"},
      "reviewed": ["path", ...],
      "skipped": [{"path", "reason"}],
      "providers": ["ollama/qwen2.5-coder:7b", ...],
      "notices": ["...", ...],
      "truncated": [{"path", "reason"}],
      "chunks": 3
    }

`ticket_compliance` status is met, not_met or unclear ([] without tickets); `truncated` lists the
files the model saw only in part; `chunks` is how many prompts the LLM pass used (0 without one).

Every key is always present; absent values are null (or [] for lists). `type` is one of
suggestion, question, bug, praise; `severity` one of low, medium, high, critical; `anchored` one of
inline (on a diff line), file (elsewhere in a changed file), summary; `side` is RIGHT or LEFT;
`source` is "llm:<provider>/<model>" or "builtin:<rule-id>", joined with "+" when merged;
`rule_id` is the built-in rule's id (see `mochi rules list`) or null.
Adding a key is a compatible change; renaming or removing one needs "version": 2.
"""

from __future__ import annotations

import json
from typing import Any

from mochi.models import Finding, Review

VERSION = 1

TARGET_KEYS = ("kind", "label", "repo", "base", "head", "base_sha", "head_sha", "diff_file", "title", "url",
               "number", "branch")  # fmt: skip
FINDING_KEYS = ("path", "line", "end_line", "side", "type", "severity", "category", "message", "suggestion",
                "source", "rule_id", "fingerprint", "anchored")  # fmt: skip
STATS_KEYS = ("files_reviewed", "files_skipped", "lines_changed", "llm_calls", "prompt_tokens",
              "completion_tokens", "duration_s", "findings_suppressed",
              "findings_below_min_severity")  # fmt: skip


def review_to_dict(review: Review) -> dict[str, Any]:
    """The version-1 document as plain JSON-compatible data."""
    target = review.target
    stats = review.stats
    return {
        "version": VERSION,
        "target": {
            "kind": target.kind.value,
            "label": target.label(),
            "repo": str(target.repo) if target.repo is not None else None,
            "base": target.base,
            "head": target.head,
            "base_sha": target.base_sha,
            "head_sha": target.head_sha,
            "diff_file": target.diff_file,
            "title": target.title,
            "url": target.url,
            "number": target.number,
            "branch": target.branch,
        },
        "findings": [_finding(f) for f in review.findings],
        "summary": {
            "overall_assessment": review.summary.overall_assessment,
            "key_concerns": list(review.summary.key_concerns),
            "recommendations": list(review.summary.recommendations),
            "ticket_compliance": [
                {"ticket": v.ticket, "criterion": v.criterion, "status": v.status.value, "reason": v.reason}
                for v in review.summary.ticket_compliance
            ],
        },
        "stats": {
            "files_reviewed": stats.files_reviewed,
            "files_skipped": stats.files_skipped,
            "lines_changed": stats.lines_changed,
            "llm_calls": stats.llm_calls,
            "prompt_tokens": stats.prompt_tokens,
            "completion_tokens": stats.completion_tokens,
            "duration_s": round(stats.duration_s, 3),
            "findings_suppressed": stats.findings_suppressed,  # hidden by mochi-ignore comments
            "findings_below_min_severity": stats.findings_below_min_severity,  # not reported: min_severity
        },
        "reviewed": list(review.reviewed),
        "skipped": [{"path": s.path, "reason": s.reason} for s in review.skipped],
        "providers": list(review.providers_used),
        "notices": list(review.notices),
        "truncated": [{"path": s.path, "reason": s.reason} for s in review.truncated],
        "chunks": review.chunks,
    }


def _finding(f: Finding) -> dict[str, Any]:
    return {
        "path": f.path,
        "line": f.line,
        "end_line": f.end_line,
        "side": f.side,
        "type": f.type.value,
        "severity": f.severity.value,
        "category": f.category,
        "message": f.message,
        "suggestion": f.suggestion,
        "source": f.source,
        "rule_id": f.rule_id,
        "fingerprint": f.fingerprint,
        "anchored": f.anchored.value,
    }


def render_json(review: Review) -> str:
    """The review as the version-1 JSON document (UTF-8 text, indented, ending in a newline)."""
    return json.dumps(review_to_dict(review), indent=2, ensure_ascii=False) + "\n"
