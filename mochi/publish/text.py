"""The terminal report: findings grouped by file, each with the code it is about.

Colours are ANSI escapes and only used when the caller says so (the CLI decides from isatty and
NO_COLOR). Control characters in model text are removed so an answer cannot drive the terminal.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable

from mochi.models import Diff, Finding, FindingType, LineKind, Review, Severity

WIDTH = 100
MAX_EXCERPT_LINES = 8

_RESET = "\x1b[0m"
_STYLES = {
    "bold": "\x1b[1m",
    "dim": "\x1b[2m",
    "red": "\x1b[31m",
    "green": "\x1b[32m",
    "yellow": "\x1b[33m",
    "blue": "\x1b[34m",
    "cyan": "\x1b[36m",
    "critical": "\x1b[1;97;41m",  # bold white on red
}
_SEVERITY_STYLE = {Severity.CRITICAL: "critical", Severity.HIGH: "red", Severity.MEDIUM: "yellow",
                   Severity.LOW: "cyan"}  # fmt: skip
_SEVERITY_ORDER = (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW)
_MARKERS = {LineKind.ADDED: "+", LineKind.REMOVED: "-", LineKind.CONTEXT: " "}
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

ReadLine = Callable[[str, int], "str | None"]


class _Painter:
    def __init__(self, color: bool) -> None:
        self.color = color

    def __call__(self, text: str, *styles: str) -> str:
        if not self.color or not styles:
            return text
        return "".join(_STYLES[s] for s in styles) + text + _RESET


def _clean(text: str) -> str:
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\t", "    "))


def _wrap(text: str, indent: str) -> list[str]:
    """Wrap prose to the width, keeping the model's own line breaks and blank lines."""
    out: list[str] = []
    for para in _clean(text).strip().split("\n"):
        if not para.strip():
            out.append("")
            continue
        out += textwrap.wrap(para, WIDTH, initial_indent=indent, subsequent_indent=indent,
                             break_long_words=False, break_on_hyphens=False) or [indent]  # fmt: skip
    return out


def _location(f: Finding) -> str:
    if f.line is None:
        return f.path
    return f"{f.path}:{f.line}" + (f"-{f.end_line}" if f.end_line and f.end_line > f.line else "")


def _excerpt(f: Finding, diff: Diff, read_line: ReadLine | None, paint: _Painter) -> list[str]:
    """The commented lines, from the diff where it has them, else from read_line."""
    if f.line is None:
        return []
    last = max(f.line, f.end_line or f.line)
    numbers = list(range(f.line, min(last, f.line + MAX_EXCERPT_LINES - 1) + 1))
    file = diff.file(f.path)
    side: dict[int, tuple[str, str]] = {}
    if file is not None:
        for hunk in file.hunks:
            for ln in hunk.lines:
                no = ln.old_no if f.side == "LEFT" else ln.new_no
                if no is not None:
                    side[no] = (_MARKERS[ln.kind], ln.text)
    width = len(str(numbers[-1]))
    out: list[str] = []
    for no in numbers:
        if no in side:
            marker, text = side[no]
        else:
            found = read_line(f.path, no) if read_line is not None and f.side == "RIGHT" else None
            if found is None:
                continue
            marker, text = " ", found
        gutter = paint(f"{no:>{width}} {marker}│", "dim")
        body = _clean(text.rstrip("\n"))
        out.append(f"      {gutter} {paint(body, 'green') if marker == '+' else body}")
    if out and last > numbers[-1]:
        out.append("      " + paint(f"{' ' * width}  ┆ … {last - numbers[-1]} more line(s)", "dim"))
    return out


def _badge(severity: Severity, paint: _Painter) -> str:
    label = f" {severity.value.upper()} " if paint.color else f"[{severity.value.upper()}]"
    return paint(f"{label:<10}", _SEVERITY_STYLE[severity]) if paint.color else f"{label:<10}"


def _finding(f: Finding, diff: Diff, read_line: ReadLine | None, paint: _Painter) -> list[str]:
    kind = f.type.value + (f" · {_clean(f.category)}" if f.category else "")
    head = f"  {_badge(f.severity, paint)} {paint(kind, 'green' if f.type is FindingType.PRAISE else 'bold')}"
    head += "  " + paint(_location(f), "dim")
    if f.rule_id:
        head += "  " + paint(f"[{f.rule_id}]", "dim")
    out = [head, *_wrap(f.message, "      ")]
    if f.suggestion:
        label = paint("suggestion:", "blue", "bold")
        suggestion = _clean(f.suggestion).strip("\n")
        if "\n" in suggestion:
            out += [f"      {label}", *(f"        {ln}" for ln in suggestion.splitlines())]
        else:
            wrapped = _wrap(suggestion, "        ")
            out += [f"      {label} {wrapped[0].strip()}", *wrapped[1:]]
    out += _excerpt(f, diff, read_line, paint)
    if "+" in f.source:
        out.append("      " + paint(f"found by {f.source.replace('+', ' and ')}", "dim"))
    return out


def _footer(review: Review, paint: _Painter) -> list[str]:
    counts = [
        f"{n} {s.value}" for s in _SEVERITY_ORDER if (n := sum(1 for f in review.findings if f.severity is s))
    ]
    total = len(review.findings)
    out = [
        paint(f"{total} finding{'s' if total != 1 else ''}", "bold")
        + (f" ({', '.join(counts)})" if counts else "")
    ]
    stats = review.stats
    reviewed = stats.files_reviewed or len(review.reviewed)
    out.append(f"Reviewed {reviewed} file{'s' if reviewed != 1 else ''}, {stats.lines_changed} changed lines")
    if review.skipped:
        out.append(f"Skipped {len(review.skipped)}:")
        out += [f"  {paint(s.path, 'dim')} ({_clean(s.reason)})" for s in review.skipped]
    if review.truncated:
        out.append(f"Reviewed in part {len(review.truncated)}:")
        out += [f"  {paint(s.path, 'dim')} ({_clean(s.reason)})" for s in review.truncated]
    if stats.findings_dropped:
        out.append(f"Dropped {stats.findings_dropped} finding(s) on files outside the change")
    models = ", ".join(review.providers_used) or "built-in checks only"
    out.append(paint(
        f"Model: {models} · {stats.llm_calls} call(s) · {stats.prompt_tokens:,} prompt + "
        f"{stats.completion_tokens:,} completion tokens · {stats.duration_s:.1f} s", "dim"))  # fmt: skip
    return out


def _summary(review: Review, paint: _Painter) -> list[str]:
    s = review.summary
    if not (s.overall_assessment or s.key_concerns or s.recommendations or s.ticket_compliance):
        return []
    out = [paint("Summary", "bold")]
    if s.overall_assessment:
        out += _wrap(s.overall_assessment, "  ")
    for title, items in (("Key concerns", s.key_concerns), ("Recommendations", s.recommendations)):
        if items:
            out.append(f"  {title}:")
            for item in items:
                wrapped = _wrap(item, "      ")
                out += [f"    - {wrapped[0].strip()}", *wrapped[1:]]
    if s.ticket_compliance:  # issue 5: criterion | met / not met / unclear | reason
        out.append("  Acceptance criteria:")
        styles = {"met": ("met", "green"), "not_met": ("not met", "red"), "unclear": ("unclear", "yellow")}
        for v in s.ticket_compliance:
            label, style = styles[v.status.value]
            out.append(f"    {paint(f'{label:<8}', style)} {_clean(v.ticket)}: {_clean(v.criterion)}")
            if v.reason:
                out += _wrap(v.reason, "             ")
    return [*out, ""]


def render_text(review: Review, diff: Diff, *, color: bool, read_line: ReadLine | None = None) -> str:
    """The review for a terminal. `read_line(path, n)` supplies code lines outside the diff."""
    paint = _Painter(color)
    out = [paint(f"Sonar-Mochi review · {_clean(review.target.label())}", "bold")]
    if review.target.title:
        out.append(_clean(review.target.title))
    out.append("")
    for notice in review.notices:
        first, *rest = _wrap(notice, "      ")
        out += [paint("note: ", "yellow") + first.strip(), *rest]
    if review.notices:
        out.append("")
    by_file: dict[str, list[Finding]] = {}
    for f in review.findings:
        by_file.setdefault(f.path, []).append(f)
    for path in sorted(by_file):
        out.append(paint(_clean(path), "bold", "blue"))
        for f in sorted(by_file[path], key=lambda f: (f.line or 0, -f.severity.rank)):
            out += [*_finding(f, diff, read_line, paint), ""]
    if not review.findings:
        out += [paint("No findings.", "green"), ""]
    out += _summary(review, paint)
    out += _footer(review, paint)
    return "\n".join(out).rstrip("\n") + "\n"
