"""SARIF 2.1.0 output, shaped for GitHub code scanning (`github/codeql-action/upload-sarif`).

One run; one rule per distinct rule id: a built-in check's own id, or for model findings one rule
per type and category ("mochi/llm/bug/security"). GitHub needs a location on every result, so
file-level findings point at line 1. `partialFingerprints` carries our fingerprint so GitHub
tracks an alert across runs even when its line moves. `security-severity` (a CVSS-like score
GitHub uses to rank security alerts) is set on security findings and their rules.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote

from mochi.models import Finding, FindingType, Review, Severity

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
TOOL_NAME = "Sonar-Mochi"
INFORMATION_URI = "https://github.com/sonar-mochi/sonar-mochi"
FINGERPRINT_KEY = "mochiFingerprint/v1"
AUTOMATION_CATEGORY = "sonar-mochi"

_LEVELS = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
}
_SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
}


def rule_id(finding: Finding) -> str:
    """The SARIF rule of a finding: its built-in rule id, or mochi/llm/<type>[/<category>]."""
    if finding.rule_id:
        return finding.rule_id
    rid = f"mochi/llm/{finding.type.value}"
    category = _slug(finding.category or "")
    return f"{rid}/{category}" if category else rid


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _is_security(finding: Finding) -> bool:
    return "security" in (finding.category or "").lower() or "security" in (finding.rule_id or "").lower()


def artifact_uri(path: str) -> str:
    """A repository-relative path as a URI reference: spaces, '%', '#', '?' and non-ASCII escaped."""
    return quote(path.lstrip("/"), safe="/-._~!$&'()*+,;=:@")


def _descriptions(rid: str, first: Finding) -> dict[str, Any]:
    """shortDescription, fullDescription, help and helpUri: the rule's own doc (docs/rules/)."""
    from mochi import rule_help
    from mochi.providers.builtin import RULES
    from mochi.providers.builtin.rule_docs import DOCS

    rule = RULES.get(first.rule_id or "")
    if rule is not None:
        doc = DOCS.get(rule.id)
        short = rule_help.summary(rule)
        full = f"{short} {doc.why if doc is not None else rule.doc}"
        return {
            "shortDescription": {"text": short},
            "fullDescription": {"text": _plain(full)},
            "help": {"text": rule_help.text(rule.id), "markdown": rule_help.markdown(rule.id)},
            "helpUri": rule_help.help_uri(rule.id),
        }
    what = {FindingType.BUG: "Possible bug", FindingType.SUGGESTION: "Suggestion",
            FindingType.QUESTION: "Question", FindingType.PRAISE: "Praise"}[first.type]  # fmt: skip
    short = f"{what} from the AI review" + (f" ({first.category})" if first.category else "") + "."
    return {
        "shortDescription": {"text": short},
        "fullDescription": {"text": short + " The model's judgement of this change; each result says why."},
        "help": {"text": rule_help.llm_text(), "markdown": rule_help.LLM_MARKDOWN},
        "helpUri": rule_help.help_uri(rule_help.LLM_DOC),
    }


def _plain(markdown: str) -> str:
    return re.sub(r"\s+", " ", markdown.replace("`", "")).strip()


def _rule(rid: str, findings: list[Finding]) -> dict[str, Any]:
    first = findings[0]
    worst = max((f.severity for f in findings), key=lambda s: s.rank)
    tags = sorted({t for f in findings for t in (f.type.value, f.category or "") if t})
    properties: dict[str, Any] = {"tags": tags}
    if any(_is_security(f) for f in findings):
        properties["tags"] = sorted({*tags, "security"})
        properties["security-severity"] = _SECURITY_SEVERITY[worst]
    name = "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", rid) if part)
    return {
        "id": rid,
        "name": name or "MochiFinding",
        **_descriptions(rid, first),
        "defaultConfiguration": {"level": _LEVELS[worst]},
        "properties": properties,
    }


def _result(finding: Finding, rid: str, index: int) -> dict[str, Any]:
    text = finding.message.strip() or "(no message)"
    if finding.suggestion:
        text += f"\n\nSuggestion: {finding.suggestion.strip()}"
    # Left-side lines belong to the old file, which code scanning does not show: use the file.
    line = finding.line if finding.side == "RIGHT" and finding.line else None
    region: dict[str, Any] = {"startLine": line or 1}
    if line and finding.end_line and finding.end_line > line:
        region["endLine"] = finding.end_line
    properties: dict[str, Any] = {
        "severity": finding.severity.value,
        "type": finding.type.value,
        "category": finding.category,
        "source": finding.source,
        "anchored": finding.anchored.value,
    }
    if _is_security(finding):
        properties["security-severity"] = _SECURITY_SEVERITY[finding.severity]
    result: dict[str, Any] = {
        "ruleId": rid,
        "ruleIndex": index,
        "level": _LEVELS[finding.severity],
        "message": {"text": text},
        "locations": [{"physicalLocation": {
            "artifactLocation": {"uri": artifact_uri(finding.path), "uriBaseId": "%SRCROOT%"},
            "region": region,
        }}],
        "properties": properties,
    }  # fmt: skip
    if finding.fingerprint:
        result["partialFingerprints"] = {FINGERPRINT_KEY: finding.fingerprint}
    return result


def review_to_sarif(review: Review, *, tool_version: str) -> dict[str, Any]:
    """The SARIF log as plain JSON-compatible data."""
    by_rule: dict[str, list[Finding]] = {}
    for f in review.findings:
        by_rule.setdefault(rule_id(f), []).append(f)
    rule_ids = sorted(by_rule)
    index = {rid: i for i, rid in enumerate(rule_ids)}
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": TOOL_NAME,
                "fullName": f"{TOOL_NAME} AI code reviewer {tool_version}",
                "informationUri": INFORMATION_URI,
                "version": tool_version,
                "rules": [_rule(rid, by_rule[rid]) for rid in rule_ids],
            }},
            "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "The root of the repository."}}},
            "results": [_result(f, rule_id(f), index[rule_id(f)]) for f in review.findings],
            "columnKind": "utf16CodeUnits",
            # GitHub code scanning's category: one per tool, so runs replace each other's alerts
            "automationDetails": {"id": f"{AUTOMATION_CATEGORY}/"},
        }],
    }  # fmt: skip


def render_sarif(review: Review, *, tool_version: str) -> str:
    """The review as a SARIF 2.1.0 log (JSON text ending in a newline)."""
    return json.dumps(review_to_sarif(review, tool_version=tool_version), indent=2, ensure_ascii=False) + "\n"
