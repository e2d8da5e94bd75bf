"""The version-1 JSON contract of `--format json`."""

from __future__ import annotations

import json

from mochi.models import Review, ReviewTarget, TargetKind
from mochi.publish.json_out import render_json

FINDING_KEYS = {
    "path",
    "line",
    "end_line",
    "side",
    "type",
    "severity",
    "category",
    "message",
    "suggestion",
    "source",
    "rule_id",
    "fingerprint",
    "anchored",
}
STATS_KEYS = {
    "files_reviewed",
    "files_skipped",
    "lines_changed",
    "llm_calls",
    "prompt_tokens",
    "completion_tokens",
    "duration_s",
    "findings_suppressed",
    "findings_below_min_severity",  # issue 14 (additive): not reported, below min_severity
}


def test_exact_version_1_keys(review: Review) -> None:
    doc = json.loads(render_json(review))
    assert doc["version"] == 1
    assert set(doc) == {
        "version",
        "target",
        "findings",
        "summary",
        "stats",
        "reviewed",
        "skipped",
        "providers",
        "notices",
        "truncated",  # issue 5 (additive): files the model saw only in part
        "chunks",
    }
    assert len(doc["findings"]) == len(review.findings) == 5
    for finding in doc["findings"]:
        assert set(finding) == FINDING_KEYS
    assert set(doc["stats"]) == STATS_KEYS
    summary_keys = {"overall_assessment", "key_concerns", "recommendations", "ticket_compliance"}
    assert set(doc["summary"]) == summary_keys
    assert {"kind", "label"} <= set(doc["target"])


def test_values_are_plain_json(review: Review) -> None:
    doc = json.loads(render_json(review))
    critical = doc["findings"][1]
    assert critical == {
        "path": "src/main/java/com/acme/UserRepository.java",
        "line": 21,
        "end_line": 23,
        "side": "RIGHT",
        "type": "bug",
        "severity": "critical",
        "category": "security",
        "message": review.findings[1].message,
        "suggestion": review.findings[1].suggestion,
        "source": "llm:ollama/qwen2.5-coder:7b",
        "rule_id": None,
        "fingerprint": review.findings[1].fingerprint,
        "anchored": "inline",
    }
    assert len(critical["fingerprint"]) == 16
    file_level = next(f for f in doc["findings"] if f["line"] is None)
    assert file_level["anchored"] == "file"
    assert doc["target"] == doc["target"] | {
        "kind": "worktree",
        "label": "working tree vs main",
        "base": "main",
    }
    assert doc["stats"] == {
        "files_reviewed": 2,
        "files_skipped": 1,
        "lines_changed": 6,
        "llm_calls": 1,
        "prompt_tokens": 1834,
        "completion_tokens": 412,
        "duration_s": 7.31,
        "findings_suppressed": 0,
        "findings_below_min_severity": 0,
    }
    assert doc["skipped"] == [{"path": "package-lock.json", "reason": "lockfile"}]
    assert doc["providers"] == ["ollama/qwen2.5-coder:7b"]
    assert doc["summary"]["key_concerns"] == [
        "SQL injection in UserRepository.find",
        "Stored XSS in UserCard",
    ]


def test_empty_review_keeps_every_key() -> None:
    doc = json.loads(render_json(Review(target=ReviewTarget(kind=TargetKind.DIFF_FILE, diff_file="-"))))
    assert doc["findings"] == [] and doc["skipped"] == [] and doc["notices"] == []
    assert doc["target"]["label"] == "diff from stdin"
    assert set(doc["stats"]) == STATS_KEYS
