"""Local review targets -> resolved ReviewTarget and unified diff text.

The diff is always asked for with flags and `-c` settings that override whatever the user's git
config says (colour, external diff tools, textconv, prefixes, quoting), so `parse.parse_diff`
sees one predictable format on every machine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO

from mochi.diff.git import Git
from mochi.diff.parse import parse_diff
from mochi.errors import EmptyChangeError, TargetError, UsageError
from mochi.models import FileDiff, ReviewTarget, SkippedFile, TargetKind

# `-c` settings that would otherwise change the diff's format.
_DIFF_CONFIG = (
    "-c",
    "core.quotepath=on",
    "-c",
    "diff.noprefix=false",
    "-c",
    "diff.mnemonicPrefix=false",
    "-c",
    "diff.relative=false",
    "-c",
    "color.diff=never",
)
_DIFF_FLAGS = (
    "--no-color",
    "--no-ext-diff",
    "--no-textconv",
    "-M",
    "--src-prefix=a/",
    "--dst-prefix=b/",
    "--full-index",
)


def resolve_local_target(git: Git, *, base: str | None, head: str | None, staged: bool) -> ReviewTarget:
    """Decide what a local review compares and resolve it to commits.

    staged: the index against HEAD. head given: RANGE, merge-base(base, head)..head. Otherwise
    WORKTREE: merge-base(base, HEAD) against the working tree. `base` defaults to the remote's
    default branch (Git.default_base).
    """
    branch = git.current_branch()
    if staged:
        if head is not None:
            raise UsageError("--staged reviews the index against HEAD: drop --head, or drop --staged")
        return ReviewTarget(
            kind=TargetKind.STAGED,
            repo=git.toplevel(),
            base="HEAD",
            base_sha=git.rev_parse("HEAD") if git.has_commits() else None,
            branch=branch,
        )
    if not git.has_commits():
        raise TargetError(
            "this repository has no commits yet, so there is no base to compare with: "
            "review what you staged with --staged, or commit first"
        )
    base = base or git.default_base()
    if head is not None:
        return ReviewTarget(
            kind=TargetKind.RANGE,
            repo=git.toplevel(),
            base=base,
            head=head,
            base_sha=git.merge_base(base, head),
            head_sha=git.rev_parse(head),
            branch=branch,
        )
    return ReviewTarget(
        kind=TargetKind.WORKTREE,
        repo=git.toplevel(),
        base=base,
        head="HEAD",
        base_sha=git.merge_base(base, "HEAD"),
        head_sha=git.rev_parse("HEAD"),
        branch=branch,
    )


def local_diff_text(git: Git, target: ReviewTarget) -> str:
    """The unified diff of a resolved local target (WORKTREE, STAGED or RANGE).

    WORKTREE includes uncommitted edits and untracked files that are not ignored. Raises
    EmptyChangeError when there is nothing to review.
    """
    if target.kind is TargetKind.WORKTREE:
        base_sha = _require(target.base_sha, target)
        text = _diff(git, base_sha) + _untracked_diff(git)
        if not text.strip():
            raise EmptyChangeError(
                f"nothing to review: the working tree has no changes against {target.base} "
                f"(merge-base {base_sha[:7]}). Commit or edit something, or pick another --base"
            )
        return text
    if target.kind is TargetKind.STAGED:
        text = _diff(git, "--cached", target.base_sha or _empty_tree(git))
        if not text.strip():
            raise EmptyChangeError(
                "nothing to review: nothing is staged (the index matches HEAD). "
                "Stage changes with `git add`, or review the working tree without --staged"
            )
        return text
    if target.kind is TargetKind.RANGE:
        base_sha = _require(target.base_sha, target)
        head_sha = _require(target.head_sha, target)
        text = _diff(git, base_sha, head_sha)
        if not text.strip():
            raise EmptyChangeError(
                f"nothing to review: {target.head} has no changes since its merge-base with "
                f"{target.base} ({base_sha[:7]}). Pick another --base or --head"
            )
        return text
    raise UsageError(f"{target.label()} is not a local git target: it has no local diff to compute")


def read_diff_file(path: str, stdin: BinaryIO) -> str:
    """The text of a diff file, or of standard input when path is "-".

    Read as bytes and decoded as UTF-8 (bad bytes replaced) so CRs inside lines survive; a
    UTF-16 file with a BOM (PowerShell's `>`) is decoded as such.
    """
    label = "standard input" if path == "-" else path
    if path == "-":
        data = stdin.read()
    else:
        try:
            with open(path, "rb") as fh:
                data = fh.read()
        except FileNotFoundError as exc:
            raise TargetError(
                f"diff file {path} does not exist: check the path, or pass - to read the diff from "
                "standard input"
            ) from exc
        except IsADirectoryError as exc:
            raise TargetError(
                f"{path} is a directory, not a diff file: pass the path of a .diff/.patch file"
            ) from exc
        except OSError as exc:
            raise TargetError(f"cannot read diff file {path}: {exc.strerror}") from exc
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16", errors="replace")
    else:
        text = data.decode("utf-8", errors="replace").removeprefix("\ufeff")
    if not text.strip():
        raise EmptyChangeError(f"nothing to review: the diff from {label} is empty")
    return text


def _diff(git: Git, *revs: str) -> str:
    return git.run(*_DIFF_CONFIG, "diff", *_DIFF_FLAGS, *revs, "--")


def _untracked_diff(git: Git) -> str:
    """New-file diffs for untracked files that .gitignore does not exclude."""
    listing = git.run("ls-files", "--others", "--exclude-standard", "-z", "--full-name", "--", ":/")
    parts = []
    # an entry ending in "/" is a nested repository, not a file: there is nothing in it to diff here
    for path in sorted(p for p in listing.split("\0") if p and not p.endswith("/")):
        # `--no-index` exits 1 when the two sides differ, which is always the case here
        parts.append(
            git.run(
                *_DIFF_CONFIG, "diff", "--no-index", *_DIFF_FLAGS, "--", "/dev/null", path, ok_codes=(0, 1)
            )
        )
    return "".join(parts)


def _empty_tree(git: Git) -> str:
    # A repository with no commits has no HEAD to diff the index against: use the empty tree
    # (asked from git so that SHA-256 repositories work too).
    return git.run("hash-object", "-t", "tree", "--stdin", input=b"").strip()


def _require(sha: str | None, target: ReviewTarget) -> str:
    if sha is None:
        raise UsageError(f"{target.label()} was not resolved: call resolve_local_target first")
    return sha


# --------------------------------------------------------------------------- hosted-review helpers


@dataclass(frozen=True)
class RawDiff:
    """A parsed but unfiltered change, and the files the host (GitHub, GitLab) gave no diff for."""

    files: tuple[FileDiff, ...]
    skipped: tuple[SkippedFile, ...] = ()
    source: str = "git"  # "git" (the checkout) or "api"


def has_commit(git: Git | None, sha: str | None) -> bool:
    """True when the checkout holds commit `sha` (CI's shallow clones often lack the base)."""
    if git is None or not sha:
        return False
    return git.returncode("cat-file", "-e", f"{sha}^{{commit}}") == 0


def git_range(git: Git, base_sha: str, head_sha: str) -> RawDiff:
    """base_sha..head_sha from the checkout (the caller resolved the merge-base)."""
    target = ReviewTarget(
        kind=TargetKind.RANGE, base=base_sha, head=head_sha, base_sha=base_sha, head_sha=head_sha
    )
    try:
        text = local_diff_text(git, target)
    except EmptyChangeError:
        return RawDiff(files=())
    return RawDiff(files=tuple(parse_diff(text)), source="git")


def is_ancestor(git: Git, older: str, newer: str) -> bool:
    """True when `older` is an ancestor of `newer` (both in the checkout)."""
    return git.returncode("merge-base", "--is-ancestor", older, newer) == 0
