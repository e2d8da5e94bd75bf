"""Model answers -> Findings tied to the diff: anchoring, fingerprints, merging.

`parse_answer` (mochi.answer_parse) turns the model's text into a ModelAnswer; `from_answer` makes
Findings of it, and `finalize` ties every finding, from the model or the built-in checks, to the diff.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Iterable

from mochi.answer import ModelAnswer
from mochi.answer_parse import ParsedAnswer, parse_answer, repair_request
from mochi.compliance import verdicts
from mochi.models import Anchor, ChangeKind, Diff, FileDiff, Finding, FindingType, LineKind, Severity, Summary

__all__ = [
    "ParsedAnswer",
    "anchor",
    "at_least",
    "at_or_above",
    "finalize",
    "fingerprint",
    "from_answer",
    "normalize_path",
    "parse_answer",
    "repair_request",
    "summary_from_answer",
]

logger = logging.getLogger(__name__)


# --------------------------------------------------------------------------- answer -> findings


def from_answer(answer: ModelAnswer, source: str) -> list[Finding]:
    """Convert the model's comments to (not yet anchored) Findings attributed to `source`."""
    return [
        Finding(path=c.file, line=c.line, end_line=c.end_line, type=c.type, severity=c.severity,
                category=c.category, message=c.message.strip(), suggestion=c.suggestion, source=source)
        for c in answer.comments
    ]  # fmt: skip


def summary_from_answer(answer: ModelAnswer) -> Summary:
    """The answer's summary as the core Summary type."""
    s = answer.summary
    return Summary(overall_assessment=s.overall_assessment.strip(), key_concerns=tuple(s.key_concerns),
                   recommendations=tuple(s.recommendations),
                   ticket_compliance=verdicts(answer.ticket_compliance))  # fmt: skip


def at_or_above(findings: Iterable[Finding], severity: Severity) -> bool:
    """True when a finding reaches `severity` (for --fail-on). Praise never fails a build."""
    return any(f.severity.at_least(severity) for f in findings if f.type is not FindingType.PRAISE)


def at_least(findings: Iterable[Finding], severity: Severity | None) -> tuple[list[Finding], int]:
    """The findings at or above `severity` (all of them when it is None), and how many were left
    out (`min_severity`: what is below it is not reported; `--fail-on` then judges what is left)."""
    findings = list(findings)
    if severity is None:
        return findings, 0
    kept = [f for f in findings if f.severity.at_least(severity)]
    return kept, len(findings) - len(kept)


# --------------------------------------------------------------------------- anchoring


def normalize_path(path: str, diff: Diff) -> str | None:
    """The diff's path for a path as a model wrote it, or None when it is not (unambiguously) there.

    Accepts "a/" or "b/" prefixes, "./", a leading "/", backslashes, a file's old name after a
    rename, a unique suffix of a changed path ("App.java") and an absolute path ending in one.
    """
    names = diff.names()
    raw = path.strip().strip("`'\"").replace("\\", "/")
    bare = re.sub(r"^(\./|/)+", "", raw)
    candidates = [raw, bare] + ([bare[2:]] if bare[:2] in ("a/", "b/") else [])
    for candidate in candidates:
        if candidate in names:
            return names[candidate]
    for tail in candidates[1:]:
        if not tail:
            continue
        # either name ends with the other, so both end with the same last component
        same_base = diff.names_named(tail.rsplit("/", 1)[-1])
        matches = {
            names[name] for name in same_base if name.endswith("/" + tail) or tail.endswith("/" + name)
        }
        if len(matches) == 1:
            return matches.pop()
    return None


def anchor(
    finding: Finding, diff: Diff, *, file_length: Callable[[str], int | None] | None = None
) -> Finding:
    """Place a finding: INLINE on a diff line of its file, FILE elsewhere in a changed file.

    A finding whose path is not in the diff comes back unchanged with Anchor.SUMMARY; `finalize`
    drops those. A finding past the end of its file (`file_length(path)`, the new file's number of
    lines, when the caller knows it; else what the diff tells, see `_past_end`) is FILE level with
    `line` None: never a location that does not exist. end_line is kept only when it is >= line,
    and for INLINE findings it is clamped to the hunk that holds `line` (a review comment cannot
    span hunks).
    """
    path = normalize_path(finding.path, diff)
    file = diff.file(path) if path else None
    if file is None:
        return finding.model_copy(update={"anchored": Anchor.SUMMARY})
    line = finding.line if finding.line is not None and finding.line >= 1 else None
    end = finding.end_line if line is not None and finding.end_line and finding.end_line > line else None
    if line is None:
        return finding.model_copy(update={"path": file.path, "line": None, "end_line": None,
                                          "anchored": Anchor.FILE})  # fmt: skip
    hunk_lines = _hunk_numbers(file, line, left=finding.side == "LEFT")
    if hunk_lines is None:
        length = file_length(file.path) if file_length is not None else None
        if finding.side == "RIGHT" and _past_end(file, line, length):
            # `"line": 42` copied from an example into a 3-line file: no location is better than
            # one that does not exist
            logger.info("%s:%d is past the end of the file: reported at file level", file.path, line)
            line = end = None
        return finding.model_copy(update={"path": file.path, "line": line, "end_line": end,
                                          "anchored": Anchor.FILE})  # fmt: skip
    if end is not None:
        end = max(n for n in hunk_lines if n <= end)
        end = end if end > line else None
    return finding.model_copy(update={"path": file.path, "line": line, "end_line": end,
                                      "anchored": Anchor.INLINE})  # fmt: skip


def _past_end(file: FileDiff, line: int, length: int | None) -> bool:
    """Whether `line` is past the end of the new file: its `length` when the caller knows it, else
    as far as the diff tells. It does when the file is new, when its last line is marked "No newline
    at end of file", and when the last hunk ends with fewer context lines than git's default 3
    (git stops there only at the end of the file; with -U0 this errs towards no location)."""
    if length is not None:
        return line > length
    if not file.hunks or file.change is ChangeKind.DELETED:
        return False
    last = file.hunks[-1].lines
    end = max((ln.new_no or 0 for ln in last), default=0)
    if file.change is ChangeKind.ADDED or any(ln.no_newline_at_eof and ln.new_no for ln in last):
        return line > end
    changed = [i for i, ln in enumerate(last) if ln.kind is not LineKind.CONTEXT]
    trailing = len(last) - 1 - changed[-1] if changed else len(last)
    return trailing < 3 and line > end


def _hunk_numbers(file: FileDiff, line: int, *, left: bool) -> list[int] | None:
    """The commentable line numbers of the hunk holding `line` on the given side, or None."""
    for hunk in file.hunks:
        numbers = [n for ln in hunk.lines if (n := (ln.old_no if left else ln.new_no)) is not None]
        if line in numbers:
            return numbers
    return None


def _code_line(finding: Finding, diff: Diff) -> str:
    if finding.anchored is not Anchor.INLINE or finding.line is None:
        return ""
    file = diff.file(finding.path)
    if file is None:
        return ""
    for hunk in file.hunks:
        for ln in hunk.lines:
            if (ln.old_no if finding.side == "LEFT" else ln.new_no) == finding.line:
                return ln.text
    return ""


# --------------------------------------------------------------------------- fingerprints and merging


def fingerprint(path: str, message: str, code_line: str) -> str:
    """A stable id for a finding that survives line shifts and small rewording of the message.

    Built from the path, the message without case, digits, quotes and punctuation, and the
    whitespace-normalised content of the code line (never its number).
    """
    words = re.sub(r"[\W\d_]+", " ", message.lower()).split()
    code = " ".join(code_line.split())
    digest = hashlib.sha256("\x00".join((path, " ".join(words), code)).encode("utf-8"))
    return digest.hexdigest()[:16]


def finalize(
    raw: Iterable[Finding],
    diff: Diff,
    *,
    file_length: Callable[[str], int | None] | None = None,
    read_file: Callable[[str], str | None] | None = None,
) -> tuple[list[Finding], int]:
    """Anchor, fingerprint, merge and sort findings; returns them and how many were dropped.

    Findings on paths outside the change are dropped. Findings on the same path, line and
    category, or with the same fingerprint, are merged into one. `file_length(path)` (the new
    file's number of lines, None when unknown) lets a line past the end of a modified file lose
    its line even where the diff does not show the end. `read_file(path)` (the new file's text)
    tells apart the same remark on copies of one line of code (see _distinct_fingerprints).
    """
    placed: list[Finding] = []
    dropped = 0
    for finding in raw:
        anchored = anchor(finding, diff, file_length=file_length)
        if anchored.anchored is Anchor.SUMMARY:
            dropped += 1
            logger.info("dropping a finding on %r: the path is not part of the change", finding.path)
            continue
        fp = fingerprint(anchored.path, anchored.message, _code_line(anchored, diff))
        placed.append(anchored.model_copy(update={"fingerprint": fp}))
    merged = _distinct_fingerprints(_merge(placed), _copies_above(read_file))
    merged.sort(key=lambda f: (f.path, f.line or 0, -f.severity.rank, f.message))
    return merged, dropped


def _merge_keys(f: Finding) -> list[tuple[str, ...]]:
    """The keys a finding is merged by: the same fingerprint on the same line (one remark reported
    twice, e.g. by overlapping chunks), the same rule on the same line, and a remark of the model's
    on the same line and category as another finding. Two built-in rules on one line are two
    findings (`if (x == 1) { debugger; }` has two problems), and one remark on two lines is two."""
    line = str(f.line) if f.line is not None else "-"
    keys: list[tuple[str, ...]] = [("fp", f.fingerprint, line)]
    if f.rule_id:
        keys.append(("rule", f.path, line, f.rule_id))
    # Without a line or a category "same place" says too little: two different remarks on one
    # line with no category stay apart unless their fingerprints agree.
    if f.line is not None and f.category:
        keys.append(("loc", f.path, line, f.category.strip().lower()))
    return keys


def _joins(group: Finding, f: Finding, key: tuple[str, ...]) -> bool:
    """Whether `f` merges into `group` through `key`: at the same place, two different built-in
    rules stay two findings (the model's remark joins either)."""
    return key[0] != "loc" or not (group.rule_id and f.rule_id and group.rule_id != f.rule_id)


def _merge(findings: list[Finding]) -> list[Finding]:
    groups: list[Finding] = []
    index: dict[tuple[str, ...], int] = {}
    for f in findings:
        hit = next((index[k] for k in _merge_keys(f) if k in index and _joins(groups[index[k]], f, k)), None)
        if hit is None:
            groups.append(f)
            hit = len(groups) - 1
        else:
            groups[hit] = _combine(groups[hit], f)
        for key in _merge_keys(groups[hit]) + _merge_keys(f):
            index.setdefault(key, hit)
    return _join_nearby(groups)


def _join_nearby(findings: list[Finding]) -> list[Finding]:
    """The model's remark within two lines of a built-in finding of the same category is the same
    problem told twice (one statement over several lines): it joins the built-in one."""
    builtin = [i for i, f in enumerate(findings) if f.rule_id and f.line is not None and f.category]
    if not builtin:
        return findings
    out = list(findings)
    gone: set[int] = set()
    for i, f in enumerate(findings):
        if f.rule_id or f.line is None or not f.category or not f.source.startswith("llm:"):
            continue
        near = [
            j
            for j in builtin
            if j not in gone
            and out[j].path == f.path
            and (out[j].category or "").strip().lower() == f.category.strip().lower()
            and abs((out[j].line or 0) - f.line) <= 2
        ]
        if near:
            j = min(near, key=lambda j: abs((out[j].line or 0) - (f.line or 0)))
            out[j] = _combine(out[j], f).model_copy(update={"line": out[j].line, "end_line": out[j].end_line})
            gone.add(i)
    return [f for i, f in enumerate(out) if i not in gone]


def _distinct_fingerprints(
    findings: list[Finding], copies_above: Callable[[Finding], int | None] | None = None
) -> list[Finding]:
    """The same remark on the same code at several lines keeps one fingerprint each: the first copy of
    the line in its file keeps the line-independent one (what earlier runs posted under), the next
    get an occurrence index. The index counts the copies of the line above it in the whole new file
    (`copies_above`), not only among this run's findings: an incremental review that sees only the
    newest commits would otherwise give a new copy the fingerprint of one posted by an earlier run,
    and its comment would never be posted. Without the file, the findings of this run are counted."""
    seen: dict[str, int] = {}
    out: list[Finding] = []
    for f in sorted(findings, key=lambda f: (f.path, f.line or 0)):
        n = seen[f.fingerprint] = seen.get(f.fingerprint, 0) + 1
        above = copies_above(f) if copies_above is not None else None
        if above is not None:
            n = above + 1
        if n > 1:
            digest = hashlib.sha256(f"{f.fingerprint}#{n}".encode()).hexdigest()[:16]
            f = f.model_copy(update={"fingerprint": digest})
        out.append(f)
    return out


def _copies_above(read_file: Callable[[str], str | None] | None) -> Callable[[Finding], int | None] | None:
    """finding -> how many lines above its own in its new file have the same code (whitespace aside);
    None when that cannot be known (no text, a deleted line, no line)."""
    if read_file is None:
        return None
    texts: dict[str, list[str] | None] = {}

    def copies(f: Finding) -> int | None:
        if f.line is None or f.side == "LEFT" or f.anchored is not Anchor.INLINE:
            return None
        if f.path not in texts:
            text = read_file(f.path)
            texts[f.path] = None if text is None else [" ".join(line.split()) for line in text.split("\n")]
        lines = texts[f.path]
        if lines is None or not 0 < f.line <= len(lines):
            return None
        own = lines[f.line - 1]
        return sum(1 for line in lines[: f.line - 1] if line == own) if own else None

    return copies


def _combine(a: Finding, b: Finding) -> Finding:
    """The more specific of two duplicates, with the higher severity, both sources and every message
    that says something the other does not (the model's view of a problem a rule also found)."""
    winner, other = (a, b) if _specificity(a) >= _specificity(b) else (b, a)
    sources = sorted({s for f in (a, b) for s in f.source.split("+") if s})
    message = winner.message
    if _words(other.message) and _words(other.message) not in _words(message):
        who = (
            "the AI review"
            if other.source.startswith("llm:") and not other.rule_id
            else (other.rule_id or other.source)
        )
        message = f"{message}\n\nAlso ({who}): {other.message}"
    return winner.model_copy(update={
        "message": message,
        "severity": max(a.severity, b.severity, key=lambda s: s.rank),
        "source": "+".join(sources),
        "suggestion": winner.suggestion or other.suggestion,
        "category": winner.category or other.category,
        "rule_id": winner.rule_id or other.rule_id,
    })  # fmt: skip


def _words(text: str) -> str:
    return " ".join(re.sub(r"[\W_]+", " ", text.lower()).split())


def _specificity(f: Finding) -> tuple[bool, int]:
    return f.suggestion is not None, len(f.message)
