"""How fast `mochi --version` answers: heavy clients (openai, anthropic, ollama, SQLAlchemy,
tree-sitter) must be imported lazily. Target: under 0.3 s.

    python bench/startup.py [--runs 10] [--limit 0.3]

Exit status 1 when the best run is over the limit. Also lists the heavy modules that were
imported by `mochi --version` (there should be none).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

HEAVY = ("openai", "anthropic", "ollama", "sqlalchemy", "tree_sitter", "jinja2", "github", "jira", "httpx")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--limit", type=float, default=0.3)
    args = parser.parse_args()
    cmd = [sys.executable, "-m", "mochi", "--version"]
    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    probe = (
        "import sys, runpy; sys.argv=['mochi','--version']\n"
        "try:\n    runpy.run_module('mochi', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        f"print('HEAVY:' + ' '.join(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))))"
    )
    heavy = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True)
    marker = [ln for ln in heavy.stdout.splitlines() if ln.startswith("HEAVY:")]
    loaded = marker[-1].removeprefix("HEAVY:").strip() if marker else "?"
    best, median = min(times), sorted(times)[len(times) // 2]
    print(f"mochi --version: best {best * 1000:.0f} ms, median {median * 1000:.0f} ms over {args.runs} runs")
    print(f"heavy modules imported: {loaded or 'none'}")
    ok = best < args.limit and not loaded
    print("OK" if ok else f"FAIL: limit {args.limit * 1000:.0f} ms, no heavy imports")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
