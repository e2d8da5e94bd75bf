"""Benchmark concurrency: N chunks at concurrency k take about ceil(N/k) x the model's delay.

    python bench/concurrency_bench.py [--delay 0.5] [--chunks 8]

Starts the loopback Ollama fake (tests/fakes) answering every chat after a fixed delay, reviews a
synthetic change that needs N chunks with the real Ollama provider, and prints the wall time for
k = 1, 2, 4 and 8 next to ceil(N/k) x delay.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.fakes

from mochi import pipeline
from mochi.budget import Budget, counter_for
from mochi.models import Context, ReviewTarget, TargetKind
from mochi.prompts.render import PromptRenderer
from mochi.providers.registry import build_provider_chain
from mochi.settings import Settings
from mochi.synthetic import synthetic_diff
from tests.fakes.http_fake import EMPTY_REVIEW
from tests.fakes.llm_servers import FakeOllama


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay", type=float, default=0.5)
    parser.add_argument("--chunks", type=int, default=8)
    args = parser.parse_args()
    budget = Budget(window=8192, reserve=2048, count=counter_for("ollama"))
    # a file of 110 changed lines takes about 3/4 of an 8k-token chunk
    files = max(1, args.chunks * 3 // 4)
    diff = synthetic_diff(files=files, changed=files * 110, huge=0)
    print(f"model delay {args.delay:.2f} s")
    print(f"{'k':>3} {'chunks':>6} {'wall s':>8} {'ceil(N/k) x delay':>18}")
    for k in (1, 2, 4, 8):
        with FakeOllama.start(models={"qwen2.5-coder:7b": 8192}) as ollama:
            for _ in range(200):
                ollama.enqueue_chat(EMPTY_REVIEW, delay=args.delay)
            provider = build_provider_chain(Settings(ollama_host=ollama.url))
            started = time.perf_counter()
            outcome = pipeline.run(
                ReviewTarget(kind=TargetKind.WORKTREE, base="main"),
                diff_source=lambda _t: diff,
                context=lambda _d: Context(),
                renderer=PromptRenderer(),
                provider=provider,
                budget=budget,
                concurrency=k,
            )
            wall = time.perf_counter() - started
        n = outcome.review.chunks
        print(f"{k:>3} {n:>6} {wall:>8.2f} {math.ceil(n / k) * args.delay:>18.2f}")


if __name__ == "__main__":
    main()
