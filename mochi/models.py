"""Core types that flow along the one data path.

target -> Diff -> Prompt -> Completion -> Finding -> Review. Every stage takes and returns these
pydantic objects; nothing here does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# --------------------------------------------------------------------------- targets


class TargetKind(StrEnum):
    WORKTREE = "worktree"  # merge-base(base, HEAD) against the working tree, untracked included
    STAGED = "staged"  # index against HEAD
    RANGE = "range"  # base...head, committed only
    DIFF_FILE = "diff_file"  # any unified diff from a file or stdin
    PULL_REQUEST = "pull_request"  # a hosted PR/MR


class ReviewTarget(Frozen):
    """What is being reviewed, before any diff is computed."""

    kind: TargetKind
    repo: Path | None = None
    base: str | None = None  # the ref the user named or the default branch that was found
    head: str | None = None
    base_sha: str | None = None  # resolved merge-base, once known
    head_sha: str | None = None
    diff_file: str | None = None  # path, or "-" for stdin
    title: str | None = None
    description: str | None = None
    url: str | None = None
    number: int | None = None
    branch: str | None = None

    def label(self) -> str:
        """A short human description: `worktree vs main`, `a1b2c3...d4e5f6`, `PR #12`."""
        if self.kind is TargetKind.WORKTREE:
            return f"working tree vs {self.base or 'base'}"
        if self.kind is TargetKind.STAGED:
            return "staged changes vs HEAD"
        if self.kind is TargetKind.RANGE:
            return f"{self.base}...{self.head}"
        if self.kind is TargetKind.DIFF_FILE:
            return "diff from stdin" if self.diff_file == "-" else f"diff file {self.diff_file}"
        return f"#{self.number}" if self.number is not None else "pull request"


# --------------------------------------------------------------------------- diffs


class ChangeKind(StrEnum):
    ADDED = "added"
    DELETED = "deleted"
    MODIFIED = "modified"
    RENAMED = "renamed"
    COPIED = "copied"


class LineKind(StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    CONTEXT = "context"


class Line(Frozen):
    kind: LineKind
    old_no: int | None  # None for added lines
    new_no: int | None  # None for removed lines
    text: str  # without the leading +/-/space and without the line ending
    no_newline_at_eof: bool = False


class Hunk(Frozen):
    old_start: int
    old_len: int
    new_start: int
    new_len: int
    section: str = ""  # the text after the second @@ (often the enclosing function)
    lines: tuple[Line, ...] = ()


class FileDiff(Frozen):
    """One file of a change. `path` is the new path, or the old one for a deletion."""

    path: str
    old_path: str | None = None  # set for renames and copies (and equals path otherwise)
    change: ChangeKind = ChangeKind.MODIFIED
    binary: bool = False
    old_mode: str | None = None
    new_mode: str | None = None
    symlink: bool = False
    hunks: tuple[Hunk, ...] = ()
    language: str | None = None  # filled by diff.select (see diff/language.py)

    def added_lines(self) -> list[Line]:
        return [ln for h in self.hunks for ln in h.lines if ln.kind is LineKind.ADDED]

    def right_lines(self) -> dict[int, Line]:
        """New-side line number -> line, for every added or context line in the diff."""
        return {ln.new_no: ln for h in self.hunks for ln in h.lines if ln.new_no is not None}

    @property
    def lines_changed(self) -> int:
        return sum(1 for h in self.hunks for ln in h.lines if ln.kind is not LineKind.CONTEXT)


class SkippedFile(Frozen):
    path: str
    reason: str  # human readable: "lockfile", "binary", "generated (linguist-generated)", ...


class Diff(Frozen):
    files: tuple[FileDiff, ...] = ()
    skipped: tuple[SkippedFile, ...] = ()
    # binary files (also in `skipped`): no model reads them, the checks that look at a path still do
    binaries: tuple[FileDiff, ...] = ()
    # deleted files (also in `skipped`): nothing reviews them, but the checks see the lines they
    # remove, so code moved out of a deleted file into another is not taken for new code
    deleted: tuple[FileDiff, ...] = ()
    # path -> file and (old or new) name -> path, built once for these `files` (a copy with other
    # files rebuilds them): a lookup per finding must not scan 50,000 files
    _index: _DiffIndex | None = PrivateAttr(default=None)

    def _indexes(self) -> _DiffIndex:
        index = self._index
        if index is None or index.of != id(self.files):
            index = _DiffIndex.build(self.files)
            self._index = index
        return index

    def file(self, path: str) -> FileDiff | None:
        """The changed file at `path` (its new path)."""
        return self._indexes().by_path.get(path)

    def names(self) -> dict[str, str]:
        """Every changed file's path, and the old path of a renamed one, to its new path."""
        return self._indexes().names

    def names_named(self, basename: str) -> list[str]:
        """The names (as in `names()`) whose last component is `basename`."""
        return self._indexes().by_basename.get(basename, [])

    @property
    def lines_changed(self) -> int:
        return sum(f.lines_changed for f in self.files)


@dataclass
class _DiffIndex:
    of: int  # id() of the files tuple it indexes
    by_path: dict[str, FileDiff]
    names: dict[str, str]
    by_basename: dict[str, list[str]]

    @classmethod
    def build(cls, files: tuple[FileDiff, ...]) -> _DiffIndex:
        by_path: dict[str, FileDiff] = {}
        names: dict[str, str] = {}
        for f in files:
            by_path.setdefault(f.path, f)
            names.setdefault(f.path, f.path)
        for f in files:
            if f.old_path:
                names.setdefault(f.old_path, f.path)
        by_basename: dict[str, list[str]] = {}
        for name in names:
            by_basename.setdefault(name.rsplit("/", 1)[-1], []).append(name)
        return cls(id(files), by_path, names, by_basename)


# --------------------------------------------------------------------------- context


class TicketLink(Frozen):
    """A ticket one level away from a reviewed one: a linked issue, or the parent/epic."""

    key: str
    relation: str  # "blocks", "is blocked by", "parent", "epic", ...
    summary: str = ""
    status: str | None = None
    type: str | None = None


class Ticket(Frozen):
    key: str
    summary: str
    type: str | None = None
    status: str | None = None
    priority: str | None = None
    description: str = ""
    acceptance_criteria: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    url: str | None = None
    # -- issue 5 (Jira context): additive
    components: tuple[str, ...] = ()
    links: tuple[TicketLink, ...] = ()
    parent: TicketLink | None = None
    truncated: bool = False  # the description was cut to the per-ticket cap


class PathInstruction(Frozen):
    """`[[path_instructions]]` in .mochi.toml: rules for the files matching a gitignore-like glob."""

    path: str
    instructions: str


class PriorFinding(Frozen):
    """A finding mochi posted on this change before (from the PR's comment markers or the store)."""

    path: str
    line: int | None = None
    message: str
    status: Literal["open", "resolved"] = "open"
    fingerprint: str = ""


class RelatedFile(Frozen):
    """A repository file that a changed file imports, as short signatures (no bodies)."""

    path: str
    imported_by: tuple[str, ...] = ()
    signatures: str = ""


class DesignPattern(Frozen):
    """A design pattern the repository's code already uses (mochi.context.patterns)."""

    id: str  # "spring.constructor-injection"
    name: str  # "Constructor injection"
    description: str  # how THIS repository uses it, in a sentence or two
    examples: tuple[str, ...] = ()  # 1-3 repository paths that show it
    family: str = "any"  # the files it concerns: "java", "js", "rust" or "any"


class Context(Frozen):
    """What a good reviewer knows besides the diff. Each part is empty when unconfigured."""

    frameworks: tuple[str, ...] = ()  # e.g. ("spring-boot", "react", "actix-web")
    tickets: tuple[Ticket, ...] = ()
    instructions: str = ""  # repository rules (CONTRIBUTING.md, .mochi.toml instructions...)
    # -- issue 5: the prompt for a chunk gets only the parts that match its files
    path_instructions: tuple[PathInstruction, ...] = ()
    previous_findings: tuple[PriorFinding, ...] = ()
    related: tuple[RelatedFile, ...] = ()
    warnings: tuple[str, ...] = ()  # context that could not be gathered (Jira down, ...): notices
    # issue 14: only with include_design_patterns (--design-patterns)
    design_patterns: tuple[DesignPattern, ...] = ()


# --------------------------------------------------------------------------- model I/O


class Prompt(Frozen):
    system: str
    user: str
    paths: tuple[str, ...] = ()  # the files this prompt covers
    languages: tuple[str, ...] = ()
    frameworks: tuple[str, ...] = ()


class Completion(Frozen):
    text: str
    provider: str
    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    duration_s: float = 0.0
    # streamed answers only: seconds from sending the request to the first token, and the
    # generation speed after it (None when the provider does not stream or nothing came)
    first_token_s: float | None = None
    tokens_per_s: float | None = None
    # why the answer ended, as the server says ("stop"; "length": cut off at the output limit)
    finish_reason: str | None = None


# --------------------------------------------------------------------------- findings


class FindingType(StrEnum):
    SUGGESTION = "suggestion"
    QUESTION = "question"
    BUG = "bug"
    PRAISE = "praise"


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]

    def at_least(self, other: Severity) -> bool:
        return self.rank >= other.rank


_SEVERITY_RANK = {Severity.LOW: 0, Severity.MEDIUM: 1, Severity.HIGH: 2, Severity.CRITICAL: 3}


class Anchor(StrEnum):
    INLINE = "inline"  # on an added or context line of the diff: can be an inline comment
    FILE = "file"  # in a changed file but outside the diff's lines
    SUMMARY = "summary"  # no usable location


class Finding(Frozen):
    path: str
    line: int | None = None
    end_line: int | None = None
    side: Literal["RIGHT", "LEFT"] = "RIGHT"
    type: FindingType = FindingType.SUGGESTION
    severity: Severity = Severity.LOW
    category: str | None = None
    message: str
    suggestion: str | None = None
    source: str = "llm"  # "llm:<provider>/<model>" or "builtin:<rule-id>"; merged: "a+b"
    rule_id: str | None = None
    fingerprint: str = ""
    anchored: Anchor = Anchor.SUMMARY


class ComplianceStatus(StrEnum):
    MET = "met"
    NOT_MET = "not_met"
    UNCLEAR = "unclear"


class CriterionVerdict(Frozen):
    """The model's judgement of one acceptance criterion of a ticket."""

    ticket: str
    criterion: str
    status: ComplianceStatus = ComplianceStatus.UNCLEAR
    reason: str = ""


class Summary(Frozen):
    overall_assessment: str = ""
    key_concerns: tuple[str, ...] = ()
    recommendations: tuple[str, ...] = ()
    ticket_compliance: tuple[CriterionVerdict, ...] = ()  # issue 5: additive


class Stats(Frozen):
    files_reviewed: int = 0
    files_skipped: int = 0
    lines_changed: int = 0
    llm_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    duration_s: float = 0.0
    findings_dropped: int = 0  # findings on paths outside the change
    findings_suppressed: int = 0  # hidden by mochi-ignore comments (mochi.suppress)
    findings_below_min_severity: int = 0  # not reported: below min_severity (issue 14)


class Review(Frozen):
    target: ReviewTarget
    findings: tuple[Finding, ...] = ()
    summary: Summary = Field(default_factory=Summary)
    stats: Stats = Field(default_factory=Stats)
    reviewed: tuple[str, ...] = ()
    skipped: tuple[SkippedFile, ...] = ()
    providers_used: tuple[str, ...] = ()  # "ollama/qwen2.5-coder:7b", in call order
    notices: tuple[str, ...] = ()  # things the user should know (a provider fell back, ...)
    # issue 5: files the model saw only in part (a line cut, a chunk whose model call failed)
    truncated: tuple[SkippedFile, ...] = ()
    chunks: int = 0  # how many prompts the LLM pass was split into
    # issue 11: the LLM pass was asked for and failed (why); the findings are the built-in checks' only
    llm_error: str | None = None
