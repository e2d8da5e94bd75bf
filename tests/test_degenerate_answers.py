"""Answers that cannot mislead (issue 13): repetition, number soup, copied placeholders, cut-off
answers and contradictions never reach a summary or a comment.

`fixtures/real_model/smollm2-demo-answers.jsonl` holds the real answers SmolLM2-135M gave to the
demo change's four prompts (see fixtures/README.md); the other cases are the issue's own quotes.
"""

from __future__ import annotations

import json

import pytest

from mochi.answer_clean import readable, readable_items, unterminated
from mochi.errors import ProviderResponseError
from mochi.findings import parse_answer, repair_request
from mochi.models import Context, FindingType, Severity
from mochi.prompts.render import PromptRenderer
from tests.fixtures_path import FIXTURES
from tests.prompts.test_render import TARGET, java_change

REAL = [
    json.loads(line)
    for line in (FIXTURES / "real_model" / "smollm2-demo-answers.jsonl").read_text().splitlines()
]


def answer(comments: list[dict[str, object]] | None = None, **summary: object) -> str:
    return json.dumps({"comments": comments or [], "summary": summary})


# --------------------------------------------------------------------------- the quotes


@pytest.mark.parametrize(
    "text",
    [
        "1.0.0.0\n\nthis.total-items.length is 10.000.000.000.000.000.000.000.000.000",
        "1.1.2.2.0.0",
        "#[test]",
        ", ",
        " ",
        "<one to three sentences>",
        "...",
        "good good good good good good",
    ],
)
def test_degenerate_text_is_not_readable(text: str) -> None:
    assert readable(text, 800) == ""


def test_a_repetition_after_a_sentence_keeps_the_sentence() -> None:
    text = "The import swallows errors. " + "data-management, " * 40
    assert readable(text, 800) == "The import swallows errors."


@pytest.mark.parametrize(
    "text",
    ["Fine.", "Risky.", "SQL injection in search().", "Très bien — 良い ✅", "Use `jdbc.query(sql, args)`."],
)
def test_real_language_is_kept(text: str) -> None:
    assert readable(text, 800) == text


def test_long_text_is_cut_at_a_sentence_end() -> None:
    text = "First point is fine. " * 10 + "Then a very long tail " * 50
    out = readable(text, 300)
    assert len(out) <= 300 and out.endswith("fine.")


def test_summary_keeps_no_degenerate_text_and_each_concern_once() -> None:
    parsed = parse_answer(
        answer(
            overall_assessment="1.0.0.0\n\nthis.total-items.length is 10.000.000.000.000.000.000.000",
            key_concerns=["#[test]", "1.1.2.2.0.0", "SQL injection", "sql injection!", "Swallowed errors"],
            recommendations=["<next step>", "Bind parameters", "Bind parameters"],
        )
    )
    assert parsed.summary.overall_assessment == ""
    assert parsed.summary.key_concerns == ["SQL injection", "Swallowed errors"]
    assert parsed.summary.recommendations == ["Bind parameters"]


def test_key_concerns_are_capped() -> None:
    words = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
    concerns = [f"Concern number {word}" for word in words]
    assert len(readable_items(concerns)) == 8


def test_praise_is_never_above_low() -> None:
    comment = {"file": "a.py", "line": 1, "type": "praise", "severity": "critical", "message": "Nice guard."}
    (c,) = parse_answer(answer([comment])).comments
    assert (c.type, c.severity) == (FindingType.PRAISE, Severity.LOW)


def test_a_comment_that_is_the_prompts_placeholder_is_dropped() -> None:
    placeholder = {
        "file": "<path from a ### header>", "line": "<line number>", "end_line": "<last line number or null>",
        "type": "<type>", "severity": "<severity>", "category": "<area or null>",
        "message": "<the problem and why>", "suggestion": "<replacement code or null>",
    }  # fmt: skip
    real = {
        "file": "a.py",
        "line": 3,
        "message": "Division by zero when empty.",
        "suggestion": "<replacement code>",
    }
    parsed = parse_answer(answer([placeholder, real], overall_assessment="<one to three sentences>"))
    assert [(c.file, c.suggestion) for c in parsed.comments] == [("a.py", None)]
    assert parsed.dropped == 1 and parsed.summary.overall_assessment == ""


def test_the_prompts_answer_format_copied_verbatim_is_no_review() -> None:
    """The format in the system prompt and in the repair request, copied as it is (the way a model
    without a grammar copies it), is not taken for a review: it is an unreadable answer, which the
    pipeline asks again for once."""
    system = PromptRenderer().render([java_change()], Context(), TARGET).system
    start = system.index('{"comments"')
    example = system[start : system.index("}}", start) + 2]
    repair = repair_request("x")
    for text in (example, repair[repair.index('{"comments"') :]):
        with pytest.raises(ProviderResponseError, match="none of its 1 comments"):
            parse_answer(text)


def test_a_repetitive_suggestion_is_dropped_and_its_comment_kept() -> None:
    comment = {
        "file": "a.rs",
        "line": 2,
        "message": "The lookup can panic.",
        "suggestion": "error_suggestion" + "_suggestion" * 60,
    }
    (c,) = parse_answer(answer([comment])).comments
    assert c.suggestion is None and c.message == "The lookup can panic."


# --------------------------------------------------------------------------- cut-off answers


def test_an_answer_cut_inside_a_comment_is_flagged_and_loses_that_comment() -> None:
    done = {"file": "a.py", "line": 1, "end_line": None, "type": "bug", "severity": "high", "category": None,
            "message": "Query built from input.", "suggestion": None}  # fmt: skip
    text = (
        json.dumps({"comments": [done]})[:-2]
        + ', {"file": "a.py", "line": 4, "type": "bug", "message": "The loo'
    )
    assert unterminated(text)
    parsed = parse_answer(text)
    assert parsed.cut_off and [c.message for c in parsed.comments] == ["Query built from input."]
    assert parsed.dropped == 1


def test_the_providers_length_stop_flags_a_complete_looking_answer() -> None:
    text = answer([], overall_assessment="Looks fine.")
    assert not parse_answer(text).cut_off
    assert parse_answer(text, cut_off=True).cut_off


def test_a_json_string_with_braces_is_not_mistaken_for_a_cut() -> None:
    text = answer([{"file": "a.py", "line": 1, "message": 'Use "{" and "[" carefully: \\" quoted.'}])
    assert not unterminated(text) and not parse_answer(text).cut_off


# --------------------------------------------------------------------------- the real model's answers


def test_real_answers_cut_off_at_the_token_limit_are_flagged() -> None:
    for record in REAL:
        parsed = parse_answer(record["answer"], cut_off=record["stopReason"] == "maxTokens")
        assert parsed.cut_off is (record["stopReason"] == "maxTokens")


def test_real_answers_leave_no_degenerate_text() -> None:
    summaries = []
    for record in REAL:
        parsed = parse_answer(record["answer"], cut_off=record["stopReason"] == "maxTokens")
        summaries.append(parsed.summary)
        for c in parsed.comments:
            assert c.suggestion is None or "_suggestion_suggestion" not in c.suggestion
    # ", " and [" "] are gone; "data-management" x 400 is one concern
    assert summaries[1].overall_assessment == "" and summaries[1].key_concerns == []
    assert summaries[3].key_concerns == ["Security", "performance", "data-management"]
    # the answer cut inside its only comment's suggestion keeps no half-written comment
    assert parse_answer(REAL[2]["answer"]).comments == []
