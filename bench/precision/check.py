"""The precision benchmark: the built-in checks (default settings) on every labelled set of real history.

    python bench/precision/check.py            # per set, per rule over all sets, each target: ok/MISSED
    python bench/precision/check.py --json     # the summed report (and each set's mochi eval report)

It runs `mochi eval` on the corpus (`bench/precision`: 940 commits) and on each held-out sample
(`holdout/` ... `holdout6/`: 2,106 commits more), every finding judged tp / fp / debatable (see
README.md), and checks the targets of issue 12 on their union, 3,046 commits of 33 repositories:
precision (TP / (TP + FP)) >= 90% overall and >= 80% for every rule that is on by default, debatable
findings <= 15% of all, and no finding left unlabelled (a rule change that makes new findings needs
them judged: `python bench/precision/findings.py --set DIR --unlabelled-only`). Exit 1 when a target is
missed. Re-run it whenever a rule changes.

The held-out samples were labelled blind when they were built, then used to fix rules (training data
from then on); which rules are on by default was decided from their blind labels (README.md, "Which
rules are on by default"). A fresh sample is the only unbiased figure.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PRECISION, RULE_PRECISION, DEBATABLE = 0.90, 0.80, 0.15
COUNTS = ("reported", "tp", "fp", "debatable", "unlabelled")


def sets() -> list[Path]:
    return [HERE, *sorted(p.parent for p in HERE.glob("holdout*/cases.jsonl.gz"))]


def evaluate(directory: Path) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-m", "mochi", "eval", str(directory), "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(proc.returncode)
    doc: dict[str, Any] = json.loads(proc.stdout)
    return doc


def scores(counts: dict[str, int]) -> dict[str, Any]:
    judged = counts["tp"] + counts["fp"]
    return {
        **counts,
        "precision": round(counts["tp"] / judged, 4) if judged else None,
        "debatable_share": round(counts["debatable"] / counts["reported"], 4) if counts["reported"] else None,
    }


def union(reports: dict[str, dict[str, Any]]) -> dict[str, Any]:
    overall = dict.fromkeys(COUNTS, 0)
    rules: dict[str, dict[str, int]] = {}
    for report in reports.values():
        for name in COUNTS:
            overall[name] += report["overall"][name]
        for rule, row in report["rules"].items():
            if not row["reported"]:
                continue
            into = rules.setdefault(rule, dict.fromkeys(COUNTS, 0))
            for name in COUNTS:
                into[name] += row[name]
    return {"overall": scores(overall), "rules": {r: scores(c) for r, c in sorted(rules.items())}}


def _row(name: str, row: dict[str, Any]) -> str:
    precision = "-" if row["precision"] is None else f"{row['precision']:.0%}"
    return (
        f"{name:38} {row['reported']:8} {row['tp']:5} {row['fp']:5} {row['debatable']:6} "
        f"{row['unlabelled']:6} {precision:>9}"
    )


def main() -> int:
    directories = sets()
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:  # one `mochi eval` process each
        done = list(pool.map(evaluate, directories))
    reports = {("corpus" if d == HERE else d.name): r for d, r in zip(directories, done, strict=True)}
    total = union(reports)
    if "--json" in sys.argv[1:]:
        print(json.dumps({"union": total, "sets": reports}, indent=2))
    else:
        header = f"{'':38} {'reported':>8} {'tp':>5} {'fp':>5} {'debat.':>6} {'unlab.':>6} {'precision':>9}"
        print(f"{'set (cases)':38}{header[38:]}")
        for name, report in reports.items():
            print(_row(f"{name} ({report['cases']})", scores({k: report["overall"][k] for k in COUNTS})))
        print(f"\n{'rule, all sets':38}{header[38:]}")
        for rule, row in total["rules"].items():
            print(_row(rule, row))
        print("-" * len(header))
        print(_row("all", total["overall"]))
        share = total["overall"]["debatable_share"]
        print(f"debatable: {0 if share is None else share:.1%} of the findings")
    overall = total["overall"]
    checks = [
        (f"precision >= {PRECISION:.0%}", (overall["precision"] or 0) >= PRECISION),
        (f"debatable <= {DEBATABLE:.0%}", (overall["debatable_share"] or 0) <= DEBATABLE),
        ("every finding labelled", overall["unlabelled"] == 0),
    ]
    for rule, row in total["rules"].items():
        if row["precision"] is not None and row["precision"] < RULE_PRECISION:
            checks.append((f"{rule} precision >= {RULE_PRECISION:.0%}", False))
    for name, ok in checks:
        print(f"{'ok    ' if ok else 'MISSED'}  {name}", file=sys.stderr)
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
