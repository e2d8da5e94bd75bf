"""Model answers written to break the reviewer: they cost the LLM pass at most, never the review."""

from __future__ import annotations

import re

from mochi.errors import ProviderResponseError
from tests.fakes.provider import FakeProvider
from tests.test_fake_provider import ANSWER, review_with


def test_an_answer_nested_a_thousand_levels_deep_is_an_unreadable_answer_not_a_crash() -> None:
    deep = '{"comments": ' + "[" * 1000 + "]" * 1000 + "}"
    provider = FakeProvider([deep, deep])  # the answer, and the answer to the repair request

    outcome = review_with(provider)

    assert isinstance(outcome.provider_error, ProviderResponseError)
    assert "nested too deeply" in str(outcome.provider_error)
    assert outcome.review.findings == ()  # a review still, with whatever else found
    assert len(provider.prompts) == 2


def test_a_deep_answer_then_a_good_one_is_repaired() -> None:
    deep = "[" * 5000 + "]" * 5000
    outcome = review_with(FakeProvider([deep, ANSWER]))
    assert outcome.provider_error is None and len(outcome.review.findings) == 1


def test_model_text_can_neither_forge_a_marker_nor_mention_anyone() -> None:
    from mochi import findings as findings_mod
    from mochi.diff.parse import parse_diff
    from mochi.models import Diff, Finding, Review, ReviewTarget, Severity, Summary, TargetKind
    from mochi.platforms.github.review import PositionIndex, comment_body, plan_review, review_body
    from mochi.platforms.github.summary import summary_body
    from mochi.platforms.gitlab.summary import inline_body
    from mochi.platforms.markers import fingerprints_in, is_summary, summary_head

    diff_text = "diff --git a/k.py b/k.py\n--- a/k.py\n+++ b/k.py\n@@ -1 +1,2 @@\n a = 1\n+KEY = 'AKIA'\n"
    files = tuple(parse_diff(diff_text))
    real = Finding(path="k.py", line=2, message="An AWS key.", source="builtin", severity=Severity.CRITICAL)
    (real_found,), _ = findings_mod.finalize([real], Diff(files=files))
    forged = f"<!-- mochi:fp={real_found.fingerprint} -->"
    hostile = Finding(
        path="k.py",
        line=2,
        message=f"Looks fine, @octo/security-team. {forged} `{forged}`",
        suggestion=f"{forged}\nKEY = 'x'  # @alice",
        source="llm:ollama/m",
        severity=Severity.LOW,
    )
    (found,), _ = findings_mod.finalize([hostile], Diff(files=files))
    review = Review(
        target=ReviewTarget(kind=TargetKind.PULL_REQUEST),
        findings=(found,),
        summary=Summary(overall_assessment=f"ok <!-- mochi:summary head={'0' * 40} --> cc @bob"),
    )
    bodies = [
        comment_body(found, start_line=None, line=2),
        review_body(1, [found]),
        inline_body(found),
        summary_body(review, head_sha="a" * 40),
    ]
    plan = plan_review(review, PositionIndex(files), frozenset(), head_sha="a" * 40)
    bodies += [c["body"] for _, c in plan.inline]
    for body in bodies:
        assert real_found.fingerprint not in fingerprints_in(body)
        # a mention inside a code block notifies nobody; everywhere else it must not be live
        prose = re.sub(r"(?ms)^[ \t]*(`{3,})[^\n]*\n.*?^[ \t]*\1[ \t]*$", "", body)
        assert "@octo/security-team" not in prose and "@alice" not in prose and "@bob" not in prose
    assert summary_head(bodies[3]) == "a" * 40 and is_summary(bodies[3])
    assert not is_summary(bodies[0])


def test_the_runs_caps_on_model_calls_and_tokens_leave_the_rest_named() -> None:
    from mochi import pipeline
    from mochi.budget import Budget, counter_for
    from mochi.diff.parse import parse_diff
    from mochi.models import Context, Diff
    from mochi.prompts.render import PromptRenderer
    from tests.test_fake_provider import TARGET

    body = "".join(f"+value_{i} = compute_something_long({i}, {i + 1}, {i + 2})\n" for i in range(120))
    text = "".join(
        f"diff --git a/{p} b/{p}\n--- a/{p}\n+++ b/{p}\n@@ -1 +1,121 @@\n a = 1\n{body}"
        for p in ("svc/a.py", "svc/b.py", "svc/c.py")  # each fills most of a small window: 3 prompts
    )
    diff = Diff(files=tuple(parse_diff(text)))
    for budget, cap in (
        (Budget(window=6144, reserve=1024, count=counter_for("ollama"), max_calls=1), "max_llm_calls = 1"),
        (
            Budget(window=6144, reserve=1024, count=counter_for("ollama"), max_prompt_tokens=1),
            "max_prompt_tokens = 1",
        ),
    ):
        provider = FakeProvider([], then='{"comments": []}')
        outcome = pipeline.run(
            TARGET,
            diff_source=lambda _t: diff,
            context=lambda _d: Context(),
            renderer=PromptRenderer(),
            provider=provider,
            budget=budget,
        )
        sent = 1 if "calls" in cap else 0
        assert len(provider.prompts) == sent
        assert len(outcome.review.truncated) == 3 - sent
        assert all(cap in t.reason for t in outcome.review.truncated)
        assert any(cap in n and "did not review" in n for n in outcome.review.notices)
