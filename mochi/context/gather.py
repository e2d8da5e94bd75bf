"""Gather the issue-5 context for a diff: tickets, path instructions, related files, history,
and (issue 14, with `include_design_patterns`) the design patterns the repository uses.

`gather_context` is what `review.ContextBuilder` (and a CI mode's own builder) calls; every
source is passed in, so a GitHub run can hand over a base-branch reader, the PR's commits and the
findings read from its comment markers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Protocol

from mochi.context.history import prior_findings
from mochi.context.related import related_files
from mochi.context.tickets import TicketSources, find_keys
from mochi.models import Context, DesignPattern, Diff, PriorFinding, ReviewTarget, TargetKind, Ticket

if TYPE_CHECKING:
    from mochi.diff.git import Git
    from mochi.settings import Settings

logger = logging.getLogger(__name__)

ReadFile = Callable[[str], "str | None"]


class TicketFetcher(Protocol):
    def fetch(self, keys: Iterable[str]) -> tuple[list[Ticket], list[str]]:
        """The tickets for `keys` that could be read, and one warning (what to fix) per problem."""
        ...


def gather_context(
    settings: Settings,
    diff: Diff,
    *,
    target: ReviewTarget | None,
    tickets: TicketFetcher | None,
    commit_messages: Callable[[], Sequence[str]],
    read_changed: ReadFile,
    read_repo: ReadFile,
    previous_findings: Sequence[PriorFinding] = (),
    list_files: Callable[[], Sequence[str]] | None = None,
) -> Context:
    """The Context parts beyond frameworks and convention files (which the caller adds).

    `list_files()` names the files `read_repo` can read (mochi.context.listing), for the design
    patterns; without it only the changed files are looked at.
    """
    warnings: list[str] = []
    found: list[Ticket] = []
    if tickets is not None and target is not None and settings.jira.max_tickets:
        try:
            commits = tuple(commit_messages())
        except Exception as exc:  # the history is a hint; a shallow clone may not have it
            logger.info("could not read the commit messages: %s", exc)
            commits = ()
        sources = TicketSources(
            branch=target.branch, title=target.title, body=target.description, commits=commits
        )
        keys = find_keys(
            sources, projects=settings.jira.projects, pattern=settings.jira.key_pattern,
            limit=settings.jira.max_tickets,
        )  # fmt: skip
        if keys:
            found, warnings = tickets.fetch(keys)
    related = related_files(diff, read_changed, read_repo) if settings.related_files else ()
    return Context(
        tickets=tuple(found),
        path_instructions=settings.path_instructions,
        previous_findings=prior_findings(previous_findings, diff),
        related=related,
        warnings=tuple(warnings),
        design_patterns=design_patterns(settings, diff, read_repo, list_files),
    )


def design_patterns(
    settings: Settings, diff: Diff, read_repo: ReadFile, list_files: Callable[[], Sequence[str]] | None
) -> tuple[DesignPattern, ...]:
    """The repository's design patterns when `include_design_patterns` is on, else ()."""
    if not settings.include_design_patterns:
        return ()
    from mochi.context.patterns import PatternBudget, detect_patterns

    paths = list(list_files()) if list_files is not None else []
    if not paths:  # no listing (a host's API reader): the changed files, as they were, are what there is
        paths = [f.path for f in diff.files]
    budget = PatternBudget(max_files=settings.design_patterns_max_files)
    return detect_patterns(read_repo, paths, diff=diff, budget=budget)


def commit_reader(git: Git | None, target: ReviewTarget) -> Callable[[], list[str]]:
    """The messages of the commits under review (base...head), read when first asked for."""

    def read() -> list[str]:
        if git is None or target.kind in (TargetKind.DIFF_FILE, TargetKind.STAGED) or not target.base_sha:
            return []
        head = target.head_sha or "HEAD"
        text = git.run("log", "--format=%B%x00", "--max-count=200", f"{target.base_sha}..{head}")
        return [m.strip() for m in text.split("\x00") if m.strip()]

    return read
