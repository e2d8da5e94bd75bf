"""The LLM pass as a user meets it: partial failures stay partial, cut-off answers are asked again,
one summary for many chunks, and answers already paid for are not asked again. A real HTTP model
(the loopback Ollama fake) counts every request."""

from __future__ import annotations

import json
from pathlib import Path

from mochi import pipeline
from mochi.budget import Budget, counter_for
from mochi.cache import DirCache, KeyedCache
from mochi.models import Context, Diff, ReviewTarget, TargetKind
from mochi.prompts.render import PromptRenderer
from mochi.providers.registry import build_provider_chain
from mochi.settings import Settings
from mochi.synthetic import synthetic_diff
from tests.fakes.llm_servers import FakeOllama

TARGET = ReviewTarget(kind=TargetKind.WORKTREE, base="main")
MODEL = "qwen2.5-coder:7b"


def _answer(path: str, message: str, assessment: str = "Needs changes.", concern: str = "overflow") -> str:
    comment = {"file": path, "line": 3, "end_line": None, "type": "bug", "severity": "high",
               "category": "correctness", "message": message, "suggestion": None}  # fmt: skip
    summary = {"overall_assessment": assessment, "key_concerns": [concern], "recommendations": []}
    return json.dumps({"comments": [comment], "summary": summary})


def _review(
    ollama: FakeOllama, diff: Diff, *, cache: KeyedCache | None = None, window: int = 8192
) -> pipeline.Outcome:
    provider = build_provider_chain(Settings(ollama_host=ollama.url, max_retries=0))
    return pipeline.run(
        TARGET,
        diff_source=lambda _t: diff,
        context=lambda _d: Context(),
        renderer=PromptRenderer(),
        provider=provider,
        budget=Budget(window=window, reserve=2048, count=counter_for("ollama")),
        cache=cache,
    )


def test_an_unreadable_chunk_is_reported_and_the_others_are_still_asked() -> None:
    diff = synthetic_diff(files=12, changed=1_200, huge=1, huge_lines=500)
    with FakeOllama.start(models={MODEL: 8192}) as ollama:
        ollama.enqueue_chat("I cannot review this, sorry.")  # chunk 1, and its repair request
        ollama.enqueue_chat("Still no JSON here.")
        outcome = _review(ollama, diff)
        chats = ollama.requests_to("/api/chat")
    review = outcome.review
    assert review.chunks > 2
    assert len(chats) == review.chunks + 1  # every chunk was asked; chunk 1 twice
    assert outcome.provider_error is None and review.llm_error is None  # partial: not an exit 3
    assert review.stats.llm_calls == len(chats)
    assert review.stats.prompt_tokens > 0
    (notice,) = [n for n in review.notices if "did not review" in n]
    assert f"1 of {review.chunks} chunk(s)" in notice and diff.files[0].path in notice
    assert "not valid review JSON" in notice
    assert {t.path for t in review.truncated} == {diff.files[0].path}


def test_when_every_chunk_fails_the_review_has_the_error() -> None:
    diff = synthetic_diff(files=6, changed=600, huge=1, huge_lines=400)
    with FakeOllama.start(models={MODEL: 8192}) as ollama:
        for _ in range(40):
            ollama.enqueue_chat("no json")
        outcome = _review(ollama, diff)
        chats = ollama.requests_to("/api/chat")
    assert outcome.provider_error is not None
    assert outcome.review.llm_error is not None
    assert outcome.review.stats.llm_calls == len(chats) == 2 * outcome.review.chunks


def test_a_cut_off_answer_is_asked_again_in_two_smaller_parts_and_reported() -> None:
    diff = synthetic_diff(files=3, changed=60, huge=0)
    paths = [f.path for f in diff.files]
    with FakeOllama.start(models={MODEL: 32768}) as ollama:
        # the whole change in one prompt; its answer stops at the output limit
        ollama.enqueue_chat(_answer(paths[0], "first"), eval_count=2048, done_reason="length")
        ollama.enqueue_chat(_answer(paths[0], "first, again"))
        ollama.enqueue_chat(_answer(paths[2], "third"))
        outcome = _review(ollama, diff, window=32768)
        chats = ollama.requests_to("/api/chat")
    review = outcome.review
    assert review.chunks == 1 and len(chats) == 3 and review.stats.llm_calls == 3
    # the halves cover the change: the first file in one, the others in the other
    second, third = (c.body["messages"][-1]["content"] for c in chats[1:])
    assert paths[0] in second and paths[1] not in second and paths[2] in third
    assert sorted(f.message for f in review.findings) == ["first, again", "third"]
    assert any("cut off" in n and "asked again" in n for n in review.notices)


def test_an_answer_cut_off_again_is_kept_for_its_comments_and_reported() -> None:
    diff = synthetic_diff(files=1, changed=5, huge=0)
    with FakeOllama.start(models={MODEL: 32768}) as ollama:
        for message in ("whole", "half 1", "half 2"):
            ollama.enqueue_chat(_answer(diff.files[0].path, message), eval_count=2048, done_reason="length")
        outcome = _review(ollama, diff, window=32768)
        chats = ollama.requests_to("/api/chat")
    review = outcome.review
    assert len(chats) == 3  # asked again once, as two halves of the hunk, and no more
    said = " ".join(f.message for f in review.findings)  # the same line's remarks merge into one
    assert "half 1" in said and "half 2" in said and "whole" not in said
    assert any("cut off at the output limit even in two smaller parts" in n for n in review.notices)
    assert [t.path for t in review.truncated] == [diff.files[0].path]
    assert "Needs changes" not in review.summary.overall_assessment  # a cut-off summary is not used


def test_many_chunks_make_one_summary() -> None:
    diff = synthetic_diff(files=12, changed=1_200, huge=1, huge_lines=500)
    with FakeOllama.start(models={MODEL: 8192}) as ollama:
        for i in range(30):
            ollama.enqueue_chat(
                _answer(diff.files[0].path, f"m{i}", "Needs changes. The overflow is risky.", "Overflow risk")
            )
        outcome = _review(ollama, diff)
    review = outcome.review
    assert review.chunks > 2
    assert review.summary.overall_assessment == "Needs changes. The overflow is risky."
    assert review.summary.key_concerns == ("Overflow risk",)


def test_an_unchanged_change_is_not_asked_again_and_a_changed_chunk_is(tmp_path: Path) -> None:
    diff = synthetic_diff(files=12, changed=1_200, huge=1, huge_lines=500)
    with FakeOllama.start(models={MODEL: 8192}) as ollama:
        cache = KeyedCache(DirCache(tmp_path / "cache"), {"server": ollama.url})
        ollama.enqueue_chat(_answer(diff.files[0].path, "Overflow on large orders."))
        first = _review(ollama, diff, cache=cache)
        asked = len(ollama.requests_to("/api/chat"))
        again = _review(ollama, diff, cache=cache)
        assert len(ollama.requests_to("/api/chat")) == asked  # 0 model calls
        last = diff.files[-1]
        hunk = last.hunks[0]
        line = hunk.lines[1].model_copy(update={"text": hunk.lines[1].text + " // changed"})
        edited = hunk.model_copy(update={"lines": (hunk.lines[0], line, *hunk.lines[2:])})
        changed = last.model_copy(update={"hunks": (edited, *last.hunks[1:])})
        third = _review(ollama, diff.model_copy(update={"files": (*diff.files[:-1], changed)}), cache=cache)
        assert len(ollama.requests_to("/api/chat")) == asked + 1  # only the chunk that changed
    assert first.review.stats.llm_calls == asked > 2
    assert again.review.stats.llm_calls == 0 and again.review.stats.prompt_tokens == 0
    assert [f.message for f in again.review.findings] == [f.message for f in first.review.findings]
    assert again.review.summary == first.review.summary
    assert any("from the cache" in n for n in again.review.notices)
    assert third.review.stats.llm_calls == 1


def test_a_review_whose_answers_were_all_cut_off_does_not_say_no_issues() -> None:
    """Seen with SmolLM2 on jaeger-ui: three cut-off answers, no comment, and the summary said "No
    issues found."."""
    diff = synthetic_diff(files=1, changed=5, huge=0)
    cut = json.dumps({"comments": [], "summary": {"overall_assessment": "", "key_concerns": []}})[:-3]
    with FakeOllama.start(models={MODEL: 32768}) as ollama:
        for _ in range(3):
            ollama.enqueue_chat(cut, eval_count=2048, done_reason="length")
        review = _review(ollama, diff, window=32768).review
    assert review.findings == ()
    assert review.summary.overall_assessment.startswith("No findings, but the model's review is incomplete")
    assert "No issues found" not in review.summary.overall_assessment
