"""The Markdown mochi posts on a merge request: one inline discussion body, and the summary note.

Model text is untrusted and escaped (mochi.publish.markdown.escape), as in every Markdown output.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from mochi.models import Finding, Review, Severity
from mochi.platforms.gitlab.diff import MRVersion
from mochi.publish.markdown import _fenced as fenced
from mochi.publish.markdown import clip, code, compliance_table, counts_line, escape, location

_ICON = {Severity.CRITICAL: "🔴", Severity.HIGH: "🟠", Severity.MEDIUM: "🟡", Severity.LOW: "🔵"}


def inline_body(finding: Finding) -> str:
    """The body of one inline discussion (without its fingerprint marker)."""
    meta = " · ".join(escape(x) for x in (finding.type.value, finding.category or "") if x)
    lines = [
        f"{_ICON[finding.severity]} **{finding.severity.value}** · {meta}",
        "",
        escape(clip(finding.message)),
    ]
    if finding.suggestion:
        suggestion = clip(finding.suggestion.strip("\n"))
        lines += ["", "**Suggestion:**", ""]
        lines += fenced(suggestion, "") if "\n" in suggestion else [escape(suggestion)]
    source = finding.rule_id or finding.source
    lines += ["", f"<sub>Sonar-Mochi · {escape(source)}</sub>"]
    return "\n".join(lines)


def summary_body(
    review: Review,
    unanchored: Sequence[Finding],
    *,
    posted: int,
    already_there: int,
    version: MRVersion,
    incremental_from: str | None,
) -> str:
    """The sticky summary note (without its marker)."""
    out = ["## Sonar-Mochi review", "", counts_line(review.findings), ""]
    for notice in review.notices:
        out += [f"> {escape(notice)}", ""]
    s = review.summary
    if s.overall_assessment:
        out += [escape(p) + "\n" for p in re.split(r"\n\s*\n", s.overall_assessment.strip()) if p.strip()]
    if s.key_concerns:
        out += ["### Key concerns", "", *(f"- {escape(c)}" for c in s.key_concerns), ""]
    if s.recommendations:
        out += ["### Recommendations", "", *(f"- {escape(r)}" for r in s.recommendations), ""]
    table = compliance_table(review)  # the Jira tickets' acceptance criteria
    if table:
        out += [*table, ""]
    if unanchored:
        out += ["### Findings outside the diff's lines", ""]
        for f in unanchored:
            out.append(
                f"- {_ICON[f.severity]} **{code(location(f))}** · {escape(f.type.value)}: {escape(f.message)}"
            )
        out.append("")
    threads = f"{posted} new discussion(s)" + (
        f"; {already_there} already open from earlier runs" if already_there else ""
    )
    if incremental_from:
        scope = f"the changes pushed since {code(incremental_from[:12])}"
    else:
        scope = f"{code(version.base_sha[:12])}...{code(version.head_sha[:12])}"
    models = ", ".join(code(p) for p in review.providers_used) or "built-in checks only"
    out += [
        "---",
        "",
        f"<sub>Reviewed {scope} with {models} · {threads} · "
        f"{review.stats.files_reviewed} file(s), {review.stats.lines_changed} changed line(s)</sub>",
    ]
    return "\n".join(out).rstrip("\n") + "\n"
