"""The diff of a GitLab merge request: from the checkout when it holds the commits, else from the API.

Inline discussions must point into the MR's *latest version*, so its three commits come from
`/merge_requests/:iid/versions` (base_commit_sha, start_commit_sha, head_commit_sha), never from
CI_COMMIT_SHA (a merge commit in merged-results pipelines). The changes come from the checkout
(`git diff base head`, exactly what GitLab shows) when it has both commits, else from
`/merge_requests/:iid/diffs` (paginated), whose entries carry only the hunks: the git headers are
rebuilt from old_path/new_path/new_file/renamed_file/deleted_file and the modes, so the one diff
parser reads both sources the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from mochi.diff.git import Git
from mochi.diff.parse import parse_diff
from mochi.diff.quote import c_quote
from mochi.diff.sources import RawDiff, git_range, has_commit
from mochi.errors import TargetError
from mochi.models import SkippedFile
from mochi.platforms.gitlab.client import GitLabAPIError, GitLabClient, project_path

logger = logging.getLogger(__name__)

TOO_LARGE_REASON = "GitLab sent no diff for it (binary, collapsed or too large to show)"


@dataclass(frozen=True)
class MRVersion:
    """The commits of one merge request diff version, as positions must name them."""

    base_sha: str  # the merge-base of source and target
    start_sha: str  # the target branch's tip when this version was made
    head_sha: str  # the source branch's head


def mr_path(project_id: str, iid: int) -> str:
    return f"{project_path(project_id)}/merge_requests/{iid}"


def latest_version(client: GitLabClient, project_id: str, iid: int) -> MRVersion:
    """The newest diff version of the merge request (GitLab lists them newest first)."""
    versions = client.get(f"{mr_path(project_id, iid)}/versions")
    if not isinstance(versions, list) or not versions:
        raise TargetError(
            f"merge request !{iid} has no diff versions yet (GitLab is still preparing it): re-run the job"
        )
    v = max(versions, key=lambda item: int(item.get("id") or 0))
    try:
        return MRVersion(
            base_sha=str(v["base_commit_sha"]),
            start_sha=str(v["start_commit_sha"]),
            head_sha=str(v["head_commit_sha"]),
        )
    except KeyError as exc:
        raise TargetError(f"GitLab's versions answer for !{iid} lacks {exc.args[0]}") from None


def api_mr_diff(client: GitLabClient, project_id: str, iid: int) -> RawDiff:
    """The merge request's latest changes from `/diffs` (paginated)."""
    return entries_to_diff(client.paginate(f"{mr_path(project_id, iid)}/diffs"))


def api_compare(client: GitLabClient, project_id: str, from_sha: str, to_sha: str) -> RawDiff | None:
    """`/repository/compare?from=..&to=..`, or None when GitLab does not know a commit any more."""
    try:
        data = client.get(f"{project_path(project_id)}/repository/compare", {"from": from_sha, "to": to_sha})
    except GitLabAPIError as exc:
        if exc.status == 404:
            return None
        raise
    entries = data.get("diffs") if isinstance(data, dict) else None
    return entries_to_diff(entries if isinstance(entries, list) else [])


def mr_diff(
    client: GitLabClient | None, git: Git | None, project_id: str, iid: int | None, version: MRVersion
) -> RawDiff:
    """The change base..head: from the checkout when it has both commits, else from the API."""
    if has_commit(git, version.base_sha) and has_commit(git, version.head_sha):
        assert git is not None
        return git_range(git, version.base_sha, version.head_sha)
    if client is None or iid is None:
        raise TargetError(
            f"the checkout lacks {version.base_sha[:12]} or {version.head_sha[:12]} and there is no API to "
            "ask: fetch more history (GIT_DEPTH: 0) or give mochi a GitLab token"
        )
    logger.info("the checkout lacks the merge request's commits; reading the diff from the GitLab API")
    return api_mr_diff(client, project_id, iid)


# --------------------------------------------------------------------------- API entries -> diff


def entries_to_diff(entries: Iterable[Mapping[str, Any]]) -> RawDiff:
    """GitLab diff entries (`/diffs`, `/changes`, `/compare`) -> parsed FileDiffs."""
    parts: list[str] = []
    skipped: list[SkippedFile] = []
    for entry in entries:
        text, empty = _entry_text(entry)
        path = str(entry.get("new_path") or entry.get("old_path") or "")
        if empty and not entry.get("renamed_file") and not _mode_change(entry):
            skipped.append(SkippedFile(path=path, reason=TOO_LARGE_REASON))
            if not (entry.get("new_file") or entry.get("deleted_file")):
                continue
        parts.append(text)
    files = tuple(parse_diff("".join(parts))) if parts else ()
    skipped_paths = {s.path for s in skipped}
    return RawDiff(
        files=tuple(f for f in files if not (f.path in skipped_paths and not f.hunks)),
        skipped=tuple(skipped),
        source="api",
    )


def _mode_change(entry: Mapping[str, Any]) -> bool:
    return bool(entry.get("a_mode") and entry.get("b_mode") and entry.get("a_mode") != entry.get("b_mode"))


def _entry_text(entry: Mapping[str, Any]) -> tuple[str, bool]:
    """One entry as a `git diff` file section, and whether GitLab left its hunks out."""
    old = str(entry.get("old_path") or entry.get("new_path") or "")
    new = str(entry.get("new_path") or old)
    body = str(entry.get("diff") or "")
    empty = not body.strip() or bool(entry.get("too_large")) or bool(entry.get("collapsed") and not body)
    a_mode, b_mode = str(entry.get("a_mode") or "100644"), str(entry.get("b_mode") or "100644")
    lines = [f"diff --git {_name('a/', old)} {_name('b/', new)}"]
    if entry.get("new_file"):
        lines.append(f"new file mode {b_mode}")
    elif entry.get("deleted_file"):
        lines.append(f"deleted file mode {a_mode}")
    elif a_mode != b_mode and a_mode != "0" and b_mode != "0":
        lines += [f"old mode {a_mode}", f"new mode {b_mode}"]
    if entry.get("renamed_file") and old != new:
        lines += [f"rename from {_quoted(old)}", f"rename to {_quoted(new)}"]
    if body.startswith("Binary files"):
        lines.append(body.rstrip("\n"))
        return "\n".join(lines) + "\n", True
    if not empty:
        minus = "/dev/null" if entry.get("new_file") else _name("a/", old)
        plus = "/dev/null" if entry.get("deleted_file") else _name("b/", new)
        lines += [_with_tab(f"--- {minus}", minus), _with_tab(f"+++ {plus}", plus)]
        return "\n".join(lines) + "\n" + body + ("" if body.endswith("\n") else "\n"), False
    return "\n".join(lines) + "\n", empty


def _quoted(path: str) -> str:
    return c_quote(path)


def _name(prefix: str, path: str) -> str:
    quoted = _quoted(path)
    return '"' + prefix + quoted[1:] if quoted.startswith('"') else prefix + path


def _with_tab(line: str, name: str) -> str:
    # git ends ---/+++ lines with a tab when an unquoted name holds a space, so the name's end is clear
    return line + "\t" if " " in name and not name.startswith('"') else line
