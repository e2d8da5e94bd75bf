"""Model answer text -> ModelAnswer, tolerantly.

The model is asked for the answer contract in DESIGN.md (mochi.answer). Local models deviate from
it in a handful of predictable ways, so `parse_answer` repairs what it can (code fences, prose
around the JSON, trailing commas, cut-off output, near-miss key names and enum values) and drops
only the individual comments that stay invalid.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from typing import Any

import json_repair
from pydantic import ValidationError

from mochi.answer import AnswerComment, AnswerSummary, ModelAnswer
from mochi.answer_clean import (
    MAX_ASSESSMENT_CHARS,
    MAX_MESSAGE_CHARS,
    MAX_SUGGESTION_CHARS,
    is_placeholder,
    readable,
    readable_items,
    repetitive,
    unterminated,
)
from mochi.compliance import parse_compliance
from mochi.errors import ProviderResponseError
from mochi.models import FindingType, Severity

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
    """A ModelAnswer plus how many comments had to be dropped because they stayed invalid or
    degenerate, and whether the answer was cut off (at the token limit: the caller reports it)."""

    dropped: int = 0
    cut_off: bool = False


# --------------------------------------------------------------------------- parsing


def parse_answer(text: str, *, cut_off: bool = False) -> ParsedAnswer:
    """Extract and validate the review JSON from a model's answer text.

    `cut_off` says the provider stopped the answer at its token limit (finish_reason "length",
    done_reason "length"); an answer whose JSON stops mid-way is taken as cut off too. The result's
    `cut_off` is then True, the comment that was being written when the answer stopped is dropped
    (its suggestion could be half the code), and degenerate text is kept out as always.

    Raises ProviderResponseError when no usable review can be found (the pipeline then retries
    once with `repair_request`).
    """
    try:
        data = _load_json(text)
        comments_raw, summary_raw = _split_answer(data, text)
    except RecursionError:
        # the parsers recurse once per level: an answer nested that deep is no review, and is
        # treated like any unreadable answer (repaired once, then a provider failure), not a crash
        raise _not_review_json("it is nested too deeply", text[:2000]) from None
    cut_off = cut_off or unterminated(text)
    comments: list[AnswerComment] = []
    dropped = 0
    if cut_off and comments_raw and (summary_raw is None or _unfinished(comments_raw[-1])):
        # the answer stopped inside its comments (the summary comes after them): the last one was
        # still being written, and half a suggestion is wrong code
        comments_raw, dropped = comments_raw[:-1], 1
    for item in comments_raw:
        comment = _comment(item)
        if comment is None:
            dropped += 1
        else:
            comments.append(comment)
    summary = _summary(summary_raw)
    if comments_raw and not comments and not (summary.overall_assessment or summary.key_concerns or cut_off):
        raise _not_review_json(f"none of its {dropped} comments has a file and a message", text)
    if dropped:
        logger.warning("dropped %d invalid comment(s) from the model's answer", dropped)
    return ParsedAnswer(comments=comments, summary=summary, dropped=dropped, cut_off=cut_off,
                        ticket_compliance=parse_compliance(data))  # fmt: skip


def _unfinished(item: Any) -> bool:
    """Whether the last comment of a cut-off answer was still being written: it lacks the field
    the schema puts last (the suggestion)."""
    return not isinstance(item, dict) or _pick_key(item, "suggestion") is None


def _pick_key(item: Mapping[str, Any], field: str) -> str | None:
    return next((alias for alias in _FIELD_ALIASES[field] if alias in item), None)


def repair_request(previous: str) -> str:
    """The follow-up user message that asks the model to resend its answer as valid review JSON."""
    excerpt = previous.strip()
    if len(excerpt) > 600:
        excerpt = excerpt[:600] + " ..."
    return (
        "Your previous answer could not be read as the required review JSON.\n"
        f"It began with:\n<<<\n{excerpt}\n>>>\n\n"
        "Reply again with ONLY one JSON object, no prose and no code fences, in exactly this shape, "
        "the <...> parts filled in:\n"
        '{"comments": [{"file": <path from a ### header>, "line": <line number>, "end_line": '
        '<last line number or null>, "type": <type>, "severity": <severity>, "category": <area or null>, '
        '"message": <the problem and why>, "suggestion": <replacement code or null>}], '
        '"summary": {"overall_assessment": <one to three sentences>, "key_concerns": [<problem>], '
        '"recommendations": [<next step>]}}\n'
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
    """One comment, or None when it has no usable file or message (empty, a copied placeholder,
    repetition or number soup). Praise is never above `low`: it is not a problem to fix."""
    if not isinstance(item, dict):
        return None
    file = _text(_pick(item, "file"))
    message = readable(_text(_pick(item, "message")), MAX_MESSAGE_CHARS)
    if not file or is_placeholder(file) or not message:
        return None  # AnswerComment accepts an empty file name, but nothing can be anchored to it
    line, end_line = _line_range(_pick(item, "line"))
    explicit_end, _ = _line_range(_pick(item, "end_line"))
    kind = _enum(_pick(item, "type"), _TYPE_SYNONYMS, FindingType.SUGGESTION)
    severity = _enum(_pick(item, "severity"), _SEVERITY_SYNONYMS, Severity.LOW)
    category = _text(_pick(item, "category"))
    suggestion = _text(_pick(item, "suggestion"))
    if is_placeholder(suggestion) or repetitive(suggestion) or len(suggestion) > MAX_SUGGESTION_CHARS:
        suggestion = ""
    fields: dict[str, Any] = {
        "file": file,
        "line": line,
        "end_line": explicit_end if explicit_end is not None else end_line,
        "type": kind,
        "severity": Severity.LOW if kind is FindingType.PRAISE else severity,
        "category": category[:40] if category and not is_placeholder(category) else None,
        "message": message,
        "suggestion": suggestion or None,
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
    """The summary, with degenerate text left out, items de-duplicated and everything capped
    (mochi.answer_clean): a summary is shown as it is, so nothing in it may mislead."""
    if isinstance(raw, str):
        return AnswerSummary(overall_assessment=readable(raw, MAX_ASSESSMENT_CHARS))
    if not isinstance(raw, dict):
        return AnswerSummary()

    def items(*keys: str) -> list[str]:
        for key in keys:
            value = raw.get(key)
            if isinstance(value, list):
                return readable_items(_text(v) for v in value)
            if isinstance(value, str) and value.strip():
                return readable_items([value])
        return []

    assessment = next(
        (_text(raw[k]) for k in ("overall_assessment", "assessment", "overview") if raw.get(k)), ""
    )
    return AnswerSummary(
        overall_assessment=readable(assessment, MAX_ASSESSMENT_CHARS),
        key_concerns=items("key_concerns", "concerns", "keyConcerns"),
        recommendations=items("recommendations", "suggestions"),
    )
