"""The GitLab Code Quality report and the JUnit XML report, validated against their formats."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree as ET

import jsonschema
import pytest

from mochi.models import Review
from mochi.publish.files import parse_output_spec, render

lxml_etree = pytest.importorskip("lxml.etree")

JUNIT_XSD = Path(__file__).resolve().parents[1] / "fixtures" / "junit" / "JUnit.xsd"

# What GitLab's Code Quality widget reads (docs.gitlab.com "Code Quality report format"), with the
# severities it knows; every other Code Climate field is optional for GitLab.
CODEQUALITY_SCHEMA = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["description", "check_name", "fingerprint", "severity", "location"],
        "properties": {
            "description": {"type": "string", "minLength": 1},
            "check_name": {"type": "string", "minLength": 1},
            "fingerprint": {"type": "string", "minLength": 1},
            "severity": {"enum": ["info", "minor", "major", "critical", "blocker"]},
            "location": {
                "type": "object",
                "required": ["path", "lines"],
                "properties": {
                    "path": {"type": "string", "pattern": "^[^/]"},
                    "lines": {
                        "type": "object",
                        "required": ["begin"],
                        "properties": {"begin": {"type": "integer", "minimum": 1}},
                    },
                },
            },
        },
    },
}


def test_code_quality_report_is_what_gitlab_reads(review: Review) -> None:
    report = json.loads(render("codequality", review))
    jsonschema.validate(report, CODEQUALITY_SCHEMA)
    assert len(report) == len(review.findings) > 0
    assert len({i["fingerprint"] for i in report}) == len(report)
    by_path = {(i["location"]["path"], i["location"]["lines"]["begin"]): i for i in report}
    for f in review.findings:
        issue = by_path[(f.path, f.line if f.line and f.side == "RIGHT" else 1)]
        assert issue["description"] == " ".join(f.message.split())
    assert {"critical", "blocker", "major", "minor", "info"} >= {i["severity"] for i in report}


def test_empty_review_gives_an_empty_report(review: Review) -> None:
    assert json.loads(render("codequality", review.model_copy(update={"findings": ()}))) == []


def test_junit_is_valid_against_the_ant_junit_schema(review: Review) -> None:
    text = render("junit", review)
    schema = lxml_etree.XMLSchema(lxml_etree.parse(str(JUNIT_XSD)))
    doc = lxml_etree.fromstring(text.encode("utf-8"))
    assert schema.validate(doc), schema.error_log
    suite = ET.fromstring(text)
    failures = suite.findall("testcase/failure")
    praise = [f for f in review.findings if f.type.value == "praise"]
    assert int(suite.get("failures", "")) == len(failures) == len(review.findings) - len(praise)
    assert int(suite.get("tests", "")) == len(suite.findall("testcase"))
    assert all(f.get("type") in ("low", "medium", "high", "critical") for f in failures)
    assert review.findings[0].message.split()[0] in (failures[0].text or "")


def test_junit_and_codequality_are_output_formats() -> None:
    assert parse_output_spec("junit=out/mochi.xml") == ("junit", Path("out/mochi.xml"))
    assert parse_output_spec("codequality=gl-code-quality-report.json")[0] == "codequality"
