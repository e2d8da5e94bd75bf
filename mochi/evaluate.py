"""`mochi eval`: score a reviewer (the built-in checks or a model) on a labelled set of changes.

An eval set is a directory:

- `cases.jsonl` (or `cases.jsonl.gz`): one change per line, `{"id", "diff", "files", "repository",
  "source"}`: the unified diff, the full new text of changed files (optional; without it the
  checks see the hunks only), other files of the repository at that revision that a review in a
  checkout would read (optional: a request body's class, a manifest), and where it comes from.
  Instead of `diff`, `"diff_file": "relative/path.diff"`; or a commit range of a local repository,
  `"repo": "path/to/checkout", "base": "<rev>", "head": "<rev>"` (paths relative to the set): the
  diff base..head, with every file read at head. A `.mochi.toml` among them is the
  repository's settings: `mochi eval` applies it to that case (unless `--config` is given).
- `labels.jsonl`: what a reviewer should and should not say, one per line:
  `{"case", "path", "line", "end_line", "rule", "keywords", "verdict", "note"}`. `verdict` is `tp`
  (an expected finding), `fp` (a known false positive) or `debatable`. A label matches a finding
  on the same path when the rule is the finding's rule (same line, or within the label's
  lines), or when one of its keywords is in the finding's message (within `tolerance`, default 3,
  lines: a model's line numbers wander); `line: null` matches anywhere in the file.

Scores: precision = TP / (TP + FP) over findings, where a finding no label matches counts as a
false positive unless `unlabelled="ignore"`; recall = expected findings found / expected; F1.
Debatable findings count in neither, and their share of all findings is reported.
"""

from __future__ import annotations

import gzip
import json
import subprocess
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from mochi.errors import UsageError
from mochi.models import Finding

VERSION = 1
VERDICTS = ("tp", "fp", "debatable")
Verdict = Literal["tp", "fp", "debatable", "unlabelled"]
LLM_GROUP = "llm"  # the group of model findings, which have no rule id


@dataclass(frozen=True)
class Case:
    id: str
    diff: str
    files: dict[str, str]
    source: dict[str, Any]
    repository: dict[str, str] = field(default_factory=dict)
    at_head: Callable[[str], str | None] | None = None  # a commit range's files, read from git

    def read(self, path: str) -> str | None:
        """A file at the case's revision: a changed one, else one of the repository's."""
        found = self.files.get(path)
        if found is None:
            found = self.repository.get(path)
        if found is None and self.at_head is not None:
            found = self.at_head(path)
        return found


@dataclass(frozen=True)
class Label:
    case: str
    path: str
    line: int | None
    end_line: int | None
    rule: str | None
    keywords: tuple[str, ...]
    verdict: str
    note: str
    tolerance: int = 3

    def matches(self, finding: Finding) -> bool:
        if finding.path != self.path:
            return False
        by_rule = self.rule is not None and finding.rule_id == self.rule
        text = f"{finding.message} {finding.suggestion or ''}".lower()
        by_words = any(word.lower() in text for word in self.keywords)
        if not (by_rule or by_words or (self.rule is None and not self.keywords)):
            return False
        if self.line is None:
            return True
        if finding.line is None:
            return False
        slack = 0 if by_rule else self.tolerance
        first, last = finding.line, finding.end_line or finding.line
        return first - slack <= (self.end_line or self.line) and self.line <= last + slack

    def distance(self, finding: Finding) -> int:
        if self.line is None or finding.line is None:
            return 0
        return abs(finding.line - self.line)

    @property
    def group(self) -> str:
        return self.rule or LLM_GROUP


@dataclass
class EvalSet:
    name: str
    cases: list[Case]
    labels: list[Label]


@dataclass
class Judged:
    case: str
    finding: Finding
    verdict: Verdict
    label: Label | None

    @property
    def group(self) -> str:
        return self.finding.rule_id or LLM_GROUP


@dataclass
class Tally:
    tp: int = 0
    fp: int = 0
    debatable: int = 0
    unlabelled: int = 0
    expected: int = 0
    found: int = 0  # expected findings (tp labels) that some finding matched

    def scores(self, unlabelled_is_fp: bool) -> dict[str, Any]:
        false = self.fp + (self.unlabelled if unlabelled_is_fp else 0)
        reported = self.tp + self.fp + self.debatable + self.unlabelled
        precision = self.tp / (self.tp + false) if self.tp + false else None
        recall = self.found / self.expected if self.expected else None
        f1 = (
            2 * precision * recall / (precision + recall)
            if precision is not None and recall is not None and precision + recall
            else None
        )
        return {
            "reported": reported, "tp": self.tp, "fp": self.fp, "debatable": self.debatable,
            "unlabelled": self.unlabelled, "expected": self.expected, "found": self.found,
            "precision": _round(precision), "recall": _round(recall), "f1": _round(f1),
            "debatable_share": _round(self.debatable / reported if reported else None),
        }  # fmt: skip


@dataclass
class Result:
    judged: list[Judged] = field(default_factory=list)
    missed: list[Label] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (case, why)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


# --------------------------------------------------------------------------- loading


def _jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        for no, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                raise UsageError(f"{path}:{no}: not JSON ({exc.msg})") from None
            if not isinstance(data, dict):
                raise UsageError(f"{path}:{no}: expected a JSON object")
            yield no, data


def load_set(directory: Path) -> EvalSet:
    """Read an eval set; a malformed one is a UsageError that names the file and line."""
    if not directory.is_dir():
        raise UsageError(f"{directory} is not an eval set directory (it needs cases.jsonl and labels.jsonl)")
    found = [p for p in (directory / "cases.jsonl", directory / "cases.jsonl.gz") if p.is_file()]
    if not found:
        raise UsageError(f"{directory} has no cases.jsonl or cases.jsonl.gz")
    cases: list[Case] = []
    for no, data in _jsonl(found[0]):
        where = f"{found[0]}:{no}"
        if not isinstance(data.get("id"), str):
            raise UsageError(f'{where}: a case needs an "id"')
        diff = data.get("diff")
        at_head = None
        if diff is None and isinstance(data.get("repo"), str):
            diff, at_head = _commit_range(directory / data["repo"], data.get("base"), data.get("head"), where)
        if diff is None and isinstance(data.get("diff_file"), str):
            diff = (directory / data["diff_file"]).read_text(encoding="utf-8", errors="replace")
        if not isinstance(diff, str):
            raise UsageError(f'{where}: case {data["id"]} needs "diff" (text) or "diff_file" (a path)')
        files = data.get("files") or {}
        repository = {str(k): str(v) for k, v in (data.get("repository") or {}).items()}
        cases.append(
            Case(
                data["id"],
                diff,
                {str(k): str(v) for k, v in files.items()},
                data.get("source") or {},
                repository,
                at_head,
            )
        )
    ids = {c.id for c in cases}
    if len(ids) != len(cases):
        raise UsageError(f"{found[0]}: case ids are not unique")
    labels: list[Label] = []
    label_file = directory / "labels.jsonl"
    for no, data in _jsonl(label_file) if label_file.is_file() else iter(()):
        where = f"{label_file}:{no}"
        if data.get("case") not in ids:
            raise UsageError(f"{where}: case {data.get('case')!r} is not in the set")
        if data.get("verdict") not in VERDICTS:
            raise UsageError(f'{where}: "verdict" is one of {", ".join(VERDICTS)}')
        if not isinstance(data.get("path"), str):
            raise UsageError(f'{where}: a label needs a "path"')
        labels.append(
            Label(
                case=data["case"], path=data["path"], line=data.get("line"), end_line=data.get("end_line"),
                rule=data.get("rule"), keywords=tuple(data.get("keywords") or ()), verdict=data["verdict"],
                note=data.get("note", ""), tolerance=int(data.get("tolerance", 3)),
            )
        )  # fmt: skip
    return EvalSet(name=str(directory), cases=cases, labels=labels)


def _commit_range(
    repo: Path, base: object, head: object, where: str
) -> tuple[str, Callable[[str], str | None]]:
    """The diff base..head of a local repository, and a reader of its files at head."""
    if not isinstance(base, str) or not isinstance(head, str):
        raise UsageError(f'{where}: a case with "repo" needs "base" and "head" revisions')

    def git(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["git", "-C", str(repo), *args], capture_output=True, text=True, errors="replace", check=False
        )

    proc = git("diff", "--no-color", "--no-ext-diff", "-M", base, head, "--")
    if proc.returncode != 0:
        raise UsageError(f"{where}: git diff {base} {head} in {repo} failed: {proc.stderr.strip()}")
    cache: dict[str, str | None] = {}

    def at_head(path: str) -> str | None:
        if path not in cache:
            shown = git("show", f"{head}:{path}")
            cache[path] = shown.stdout if shown.returncode == 0 else None
        return cache[path]

    return proc.stdout, at_head


# --------------------------------------------------------------------------- scoring


def judge(
    case: str, findings: Sequence[Finding], labels: Sequence[Label]
) -> tuple[list[Judged], list[Label]]:
    """Each finding's verdict (its closest matching label's), and the expected findings not found."""
    judged = []
    hit: set[int] = set()
    for finding in findings:
        candidates = [(i, label) for i, label in enumerate(labels) if label.matches(finding)]
        if not candidates:
            judged.append(Judged(case, finding, "unlabelled", None))
            continue
        # the label of this rule first, then the nearest line
        _, label = min(candidates, key=lambda c: (c[1].rule != finding.rule_id, c[1].distance(finding)))
        hit.update(j for j, other in candidates if other.verdict == "tp")
        verdict: Verdict = label.verdict  # type: ignore[assignment]
        judged.append(Judged(case, finding, verdict, label))
    missed = [label for i, label in enumerate(labels) if label.verdict == "tp" and i not in hit]
    return judged, missed


def run(
    evalset: EvalSet,
    review_case: Callable[[Case], Sequence[Finding]],
    progress: Callable[[str], None] = lambda _msg: None,
) -> Result:
    """Review every case with `review_case` and judge its findings against the labels."""
    by_case: dict[str, list[Label]] = {}
    for label in evalset.labels:
        by_case.setdefault(label.case, []).append(label)
    result = Result()
    for n, case in enumerate(evalset.cases, 1):
        if n % 25 == 0:
            progress(f"eval: {n}/{len(evalset.cases)} cases")
        labels = by_case.get(case.id, [])
        try:
            findings = review_case(case)
        except Exception as exc:
            result.errors.append((case.id, str(exc) or type(exc).__name__))
            result.missed += [label for label in labels if label.verdict == "tp"]
            continue
        judged, missed = judge(case.id, findings, labels)
        result.judged += judged
        result.missed += missed
    return result


def tallies(result: Result, evalset: EvalSet) -> tuple[Tally, dict[str, Tally]]:
    """The overall tally and one per rule (model findings under "llm")."""
    overall = Tally()
    per: dict[str, Tally] = {}
    for j in result.judged:
        for tally in (overall, per.setdefault(j.group, Tally())):
            setattr(tally, j.verdict, getattr(tally, j.verdict) + 1)
    missed = {id(label) for label in result.missed}
    for label in evalset.labels:
        if label.verdict != "tp":
            continue
        for tally in (overall, per.setdefault(label.group, Tally())):
            tally.expected += 1
            tally.found += id(label) not in missed
    return overall, dict(sorted(per.items()))


def report(
    result: Result, evalset: EvalSet, *, reviewer: str, unlabelled_is_fp: bool = True
) -> dict[str, Any]:
    """The `--format json` document (schema: mochi/schemas/eval-v1.schema.json)."""
    overall, per = tallies(result, evalset)
    return {
        "version": VERSION,
        "set": evalset.name,
        "reviewer": reviewer,
        "cases": len(evalset.cases),
        "unlabelled_counts_as": "fp" if unlabelled_is_fp else "ignored",
        "overall": overall.scores(unlabelled_is_fp),
        "rules": {group: tally.scores(unlabelled_is_fp) for group, tally in per.items()},
        "missed": [
            {
                "case": label.case,
                "path": label.path,
                "line": label.line,
                "rule": label.rule,
                "note": label.note,
            }
            for label in result.missed
        ],
        "unlabelled": [_finding(j) for j in result.judged if j.verdict == "unlabelled"],
        "false_positives": [_finding(j) for j in result.judged if j.verdict == "fp"],
        "errors": [{"case": case, "error": why} for case, why in result.errors],
    }


def _finding(j: Judged) -> dict[str, Any]:
    f = j.finding
    return {"case": j.case, "path": f.path, "line": f.line, "rule": f.rule_id, "message": f.message}


def render_text(doc: dict[str, Any]) -> Iterable[str]:
    """The report as a table: one line per rule, then the overall line and what was missed."""

    def pct(value: float | None) -> str:
        return "   -" if value is None else f"{value * 100:5.1f}%"

    yield f"eval set {doc['set']} ({doc['cases']} cases), reviewer {doc['reviewer']}"
    width = max([len(g) for g in doc["rules"]] + [7])
    yield (
        f"{'rule':<{width}}  {'reported':>8}  {'tp':>4}  {'fp':>4}  {'deb.':>4}  {'unlab.':>6}  "
        f"{'precision':>9}  {'recall':>6}  {'f1':>6}"
    )
    rows = [*doc["rules"].items(), ("overall", doc["overall"])]
    for name, s in rows:
        if name == "overall":
            yield "-" * (width + 64)
        yield (
            f"{name:<{width}}  {s['reported']:>8}  {s['tp']:>4}  {s['fp']:>4}  {s['debatable']:>4}  "
            f"{s['unlabelled']:>6}  {pct(s['precision']):>9}  {pct(s['recall']):>6}  {pct(s['f1']):>6}"
        )
    o = doc["overall"]
    yield (
        f"expected findings found: {o['found']}/{o['expected']}; "
        f"debatable: {pct(o['debatable_share']).strip()} "
        f"of findings; unlabelled findings count as {doc['unlabelled_counts_as']}"
    )
    for m in doc["missed"][:20]:
        yield f"missed: {m['case']} {m['path']}:{m['line']} {m['rule'] or ''} {m['note']}".rstrip()
    for e in doc["errors"][:20]:
        yield f"error: {e['case']}: {e['error']}"
