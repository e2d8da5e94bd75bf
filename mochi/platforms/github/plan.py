"""Which commits a GitHub run reviews, and where its settings and templates may come from.

A pull request is reviewed from the merge-base of its base and head. On a later push
(synchronize) only the commits after the head recorded in mochi's summary comment are reviewed,
when that commit is still an ancestor of the new head (a force-push starts over).
`/mochi full-review` always reviews the whole PR. Under `pull_request_target` the job runs with a
write token next to untrusted code, so settings and prompt templates are read from the base
commit only, as git objects: nothing from the PR is ever checked out or executed.
"""

from __future__ import annotations

import logging
from pathlib import Path

from mochi.diff.git import Git
from mochi.diff.sources import RawDiff, git_range, has_commit, is_ancestor
from mochi.errors import GitHubAPIError, TargetError
from mochi.events.github import PullRequest
from mochi.platforms.github import diff as gh_diff
from mochi.platforms.github.client import GitHubClient
from mochi.platforms.hosted import DiffPlan
from mochi.prompts.render import OVERRIDES_DIR
from mochi.settings import CONFIG_FILE

logger = logging.getLogger(__name__)


def plan_pull_request(
    pull: PullRequest,
    *,
    repo: str,
    client: GitHubClient,
    git: Git | None,
    last_reviewed: str | None,
    full_review: bool,
) -> DiffPlan:
    """Decide the reviewed range and compute the diffs (checkout first, the API otherwise)."""
    local = has_commit(git, pull.base_sha) and has_commit(git, pull.head_sha)
    mb: str | None = None
    if local and git is not None:
        mb = gh_diff.merge_base(git, pull.base_sha, pull.head_sha)
        full = git_range(git, mb, pull.head_sha)
    else:
        full = gh_diff.api_pull_files(client, repo, pull.number)
    whole = f"the whole pull request ({(mb or pull.base_sha)[:7]}..{pull.head_sha[:7]})"
    if full_review or not last_reviewed or last_reviewed == pull.head_sha:
        return DiffPlan(full, full.files, mb, False, whole)
    incremental = _since(git, client, repo, last_reviewed, pull.head_sha, local)
    if incremental is None:
        return DiffPlan(full, full.files, mb, False, whole + "; the last reviewed commit is gone")
    # Merges from the base branch bring in files the PR does not change: keep the PR's files only.
    in_pr = {f.path for f in full.files} | {s.path for s in full.skipped}
    kept = RawDiff(
        files=tuple(f for f in incremental.files if f.path in in_pr),
        skipped=tuple(s for s in incremental.skipped if s.path in in_pr),
        source=incremental.source,
    )
    scope = f"the commits after the last review ({last_reviewed[:7]}..{pull.head_sha[:7]})"
    return DiffPlan(kept, full.files, last_reviewed, True, scope)


def _since(
    git: Git | None, client: GitHubClient, repo: str, last: str, head: str, local: bool
) -> RawDiff | None:
    if local and git is not None and has_commit(git, last):
        return git_range(git, last, head) if is_ancestor(git, last, head) else None
    try:
        status, raw = gh_diff.api_compare(client, repo, last, head)
    except GitHubAPIError as exc:
        if exc.status == 404:
            return None  # the commit was force-pushed away and collected
        raise
    return raw if status == "ahead" else None


def plan_push(git: Git | None, client: GitHubClient, repo: str, before: str | None, after: str) -> DiffPlan:
    """The range a push brought: before..after, or from the default branch for a new branch."""
    if git is not None and has_commit(git, after):
        if before and has_commit(git, before):
            base = before if is_ancestor(git, before, after) else git.merge_base(before, after)
        else:
            try:
                base = git.merge_base(git.default_base(), after)
            except TargetError as exc:
                raise TargetError(f"cannot tell what this push adds: {exc}") from exc
        raw = git_range(git, base, after)
        return DiffPlan(raw, raw.files, base, False, f"the push {base[:7]}..{after[:7]}")
    if not before:
        raise TargetError(
            "this push created a branch and the checkout lacks its history: "
            "use actions/checkout with fetch-depth: 0"
        )
    _, raw = gh_diff.api_compare(client, repo, before, after)
    return DiffPlan(raw, raw.files, before, False, f"the push {before[:7]}..{after[:7]}")


def base_branch_files(git: Git | None, client: GitHubClient, repo: str, base_sha: str, dest: Path) -> Path:
    """Copy .mochi.toml and .mochi/prompts/ of the base commit into `dest`; return `dest`.

    Read as git objects (or through the contents API), never by checking anything out.
    """
    dest.mkdir(parents=True, exist_ok=True)
    if git is not None and has_commit(git, base_sha):
        config = git.show_file(base_sha, CONFIG_FILE)
        if config is not None:
            (dest / CONFIG_FILE).write_text(config, encoding="utf-8")
        listing = git.run("ls-tree", "-r", "-z", "--name-only", base_sha, "--", f"{OVERRIDES_DIR}/")
        for name in (n for n in listing.split("\0") if n):
            text = git.show_file(base_sha, name)
            target = (dest / name).resolve()
            if text is not None and target.is_relative_to(dest.resolve()):
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
        return dest
    try:
        data = client.get(f"/repos/{repo}/contents/{CONFIG_FILE}", {"ref": base_sha})
    except GitHubAPIError as exc:
        if exc.status != 404:
            raise
        return dest
    if isinstance(data, dict) and data.get("encoding") == "base64":
        import base64

        text = base64.b64decode(str(data.get("content") or "")).decode("utf-8", "replace")
        (dest / CONFIG_FILE).write_text(text, encoding="utf-8")
    logger.info("the base branch's prompt templates need its commit in the checkout; using the built-in ones")
    return dest
