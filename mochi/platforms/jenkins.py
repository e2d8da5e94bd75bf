"""A review from a Jenkins multibranch build: the change's own platform's adapter, plus JUnit.

Jenkins only picks the adapter: a GitLab merge request (discussions, summary note, Code Quality)
or a GitHub pull request (one review and the sticky summary; no check run, which needs a GitHub
App token that Jenkins credentials rarely are). Either way the head is the one the platform's API
reports, never GIT_COMMIT, which in a "merge with target" build is a merge commit that exists only
on the agent. `junit_report` (or `--format junit`) adds the findings as JUnit XML for Jenkins'
`junit` step, rendered from the review itself.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mochi.diff.git import Git
from mochi.errors import ConfigError
from mochi.events.jenkins import JenkinsChange
from mochi.platforms.hosted import HostedDeps, Output, exit_status, run_hosted
from mochi.platforms.outputs import gitlab_outputs, report_file
from mochi.settings import Settings


def junit_output(settings: Settings, root: Path) -> list[Output]:
    """The JUnit report, when `junit_report` names a file inside the workspace."""
    name = settings.junit_report
    if not name:
        return []
    path = (root / name).resolve()
    if not path.is_relative_to(root.resolve()):
        raise ConfigError(f"junit_report = {name!r} is outside the workspace {root}: give a path inside it")
    return [report_file("junit", path)]


def run_jenkins(
    change: JenkinsChange,
    *,
    settings: Settings,
    git: Git | None,
    root: Path,
    token: str,
    make_deps: Callable[[list[Output]], HostedDeps],
    progress: Callable[[str], None],
    dry_run: bool = False,
    json_path: Path | None = None,
    sleep: Callable[[float], None] | None = None,
) -> int:
    """Review the build's pull/merge request and post it on its platform; write JUnit when asked."""
    if change.git_commit:
        progress(
            f"{change.platform} change #{change.number}: the head comes from the API, not GIT_COMMIT "
            f"{change.git_commit[:12]} (a merge build's commit exists only on this agent)"
        )
    timeout = min(settings.providers.timeout_s, 60.0)
    adapter: Any
    if change.platform == "gitlab":
        from mochi.platforms.gitlab import client as gl
        from mochi.platforms.gitlab.adapter import GitLabContext, GitLabMergeRequestChange

        client = gl.GitLabClient(
            gl.make_http(change.api_url, token, timeout_s=timeout), sleep=sleep or time.sleep
        )
        ctx = GitLabContext(
            client=client,
            project_id=change.project,
            git=git,
            root=root,
            settings=settings,
            progress=progress,
            dry_run=dry_run,
        )
        adapter = GitLabMergeRequestChange(
            ctx,
            change.number,
            title=change.title,
            source_branch=change.source_branch,
            target_branch=change.target_branch,
            url=change.change_url,
        )
        outputs = gitlab_outputs(settings, root, sys.stdout, junit_output(settings, root))
    else:
        from mochi.platforms.github import client as gh
        from mochi.platforms.github.adapter import GitHubContext, GitHubPullRequest, fetch_pull

        github = gh.GitHubClient(
            gh.make_http(change.api_url, token, timeout_s=timeout),
            max_wait_s=settings.github.max_wait_s,
            sleep=sleep or time.sleep,
        )
        github_ctx = GitHubContext(
            client=github,
            repo=change.project,
            git=git,
            root=root,
            settings=settings,
            stdout=sys.stdout,
            actions=None,
            progress=progress,
            dry_run=dry_run,
            check_run=False,
        )
        adapter = GitHubPullRequest(github_ctx, fetch_pull(github, change.project, change.number))
        json_file = json_path or Path(tempfile.gettempdir()) / f"mochi-review-{change.number}.json"
        outputs = [report_file("json", json_file), *junit_output(settings, root)]
    deps = make_deps(outputs)
    return exit_status(run_hosted(adapter, deps), settings)
