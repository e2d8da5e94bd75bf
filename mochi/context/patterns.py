"""The design patterns a repository already uses, found in its code, for the review's prompt.

With `include_design_patterns` (`--design-patterns`) the prompt gets a "Design patterns used in
this repository" section: each pattern's name, how THIS repository uses it and 1-3 example paths,
and the model is asked to check the change against them (category `design`). Use:

    patterns = detect_patterns(read_repo, repository_paths, diff=diff)
    context = Context(design_patterns=patterns, ...)

`read_file` is the reader the rest of the context uses (the reviewed revision, or the trusted base
in a pull_request_target run); `paths` is the repository's file list at that revision
(mochi.context.listing). The repository as it was BEFORE the change is what counts: a changed
file is read with its diff reversed, and a file the change adds is not read at all, so a change
that swaps constructor injection for field injection is measured against the constructor
injection it replaces.

The cost is bounded (PatternBudget): at most `max_files` source files (Java/Kotlin, JS/TS, Rust;
never tests, generated or vendored code), `max_bytes` read and `max_seconds` spent, in a
deterministic order: the changed files and their neighbours first (the closest directories), then
by path. Rules and descriptions: mochi.context.pattern_rules and mochi.context.pattern_text.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from posixpath import dirname

from mochi.context.pattern_rules import Hit, family_of, scan
from mochi.diff.redact import REDACTED
from mochi.models import ChangeKind, DesignPattern, Diff, FileDiff, LineKind

logger = logging.getLogger(__name__)

ReadFile = Callable[[str], "str | None"]

DEFAULT_MAX_FILES = 300
# build output a checkout may hold (is_generated_path knows dist/, vendor/, node_modules/...)
_BUILD_OUTPUT = frozenset({"target", "build", "out", ".next", ".nuxt", "coverage", "generated-sources"})
MAX_PATTERNS = 12  # per language: a prompt's section stays short


@dataclass(frozen=True)
class PatternBudget:
    """How much of the repository the detector may read."""

    max_files: int = DEFAULT_MAX_FILES
    max_bytes: int = 4_000_000  # characters read, all files together
    max_seconds: float = 3.0
    per_file_chars: int = 60_000  # only the start of a huge file is examined


@dataclass
class Evidence:
    """What the sampled files show of one pattern (see pattern_text.describe)."""

    id: str
    family: str
    files: list[str]
    names: list[str]  # in the order the files were read, each once
    variants: dict[str, list[str]]  # variant -> the names that show it
    where: dict[str, str]  # name -> the first file it was seen in

    def add(self, path: str, hit: Hit) -> None:
        if path not in self.files:
            self.files.append(path)
        if hit.name and hit.name not in self.names:
            self.names.append(hit.name)
            self.where[hit.name] = path
        if hit.variant:
            names = self.variants.setdefault(hit.variant, [])
            if hit.name not in names:
                names.append(hit.name)


def detect_patterns(
    read_file: ReadFile,
    paths: Iterable[str],
    *,
    diff: Diff | None = None,
    budget: PatternBudget = PatternBudget(),
    clock: Callable[[], float] = time.monotonic,
) -> tuple[DesignPattern, ...]:
    """The patterns the files at `paths` (as before `diff`) show, in a stable order (see the module doc)."""
    from mochi.context.pattern_text import describe

    changed = {f.path: f for f in diff.files} if diff is not None else {}
    skipped = {s.path for s in diff.skipped} if diff is not None else set()
    candidates = set(paths) | {p for p, f in changed.items() if f.change is ChangeKind.DELETED}
    order = sample_order(candidates - skipped, near=list(changed))
    started = clock()
    evidence: dict[tuple[str, str], Evidence] = {}
    read = used = 0
    for path in order:
        if read >= budget.max_files or used >= budget.max_bytes:
            break
        if clock() - started > budget.max_seconds:
            logger.info("design patterns: time budget reached after %d file(s)", read)
            break
        text = _text_before_change(path, read_file, changed.get(path))
        if text is None:
            continue
        read += 1
        used += len(text)
        if _looks_generated(text):
            continue
        family = family_of(path) or "any"
        for hit in scan(path, text[: budget.per_file_chars]):
            key = (hit.pattern, family if hit.pattern.startswith("generic.") else "")
            evidence.setdefault(key, Evidence(hit.pattern, family, [], [], {}, {})).add(path, hit)
    logger.info("design patterns: read %d file(s), %d characters", read, used)
    # a strategy is an interface (or trait) of the repository's own with several implementations
    defined = {f: set(e.names) for (pid, f), e in evidence.items() if pid == "generic.interface"}
    described = (describe(e, defined.get(e.family, set())) for e in _ordered(evidence))
    found: list[DesignPattern] = []
    for pattern in described:
        if pattern is not None and sum(p.family == pattern.family for p in found) < MAX_PATTERNS:
            found.append(pattern)
    return tuple(found)


def patterns_for(patterns: Sequence[DesignPattern], paths: Sequence[str]) -> list[DesignPattern]:
    """The patterns that concern a prompt's files: those of their languages (and "any")."""
    families = {family_of(p) for p in paths}
    return [p for p in patterns if p.family == "any" or p.family in families]


# --------------------------------------------------------------------------- which files


def sample_order(paths: Iterable[str], *, near: Sequence[str] = ()) -> list[str]:
    """The source files among `paths` worth reading, closest to `near` first, then by path.

    Tests, generated, vendored and minified files are left out (the builtin checks' own rules).
    """
    from mochi.providers.builtin.context import is_generated_path, is_test_path

    depth: dict[str, int] = {}
    for path in near:
        directory = dirname(path)
        level = directory.count("/") + 1 if directory else 0
        while True:
            depth[directory] = max(depth.get(directory, -1), level)
            if not directory:
                break
            directory, level = dirname(directory), level - 1

    def closeness(path: str) -> int:
        directory = dirname(path)
        while directory not in depth and directory:
            directory = dirname(directory)
        return depth.get(directory, -1)

    kept = [
        p
        for p in paths
        if family_of(p) is not None
        and not p.endswith(".d.ts")  # declarations: no code, and often generated
        and not is_test_path(p)
        and not is_generated_path(p)
        and _BUILD_OUTPUT.isdisjoint(p.split("/")[:-1])
    ]
    return sorted(kept, key=lambda p: (-closeness(p), p))


def _looks_generated(text: str) -> bool:
    from mochi.providers.builtin.context import looks_generated

    return looks_generated(text[:20_000].split("\n", 80)[:80])


# --------------------------------------------------------------------------- the repository before the change


def _text_before_change(path: str, read_file: ReadFile, change: FileDiff | None) -> str | None:
    """The file as it was before the change: as read when unchanged; None when the change adds it."""
    if change is None:
        return read_file(path)
    if change.change is ChangeKind.ADDED or change.binary:
        return None
    if change.change is ChangeKind.DELETED:
        return "\n".join(ln.text for h in change.hunks for ln in h.lines if ln.kind is not LineKind.ADDED)
    text = read_file(path)
    return None if text is None else base_text(text, change)


def base_text(text: str, change: FileDiff) -> str | None:
    """`text`, the file after `change`, with the change reversed; `text` itself when it already is
    the file before (a reader of the base branch); None when it matches neither side of the diff."""
    lines = text.split("\n")
    if _matches(lines, change, new=True):
        return "\n".join(_reverse(lines, change))
    if _matches(lines, change, new=False):
        return text
    return None


def _matches(lines: Sequence[str], change: FileDiff, *, new: bool) -> bool:
    for hunk in change.hunks:
        for ln in hunk.lines:
            number = ln.new_no if new else ln.old_no
            if number is None:
                continue
            if not 0 < number <= len(lines):
                return False
            # a line whose secret was redacted from the diff (mochi.diff.redact) matches any text
            if lines[number - 1].rstrip("\r") != ln.text.rstrip("\r") and REDACTED not in ln.text:
                return False
    return True


def _reverse(lines: Sequence[str], change: FileDiff) -> list[str]:
    out: list[str] = []
    cursor = 1  # the next line of `lines` (1-based) not yet copied
    for hunk in sorted(change.hunks, key=lambda h: h.new_start):
        new_numbers = [ln.new_no for ln in hunk.lines if ln.new_no is not None]
        start = min(new_numbers) if new_numbers else hunk.new_start + 1
        out.extend(lines[cursor - 1 : start - 1])
        out.extend(ln.text for ln in hunk.lines if ln.kind is not LineKind.ADDED)
        cursor = max(cursor, start + len(new_numbers))
    out.extend(lines[cursor - 1 :])
    return out


def _ordered(evidence: dict[tuple[str, str], Evidence]) -> list[Evidence]:
    from mochi.context.pattern_text import CATALOGUE

    rank = {pattern: i for i, pattern in enumerate(CATALOGUE)}
    families = {"java": 0, "js": 1, "rust": 2}
    return sorted(
        evidence.values(), key=lambda e: (rank.get(e.id, len(rank)), families.get(e.family, 3), e.id)
    )
