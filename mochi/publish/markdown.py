"""A Markdown report of a review: for a file, a job summary (GITHUB_STEP_SUMMARY) or a PR comment.

Model text is untrusted: it is escaped so it cannot open links, images, HTML or headings, or
break a table, while `inline code` the model wrote stays code.
"""

from __future__ import annotations

import re

from mochi.models import Finding, Review, Severity

_SEVERITY_ORDER = (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW)
_SEVERITY_ICON = {Severity.CRITICAL: "🔴", Severity.HIGH: "🟠", Severity.MEDIUM: "🟡", Severity.LOW: "🔵"}
_CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.DOTALL)
_MARKUP = re.compile(r"([\\`*_\[\]<>|~])")
# Only at the start of a line do these open a heading, list, quote or rule.
_LEADING = re.compile(r"^(\s*)([#>+=-]|\d+[.)])")
_MENTION = re.compile(r"(?<![\w.])@(?=[A-Za-z0-9])")


def escape(text: str) -> str:
    """Escape Markdown and HTML in model text, keeping its `code spans`, on one line."""
    out: list[str] = []
    pos = 0
    for m in _CODE_SPAN.finditer(text):
        out.append(_escape_plain(text[pos : m.start()]))
        out.append(code(m.group(2)))
        pos = m.end()
    out.append(_escape_plain(text[pos:]))
    # A backslash escapes punctuation only: "1." becomes "1\." rather than "\1.".
    return _LEADING.sub(lambda m: m.group(1) + m.group(2)[:-1] + "\\" + m.group(2)[-1], "".join(out).strip())


def _escape_plain(text: str) -> str:
    text = text.replace("&", "&amp;")
    text = _MARKUP.sub(r"\\\1", text)
    # `@user` and `@org/team` in model text would notify people: a word joiner keeps them plain text
    text = _MENTION.sub("@\u2060", text)
    return re.sub(r"\s+", " ", text)  # newlines would end a list item or a table row


def defuse(text: str) -> str:
    """`text` that cannot carry an HTML comment, so model text can never forge one of mochi's hidden
    markers (mochi.platforms.markers): a zero-width non-joiner splits every `<!--`."""
    return text.replace("<!--", "<!\u200c--")


def code(text: str) -> str:
    """An inline code span that holds `text` whatever backticks and pipes it contains."""
    text = " ".join(defuse(text).split()).replace("|", "\\|")  # GFM unescapes \| even inside code in tables
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _fenced(text: str, indent: str) -> list[str]:
    text = defuse(text)
    longest = max((len(run) for run in re.findall(r"`{3,}", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [
        f"{indent}{fence}",
        *(f"{indent}{ln}".rstrip() for ln in text.strip("\n").splitlines()),
        f"{indent}{fence}",
    ]


# One finding's message or suggestion in a posted comment: a reviewer's remark, not a document. A
# model that writes megabytes would otherwise make GitHub (65,536 characters a body) or GitLab refuse
# the comment; the whole text stays in the JSON, SARIF and job-summary outputs.
TEXT_LIMIT = 8_000


def clip(text: str, limit: int = TEXT_LIMIT, *, where: str = "the findings JSON") -> str:
    """`text` cut to `limit` characters, saying that it was cut and where the rest is."""
    if len(text) <= limit:
        return text
    tail = f" … (cut at {limit:,} characters: the full text is in {where})"
    return text[: max(0, limit - len(tail))] + tail


def location(f: Finding) -> str:
    """`path:line` or `path:line-end`, or just the path for file-level findings."""
    if f.line is None:
        return f.path
    return f"{f.path}:{f.line}" + (f"-{f.end_line}" if f.end_line and f.end_line > f.line else "")


def counts_line(findings: tuple[Finding, ...]) -> str:
    """'3 findings: 1 critical, 2 low' (severities with none are left out)."""
    if not findings:
        return "No findings."
    parts = [f"{n} {s.value}" for s in _SEVERITY_ORDER if (n := sum(1 for f in findings if f.severity is s))]
    noun = "finding" if len(findings) == 1 else "findings"
    return f"{len(findings)} {noun}: " + ", ".join(parts)


def _finding(f: Finding) -> list[str]:
    meta = " · ".join(escape(x) for x in (f.type.value, f.category or "") if x)
    lines = [f"- **{code(location(f))}** · {meta}", f"  {escape(f.message)}"]
    if f.suggestion:
        suggestion = f.suggestion.strip("\n")
        if "\n" in suggestion:
            lines += ["", "  *Suggestion:*", "", *_fenced(suggestion, "  ")]
        else:
            lines += ["", f"  *Suggestion:* {escape(suggestion)}"]
    return lines


def _findings(review: Review) -> list[str]:
    out = ["## Findings", ""]
    if not review.findings:
        return [*out, "No findings.", ""]
    for severity in _SEVERITY_ORDER:
        group = [f for f in review.findings if f.severity is severity]
        if not group:
            continue
        out += [f"### {_SEVERITY_ICON[severity]} {severity.value.capitalize()} ({len(group)})", ""]
        for f in group:
            out += [*_finding(f), ""]
    return out


def _summary(review: Review) -> list[str]:
    s = review.summary
    out: list[str] = []
    if s.overall_assessment:
        out += ["## Assessment", ""]
        out += [escape(p) + "\n" for p in re.split(r"\n\s*\n", s.overall_assessment.strip()) if p.strip()]
    if s.key_concerns:
        out += ["### Key concerns", "", *(f"- {escape(c)}" for c in s.key_concerns), ""]
    if s.recommendations:
        out += ["### Recommendations", "", *(f"- {escape(r)}" for r in s.recommendations), ""]
    out += compliance_table(review)
    return out


_VERDICT = {"met": "✅ met", "not_met": "❌ not met", "unclear": "❔ unclear"}


def compliance_table(review: Review) -> list[str]:
    """The acceptance criteria table (issue 5): ticket criterion | met / not met / unclear | reason."""
    rows = review.summary.ticket_compliance
    if not rows:
        return []
    out = ["### Acceptance criteria", "", "| Ticket | Criterion | Verdict | Reason |", "|---|---|---|---|"]
    for v in rows:
        verdict = _VERDICT[v.status.value]
        out.append(f"| {escape(v.ticket)} | {escape(v.criterion)} | {verdict} | {escape(v.reason)} |")
    return [*out, ""]


def _coverage(review: Review) -> list[str]:
    stats = review.stats
    files_reviewed = stats.files_reviewed or len(review.reviewed)
    out = ["## Coverage", "", f"- Files reviewed: {files_reviewed} ({stats.lines_changed} lines changed)"]
    skipped = review.skipped
    out.append(f"- Files skipped: {len(skipped) or stats.files_skipped}")
    if stats.findings_dropped:
        out.append(f"- Findings dropped (outside the change): {stats.findings_dropped}")
    out.append("")
    if review.reviewed:
        out += ["<details><summary>Reviewed files</summary>", ""]
        out += [f"- {code(p)}" for p in review.reviewed]
        out += ["", "</details>", ""]
    if skipped:
        out += ["| Skipped file | Reason |", "|---|---|"]
        out += [f"| {code(s.path)} | {escape(s.reason)} |" for s in skipped]
        out.append("")
    if review.truncated:
        out += ["| Reviewed in part | Why |", "|---|---|"]
        out += [f"| {code(s.path)} | {escape(s.reason)} |" for s in review.truncated]
        out.append("")
    return out


def _footer(review: Review) -> list[str]:
    stats = review.stats
    models = ", ".join(code(p) for p in review.providers_used) or "built-in checks only"
    parts = [
        f"Reviewed by Sonar-Mochi with {models}",
        f"{stats.llm_calls} model call{'s' if stats.llm_calls != 1 else ''}",
        f"{stats.prompt_tokens:,} prompt + {stats.completion_tokens:,} completion tokens",
        f"{stats.duration_s:.1f} s",
    ]
    return ["---", "", "<sub>" + " · ".join(parts) + "</sub>", ""]


def render_markdown(review: Review) -> str:
    """The whole report: assessment, concerns, findings by severity, coverage, and a footer."""
    out = [f"# Sonar-Mochi review: {escape(review.target.label())}", ""]
    if review.target.title:
        out += [f"**{escape(review.target.title)}**", ""]
    out += [counts_line(review.findings), ""]
    for notice in review.notices:
        out += [f"> [!NOTE]\n> {escape(notice)}", ""]
    out += _summary(review)
    out += _findings(review)
    out += _coverage(review)
    out += _footer(review)
    return "\n".join(out).rstrip("\n") + "\n"
