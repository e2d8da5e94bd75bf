"""A review from a Jenkins multibranch build: post through the change's own platform.

GitLab merge requests go through mochi.platforms.gitlab.flow (discussions, summary note, Code Quality);
GitHub pull requests through mochi.platforms.github.flow (one review and the sticky summary; no check run,
which needs a GitHub App token that Jenkins credentials rarely are). Either way the head is the
one the platform's API reports, never GIT_COMMIT, which in a "merge with target" build is a merge
commit that exists only on the agent. `--format junit` (or `junit_report`) writes the findings as
JUnit XML for Jenkins' `junit` step.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from pydantic import SecretStr

from mochi.diff.git import Git
from mochi.errors import ConfigError
from mochi.events.jenkins import JenkinsChange
from mochi.models import Finding, Review, ReviewTarget, Stats, Summary, TargetKind
from mochi.platforms.gitlab.client import TOKEN_HELP
from mochi.platforms.gitlab.flow import GitLabRun, review_merge_request
from mochi.publish.files import write_output
from mochi.publish.junit import render_junit
from mochi.settings import Settings

if TYPE_CHECKING:
    from mochi.store.recorder import Recorder


@dataclass
class JenkinsRun:
    root: Path
    git: Git | None
    stdout: IO[str]
    build_provider: Callable[[Settings], Any]
    progress: Callable[[str], None]
    gitlab_token: SecretStr | None = None
    github_token: SecretStr | None = None
    json_path: Path | None = None  # where the GitHub path leaves its findings JSON
    dry_run: bool = False
    sleep: Callable[[float], None] | None = None
    templates: Mapping[str, str] | None = None  # stored templates (`mochi templates`)
    recorder: Recorder | None = None  # the review record, when a database is configured


def run_jenkins(change: JenkinsChange, settings: Settings, run: JenkinsRun) -> int:
    """Review the build's pull/merge request and post it on its platform; write JUnit when asked."""
    if change.git_commit:
        run.progress(
            f"{change.platform} change #{change.number}: the head comes from the API, not GIT_COMMIT "
            f"{change.git_commit[:12]} (a merge build's commit exists only on this agent)"
        )
    if change.platform == "gitlab":
        return _gitlab(change, settings, run)
    return _github(change, settings, run)


def _junit_path(settings: Settings, run: JenkinsRun) -> Path | None:
    return run.root / settings.junit_report if settings.junit_report else None


def _gitlab(change: JenkinsChange, settings: Settings, run: JenkinsRun) -> int:
    from mochi.platforms.gitlab.client import GitLabClient, make_http

    if run.gitlab_token is None:
        raise ConfigError(
            f"no GitLab token to post the review with: {TOKEN_HELP}; in Jenkins, bind it with "
            "withCredentials([string(credentialsId: ..., variable: 'GITLAB_TOKEN')])"
        )
    http = make_http(
        change.api_url, run.gitlab_token.get_secret_value(), timeout_s=min(settings.timeout_s, 60.0)
    )
    client = GitLabClient(http, sleep=run.sleep or time.sleep)
    junit = _junit_path(settings, run)
    glrun = GitLabRun(
        root=run.root,
        git=run.git,
        client=client,
        stdout=run.stdout,
        build_provider=run.build_provider,
        progress=run.progress,
        dry_run=run.dry_run,
        outputs=[("junit", junit)] if junit else [],
        project=change.project,
        templates=run.templates,
        recorder=run.recorder,
    )
    return review_merge_request(
        change.project,
        change.number,
        settings,
        glrun,
        title=change.title,
        source_branch=change.source_branch,
        target_branch=change.target_branch,
        url=change.change_url,
    )


def _github(change: JenkinsChange, settings: Settings, run: JenkinsRun) -> int:
    import tempfile

    from mochi.platforms.github.actions import Actions
    from mochi.platforms.github.client import GitHubClient, make_http
    from mochi.platforms.github.flow import GitHubRun, fetch_pull, run_pull_request

    if run.github_token is None:
        raise ConfigError(
            "no GitHub token to post the review with: bind a token with pull-requests: write (a fine-grained "
            "token, or the GitHub App credential of the branch source) as GITHUB_TOKEN with withCredentials"
        )
    http = make_http(
        change.api_url, run.github_token.get_secret_value(), timeout_s=min(settings.timeout_s, 60.0)
    )
    client = GitHubClient(http, max_wait_s=settings.github_max_wait_s, sleep=run.sleep or time.sleep)
    json_path = run.json_path or Path(tempfile.gettempdir()) / f"mochi-review-{change.number}.json"
    ghrun = GitHubRun(
        repo=change.project,
        client=client,
        git=run.git,
        root=run.root,
        actions=Actions(run.stdout, output_path=None, summary_path=None),
        json_path=json_path,
        stdout=run.stdout,
        build_provider=run.build_provider,
        progress=run.progress,
        dry_run=run.dry_run,
        check_run=False,
        templates=run.templates,
        recorder=run.recorder,
    )
    pull = fetch_pull(client, change.project, change.number)
    junit = _junit_path(settings, run)
    try:
        return run_pull_request(pull, settings, ghrun, full_review=False)
    finally:
        if junit is not None and json_path.is_file():
            write_output(junit, render_junit(review_from_json(json_path.read_text(encoding="utf-8"))))


def review_from_json(text: str) -> Review:
    """A Review back from `--format json` (version 1), enough for the other report formats."""
    data = json.loads(text)
    fields = set(Finding.model_fields)
    findings = tuple(
        Finding.model_validate({k: v for k, v in f.items() if k in fields}) for f in data["findings"]
    )
    summary = data.get("summary") or {}
    stats = data.get("stats") or {}
    return Review(
        target=ReviewTarget(kind=TargetKind.PULL_REQUEST),
        findings=findings,
        summary=Summary.model_validate({k: v for k, v in summary.items() if k in Summary.model_fields}),
        stats=Stats.model_validate({k: v for k, v in stats.items() if k in Stats.model_fields}),
        reviewed=tuple(data.get("reviewed") or ()),
    )
