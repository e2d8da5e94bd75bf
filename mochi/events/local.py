"""Flags (and the pre-commit framework's pre-push variables) -> ReviewTarget for a local review."""

from __future__ import annotations

from collections.abc import Mapping

from mochi.diff.git import Git
from mochi.diff.sources import resolve_local_target
from mochi.errors import UsageError
from mochi.models import ReviewTarget, TargetKind

_ZERO_SHA = "0" * 40


def local_target(
    git: Git | None,
    *,
    base: str | None,
    head: str | None,
    staged: bool,
    diff_file: str | None,
    environ: Mapping[str, str],
) -> ReviewTarget:
    """Decide what to review from the flags.

    `--diff-file` wins over everything and needs no repository. Under the pre-commit framework's
    pre-push stage (`--pre-push` sets head to HEAD), PRE_COMMIT_FROM_REF/PRE_COMMIT_TO_REF name
    exactly what is being pushed (for a new branch, pre-commit sets the from-ref to the parent of
    its first commit the remote does not have). When the whole history is new to the remote (the
    first push of a repository), pre-commit sets no from/to ref, only PRE_COMMIT_LOCAL_BRANCH: the
    review is then that branch's tree against the empty tree, never the checked-out branch (which
    may not be the one pushed). An all-zero from-ref (older pre-commit) is compared with the default
    base.
    """
    if diff_file is not None:
        if staged or head:
            raise UsageError("--diff-file cannot be combined with --staged or --head")
        return ReviewTarget(kind=TargetKind.DIFF_FILE, diff_file=diff_file, repo=None)
    if git is None:  # pragma: no cover - cli builds a Git unless --diff-file was given
        raise UsageError("no repository to review")
    if staged and head:
        raise UsageError("--staged reviews the index; it cannot be combined with --head")
    to_ref = environ.get("PRE_COMMIT_TO_REF")
    from_ref = environ.get("PRE_COMMIT_FROM_REF")
    if head == "HEAD" and to_ref and to_ref != _ZERO_SHA:
        head = to_ref
        if base is None and from_ref and from_ref != _ZERO_SHA:
            base = from_ref
    elif head == "HEAD" and not to_ref and environ.get("PRE_COMMIT_LOCAL_BRANCH"):
        return _whole_history(git, environ["PRE_COMMIT_LOCAL_BRANCH"])
    return resolve_local_target(git, base=base, head=head, staged=staged)


def _whole_history(git: Git, local_branch: str) -> ReviewTarget:
    """The first push of a repository: every commit of `local_branch` is new, so is every file."""
    empty_tree = git.run("hash-object", "-t", "tree", "--stdin", input=b"").strip()
    return ReviewTarget(
        kind=TargetKind.RANGE,
        repo=git.toplevel(),
        base="the empty tree (first push)",
        head=local_branch.removeprefix("refs/heads/"),
        base_sha=empty_tree,
        head_sha=git.rev_parse(local_branch),
        branch=local_branch.removeprefix("refs/heads/"),
    )
