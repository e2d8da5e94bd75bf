"""Inline suppressions: `mochi-ignore[rule-id]: reason` comments, as eslint, ruff and clippy users expect.

- `mochi-ignore[java.system-out]: reason` in a comment on the finding's line, or on a line of its own
  just above it, hides that rule's finding there. Several ids: `mochi-ignore[js.eval, js.debugger]`.
- `mochi-ignore-file[generic.large-file]: reason` in a comment within the file's first 30 lines
  hides that rule in the whole file.
- An id may be a glob (`java.*`); `llm` means the model's findings (which have no rule id); a
  marker without brackets hides every finding there (the id list is better: it says what you hid).

The marker counts only inside a comment: after `//`, `#`, `/*`, `*`, `--`, `;`, `!` or `<!--` on
the same line, so a string that mentions it suppresses nothing. `--no-suppress` (setting
`suppress = false`) shows everything, to audit what is hidden.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

from mochi.models import Diff, Finding

FILE_HEAD_LINES = 30  # where a mochi-ignore-file marker is looked for
LLM = "llm"

_COMMENT = r"(?://|#|/\*|\*|--|;|!|<!--)"
_MARKER = re.compile(
    _COMMENT + r"[^\n]*?\bmochi-ignore(?P<file>-file)?(?:\[(?P<ids>[^\]]*)\])?(?=$|[\s:;,*/>-])"
)
_ONLY_COMMENT = re.compile(r"^\s*" + _COMMENT)


@dataclass
class Marker:
    line: int
    ids: tuple[str, ...]  # () means every finding
    whole_file: bool

    def hides(self, finding: Finding) -> bool:
        if not self.ids:
            return True
        rid = finding.rule_id
        return any(
            (rid is None and pattern == LLM) or (rid is not None and fnmatchcase(rid, pattern))
            for pattern in self.ids
        )


@dataclass
class Suppressed:
    """The findings a review keeps, those its comments hid, and markers naming no rule."""

    kept: list[Finding]
    hidden: list[Finding] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)  # "path:line names no rule: jav.x"


def markers(lines: Sequence[str]) -> list[Marker]:
    """The suppression markers in a file's lines (1-based line numbers)."""
    found = []
    for no, text in enumerate(lines, 1):
        if "mochi-ignore" not in text:
            continue
        match = _MARKER.search(text)
        if match is None:
            continue
        whole_file = bool(match.group("file"))
        if whole_file and no > FILE_HEAD_LINES:
            continue
        ids = tuple(i.strip() for i in (match.group("ids") or "").split(",") if i.strip())
        found.append(Marker(no, ids, whole_file))
    return found


def _lines_of(path: str, diff: Diff, read_file: Callable[[str], str | None]) -> list[str]:
    content = read_file(path)
    if content is not None:
        return content.split("\n")
    file_diff = diff.file(path)
    if file_diff is None:
        return []
    right = file_diff.right_lines()
    lines = [""] * max(right, default=0)
    for no, line in right.items():
        lines[no - 1] = line.text
    return lines


def apply(
    found: Iterable[Finding],
    diff: Diff,
    read_file: Callable[[str], str | None],
    *,
    known_rules: Callable[[str], bool] = lambda _rid: True,
) -> Suppressed:
    """Split `found` into kept and hidden findings by the markers in each file's new text."""
    result = Suppressed(kept=[])
    cache: dict[str, tuple[list[str], list[Marker]]] = {}
    for finding in found:
        if finding.side != "RIGHT":
            result.kept.append(finding)
            continue
        if finding.path not in cache:
            lines = _lines_of(finding.path, diff, read_file)
            cache[finding.path] = (lines, markers(lines))
            for marker in cache[finding.path][1]:
                for rid in marker.ids:
                    if rid != LLM and not any(ch in rid for ch in "*?[") and not known_rules(rid):
                        result.unknown.append(f"{finding.path}:{marker.line} names no rule: {rid}")
        lines, file_markers = cache[finding.path]
        if any(m.hides(finding) and _covers(m, finding, lines) for m in file_markers):
            result.hidden.append(finding)
        else:
            result.kept.append(finding)
    return result


def _covers(marker: Marker, finding: Finding, lines: Sequence[str]) -> bool:
    if marker.whole_file:
        return True
    if finding.line is None:
        return False
    if marker.line == finding.line:
        return True
    # a comment on a line of its own just above the finding (or above its first line)
    above = marker.line + 1 == finding.line
    return above and 0 < marker.line <= len(lines) and bool(_ONLY_COMMENT.match(lines[marker.line - 1]))
