"""Benchmark chunking: a 300-file, 20,000-changed-line PR reviewed with an 8k-token model.

    python bench/chunking_bench.py [--files 300] [--lines 20000] [--window 8192] [--provider ollama]

Runs the whole pipeline (diff -> context -> chunked prompts -> model -> findings) with a model
that answers instantly, so the wall time is mochi's own overhead outside the model calls. Prints
the number of chunks, prompt tokens (largest, total, the budget), peak memory (max RSS) and the
overhead. `--provider openai` counts tokens with tiktoken instead of the calibrated estimate.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from typing import Any

from mochi import pipeline
from mochi.budget import Budget, counter_for
from mochi.models import Completion, Context, Prompt, ReviewTarget, TargetKind
from mochi.prompts.render import PromptRenderer
from mochi.synthetic import synthetic_diff

EMPTY = json.dumps(
    {"comments": [], "summary": {"overall_assessment": "ok", "key_concerns": [], "recommendations": []}}
)


class InstantModel:
    """A provider that answers at once and remembers each prompt's size and the lines it saw."""

    def __init__(self, name: str, budget: Budget) -> None:
        self.name, self.model = name, "bench-8k"
        self.budget = budget
        self.sizes: list[int] = []
        self.prompts: list[Prompt] = []

    def complete(self, prompt: Prompt, *, schema: dict[str, Any]) -> Completion:
        self.sizes.append(self.budget.prompt_tokens(prompt.system, prompt.user))
        self.prompts.append(prompt)
        return Completion(text=EMPTY, provider=self.name, model=self.model)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=300)
    parser.add_argument("--lines", type=int, default=20_000)
    parser.add_argument("--window", type=int, default=8192)
    parser.add_argument("--provider", default="ollama")
    args = parser.parse_args()

    diff = synthetic_diff(files=args.files, changed=args.lines)
    budget = Budget(window=args.window, reserve=2048, count=counter_for(args.provider))
    model = InstantModel(args.provider, budget)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    outcome = pipeline.run(
        ReviewTarget(kind=TargetKind.WORKTREE, base="main"),
        diff_source=lambda _t: diff,
        context=lambda _d: Context(instructions="### CONTRIBUTING.md\n\nConstructor injection only."),
        renderer=PromptRenderer(),
        provider=model,
        budget=budget,
    )
    elapsed = time.perf_counter() - started
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    review = outcome.review
    print(f"change:        {len(diff.files)} files, {diff.lines_changed:,} changed lines")
    print(
        f"model window:  {args.window:,} tokens, {budget.reserve:,} kept for the answer; "
        f"prompt limit {budget.prompt_limit:,} ({budget.count.name})"
    )
    print(f"chunks:        {review.chunks}")
    sizes = model.sizes
    print(f"prompt tokens: largest {max(sizes):,}, smallest {min(sizes):,}, total {sum(sizes):,}")
    print(f"peak memory:   {rss / 1024:.0f} MB max RSS ({(rss - rss_before) / 1024:.0f} MB during the run)")
    per_chunk = elapsed / review.chunks * 1000
    print(f"overhead:      {elapsed:.2f} s outside the model calls ({per_chunk:.1f} ms/chunk)")
    assert max(model.sizes) <= budget.prompt_limit, "a chunk is over budget"
    assert review.reviewed and not review.truncated


if __name__ == "__main__":
    main()
