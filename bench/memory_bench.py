"""Benchmark memory: the peak RSS of a small review with the OpenAI provider.

    python bench/memory_bench.py [--runs 3]

Builds the demo repository (examples/demo/make-demo.sh), starts the loopback OpenAI fake
(tests/fakes) standing in for the API, runs `mochi review --format json` against it in a
subprocess with `--provider openai --model gpt-4o-mini`, and reports the child's max RSS
(resource.getrusage(RUSAGE_CHILDREN)), the model calls and the tokens the review spent. Target:
< 80 MiB (tiktoken's cl100k alone is 41 MiB: it is loaded only when a text comes near the window).
Each run is a fresh interpreter (`python -c` runs one subprocess and reports its own children's
peak), so the figure is mochi's, not the benchmark's.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # for tests.fakes

from tests.fakes.llm_servers import FakeOpenAI  # noqa: E402

# One review in a fresh interpreter that has started nothing else, so RUSAGE_CHILDREN is mochi's.
_MEASURE = """
import json, resource, subprocess, sys
proc = subprocess.run(sys.argv[1:], capture_output=True, text=True)
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux
print(json.dumps({"rc": proc.returncode, "kib": peak, "stdout": proc.stdout, "stderr": proc.stderr}))
"""


def measure(repo: Path, env: dict[str, str]) -> tuple[float, dict[str, object]]:
    mochi = str(Path(sys.executable).with_name("mochi"))
    command = [mochi, "review", "--repo", str(repo), "--format", "json", "--provider", "openai",
               "--model", "gpt-4o-mini", "--no-record"]  # fmt: skip
    out = subprocess.run([sys.executable, "-c", _MEASURE, *command], capture_output=True, text=True, env=env)
    result = json.loads(out.stdout)
    if result["rc"] != 0:
        raise SystemExit(f"mochi review exited {result['rc']}:\n{result['stderr']}")
    return result["kib"] / 1024, json.loads(result["stdout"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "demo"
        subprocess.run([str(ROOT / "examples/demo/make-demo.sh"), str(repo)], check=True, capture_output=True)
        with FakeOpenAI.start(api_key="sk-bench-0123456789abcdef") as fake:
            key = "sk-bench-0123456789abcdef"
            env = {**os.environ, "OPENAI_BASE_URL": f"{fake.url}/v1", "OPENAI_API_KEY": key,
                   "XDG_DATA_HOME": str(Path(tmp) / "data"), "MOCHI_CACHE": "false"}  # fmt: skip
            env.pop("MOCHI_PROVIDER", None)
            peaks = []
            for _ in range(args.runs):
                peak, review = measure(repo, env)
                peaks.append(peak)
            stats = review["stats"]
            assert isinstance(stats, dict)
    print(
        f"small review (demo, {stats['files_reviewed']} files), openai provider against a loopback fake: "
        f"peak RSS {min(peaks):.1f} MiB (runs: {', '.join(f'{p:.1f}' for p in peaks)}); "
        f"{stats['llm_calls']} call(s), {stats['prompt_tokens']:,} prompt tokens; target < 80 MiB"
    )


if __name__ == "__main__":
    main()
