"""The diff of a GitHub pull request: from the checkout when it holds the commits, else from the API.

The base is always the merge-base of the PR's base and head commits, never GITHUB_SHA (in a
`pull_request` workflow that is a synthetic merge commit on refs/pull/N/merge, whose diff would
include whatever landed on the base branch since the PR was opened).

From the API, `pulls/N/files` (or `compare/A...B` for an incremental range) gives one `patch` per
file; GitHub leaves it out for binary files and very large diffs, and those files are reported as
skipped with that reason instead of silently vanishing.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from mochi.diff.git import Git
from mochi.diff.parse import parse_diff
from mochi.diff.quote import c_quote
from mochi.diff.sources import RawDiff
from mochi.errors import TargetError
from mochi.models import SkippedFile
from mochi.platforms.github.client import GitHubClient

logger = logging.getLogger(__name__)

NO_PATCH_REASON = "GitHub sent no patch for it (binary, or its diff is too large to show)"
# pulls/N/files lists at most 3000 files (GitHub's documented limit)
FILES_LIMIT = 3000


def merge_base(git: Git, base_sha: str, head_sha: str) -> str:
    """The merge-base of two commits the checkout holds."""
    return git.merge_base(base_sha, head_sha)


def api_pull_files(client: GitHubClient, repo: str, number: int) -> RawDiff:
    """The PR's files from `pulls/N/files` (paginated), as parsed file diffs."""
    files = client.paginate(f"/repos/{repo}/pulls/{number}/files")
    if len(files) >= FILES_LIMIT:
        logger.warning(
            "pull request #%s lists %s files, GitHub's limit: later files are not seen", number, len(files)
        )
    return files_to_diff(files)


def api_compare(client: GitHubClient, repo: str, base: str, head: str) -> tuple[str, RawDiff]:
    """`compare/base...head`: its status ("ahead", "diverged", ...) and its files as a diff."""
    data = client.get(f"/repos/{repo}/compare/{base}...{head}")
    if not isinstance(data, Mapping):
        raise TargetError(f"GitHub's compare answer for {base[:7]}...{head[:7]} is not an object")
    return str(data.get("status") or ""), files_to_diff(list(data.get("files") or []))


def files_to_diff(files: Sequence[Any]) -> RawDiff:
    """GitHub's file entries (pulls/N/files, compare) -> parsed diffs, and those without a patch."""
    parts: list[str] = []
    skipped: list[SkippedFile] = []
    for entry in files:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("filename"), str):
            continue
        path = str(entry["filename"])
        patch = entry.get("patch")
        if not isinstance(patch, str) or not patch.strip():
            if entry.get("status") == "renamed" and not entry.get("changes"):
                skipped.append(SkippedFile(path=path, reason="renamed without changes"))
            else:
                skipped.append(SkippedFile(path=path, reason=NO_PATCH_REASON))
            continue
        parts.append(_file_text(entry, path, patch))
    return RawDiff(
        files=tuple(parse_diff("".join(parts))) if parts else (), skipped=tuple(skipped), source="api"
    )


def _file_text(entry: Mapping[str, Any], path: str, patch: str) -> str:
    status = str(entry.get("status") or "modified")
    old = str(entry.get("previous_filename") or path)
    head = [f"diff --git {_quote('a/' + old)} {_quote('b/' + path)}"]
    if status == "added":
        head += ["new file mode 100644", "--- /dev/null", f"+++ {_quote('b/' + path)}"]
    elif status == "removed":
        head += ["deleted file mode 100644", f"--- {_quote('a/' + old)}", "+++ /dev/null"]
    else:
        if status == "renamed" and old != path:
            head += [f"rename from {_quote(old)}", f"rename to {_quote(path)}"]
        head += [f"--- {_quote('a/' + old)}", f"+++ {_quote('b/' + path)}"]
    body = patch if patch.endswith("\n") else patch + "\n"
    return "\n".join(head) + "\n" + body


def _quote(name: str) -> str:
    return c_quote(name, quote_space=True)
