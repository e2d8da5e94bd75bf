"""`min_severity` (issue 14): findings below it are not reported anywhere; stats count them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mochi import pipeline
from mochi.diff.parse import parse_diff
from mochi.errors import ConfigError
from mochi.findings import at_least, at_or_above
from mochi.models import Context, Diff, Finding, FindingType, ReviewTarget, Severity, TargetKind
from mochi.prompts.render import PromptRenderer
from mochi.publish.json_out import render_json
from mochi.settings import load
from tests.fakes.provider import FakeProvider

TARGET = ReviewTarget(kind=TargetKind.WORKTREE, base="main")
DIFF = Diff(
    files=tuple(
        parse_diff(
            "diff --git a/src/calc.py b/src/calc.py\n--- a/src/calc.py\n+++ b/src/calc.py\n"
            "@@ -1,2 +1,4 @@\n def total(prices):\n-    return sum(prices)\n"
            "+    ratio = 1 / len(prices)\n+    print(ratio)\n+    return sum(prices) * ratio\n"
        )
    )
)


def _comment(line: int, severity: str, message: str, kind: str = "bug") -> dict[str, object]:
    return {"file": "src/calc.py", "line": line, "end_line": None, "type": kind, "severity": severity,
            "category": "correctness", "message": message, "suggestion": None}  # fmt: skip


ANSWER = json.dumps(
    {
        "comments": [
            _comment(2, "high", "Division by zero when prices is empty."),
            _comment(3, "medium", "A debugging print is left in."),
            _comment(4, "low", "Name the ratio after what it means.", "suggestion"),
        ],
        "summary": {"overall_assessment": "A crash.", "key_concerns": [], "recommendations": []},
    }
)


def review(min_severity: Severity | None) -> pipeline.Outcome:
    published = []
    outcome = pipeline.run(
        TARGET,
        diff_source=lambda _t: DIFF,
        context=lambda _d: Context(),
        renderer=PromptRenderer(),
        provider=FakeProvider([ANSWER]),
        min_severity=min_severity,
        publishers=[lambda r, _d: published.append(r)],
    )
    assert published == [outcome.review]  # what publishers get is what the outputs get
    return outcome


def test_findings_below_min_severity_are_left_out_and_counted() -> None:
    everything = review(None).review
    assert len(everything.findings) == 3 and everything.stats.findings_below_min_severity == 0
    high = review(Severity.HIGH).review
    assert [f.severity for f in high.findings] == [Severity.HIGH]
    assert high.stats.findings_below_min_severity == 2
    assert "2 finding(s) below high severity not reported (min_severity)" in high.notices
    doc = json.loads(render_json(high))
    assert doc["stats"]["findings_below_min_severity"] == 2
    assert [f["severity"] for f in doc["findings"]] == ["high"]
    medium = review(Severity.MEDIUM).review
    assert {f.severity for f in medium.findings} == {Severity.HIGH, Severity.MEDIUM}
    assert medium.stats.findings_below_min_severity == 1
    assert review(Severity.LOW).review.stats.findings_below_min_severity == 0


def test_at_least_and_fail_on() -> None:
    findings = [
        Finding(path="a", message="x", severity=Severity.LOW, type=FindingType.PRAISE),
        Finding(path="a", message="y", severity=Severity.MEDIUM),
    ]
    assert at_least(findings, None) == (findings, 0)
    assert at_least(findings, Severity.MEDIUM) == (findings[1:], 1)
    # --fail-on judges what is reported: below min_severity a finding can no longer fail the build
    kept, _ = at_least(findings, Severity.HIGH)
    assert not at_or_above(kept, Severity.MEDIUM)


def test_min_severity_and_design_patterns_settings(tmp_path: Path) -> None:
    settings, origin = load({"MOCHI_MIN_SEVERITY": "medium", "INPUT_INCLUDE_DESIGN_PATTERNS": "true"})
    assert settings.min_severity is Severity.MEDIUM and origin["min_severity"] == "$MOCHI_MIN_SEVERITY"
    assert settings.include_design_patterns is True
    defaults, _ = load({"INPUT_MIN_SEVERITY": "", "INPUT_INCLUDE_DESIGN_PATTERNS": ""})  # the action's
    assert defaults.min_severity is None and defaults.include_design_patterns is False
    config = tmp_path / ".mochi.toml"
    config.write_text(
        'min_severity = "high"\ninclude_design_patterns = true\ndesign_patterns_max_files = 50\n'
    )
    from_file, _ = load({}, config_path=config)
    assert from_file.min_severity is Severity.HIGH and from_file.include_design_patterns
    assert from_file.design_patterns_max_files == 50
    flagged, _ = load({}, {"include_design_patterns": False, "min_severity": None}, config_path=config)
    assert flagged.include_design_patterns is False and flagged.min_severity is Severity.HIGH
    with pytest.raises(ConfigError, match="min_severity"):
        load({"MOCHI_MIN_SEVERITY": "urgent"})
    with pytest.raises(ConfigError, match="design_patterns_max_files"):
        load({"MOCHI_DESIGN_PATTERNS_MAX_FILES": "0"})
