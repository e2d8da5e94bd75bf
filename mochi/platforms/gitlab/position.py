"""Finding -> GitLab diff position: the object a merge request discussion is anchored with.

GitLab accepts a position only when it names a line of the version's diff exactly:

- an added line takes `new_line` only, a deleted line `old_line` only, a context line both;
- `old_path`/`new_path` are the file's names before and after (equal unless it was renamed);
- `base_sha`/`start_sha`/`head_sha` are the version's commits;
- a multi-line note is anchored on its last line and carries `line_range.start/end`, each with a
  `line_code` (`<sha1 of the new path>_<old counter>_<new counter>`, GitLab's own line numbering
  in which an added line still has the old-side counter and a deleted line the new-side one) and a
  `type` ("new" for an added line, "old" otherwise).

Anything else is refused with 400 "line_code can't be blank", so a finding whose line is not in
the diff gets no position here and goes into the summary note instead.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from mochi.models import FileDiff, Finding, LineKind
from mochi.platforms.gitlab.diff import MRVersion


@dataclass(frozen=True)
class DiffPoint:
    """One line of a hunk, numbered the way positions and line codes need it."""

    kind: LineKind
    old_line: int | None  # what a position sends: None for an added line
    new_line: int | None  # None for a deleted line
    old_pos: int  # GitLab's counters, which every line has
    new_pos: int


def line_code(path: str, old_pos: int, new_pos: int) -> str:
    """GitLab's line code of a diff line of `path` (the file's new path)."""
    return f"{hashlib.sha1(path.encode('utf-8')).hexdigest()}_{old_pos}_{new_pos}"


def hunk_points(file: FileDiff) -> list[list[DiffPoint]]:
    """Each hunk's lines with both their position numbers and GitLab's counters."""
    out: list[list[DiffPoint]] = []
    for hunk in file.hunks:
        old, new = hunk.old_start, hunk.new_start
        points: list[DiffPoint] = []
        for ln in hunk.lines:
            if ln.kind is LineKind.ADDED:
                points.append(DiffPoint(ln.kind, None, new, old, new))
                new += 1
            elif ln.kind is LineKind.REMOVED:
                points.append(DiffPoint(ln.kind, old, None, old, new))
                old += 1
            else:
                points.append(DiffPoint(ln.kind, old, new, old, new))
                old, new = old + 1, new + 1
        out.append(points)
    return out


def _number(point: DiffPoint, left: bool) -> int | None:
    return point.old_line if left else point.new_line


def _range_end(file: FileDiff, point: DiffPoint) -> dict[str, Any]:
    return {
        "line_code": line_code(file.path, point.old_pos, point.new_pos),
        "type": "new" if point.kind is LineKind.ADDED else "old",
        "old_line": point.old_line,
        "new_line": point.new_line,
    }


def position_for(
    finding: Finding, file: FileDiff, version: MRVersion, *, left_ok: bool = True
) -> dict[str, Any] | None:
    """The position of `finding` in `file` of this version's diff, or None when it has none.

    left_ok False refuses LEFT-side findings (their old-side numbers belong to another diff, as in
    an incremental review of the changes since the last push).
    """
    if finding.line is None:
        return None
    left = finding.side == "LEFT"
    if left and not left_ok:
        return None
    for points in hunk_points(file):
        start = next((p for p in points if _number(p, left) == finding.line), None)
        if start is None:
            continue
        end = start
        if finding.end_line and finding.end_line > finding.line:
            # the last line of the same hunk, on the same side, not past end_line
            after = [
                p
                for p in points[points.index(start) :]
                if (n := _number(p, left)) is not None and n <= finding.end_line
            ]
            end = after[-1] if after else start
        position: dict[str, Any] = {
            "position_type": "text",
            "base_sha": version.base_sha,
            "start_sha": version.start_sha,
            "head_sha": version.head_sha,
            "old_path": file.old_path or file.path,
            "new_path": file.path,
        }
        # a note sits on its last line; a deleted line has no new number, an added no old one
        if end.new_line is not None:
            position["new_line"] = end.new_line
        if end.old_line is not None:
            position["old_line"] = end.old_line
        if end is not start:
            position["line_range"] = {"start": _range_end(file, start), "end": _range_end(file, end)}
        return position
    return None
