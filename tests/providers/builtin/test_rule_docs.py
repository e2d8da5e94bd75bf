"""DOCS documents every built-in rule, and its examples are true: the rule reports the wrong one and
not the right one, each added as a whole new file at the documented path."""

from __future__ import annotations

import re

import pytest
from builtin_diffs import make_added_file

from mochi.models import Diff, Finding
from mochi.providers.builtin import RULES, BuiltinReviewer
from mochi.providers.builtin.rule_docs import DOCS, RuleDoc
from mochi.settings import RuleConfig

# every rule on, opt-in ones too: the examples document what a rule does once it runs
REVIEWER = BuiltinReviewer({rule_id: RuleConfig(enabled=True) for rule_id in RULES})
RULE_IDS = sorted(RULES)
BOILERPLATE = re.compile(r"(?i)^(?:built-in|builtin|rule|check|this rule|see)\b|\b(?:tbd|lorem)\b")


def _findings(path: str, text: str) -> list[Finding]:
    diff = Diff(files=(make_added_file(path, text),))
    return REVIEWER.review(diff, {path: text}.get)


def _doc(rule_id: str) -> RuleDoc:
    doc = DOCS.get(rule_id)
    if doc is None:
        pytest.fail(f"{rule_id} has no entry in rule_docs.DOCS")
    return doc


def test_every_rule_is_documented_and_nothing_else() -> None:
    assert sorted(DOCS) == RULE_IDS


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_the_wrong_example_is_reported(rule_id: str) -> None:
    doc = _doc(rule_id)
    findings = _findings(doc.example_path, doc.wrong_file)
    assert [f for f in findings if f.rule_id == rule_id], (
        f"{rule_id} does not report its wrong example at {doc.example_path}; it found: "
        f"{[(f.rule_id, f.line) for f in findings]}"
    )


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_the_right_example_is_not_reported(rule_id: str) -> None:
    doc = _doc(rule_id)
    mine = [f for f in _findings(doc.example_path, doc.right) if f.rule_id == rule_id]
    assert not mine, f"{rule_id} reports its right example: {[(f.line, f.message) for f in mine]}"


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_the_documentation_is_complete(rule_id: str) -> None:
    doc = _doc(rule_id)
    assert doc.why.strip() and doc.why == doc.why.strip()
    assert doc.example_path and not doc.example_path.startswith("/")
    assert doc.repeat >= 1
    for example in (doc.wrong, doc.right):
        assert example.endswith("\n") and not example.startswith("\n")
        assert 3 <= example.count("\n") <= 25, "an example is a short snippet, not a file dump"
    assert doc.wrong_file != doc.right


def test_summaries_are_specific_one_line_sentences() -> None:
    summaries = {rule_id: _doc(rule_id).summary for rule_id in RULE_IDS}
    for rule_id, summary in summaries.items():
        assert len(summary) <= 120, f"{rule_id}: the summary is {len(summary)} characters"
        assert summary.endswith(".") and "\n" not in summary, rule_id
        assert summary[0].isupper() or summary[0] in "@`." or summary[:4] in ("eval", "sqlx"), rule_id
        assert len(summary.split()) >= 6, f"{rule_id}: {summary!r} says too little"
        assert not BOILERPLATE.search(summary), f"{rule_id}: {summary!r} is boilerplate"
        assert rule_id not in summary, f"{rule_id}: a summary describes the problem, not the rule id"
    lowered = [s.lower() for s in summaries.values()]
    assert len(set(lowered)) == len(lowered), "two rules share a summary"
