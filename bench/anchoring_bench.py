"""Benchmark placing findings on a huge diff: N files, one finding each.

    python bench/anchoring_bench.py [--files 50000]

Prints the wall time of `findings.finalize` (anchoring, fingerprints, merging). Target: linear in
the files and findings; 50,000 of each well under 10 s on one core (it did not finish in 4 minutes
when every finding scanned every file).
"""

from __future__ import annotations

import argparse
import time

from mochi.findings import finalize
from mochi.models import ChangeKind, Diff, FileDiff, Finding, Hunk, Line, LineKind


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=50_000)
    args = parser.parse_args()
    files = tuple(
        FileDiff(
            path=f"src/module{i}/File{i}.java",
            change=ChangeKind.MODIFIED,
            hunks=(
                Hunk(
                    old_start=1,
                    old_len=1,
                    new_start=1,
                    new_len=2,
                    lines=(
                        Line(kind=LineKind.CONTEXT, text="a", old_no=1, new_no=1),
                        Line(kind=LineKind.ADDED, text=f"b{i}", old_no=None, new_no=2),
                    ),
                ),
            ),
        )
        for i in range(args.files)
    )
    diff = Diff(files=files)
    raw = [
        Finding(path=f"File{i}.java" if i % 10 == 0 else f.path, line=2, message=f"m{i}", source="builtin")
        for i, f in enumerate(files)
    ]
    started = time.perf_counter()
    found, dropped = finalize(raw, diff)
    took = time.perf_counter() - started
    placed = f"{len(found):,} placed, {dropped} dropped"
    print(f"{args.files:,} files, {len(raw):,} findings: {placed} in {took:.2f} s")


if __name__ == "__main__":
    main()
