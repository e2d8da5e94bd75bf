"""Benchmark: a slow model server is waited for, a dead one is named, in real time, default settings.

    python bench/slow_server_bench.py [--first-token 30] [--dead-timeout 20]

Builds the demo repository and runs `mochi review --provider openai` against the loopback OpenAI
fake (tests/fakes) twice, each in a fresh data directory, with nothing configured but the provider:

1. slow: the server accepts the request and streams its first token after `--first-token` seconds
   (a CPU server reading a long prompt), then 10 pieces 0.5 s apart. Expected: exit 0, one call,
   no retry, and heartbeat lines on stderr while it waits.
2. dead: the server accepts the request and never answers, with `MOCHI_TIMEOUT_S=--dead-timeout`.
   Expected: the review fails with exit 3 within about that time (no retry of a timeout), and the
   message names `timeout_s`, not "not reachable".

tests/providers/test_streaming.py checks the same at a scaled-down pace on every test run; this
is the real-time version for the README.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # for tests.fakes

from tests.fakes.llm_servers import EMPTY_REVIEW, FakeOpenAI  # noqa: E402
from tests.fakes.streams import Pace  # noqa: E402

KEY = "sk-bench-0123456789abcdef"


def review(repo: Path, fake: FakeOpenAI, data: Path, extra: dict[str, str]) -> tuple[int, float, str, str]:
    mochi = str(Path(sys.executable).with_name("mochi"))
    env = {**os.environ, "OPENAI_BASE_URL": f"{fake.url}/v1", "OPENAI_API_KEY": KEY,
           "MOCHI_DATA_DIR": str(data), "MOCHI_CACHE": "false", **extra}  # fmt: skip
    env.pop("MOCHI_PROVIDER", None)
    command = [mochi, "review", "--repo", str(repo), "--format", "json", "--provider", "openai",
               "--model", "gpt-4o-mini", "--no-record"]  # fmt: skip
    started = time.monotonic()
    proc = subprocess.run(command, capture_output=True, text=True, env=env, timeout=900)
    return proc.returncode, time.monotonic() - started, proc.stdout, proc.stderr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--first-token", type=float, default=30.0)
    parser.add_argument("--dead-timeout", type=float, default=20.0)
    args = parser.parse_args()
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "demo"
        subprocess.run([str(ROOT / "examples/demo/make-demo.sh"), str(repo)], check=True, capture_output=True)
        with FakeOpenAI.start(api_key=KEY) as fake:
            fake.enqueue_chat(EMPTY_REVIEW, pace=Pace(first_token_s=args.first_token, token_s=0.5, pieces=10))
            rc, wall, out, err = review(repo, fake, Path(tmp) / "slow", {})
            calls = len(fake.requests_to("chat/completions"))
        beats = [ln for ln in err.splitlines() if "first token" in ln or "tokens so far" in ln]
        llm_calls = json.loads(out)["stats"]["llm_calls"] if rc in (0, 1) and out else None
        slow_ok = rc in (0, 1) and calls == 1 and llm_calls == 1
        ok &= slow_ok
        print(f"slow server (first token after {args.first_token:g} s, then 10 pieces 0.5 s apart), "
              f"defaults: exit {rc}, {wall:.1f} s, {calls} request(s), {len(beats)} heartbeat line(s) "
              f"[{'ok' if slow_ok else 'FAILED'}]")  # fmt: skip
        if beats:
            print(f"  e.g. {beats[0].strip()}")
        with FakeOpenAI.start(api_key=KEY) as fake:
            fake.enqueue_chat(EMPTY_REVIEW, pace=Pace(first_token_s=3600))
            timeout = {"MOCHI_TIMEOUT_S": f"{args.dead_timeout:g}"}
            rc, wall, out, err = review(repo, fake, Path(tmp) / "dead", timeout)
            calls = len(fake.requests_to("chat/completions"))
        said = [ln for ln in err.splitlines() if "timeout_s" in ln]
        dead_ok = rc == 3 and bool(said) and "not reachable" not in err and wall < args.dead_timeout + 15
        ok &= dead_ok
        print(f"server that never answers, timeout_s={args.dead_timeout:g}: exit {rc}, {wall:.1f} s, "
              f"{calls} request(s) [{'ok' if dead_ok else 'FAILED'}]")  # fmt: skip
        if said:
            print(f"  said: {said[0].strip()}")
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
