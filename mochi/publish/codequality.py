"""GitLab Code Quality report (`gl-code-quality-report.json`): the Code Climate issue format.

GitLab reads a JSON array of issues with `description`, `check_name`, `fingerprint`, `severity`
(info, minor, major, critical, blocker), `location.path` and `location.lines.begin`, and shows
them in the merge request widget and the diff when the job declares
`artifacts: reports: codequality: gl-code-quality-report.json`. The fingerprint must be unique in
the report (GitLab compares reports by it across pipelines), so duplicates get a suffix.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from mochi.models import Finding, FindingType, Review, Severity
from mochi.publish.sarif import rule_id

REPORT_FILE = "gl-code-quality-report.json"

_SEVERITY = {
    Severity.LOW: "minor",
    Severity.MEDIUM: "major",
    Severity.HIGH: "critical",
    Severity.CRITICAL: "blocker",
}
# Code Climate's categories (its spec requires at least one per issue)
_CATEGORIES = {
    "security": "Security",
    "performance": "Performance",
    "style": "Style",
    "readability": "Clarity",
    "maintainability": "Complexity",
    "complexity": "Complexity",
    "compatibility": "Compatibility",
    "duplication": "Duplication",
}


def _severity(finding: Finding) -> str:
    return "info" if finding.type is FindingType.PRAISE else _SEVERITY[finding.severity]


def _category(finding: Finding) -> str:
    words = f"{finding.category or ''} {finding.rule_id or ''}".lower()
    for key, name in _CATEGORIES.items():
        if key in words:
            return name
    return "Bug Risk" if finding.type is FindingType.BUG else "Clarity"


def _issue(finding: Finding, fingerprint: str) -> dict[str, Any]:
    text = finding.message.strip() or "(no message)"
    # deleted (LEFT) lines are not in the new file the widget shows: point at the file
    line = finding.line if finding.line and finding.side == "RIGHT" else 1
    issue: dict[str, Any] = {
        "type": "issue",
        "description": " ".join(text.split()),
        "check_name": rule_id(finding),
        "categories": [_category(finding)],
        "fingerprint": fingerprint,
        "severity": _severity(finding),
        "location": {"path": finding.path.lstrip("/"), "lines": {"begin": line}},
        "engine_name": "sonar-mochi",
    }
    if finding.end_line and finding.line and finding.end_line > finding.line and finding.side == "RIGHT":
        issue["location"]["lines"]["end"] = finding.end_line
    if finding.suggestion:
        issue["content"] = {"body": finding.suggestion.strip()}
    return issue


def review_to_codequality(review: Review) -> list[dict[str, Any]]:
    """The Code Quality issues of a review, one per finding."""
    issues = []
    seen: set[str] = set()
    for f in review.findings:
        base = f.fingerprint or hashlib.sha256(f"{f.path}\0{f.line}\0{f.message}".encode()).hexdigest()[:16]
        fingerprint, n = base, 1
        while fingerprint in seen:
            n += 1
            fingerprint = f"{base}-{n}"
        seen.add(fingerprint)
        issues.append(_issue(f, fingerprint))
    return issues


def render_codequality(review: Review) -> str:
    """The report as JSON text (an array, possibly empty) ending in a newline."""
    return json.dumps(review_to_codequality(review), indent=2, ensure_ascii=False) + "\n"
