"""Jenkins multibranch builds -> which pull or merge request to review, and on which platform.

A multibranch pipeline sets CHANGE_ID (the PR/MR number), CHANGE_TARGET, CHANGE_BRANCH and
CHANGE_URL for a change request build; GIT_URL and GIT_COMMIT come from the git plugin. The
platform and project are read from CHANGE_URL (`.../owner/repo/pull/12` is GitHub,
`.../group/project/-/merge_requests/12` is GitLab), else from GIT_URL's host; MOCHI_PLATFORM
(github|gitlab) overrides a host that says neither.

GIT_COMMIT is deliberately not used as the head: with the "merge with the target branch"
strategy (the default for GitHub PRs) it is a merge commit Jenkins made on the agent, which
exists nowhere else and cannot carry a review comment. The orchestration asks the platform's API
for the real head and base instead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from mochi.errors import EventError

Platform = Literal["github", "gitlab"]

_GITHUB_PR = re.compile(r"^/(?P<project>[^/]+/[^/]+?)/pull/(?P<number>\d+)/?$")
_GITLAB_MR = re.compile(r"^/(?P<project>.+?)/-/merge_requests/(?P<number>\d+)/?$")
_SCP_LIKE = re.compile(r"^(?:[^@/]+@)?(?P<host>[^:/]+):(?P<path>[^/].*)$")


@dataclass(frozen=True)
class JenkinsChange:
    """A multibranch change-request build, resolved to a platform, an API and a project."""

    platform: Platform
    number: int  # CHANGE_ID
    project: str  # GitHub owner/repo, or GitLab group/subgroup/project
    web_url: str  # scheme://host[:port][/prefix] of the GitHub or GitLab server
    api_url: str  # the REST API root: api.github.com, <host>/api/v3, or <host>/api/v4
    change_url: str = ""
    target_branch: str = ""  # CHANGE_TARGET
    source_branch: str = ""  # CHANGE_BRANCH
    git_commit: str = ""  # GIT_COMMIT: possibly a synthetic merge commit; never posted against
    title: str = ""  # CHANGE_TITLE


def is_change_build(environ: Mapping[str, str]) -> bool:
    """True for a multibranch pull/merge request build (CHANGE_ID is set)."""
    return bool(environ.get("CHANGE_ID"))


def jenkins_change(environ: Mapping[str, str]) -> JenkinsChange:
    """Resolve the change request of a multibranch build; EventError says what is missing."""
    raw_id = environ.get("CHANGE_ID") or ""
    if not raw_id:
        raise EventError(
            "CHANGE_ID is not set: this is not a pull request build. Use a multibranch pipeline with a "
            "GitHub or GitLab branch source (Jenkins then builds each PR/MR with CHANGE_ID set)"
        )
    try:
        number = int(raw_id.lstrip("#").removeprefix("MR-").removeprefix("PR-"))
    except ValueError:
        raise EventError(f"CHANGE_ID should be a pull request number, not {raw_id!r}") from None
    change_url = environ.get("CHANGE_URL") or ""
    git_url = environ.get("GIT_URL") or environ.get("GIT_URL_1") or ""
    forced = (environ.get("MOCHI_PLATFORM") or "").strip().lower()
    if forced and forced not in ("github", "gitlab"):
        raise EventError(f"MOCHI_PLATFORM must be github or gitlab, not {forced!r}")
    found = _from_change_url(change_url) or _from_git_url(git_url, forced)
    if found is None:
        raise EventError(
            f"cannot tell whether this change lives on GitHub or GitLab from CHANGE_URL={change_url!r} "
            f"and GIT_URL={git_url!r}: set MOCHI_PLATFORM=github or MOCHI_PLATFORM=gitlab"
        )
    platform, web, project = found
    if forced:
        platform = forced  # type: ignore[assignment]  # checked above
    root = urlsplit(environ.get("MOCHI_GITLAB_URL") or "").path.strip("/")
    if platform == "gitlab" and root and project.startswith(root + "/"):
        # a GitLab under a relative URL root (/gitlab) cannot be told from a group by its URLs
        project = project[len(root) + 1 :]
    api = _api_url(platform, web, environ)
    return JenkinsChange(
        platform=platform,
        number=number,
        project=project,
        web_url=web,
        api_url=api,
        change_url=change_url,
        target_branch=environ.get("CHANGE_TARGET") or "",
        source_branch=environ.get("CHANGE_BRANCH") or "",
        git_commit=environ.get("GIT_COMMIT") or "",
        title=environ.get("CHANGE_TITLE") or "",
    )


def _from_change_url(url: str) -> tuple[Platform, str, str] | None:
    if not url:
        return None
    parts = urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc}"
    if m := _GITLAB_MR.match(parts.path):
        return "gitlab", origin, m.group("project")
    if m := _GITHUB_PR.match(parts.path):
        return "github", origin, m.group("project")
    return None


def _from_git_url(url: str, forced: str) -> tuple[Platform, str, str] | None:
    if not url:
        return None
    if "://" in url:
        parts = urlsplit(url)
        host = parts.hostname or ""
        scheme = parts.scheme if parts.scheme in ("http", "https") else "https"
        port = (
            f":{parts.port}" if parts.port and scheme in ("http", "https") and parts.scheme == scheme else ""
        )
        path = parts.path
    elif m := _SCP_LIKE.match(url):
        host, scheme, port, path = m.group("host"), "https", "", "/" + m.group("path")
    else:
        return None
    project = path.strip("/").removesuffix(".git")
    platform: str = forced or ("github" if "github" in host else "gitlab" if "gitlab" in host else "")
    if platform not in ("github", "gitlab") or not project:
        return None
    return platform, f"{scheme}://{host}{port}", project  # type: ignore[return-value]


def _api_url(platform: Platform, web: str, environ: Mapping[str, str]) -> str:
    if platform == "gitlab":
        override = environ.get("MOCHI_GITLAB_URL") or ""
        return (override.rstrip("/") or web) + "/api/v4"
    override = environ.get("GITHUB_API_URL") or ""
    if override:
        return override.rstrip("/")
    return "https://api.github.com" if urlsplit(web).hostname == "github.com" else f"{web}/api/v3"
