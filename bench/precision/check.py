"""The precision benchmark: the built-in checks (default settings) on the labelled corpus of real history.

    python bench/precision/check.py            # the table per rule, then each target: ok or MISSED
    python bench/precision/check.py --json     # mochi eval's JSON report

It runs `mochi eval bench/precision` (cases.jsonl.gz: real commits of public repositories, with their
changed files; labels.jsonl: every finding judged tp / fp / debatable, see README.md) and checks the
targets of issue 12: precision (TP / (TP + FP)) >= 90% overall and >= 80% for every rule that is on by
default, debatable findings <= 15% of all, and no finding left unlabelled (a rule change that makes new
findings needs them judged: `python bench/precision/findings.py --unlabelled-only`). Exit 1 when a target
is missed. Re-run it whenever a rule changes.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PRECISION, RULE_PRECISION, DEBATABLE = 0.90, 0.80, 0.15


def main() -> int:
    proc = subprocess.run(
        [sys.executable, "-m", "mochi", "eval", str(HERE), "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        return proc.returncode
    doc = json.loads(proc.stdout)
    if "--json" in sys.argv[1:]:
        print(json.dumps(doc, indent=2))
    else:
        from mochi.evaluate import render_text

        print("\n".join(render_text(doc)))
    overall = doc["overall"]
    checks = [
        (f"precision >= {PRECISION:.0%}", (overall["precision"] or 0) >= PRECISION),
        (f"debatable <= {DEBATABLE:.0%}", (overall["debatable_share"] or 0) <= DEBATABLE),
        ("every finding labelled", overall["unlabelled"] == 0),
    ]
    for rule, scores in doc["rules"].items():
        if scores["reported"] and scores["precision"] is not None and scores["precision"] < RULE_PRECISION:
            checks.append((f"{rule} precision >= {RULE_PRECISION:.0%}", False))
    missed = [name for name, ok in checks if not ok]
    for name, ok in checks:
        print(f"{'ok    ' if ok else 'MISSED'}  {name}", file=sys.stderr)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
