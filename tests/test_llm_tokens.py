"""Tokens spent on the loopback fakes, counted at the model's door (issue 13, "fewer tokens",
"never pay twice"): the 4-file demo change is one call with each language's guidelines once, a
repeated review of it is no call, and a 300-file change on a 128k model costs little more than
its own diff."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from mochi import pipeline
from mochi.budget import Budget, counter_for
from mochi.models import Context, ReviewTarget, TargetKind
from mochi.prompts.render import PromptRenderer, format_file_diff
from mochi.providers.registry import build_provider_chain
from mochi.settings import Settings
from mochi.synthetic import synthetic_diff
from tests.fakes.llm_servers import FakeOllama
from tests.platforms.test_hosted_cli import run

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "examples" / "demo" / "make-demo.sh"
MODEL = "qwen2.5-coder:7b"
GUIDELINES = ("### Java", "### Rust", "### TypeScript", "### Spring Boot", "### React", "### Actix-web")


def test_300_files_on_a_128k_model_cost_at_most_15_percent_over_the_diff() -> None:
    diff = synthetic_diff(files=300, changed=20_000)
    budget = Budget(window=128_000, reserve=2048, count=counter_for("ollama"))
    with FakeOllama.start(models={MODEL: 131_072}) as ollama:
        outcome = pipeline.run(
            ReviewTarget(kind=TargetKind.WORKTREE, base="main"),
            diff_source=lambda _t: diff,
            context=lambda _d: Context(instructions="### CONTRIBUTING.md\n\nConstructor injection only."),
            renderer=PromptRenderer(),
            provider=build_provider_chain(Settings(ollama_host=ollama.url)),
            budget=budget,
        )
        chats = ollama.requests_to("/api/chat")
    own = sum(budget.count(format_file_diff(f)) for f in diff.files)
    sent = sum(budget.prompt_tokens(*(m["content"] for m in c.body["messages"])) for c in chats)
    assert outcome.review.chunks == len(chats) == outcome.review.stats.llm_calls
    assert len(chats) <= -(-own // budget.prompt_limit) + 1  # as few chunks as the window allows
    assert sent <= 1.15 * own, (sent, own)


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    path = tmp_path / "demo"
    subprocess.run(["bash", str(DEMO), str(path)], check=True, capture_output=True)
    return path


@pytest.mark.slow
def test_the_demo_is_one_call_and_a_repeated_review_is_none(demo: Path) -> None:
    with FakeOllama.start(models={MODEL: 32768}) as ollama:
        env = {"MOCHI_PROVIDER": "ollama", "OLLAMA_HOST": ollama.url}
        first = run(env, "review", "--format", "json", cwd=demo)
        chats = ollama.requests_to("/api/chat")
        again = run(env, "review", "--format", "json", cwd=demo)
        after_again = len(ollama.requests_to("/api/chat"))
        forced = run(env, "review", "--format", "json", "--no-cache", cwd=demo)
        after_forced = len(ollama.requests_to("/api/chat"))
    assert first.exit_code == 0, first.output
    out = json.loads(first.stdout)
    assert len(chats) == 1 and out["stats"]["llm_calls"] == 1
    system, user = (m["content"] for m in chats[0].body["messages"])
    assert all((system + user).count(g) == 1 for g in GUIDELINES)
    assert counter_for("openai")(system) + counter_for("openai")(user) <= 3_400
    assert not any("prompts to fit" in line for line in first.stderr.splitlines())
    # the same change again: the answer is the one already paid for
    assert again.exit_code == 0, again.output
    assert after_again == 1
    repeated = json.loads(again.stdout)
    assert repeated["stats"]["llm_calls"] == 0 and repeated["findings"] == out["findings"]
    # --no-cache asks again
    assert forced.exit_code == 0 and after_forced == 2
