"""A PR far larger than the model's window is reviewed in chunks: every line once, no chunk over budget."""

from __future__ import annotations

import json

from mochi import pipeline
from mochi.budget import Budget, counter_for, estimate_tokens
from mochi.chunking import line_keys, plan_chunks, split_file
from mochi.llm_pass import plan_prompts
from mochi.models import Context, Diff, PathInstruction, ReviewTarget, TargetKind
from mochi.prompts.render import PromptRenderer, format_file_diff
from mochi.providers.registry import build_provider_chain
from mochi.settings import Settings
from mochi.synthetic import synthetic_diff
from tests.fakes.http_fake import EMPTY_REVIEW
from tests.fakes.llm_servers import FakeOllama

TARGET = ReviewTarget(kind=TargetKind.WORKTREE, base="main")


def test_300_files_and_20000_lines_with_an_8k_model_every_line_once_no_chunk_over_budget() -> None:
    diff = synthetic_diff(files=300, changed=20_000)
    assert len(diff.files) == 300 and diff.lines_changed == 20_000
    budget = Budget(window=8192, reserve=2048, count=counter_for("ollama"))
    context = Context(
        instructions="### CONTRIBUTING.md\n\nConstructor injection only.",
        path_instructions=(
            PathInstruction(path="src/main/java/**", instructions="Money is a long in cents."),
        ),
    )
    plan = plan_prompts(diff, context, TARGET, PromptRenderer(), budget)

    assert len(plan.prompts) > 50  # it really had to be split
    sizes = [budget.prompt_tokens(p.system, p.user) for p in plan.prompts]
    assert max(sizes) <= budget.prompt_limit < 8192 - 2048
    covered = line_keys(f for chunk in plan.files for f in chunk)
    assert covered == line_keys(diff.files)  # every diff line, each exactly once
    assert all(n == 1 for n in covered.values())
    assert plan.truncated == []
    # The huge files were split by lines, with the real line numbers in each part's headers.
    parts = [f for chunk in plan.files for f in chunk if f.path == diff.files[0].path]
    assert len(parts) > 3
    for part in parts:
        for hunk in part.hunks:
            first_new = next(ln.new_no for ln in hunk.lines if ln.new_no is not None)
            assert hunk.new_start == first_new
    # Each chunk carries the shared context; path instructions only where they match.
    assert all("Constructor injection only." in p.user for p in plan.prompts)
    java = [p for p in plan.prompts if any(path.endswith(".java") for path in p.paths)]
    rust = [p for p in plan.prompts if all(path.endswith(".rs") for path in p.paths)]
    assert java and all("Money is a long in cents." in p.user for p in java)
    assert rust and not any("Money is a long in cents." in p.user for p in rust)


def test_a_single_line_longer_than_the_window_is_cut_and_reported() -> None:
    diff = synthetic_diff(files=1, changed=10, huge=0)
    f = diff.files[0]
    long_line = f.hunks[0].lines[1].model_copy(update={"text": "x = '" + "a" * 40_000 + "'"})
    hunk = f.hunks[0].model_copy(update={"lines": (f.hunks[0].lines[0], long_line, *f.hunks[0].lines[2:])})
    diff = Diff(files=(f.model_copy(update={"hunks": (hunk,)}),))
    budget = Budget(window=8192, reserve=2048, count=counter_for("ollama"))
    plan = plan_prompts(diff, Context(), TARGET, PromptRenderer(), budget)
    assert max(budget.prompt_tokens(p.system, p.user) for p in plan.prompts) <= budget.prompt_limit
    assert [t.path for t in plan.truncated] == [f.path]
    assert len(line_keys(x for c in plan.files for x in c)) == len(line_keys(diff.files))


def test_split_file_partitions_hunks_and_packing_keeps_order() -> None:
    diff = synthetic_diff(files=4, changed=400, huge=1, huge_lines=300)

    def cost(f: object) -> int:
        return estimate_tokens(format_file_diff(f))  # type: ignore[arg-type]

    parts = split_file(diff.files[0], cost=cost, limit=800)
    assert len(parts) > 1 and all(cost(p) <= 800 for p in parts)
    assert line_keys(parts) == line_keys([diff.files[0]])
    plan = plan_chunks(diff.files, cost=cost, limit=800)
    order = [f.path for chunk in plan.chunks for f in chunk]
    assert list(dict.fromkeys(order)) == [f.path for f in diff.files]


def test_review_of_a_large_change_merges_the_chunks_findings(tmp_path: object) -> None:
    diff = synthetic_diff(files=12, changed=1_200, huge=1, huge_lines=500)
    big = diff.files[0]
    with FakeOllama.start(models={"qwen2.5-coder:7b": 8192}) as ollama:
        settings = Settings(ollama_host=ollama.url)
        provider = build_provider_chain(settings)
        # The same remark from two chunks is one finding; a remark on a later chunk's line stays.
        remark = {
            "file": big.path,
            "line": 3,
            "end_line": None,
            "type": "bug",
            "severity": "high",
            "category": "correctness",
            "message": "Overflow on large orders.",
            "suggestion": None,
        }
        answer = json.dumps(
            {
                "comments": [remark],
                "summary": {
                    "overall_assessment": "Risky.",
                    "key_concerns": ["overflow"],
                    "recommendations": [],
                },
            }
        )
        ollama.enqueue_chat(answer)
        ollama.enqueue_chat(answer)
        outcome = pipeline.run(
            TARGET,
            diff_source=lambda _t: diff,
            context=lambda _d: Context(),
            renderer=PromptRenderer(),
            provider=provider,
        )
        chats = ollama.requests_to("/api/chat")
    review = outcome.review
    assert outcome.provider_error is None
    assert review.chunks == len(chats) > 2
    assert [f.message for f in review.findings] == ["Overflow on large orders."]
    assert review.summary.key_concerns == ("overflow",)
    assert review.stats.llm_calls == len(chats)
    for chat in chats:
        assert chat.body["options"]["num_ctx"] <= 8192
    sent = "".join(m["content"] for c in chats for m in c.body["messages"])
    assert all(ln.text in sent for f in diff.files for h in f.hunks for ln in h.lines)
    assert EMPTY_REVIEW  # the fake answers the other chunks with an empty review
