"""Completion text -> Findings: JSON extraction, tolerant validation, anchoring, fingerprints, merging.

The model is asked for the answer contract in DESIGN.md (mochi.answer). Local models deviate from
it in a handful of predictable ways, so `parse_answer` repairs what it can (code fences, prose
around the JSON, trailing commas, cut-off output, near-miss key names and enum values) and drops
only the individual comments that stay invalid. `finalize` then ties every finding to the diff.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any

import json_repair
from pydantic import ValidationError

from mochi.answer import AnswerComment, AnswerSummary, ModelAnswer
from mochi.compliance import parse_compliance, verdicts
from mochi.errors import ProviderResponseError
from mochi.models import Anchor, Diff, FileDiff, Finding, FindingType, Severity, Summary

logger = logging.getLogger(__name__)

# Keys under which models put the list of comments, in order of preference.
_COMMENT_KEYS = ("comments", "review_comments", "reviewComments", "issues", "findings", "problems",
                 "results", "feedback", "items")  # fmt: skip
_FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "file": ("file", "path", "filename", "file_path", "filePath", "filepath", "file_name", "fileName"),
    "line": ("line", "line_number", "lineNumber", "start_line", "startLine", "lines", "line_range"),
    "end_line": ("end_line", "endLine", "line_end", "lineEnd"),
    "type": ("type", "kind", "comment_type"),
    "severity": ("severity", "level", "priority"),
    "category": ("category", "topic", "area"),
    "message": ("message", "comment", "body", "text", "description", "issue", "explanation"),
    "suggestion": ("suggestion", "fix", "suggested_fix", "suggested_change", "recommendation"),
}
_TYPE_SYNONYMS = {
    "bug": FindingType.BUG, "issue": FindingType.BUG, "error": FindingType.BUG, "defect": FindingType.BUG,
    "problem": FindingType.BUG, "vulnerability": FindingType.BUG, "security": FindingType.BUG,
    "question": FindingType.QUESTION, "query": FindingType.QUESTION, "clarification": FindingType.QUESTION,
    "praise": FindingType.PRAISE, "positive": FindingType.PRAISE, "compliment": FindingType.PRAISE,
    "kudos": FindingType.PRAISE,
}  # fmt: skip
_SEVERITY_SYNONYMS = {
    "critical": Severity.CRITICAL, "blocker": Severity.CRITICAL, "fatal": Severity.CRITICAL,
    "severe": Severity.CRITICAL,
    "high": Severity.HIGH, "error": Severity.HIGH, "major": Severity.HIGH, "important": Severity.HIGH,
    "medium": Severity.MEDIUM, "moderate": Severity.MEDIUM, "warning": Severity.MEDIUM,
    "warn": Severity.MEDIUM, "normal": Severity.MEDIUM,
    "low": Severity.LOW, "info": Severity.LOW, "information": Severity.LOW, "informational": Severity.LOW,
    "nit": Severity.LOW, "nitpick": Severity.LOW, "minor": Severity.LOW, "trivial": Severity.LOW,
    "note": Severity.LOW, "hint": Severity.LOW,
}  # fmt: skip
_FENCE = re.compile(r"```[A-Za-z0-9_-]*[ \t]*\n?(.*?)(?:```|\Z)", re.DOTALL)
_LINE_RANGE = re.compile(r"^\D{0,6}?(\d+)(?:\s*(?:-|–|—|:|\.\.|to)\s*L?(\d+))?")


class ParsedAnswer(ModelAnswer):
    """A ModelAnswer plus how many comments had to be dropped because they stayed invalid."""

    dropped: int = 0


# --------------------------------------------------------------------------- parsing


def parse_answer(text: str) -> ParsedAnswer:
    """Extract and validate the review JSON from a model's answer text.

    Raises ProviderResponseError when no usable review can be found (the pipeline then retries
    once with `repair_request`).
    """
    data = _load_json(text)
    comments_raw, summary_raw = _split_answer(data, text)
    comments: list[AnswerComment] = []
    dropped = 0
    for item in comments_raw:
        comment = _comment(item)
        if comment is None:
            dropped += 1
        else:
            comments.append(comment)
    summary = _summary(summary_raw)
    if comments_raw and not comments and not (summary.overall_assessment or summary.key_concerns):
        raise _not_review_json(f"none of its {dropped} comments has a file and a message", text)
    if dropped:
        logger.warning("dropped %d invalid comment(s) from the model's answer", dropped)
    return ParsedAnswer(comments=comments, summary=summary, dropped=dropped,
                        ticket_compliance=parse_compliance(data))  # fmt: skip


def repair_request(previous: str) -> str:
    """The follow-up user message that asks the model to resend its answer as valid review JSON."""
    excerpt = previous.strip()
    if len(excerpt) > 600:
        excerpt = excerpt[:600] + " ..."
    return (
        "Your previous answer could not be read as the required review JSON.\n"
        f"It began with:\n<<<\n{excerpt}\n>>>\n\n"
        "Reply again with ONLY one JSON object, no prose and no code fences, in exactly this shape:\n"
        '{"comments": [{"file": "path/in/the/diff", "line": 42, "end_line": null, "type": "bug", '
        '"severity": "high", "category": "security", "message": "...", "suggestion": null}], '
        '"summary": {"overall_assessment": "...", "key_concerns": ["..."], "recommendations": ["..."]}}\n'
        '"type" is one of suggestion, question, bug, praise; "severity" is one of low, medium, high, '
        'critical; "line" is a single integer line number of the new file. Use "comments": [] when '
        "there is nothing to report."
    )


def _not_review_json(why: str, text: str) -> ProviderResponseError:
    head = " ".join(text.split())[:120]
    return ProviderResponseError(
        f"the model's answer is not valid review JSON: {why} (answer began: {head!r}). "
        "Try a larger or instruction-tuned model, or lower the temperature."
    )


def _load_json(text: str) -> Any:
    stripped = text.strip()
    if not stripped:
        raise _not_review_json("the answer is empty", text)
    try:
        return json.loads(stripped)
    except ValueError:
        pass
    fenced = _FENCE.search(stripped)
    candidate = fenced.group(1) if fenced and re.search(r"[\[{]", fenced.group(1)) else stripped
    start = re.search(r"[\[{]", candidate)
    if start is None:
        raise _not_review_json("it contains no JSON object", text)
    data = json_repair.repair_json(candidate[start.start() :], return_objects=True)
    if isinstance(data, str) and data.strip()[:1] in ("{", "["):  # JSON sent as a JSON string
        data = json_repair.repair_json(data, return_objects=True)
    if not isinstance(data, dict | list) or not data:
        raise _not_review_json("no JSON object could be recovered", text)
    return data


def _split_answer(data: Any, text: str) -> tuple[list[Any], Any]:
    """Find the comment list and the summary, wherever the model put them."""
    if isinstance(data, list):
        # json_repair returns a list when it recovered several values: prefer a whole answer.
        for item in data:
            if isinstance(item, dict) and (_comments_key(item) or "summary" in item):
                data = item
                break
        else:
            return data, None
    assert isinstance(data, dict)
    if len(data) == 1:  # {"review": {"comments": [...], "summary": {...}}}
        (inner,) = data.values()
        if isinstance(inner, dict) and (_comments_key(inner) or "summary" in inner):
            data = inner
    key = _comments_key(data)
    summary = data.get("summary")
    if summary is None and "overall_assessment" in data:
        summary = data
    if key is not None:
        comments = data[key]
        return (comments if isinstance(comments, list) else [comments]), summary
    if _pick(data, "message") is not None and _pick(data, "file") is not None:
        return [data], None  # a single comment on its own
    if summary is not None:
        return [], summary
    raise _not_review_json('it has no "comments" list and no "summary"', text)


def _comments_key(data: Mapping[str, Any]) -> str | None:
    for key in _COMMENT_KEYS:
        if key in data:
            return key
    return None


def _pick(item: Mapping[str, Any], field: str) -> Any:
    for alias in _FIELD_ALIASES[field]:
        value = item.get(alias)
        if value is not None and value != "":
            return value
    return None


def _comment(item: Any) -> AnswerComment | None:
    if not isinstance(item, dict) or not _text(_pick(item, "file")):
        return None  # AnswerComment accepts an empty file name, but nothing can be anchored to it
    line, end_line = _line_range(_pick(item, "line"))
    explicit_end, _ = _line_range(_pick(item, "end_line"))
    fields: dict[str, Any] = {
        "file": _text(_pick(item, "file")),
        "line": line,
        "end_line": explicit_end if explicit_end is not None else end_line,
        "type": _enum(_pick(item, "type"), _TYPE_SYNONYMS, FindingType.SUGGESTION),
        "severity": _enum(_pick(item, "severity"), _SEVERITY_SYNONYMS, Severity.LOW),
        "category": _text(_pick(item, "category")) or None,
        "message": _text(_pick(item, "message")),
        "suggestion": _text(_pick(item, "suggestion")) or None,
    }
    try:
        return AnswerComment.model_validate(fields)
    except ValidationError as exc:
        logger.debug("dropping an invalid comment %r: %s", item, exc)
        return None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value if v is not None)
    return str(value).strip()


def _line_range(value: Any) -> tuple[int | None, int | None]:
    """42, 42.0, "42", "L42", "42-44", [42, 44] -> (line, end_line); anything else -> (None, None)."""
    if isinstance(value, bool):
        return None, None
    if isinstance(value, int | float):
        return (int(value), None) if value >= 1 else (None, None)
    if isinstance(value, list) and value:
        first, _ = _line_range(value[0])
        last, _ = _line_range(value[-1]) if len(value) > 1 else (None, None)
        return first, last
    if isinstance(value, dict):
        return _line_range(value.get("start") or value.get("line"))
    match = _LINE_RANGE.match(str(value).strip())
    if match is None or int(match.group(1)) < 1:
        return None, None
    return int(match.group(1)), int(match.group(2)) if match.group(2) else None


def _enum(value: Any, synonyms: Mapping[str, Any], default: Any) -> Any:
    word = re.sub(r"[^a-z]", "", _text(value).lower())
    return synonyms.get(word, synonyms.get(word.rstrip("s"), default))


def _summary(raw: Any) -> AnswerSummary:
    if isinstance(raw, str):
        return AnswerSummary(overall_assessment=raw.strip())
    if not isinstance(raw, dict):
        return AnswerSummary()

    def items(*keys: str) -> list[str]:
        for key in keys:
            value = raw.get(key)
            if isinstance(value, list):
                return [t for t in (_text(v) for v in value) if t]
            if isinstance(value, str) and value.strip():
                return [value.strip()]
        return []

    assessment = next(
        (_text(raw[k]) for k in ("overall_assessment", "assessment", "overview") if raw.get(k)), ""
    )
    return AnswerSummary(
        overall_assessment=assessment,
        key_concerns=items("key_concerns", "concerns", "keyConcerns"),
        recommendations=items("recommendations", "suggestions"),
    )


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


# --------------------------------------------------------------------------- anchoring


def normalize_path(path: str, diff: Diff) -> str | None:
    """The diff's path for a path as a model wrote it, or None when it is not (unambiguously) there.

    Accepts "a/" or "b/" prefixes, "./", a leading "/", backslashes, a file's old name after a
    rename, a unique suffix of a changed path ("App.java") and an absolute path ending in one.
    """
    names: dict[str, str] = {}
    for f in diff.files:
        names.setdefault(f.path, f.path)
        if f.old_path:
            names.setdefault(f.old_path, f.path)
    raw = path.strip().strip("`'\"").replace("\\", "/")
    bare = re.sub(r"^(\./|/)+", "", raw)
    candidates = [raw, bare] + ([bare[2:]] if bare[:2] in ("a/", "b/") else [])
    for candidate in candidates:
        if candidate in names:
            return names[candidate]
    for tail in candidates[1:]:
        if not tail:
            continue
        matches = {
            new for name, new in names.items() if name.endswith("/" + tail) or tail.endswith("/" + name)
        }
        if len(matches) == 1:
            return matches.pop()
    return None


def anchor(finding: Finding, diff: Diff) -> Finding:
    """Place a finding: INLINE on a diff line of its file, FILE elsewhere in a changed file.

    A finding whose path is not in the diff comes back unchanged with Anchor.SUMMARY; `finalize`
    drops those. end_line is kept only when it is >= line, and for INLINE findings it is clamped
    to the hunk that holds `line` (a review comment cannot span hunks).
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
        return finding.model_copy(update={"path": file.path, "line": line, "end_line": end,
                                          "anchored": Anchor.FILE})  # fmt: skip
    if end is not None:
        end = max(n for n in hunk_lines if n <= end)
        end = end if end > line else None
    return finding.model_copy(update={"path": file.path, "line": line, "end_line": end,
                                      "anchored": Anchor.INLINE})  # fmt: skip


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


def finalize(raw: Iterable[Finding], diff: Diff) -> tuple[list[Finding], int]:
    """Anchor, fingerprint, merge and sort findings; returns them and how many were dropped.

    Findings on paths outside the change are dropped. Findings on the same path, line and
    category, or with the same fingerprint, are merged into one.
    """
    placed: list[Finding] = []
    dropped = 0
    for finding in raw:
        anchored = anchor(finding, diff)
        if anchored.anchored is Anchor.SUMMARY:
            dropped += 1
            logger.info("dropping a finding on %r: the path is not part of the change", finding.path)
            continue
        fp = fingerprint(anchored.path, anchored.message, _code_line(anchored, diff))
        placed.append(anchored.model_copy(update={"fingerprint": fp}))
    merged = _merge(placed)
    merged.sort(key=lambda f: (f.path, f.line or 0, -f.severity.rank, f.message))
    return merged, dropped


def _merge_keys(f: Finding) -> list[tuple[str, ...]]:
    keys: list[tuple[str, ...]] = [("fp", f.fingerprint)]
    # Without a line or a category "same place" says too little: two different remarks on one
    # line with no category stay apart unless their fingerprints agree.
    if f.line is not None and f.category:
        keys.append(("loc", f.path, str(f.line), f.category.strip().lower()))
    return keys


def _merge(findings: list[Finding]) -> list[Finding]:
    groups: list[Finding] = []
    index: dict[tuple[str, ...], int] = {}
    for f in findings:
        hit = next((index[k] for k in _merge_keys(f) if k in index), None)
        if hit is None:
            groups.append(f)
            hit = len(groups) - 1
        else:
            groups[hit] = _combine(groups[hit], f)
        for key in _merge_keys(groups[hit]) + _merge_keys(f):
            index[key] = hit
    return groups


def _combine(a: Finding, b: Finding) -> Finding:
    """The more specific of two duplicates, with the higher severity and both sources."""
    winner, other = (a, b) if _specificity(a) >= _specificity(b) else (b, a)
    sources = sorted({s for f in (a, b) for s in f.source.split("+") if s})
    return winner.model_copy(update={
        "severity": max(a.severity, b.severity, key=lambda s: s.rank),
        "source": "+".join(sources),
        "suggestion": winner.suggestion or other.suggestion,
        "category": winner.category or other.category,
        "rule_id": winner.rule_id or other.rule_id,
    })  # fmt: skip


def _specificity(f: Finding) -> tuple[bool, int]:
    return f.suggestion is not None, len(f.message)
