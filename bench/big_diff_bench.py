"""Benchmark a huge change with the built-in checks only: wall time and peak memory of `mochi review`.

    python bench/big_diff_bench.py [--mb 10]

Writes a unified diff of about N MB (1,000 new Java files per 10 MB, 150 lines each) and runs
`mochi review --diff-file` on it in a child process, then prints the wall time and the child's
maximum RSS. Target: linear in the size (10 MB: about 5 s and 220 MB here); a 50 MB change used
to take 80 s and 984 MB.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def write_diff(path: Path, megabytes: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        for i in range(100 * megabytes):
            name = f"src/pkg{i % 50}/Mod{i}.java"
            out.write(f"diff --git a/{name} b/{name}\nnew file mode 100644\n--- /dev/null\n+++ b/{name}\n")
            out.write("@@ -0,0 +1,150 @@\n")
            for j in range(150):
                out.write(f'+    int value{j} = compute({j}, "text {j} {i}"); // some comment here {j}\n')


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        diff = Path(tmp) / "big.diff"
        write_diff(diff, args.mb)
        size = diff.stat().st_size / 1e6
        started = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "mochi", "review", "--diff-file", str(diff), "--provider", "builtin",
             "--no-record", "--format", "json"],
            cwd=tmp, capture_output=True, text=True, check=False,
        )  # fmt: skip
        took = time.perf_counter() - started
    rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"{size:.1f} MB diff: exit {proc.returncode}, {took:.1f} s, peak RSS {rss_mb:.0f} MB")


if __name__ == "__main__":
    main()
