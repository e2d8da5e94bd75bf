"""The in-process FakeProvider drives a whole pipeline run: its scripted finding reaches the Review."""

from __future__ import annotations

import json

import pytest

from mochi import pipeline
from mochi.answer import answer_json_schema
from mochi.diff.parse import parse_diff
from mochi.errors import ProviderError
from mochi.models import Anchor, Context, Diff, Prompt, ReviewTarget, Severity, TargetKind
from mochi.prompts.render import PromptRenderer
from mochi.providers.base import Provider, ServerBusyError
from tests.fakes.http_fake import EMPTY_REVIEW
from tests.fakes.provider import FakeProvider

TARGET = ReviewTarget(kind=TargetKind.WORKTREE, base="main")
DIFF = Diff(
    files=tuple(
        parse_diff(
            "diff --git a/src/calc.py b/src/calc.py\n"
            "--- a/src/calc.py\n"
            "+++ b/src/calc.py\n"
            "@@ -1,2 +1,3 @@\n"
            " def total(prices):\n"
            "-    return sum(prices)\n"
            "+    ratio = 1 / len(prices)\n"
            "+    return sum(prices) * ratio\n"
        )
    )
)
ANSWER = json.dumps(
    {
        "comments": [
            {
                "file": "src/calc.py",
                "line": 2,
                "end_line": None,
                "type": "bug",
                "severity": "high",
                "category": "correctness",
                "message": "Division by zero when prices is empty.",
                "suggestion": None,
            }
        ],
        "summary": {
            "overall_assessment": "One crash on empty input.",
            "key_concerns": ["empty input"],
            "recommendations": [],
        },
    }
)


def review_with(provider: Provider) -> pipeline.Outcome:
    return pipeline.run(
        TARGET,
        diff_source=lambda _t: DIFF,
        context=lambda _d: Context(),
        renderer=PromptRenderer(),
        provider=provider,
    )


def test_the_scripted_finding_reaches_the_review_and_the_prompt_is_recorded() -> None:
    provider = FakeProvider([ANSWER])

    outcome = review_with(provider)

    assert outcome.provider_error is None
    (finding,) = outcome.review.findings
    assert (finding.path, finding.line, finding.severity) == ("src/calc.py", 2, Severity.HIGH)
    assert finding.message == "Division by zero when prices is empty."
    assert finding.anchored is Anchor.INLINE
    assert finding.source == "llm:fake/fake-model"
    assert outcome.review.summary.key_concerns == ("empty input",)
    assert outcome.review.providers_used == ("fake/fake-model",)
    assert outcome.review.stats.llm_calls == 1
    (prompt,) = provider.prompts
    assert "ratio = 1 / len(prices)" in prompt.user and prompt.paths == ("src/calc.py",)
    assert provider.schemas == [answer_json_schema()]


def test_a_callable_answers_from_the_prompt() -> None:
    def answer(prompt: Prompt) -> str:
        return ANSWER if "len(prices)" in prompt.user else EMPTY_REVIEW

    outcome = review_with(FakeProvider(answer))

    assert [f.message for f in outcome.review.findings] == ["Division by zero when prices is empty."]


def test_a_scripted_error_is_the_outcome_s_provider_error_and_a_spent_script_fails_loudly() -> None:
    outcome = review_with(FakeProvider([ServerBusyError("answered 503")]))
    assert isinstance(outcome.provider_error, ProviderError) and outcome.review.findings == ()

    with pytest.raises(AssertionError, match="no scripted answer left"):
        review_with(FakeProvider([]))
