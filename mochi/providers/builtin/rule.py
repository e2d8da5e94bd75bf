"""What a built-in rule is, and what its check reports.

A rule is data (id, severity, message, documentation) plus one check function. The check looks at
one changed file and yields `Hit`s; the engine decides which hits touch added lines, applies the
user's per-rule configuration and turns hits into Findings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mochi.models import FindingType, Severity

if TYPE_CHECKING:
    from mochi.providers.builtin.source import SourceFile

ANY_LANGUAGE = "*"  # a rule for every text file (secrets, merge markers, ...)


@dataclass(frozen=True)
class Options:
    """Tunable thresholds shared by the checks."""

    large_file_lines: int = 1000  # added lines above which generic.large-file reports the file
    entropy_bits: float = 3.5  # Shannon entropy (bits per char) above which a literal looks random


@dataclass(frozen=True)
class Hit:
    """One place a check found a problem.

    The hit counts only when one of `line..end_line` or of `extra_lines` is an added line (a
    construct that spans several lines counts when any of them is added), or, when `introduced_by`
    is given, one of those lines (an `unsafe` block is introduced by its `unsafe` line, not by an
    edit inside it). `line=None` means the whole file (it always counts, the check already decided
    the file is part of the change). `evidence` is the construct's own text (an `any`, `a == b`):
    when a line the same hunk removes already held it (whitespace aside), the change only edited
    around it and the hit does not count.
    """

    line: int | None
    end_line: int | None = None
    message: str | None = None  # replaces the rule's message (e.g. to show a redacted value)
    suggestion: str | None = None
    extra_lines: tuple[int, ...] = ()
    introduced_by: tuple[int, ...] | None = None
    evidence: str | None = None

    def touched_lines(self) -> Iterable[int]:
        """Every new-file line whose addition makes this hit part of the change."""
        if self.introduced_by is not None:
            yield from self.introduced_by
            return
        if self.line is not None:
            yield from range(self.line, (self.end_line or self.line) + 1)
        yield from self.extra_lines


Check = Callable[["SourceFile", Options], Iterable[Hit]]


def unless(skip: Callable[[SourceFile], bool], check: Check) -> Check:
    """`check`, silent on the files `skip` picks out (test code, generated files...)."""

    def guarded(source: SourceFile, options: Options) -> Iterable[Hit]:
        return () if skip(source) else check(source, options)

    guarded.__name__ = getattr(check, "__name__", "check")
    guarded.__doc__ = check.__doc__
    return guarded


def lint_aware(lint_rules: frozenset[str], check: Check) -> Check:
    """`check` without the hits on lines where a linter's disable comment turns off one of
    `lint_rules` (`// eslint-disable-next-line no-console`): the author already decided."""

    def filtered(source: SourceFile, options: Options) -> Iterator[Hit]:
        for hit in check(source, options):
            if hit.line is None or not source.lint_disabled(hit.line, lint_rules):
                yield hit

    filtered.__name__ = getattr(check, "__name__", "check")
    filtered.__doc__ = check.__doc__
    return filtered


@dataclass(frozen=True)
class Rule:
    """A built-in check and what `mochi rules list` shows about it."""

    id: str
    languages: tuple[str, ...]  # "java", "javascript", "typescript", "tsx", "rust" or ANY_LANGUAGE
    severity: Severity
    type: FindingType
    category: str
    message: str
    doc: str
    check: Check
    suggestion: str | None = None
    # when this rule fires on a line, these rules' findings on the same line are dropped (a GitHub
    # token is also a high-entropy string: one finding, the precise one).
    supersedes: tuple[str, ...] = ()
    on_binary: bool = False  # runs on binary files too (rules about the path, not the content)
    # the tree-sitter query patterns the check runs: the engine runs all of a file's patterns in one
    # pass over its tree (several times faster than one pass per pattern)
    queries: tuple[str, ...] = ()
    # False for a rule too noisy to run unless the user turns it on (`[rules.<id>] enabled = true`):
    # one whose precision on real projects stays under 80%.
    enabled_by_default: bool = True

    def applies_to(self, language: str | None) -> bool:
        """True when the rule runs on files of `language` (None: not a language we parse)."""
        return ANY_LANGUAGE in self.languages or (language is not None and language in self.languages)
