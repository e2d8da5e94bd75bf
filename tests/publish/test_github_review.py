"""Planning one review: positions checked against the PR diff, ranges, suggestion blocks, no repeats."""

from __future__ import annotations

from mochi import findings as findings_mod
from mochi.diff.parse import parse_diff
from mochi.models import Diff, Finding, Review, ReviewTarget, Severity, TargetKind
from mochi.platforms.github.review import PositionIndex, plan_review

DIFF = """diff --git a/app.py b/app.py
--- a/app.py
+++ b/app.py
@@ -10,3 +10,4 @@ def f():
     a = 1
-    b = 2
+    b = 3
+    c = b / a
     return a
"""


def review_of(*raw: Finding) -> tuple[Review, PositionIndex]:
    files = parse_diff(DIFF)
    found, _ = findings_mod.finalize(raw, Diff(files=tuple(files)))
    return Review(target=ReviewTarget(kind=TargetKind.PULL_REQUEST), findings=tuple(found)), PositionIndex(
        files
    )


def test_inline_ranges_suggestions_and_the_body() -> None:
    review, index = review_of(
        Finding(
            path="app.py",
            line=11,
            end_line=12,
            message="Name these.",
            source="llm:ollama/m",
            severity=Severity.MEDIUM,
            suggestion="    b = 3  # ratio base\n    c = b / a  # ratio",
        ),
        Finding(path="app.py", line=40, message="Far away.", source="llm:ollama/m"),
        Finding(
            path="app.py",
            line=12,
            message="Use a guard.",
            source="builtin:x",
            rule_id="x",
            suggestion="Check a != 0 first.",
        ),
    )
    plan = plan_review(review, index, frozenset(), head_sha="h" * 40)
    ranged = next(c for f, c in plan.inline if f.message == "Name these.")
    assert (ranged["start_line"], ranged["line"], ranged["side"]) == (11, 12, "RIGHT")
    assert "```suggestion\n    b = 3  # ratio base\n    c = b / a  # ratio\n```" in ranged["body"]
    prose = next(c for f, c in plan.inline if f.message == "Use a guard.")
    assert "```suggestion" not in prose["body"] and "*Suggestion:* Check a != 0 first." in prose["body"]
    assert [f.message for f in plan.body_findings] == ["Far away."]
    payload = plan.payload()
    assert payload["event"] == "COMMENT" and "Far away" in payload["body"]
    assert all("<!-- mochi:fp=" in c["body"] for c in payload["comments"])


def test_findings_already_posted_are_left_out() -> None:
    review, index = review_of(Finding(path="app.py", line=12, message="Guard.", source="llm:o/m"))
    posted = frozenset(f.fingerprint for f in review.findings)
    plan = plan_review(review, index, posted, head_sha="h")
    assert plan.empty and plan.already_posted == 1


def test_a_megabyte_message_is_clipped_so_the_comment_stays_inline() -> None:
    from mochi.platforms.github.review import comment_body
    from mochi.platforms.gitlab.summary import inline_body

    huge = "Division by zero. " + "x" * 2_000_000
    review, index = review_of(
        Finding(path="app.py", line=12, message=huge, source="llm:ollama/m", severity=Severity.HIGH)
    )
    plan = plan_review(review, index, frozenset(), head_sha="abc")
    ((finding, comment),) = plan.inline  # still an inline comment: GitHub takes bodies up to 65,536
    assert len(comment["body"]) < 10_000 and "Division by zero." in comment["body"]
    assert "full text is in the findings JSON" in comment["body"]
    assert len(plan.payload()["body"]) < 65_536
    assert len(inline_body(finding)) < 10_000
    assert comment_body(finding, start_line=None, line=12) == comment["body"]
