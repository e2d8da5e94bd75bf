"""Run the built-in checks over every case of the precision corpus and compare with the labels.

    python bench/precision/findings.py                    # every finding, with code, + summary
    python bench/precision/findings.py --unlabelled-only  # only the findings with no label yet
    python bench/precision/findings.py --summary-only     # only the per-rule table
    python bench/precision/findings.py --rule js.console-log --case vue3-realworld/
    python bench/precision/findings.py --summary-only --stale   # labels no finding matches any more
    python bench/precision/findings.py --all-rules              # the opt-in rules too

Each case is reviewed the way `mochi review --diff-file` reviews it with default settings: the
diff is parsed by mochi's parser, split by `select_files` (lockfiles, generated and minified
files skipped; binary files still reach the checks that look at a path), then
`BuiltinReviewer()` runs with read_file = the case's new file texts and read_repo = those, then
the case's "repository" files (other files at that revision that the checks read, as in a
checkout), and the findings are finalised (anchored, merged) as the pipeline does.

A finding matches a label on (case, path, line, rule). Labels that match no finding are kept in
labels.jsonl (they document false positives the rules no longer produce) and listed as "stale".
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from mochi import findings as findings_mod
from mochi.diff.parse import parse_diff
from mochi.diff.select import select_files
from mochi.models import Finding
from mochi.providers.builtin import RULES, BuiltinReviewer
from mochi.settings_sections import RuleConfig, ScopeSettings

HERE = Path(__file__).resolve().parent
CASES = HERE / "cases.jsonl.gz"
LABELS = HERE / "labels.jsonl"
VERDICTS = ("tp", "fp", "debatable")


def load_cases(path: Path = CASES) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def load_labels(path: Path = LABELS) -> dict[tuple[str, str, int | None, str], dict]:
    labels: dict[tuple[str, str, int | None, str], dict] = {}
    if not path.exists():
        return labels
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        label = json.loads(line)
        if label.get("verdict") not in VERDICTS:
            raise SystemExit(f"{path}:{n}: verdict must be one of {VERDICTS}")
        key = (label["case"], label["path"], label["line"], label["rule"])
        if key in labels:
            raise SystemExit(f"{path}:{n}: a second label for {key}")
        labels[key] = label
    return labels


def review_case(
    reviewer: BuiltinReviewer, case: dict, read_repo: Callable[[str], str | None] | None = None
) -> list[Finding]:
    """The case's findings; `read_repo` defaults to the case's files, then its "repository" files
    (what `mochi eval` does; `mochi review` in a checkout reads the repository itself)."""
    scope = ScopeSettings()
    diff = select_files(
        parse_diff(case["diff"]),
        include=scope.include,
        exclude=scope.exclude,
        attributes=None,
        max_file_lines=scope.max_file_lines,
    )
    extra = diff.binaries + diff.deleted  # as mochi.pipeline: binary files, deleted files' removed lines
    checked = diff.model_copy(update={"files": diff.files + extra}) if extra else diff
    if not checked.files:
        return []
    files, others = case["files"], case.get("repository") or {}
    if read_repo is None:
        read_repo = lambda path: files.get(path, others.get(path))  # noqa: E731
    raw = reviewer.review(checked, lambda path: files.get(path), read_repo)
    found, _dropped = findings_mod.finalize(raw, checked)
    return [f for f in found if f.rule_id]


def all_rules_reviewer() -> BuiltinReviewer:
    """Every rule on, the opt-in ones too."""
    return BuiltinReviewer({rid: RuleConfig(enabled=True) for rid in RULES})


def excerpt(case: dict, finding: Finding, around: int = 2) -> list[str]:
    text = case["files"].get(finding.path)
    if text is None or finding.line is None:
        return []
    lines = text.splitlines()
    end = finding.end_line or finding.line
    lo, hi = max(1, finding.line - around), min(len(lines), end + around)
    out = []
    for no in range(lo, hi + 1):
        mark = ">" if finding.line <= no <= end else " "
        out.append(f"    {mark}{no:5} | {lines[no - 1][:200]}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--unlabelled-only", action="store_true", help="list only the findings with no label")
    parser.add_argument("--summary-only", action="store_true", help="print only the per-rule table")
    parser.add_argument("--rule", help="only findings of this rule id")
    parser.add_argument("--case", help="only cases whose id starts with this")
    parser.add_argument("--context", type=int, default=2, help="code lines shown around a finding")
    parser.add_argument("--jsonl", action="store_true", help="print the findings as JSON lines instead")
    parser.add_argument(
        "--all-rules",
        action="store_true",
        help="also run the opt-in rules (off by default, as in `mochi review`)",
    )
    parser.add_argument(
        "--set",
        type=Path,
        default=HERE,
        help="the eval set directory (default: this corpus; e.g. bench/precision/holdout2)",
    )
    parser.add_argument(
        "--stale",
        action="store_true",
        help="also list the labels that match no current finding (fixed or lost)",
    )
    args = parser.parse_args()

    labels = load_labels(args.set / "labels.jsonl")
    # the default settings leave the opt-in rules off
    reviewer = all_rules_reviewer() if args.all_rules else BuiltinReviewer()
    stats: dict[str, Counter[str]] = defaultdict(Counter)
    matched: set[tuple[str, str, int | None, str]] = set()
    for case in load_cases(args.set / CASES.name):
        if args.case and not case["id"].startswith(args.case):
            continue
        for f in review_case(reviewer, case):
            rule = f.rule_id or ""
            if args.rule and rule != args.rule:
                continue
            key = (case["id"], f.path, f.line, rule)
            label = labels.get(key)
            stats[rule]["reported"] += 1
            stats[rule][label["verdict"] if label else "unlabelled"] += 1
            if label:
                matched.add(key)
            if args.summary_only or (args.unlabelled_only and label):
                continue
            if args.jsonl:
                row = {"case": case["id"], "path": f.path, "line": f.line, "rule": rule, "message": f.message}
                print(json.dumps(row | {"verdict": label["verdict"] if label else None}))
                continue
            tag = f"[{label['verdict'].upper()}] {label['note']}" if label else "UNLABELLED"
            print(f"{case['id']}  {f.path}:{f.line}  {rule}  {tag}")
            print(f"    {f.message}")
            for row in excerpt(case, f, args.context):
                print(row)
            print()

    stale = [key for key in labels if key not in matched]
    if args.rule or args.case:
        stale = [
            k
            for k in stale
            if (not args.rule or k[3] == args.rule) and (not args.case or k[0].startswith(args.case))
        ]
    out = sys.stdout if not args.jsonl else sys.stderr
    if args.stale:
        for key in sorted(stale, key=lambda k: (labels[k]["verdict"] != "tp", k[3], k[0], k[1], k[2] or 0)):
            label = labels[key]
            print(
                f"STALE [{label['verdict'].upper()}] {key[0]}  {key[1]}:{key[2]}  {key[3]}  {label['note']}",
                file=out,
            )
        print(file=out)
    print_summary(stats, stale, labels, file=out)


def print_summary(stats: dict[str, Counter[str]], stale: list, labels: dict, file: TextIO) -> None:
    head = f"{'rule':38} {'reported':>8} {'tp':>4} {'fp':>4} {'debat':>5} {'unlab':>5} {'precision':>9}"
    print(head, file=file)
    print("-" * len(head), file=file)
    total: Counter[str] = Counter()
    for rule in sorted(stats):
        c = stats[rule]
        total.update(c)
        print(_row(rule, c), file=file)
    print("-" * len(head), file=file)
    print(_row("all", total), file=file)
    if stale:
        by_verdict = Counter(labels[k]["verdict"] for k in stale)
        print(
            f"\n{len(stale)} label(s) match no current finding (kept: fixed or moved findings): "
            + ", ".join(f"{v} {n}" for v, n in sorted(by_verdict.items())),
            file=file,
        )


def _row(rule: str, c: Counter[str]) -> str:
    judged = c["tp"] + c["fp"]
    precision = f"{c['tp'] / judged:.2f}" if judged else "-"
    return (
        f"{rule:38} {c['reported']:>8} {c['tp']:>4} {c['fp']:>4} {c['debatable']:>5} "
        f"{c['unlabelled']:>5} {precision:>9}"
    )


if __name__ == "__main__":
    main()
