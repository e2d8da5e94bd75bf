"""Build Diffs for the built-in checks' tests from whole files, the way git would show them."""

from __future__ import annotations

import difflib
import textwrap
from collections.abc import Mapping

from mochi.models import ChangeKind, Diff, FileDiff, Finding, Hunk, Line, LineKind
from mochi.providers.builtin import RULES, BuiltinReviewer
from mochi.settings import RuleConfig


def _lines(text: str) -> list[str]:
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def code(text: str) -> str:
    """Dedent a snippet written inside a test and drop its first newline."""
    return textwrap.dedent(text).lstrip("\n")


def make_added_file(path: str, text: str) -> FileDiff:
    """A new file: every line is added."""
    new = _lines(text)
    lines = tuple(Line(kind=LineKind.ADDED, old_no=None, new_no=i, text=t) for i, t in enumerate(new, 1))
    hunk = Hunk(old_start=0, old_len=0, new_start=1, new_len=len(new), lines=lines)
    return FileDiff(path=path, change=ChangeKind.ADDED, hunks=(hunk,))


def make_modified_file(path: str, old: str, new: str, context: int = 3) -> FileDiff:
    """A modified file with unified-diff hunks (3 lines of context) as `git diff` produces them."""
    a, b = _lines(old), _lines(new)
    hunks = []
    for group in difflib.SequenceMatcher(None, a, b, autojunk=False).get_grouped_opcodes(context):
        lines: list[Line] = []
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines += [
                    Line(kind=LineKind.CONTEXT, old_no=i + 1, new_no=j + 1, text=a[i])
                    for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
                ]
                continue
            lines += [
                Line(kind=LineKind.REMOVED, old_no=i + 1, new_no=None, text=a[i]) for i in range(i1, i2)
            ]
            lines += [Line(kind=LineKind.ADDED, old_no=None, new_no=j + 1, text=b[j]) for j in range(j1, j2)]
        first, last = group[0], group[-1]
        # git's default funcname: the last line above the hunk that starts with a letter, _ or $
        section = next(
            (
                a[i]
                for i in range(first[1] - 1, -1, -1)
                if a[i][:1] and (a[i][0].isalpha() or a[i][0] in "_$")
            ),
            "",
        )
        hunks.append(
            Hunk(
                section=section[:80],
                old_start=first[1] + 1 if last[2] > first[1] else first[1],
                old_len=last[2] - first[1],
                new_start=first[3] + 1 if last[4] > first[3] else first[3],
                new_len=last[4] - first[3],
                lines=tuple(lines),
            )
        )
    return FileDiff(path=path, old_path=path, change=ChangeKind.MODIFIED, hunks=tuple(hunks))


# every rule on, opt-in ones too (they are tested like the others); parsers and queries are built
# once for the whole test run
ALL_RULES = {rid: RuleConfig(enabled=True) for rid in RULES}
_DEFAULT = BuiltinReviewer(ALL_RULES)


def review(
    *files: tuple[FileDiff, str | None],
    rules: Mapping[str, RuleConfig] | None = None,
    reviewer: BuiltinReviewer | None = None,
) -> list[Finding]:
    """Run the built-in reviewer over (file diff, full new content or None) pairs."""
    contents = {fd.path: content for fd, content in files}
    reviewer = reviewer or (BuiltinReviewer({**ALL_RULES, **rules}) if rules is not None else _DEFAULT)
    return reviewer.review(Diff(files=tuple(fd for fd, _ in files)), contents.get)


def added(path: str, text: str, *, with_content: bool = True, **kwargs: object) -> list[Finding]:
    """Findings for a whole new file."""
    return review((make_added_file(path, text), text if with_content else None), **kwargs)  # type: ignore[arg-type]


def modified(path: str, old: str, new: str, *, with_content: bool = True) -> list[Finding]:
    """Findings for a file changed from `old` to `new`."""
    return review((make_modified_file(path, old, new), new if with_content else None))


def hits(findings: list[Finding], rule_id: str) -> list[int | None]:
    """The lines on which `rule_id` fired."""
    return [f.line for f in findings if f.rule_id == rule_id]
