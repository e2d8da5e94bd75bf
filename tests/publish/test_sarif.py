"""SARIF 2.1.0 output, validated against the official schema."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from mochi.models import Anchor, Finding, Review, ReviewTarget, TargetKind
from mochi.publish.sarif import render_sarif
from tests.fixtures_path import FIXTURES

SCHEMA_PATH = FIXTURES / "sarif" / "sarif-schema-2.1.0.json"


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft4Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return jsonschema.Draft4Validator(schema)


def _sarif(review: Review, validator: jsonschema.Draft4Validator) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(render_sarif(review, tool_version="1.2.3"))
    errors = sorted(validator.iter_errors(doc), key=str)
    assert not errors, errors[0]
    return doc


def test_valid_and_shaped_for_code_scanning(review: Review, validator: jsonschema.Draft4Validator) -> None:
    doc = _sarif(review, validator)
    assert doc["version"] == "2.1.0"
    (run,) = doc["runs"]
    driver = run["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("Sonar-Mochi", "1.2.3")
    assert driver["informationUri"].startswith("https://")
    rule_ids = [r["id"] for r in driver["rules"]]
    assert len(rule_ids) == len(set(rule_ids))
    assert set(rule_ids) == {"jdbc-close", "mochi/llm/bug/security", "mochi/llm/question", "mochi/llm/praise"}
    assert len(run["results"]) == 5
    for result in run["results"]:
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        (location,) = result["locations"]
        assert location["physicalLocation"]["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        assert location["physicalLocation"]["region"]["startLine"] >= 1
        assert len(result["partialFingerprints"]["mochiFingerprint/v1"]) == 16


def test_levels_messages_and_security_severity(review: Review, validator: jsonschema.Draft4Validator) -> None:
    results = _sarif(review, validator)["runs"][0]["results"]
    sql = next(r for r in results if r["properties"]["severity"] == "critical")
    assert sql["level"] == "error"
    assert sql["message"]["text"].startswith("The SQL query is built")
    assert "Suggestion: PreparedStatement" in sql["message"]["text"]
    assert sql["locations"][0]["physicalLocation"]["region"] == {"startLine": 21, "endLine": 23}
    assert sql["properties"]["security-severity"] == "9.5"
    assert sql["properties"]["type"] == "bug" and sql["properties"]["category"] == "security"
    medium = next(r for r in results if r["ruleId"] == "jdbc-close")
    assert medium["level"] == "warning" and "security-severity" not in medium["properties"]
    assert {r["level"] for r in results if r["properties"]["severity"] == "low"} == {"note"}
    security_rule = next(
        r
        for r in _sarif(review, validator)["runs"][0]["tool"]["driver"]["rules"]
        if r["id"] == "mochi/llm/bug/security"
    )
    assert security_rule["properties"]["security-severity"] == "9.5"
    assert "security" in security_rule["properties"]["tags"]


def test_odd_paths_are_uri_encoded_and_file_level_findings_use_line_1(
    validator: jsonschema.Draft4Validator,
) -> None:
    findings = (
        Finding(
            path="docs/my notes/naïve café.md",
            line=None,
            message="Typo",
            anchored=Anchor.FILE,
            fingerprint="a" * 16,
        ),
        Finding(path="src/100%/#hash?.py", line=3, end_line=3, message="x", anchored=Anchor.INLINE),
        Finding(
            path="web/src/components/User Card.tsx", line=7, end_line=9, message="y", category="Naming Style"
        ),
    )
    review = Review(target=ReviewTarget(kind=TargetKind.STAGED), findings=findings)
    results = _sarif(review, validator)["runs"][0]["results"]
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results]
    assert uris == [
        "docs/my%20notes/na%C3%AFve%20caf%C3%A9.md",
        "src/100%25/%23hash%3F.py",
        "web/src/components/User%20Card.tsx",
    ]
    for uri in uris:
        assert uri.isascii() and " " not in uri
    regions = [r["locations"][0]["physicalLocation"]["region"] for r in results]
    assert regions == [{"startLine": 1}, {"startLine": 3}, {"startLine": 7, "endLine": 9}]
    assert results[2]["ruleId"] == "mochi/llm/suggestion/naming-style"
    assert "partialFingerprints" not in results[1]  # no fingerprint computed: none invented


def test_many_findings_and_empty_review(validator: jsonschema.Draft4Validator) -> None:
    severities = ["low", "medium", "high", "critical"]
    types = ["bug", "suggestion", "question", "praise"]
    findings = tuple(
        Finding.model_validate(
            {
                "path": f"pkg/m{i % 17}.py",
                "line": i + 1,
                "severity": severities[i % 4],
                "type": types[i % 3],
                "category": ["security", None, "perf"][i % 3],
                "message": f"finding {i}",
                "fingerprint": f"{i:016x}",
            }
        )
        for i in range(300)
    )
    run = _sarif(
        Review(target=ReviewTarget(kind=TargetKind.RANGE, base="a", head="b"), findings=findings), validator
    )
    results = run["runs"][0]["results"]
    rules = run["runs"][0]["tool"]["driver"]["rules"]
    assert len(results) == 300
    assert len(rules) == len({r["ruleId"] for r in results})
    assert all(rules[r["ruleIndex"]]["id"] == r["ruleId"] for r in results)
    empty = _sarif(Review(target=ReviewTarget(kind=TargetKind.STAGED)), validator)
    assert empty["runs"][0]["results"] == [] and empty["runs"][0]["tool"]["driver"]["rules"] == []
