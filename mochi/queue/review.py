"""One queued review: a pull or merge request at its current head, through the hosted flow.

What a job knows is what the webhook said (host, project, number, maybe a head); what it reviews
is what the host says when the job runs: the current head. So a job that waited while newer commits
were pushed reviews the newest head, and a job whose head was reviewed already (a duplicated
delivery, a superseded push, a retry after a crash) records nothing and posts nothing. Posting is
the hosted flow's (mochi.platforms.hosted.run_hosted, as `mochi ci` does): comments carry
fingerprints, so a review re-run after a crash posts none twice; the summary is one comment, edited.
"""

from __future__ import annotations

import io
import logging
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mochi.errors import MochiError
from mochi.store.recorder import Recorder

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from mochi.platforms.github.app_auth import InstallationTokens
    from mochi.server.jobs import Composer
    from mochi.settings import Settings

logger = logging.getLogger(__name__)


class NoCredentials(MochiError):
    """The worker has no token for the change's host: a configuration error, never retried."""


@dataclass(frozen=True)
class Change:
    """A job's arguments (JSON in the queue)."""

    host: str
    project: str
    number: int
    head_sha: str | None = None
    action: str = ""
    sender: str = ""
    installation_id: int | None = None
    project_id: int | None = None
    api_url: str | None = None
    delivery: str | None = None

    @property
    def lock(self) -> str:
        """One lock per change: two workers never review the same pull request at once."""
        return f"{self.host}:{self.project}#{self.number}"

    def as_args(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass
class WorkerDeps:
    """What every job of a worker shares: the record, how to compose settings, how to authenticate."""

    engine: Engine
    composer: Composer
    github_api_url: str
    app_tokens: InstallationTokens | None = None
    environ: Mapping[str, str] = field(default_factory=dict)
    progress: Callable[[str], None] = logger.info


@dataclass(frozen=True)
class Outcome:
    """What a job did: reviewed (review_id), or skipped and why."""

    review_id: int | None
    head_sha: str | None
    skipped: str | None = None


class JobRecorder(Recorder):
    """A Recorder that tags its row with the job (`options.job`), so a later attempt of the same job,
    on any worker, resumes that row instead of starting another."""

    def __init__(self, engine: Engine, *, job_id: int, change: Change, resume_id: int | None = None) -> None:
        super().__init__(engine, resume_id=resume_id, where="the record")
        self.job_id = job_id
        self.change = change

    def created(self, *args: Any, **kwargs: Any) -> None:
        super().created(*args, **kwargs)
        if self.review_id is not None:
            from mochi.queue.records import tag_job

            review_id = self.review_id
            self._try(
                "tag the review with its job",
                lambda: tag_job(self._engine, review_id, self.job_id, self.change),
            )


def run_change(deps: WorkerDeps, change: Change, *, job_id: int) -> Outcome:
    """Review `change` at its current head (see the module docstring); MochiError when it fails."""
    if change.host == "github":
        return _github(deps, change, job_id=job_id)
    if change.host == "gitlab":
        return _gitlab(deps, change, job_id=job_id)
    raise MochiError(f"unknown code host {change.host!r} in a queued job")


def _settings(deps: WorkerDeps) -> tuple[Settings, dict[str, str]]:
    from mochi.server.jobs import compose_settings

    return compose_settings(deps.composer, {}, root=None)


def _publish(
    deps: WorkerDeps,
    change_adapter: Any,
    settings: Settings,
    templates: Mapping[str, str],
    root: Path,
    recorder: JobRecorder,
    change: Change,
) -> None:
    """The hosted flow on one change (mochi.platforms.hosted.run_hosted), recorded by `recorder`;
    MochiError when something could not be posted (the findings are recorded all the same)."""
    from mochi.commands.compose import build_provider
    from mochi.platforms.hosted import HostedDeps, PlainLog, run_hosted

    hosted = HostedDeps(
        settings=settings,
        git=None,
        root=root,
        build_provider=partial(build_provider, breakers=deps.composer.breakers),
        progress=deps.progress,
        stdout=io.StringIO(),
        log=PlainLog(deps.progress),
        templates=dict(templates),
        recorder=recorder,
        repository=change.project,
    )
    try:
        result = run_hosted(change_adapter, hosted)
    except BaseException as exc:
        recorder.failed(exc)
        raise
    if result.report.failures:
        raise MochiError("could not post everything: " + "; ".join(result.report.failures))


def _recorder(deps: WorkerDeps, change: Change, job_id: int) -> JobRecorder:
    from mochi.queue.records import job_review

    resume = job_review(deps.engine, change, job_id)
    return JobRecorder(deps.engine, job_id=job_id, change=change, resume_id=resume)


def _github(deps: WorkerDeps, change: Change, *, job_id: int) -> Outcome:
    from mochi.commands.ci import github_token
    from mochi.platforms.github.adapter import GitHubContext, GitHubPullRequest, fetch_pull
    from mochi.platforms.github.client import GitHubClient
    from mochi.queue.records import reviewed_head

    app_install = change.installation_id is not None and deps.app_tokens is not None
    if app_install:
        assert deps.app_tokens is not None and change.installation_id is not None
        token = deps.app_tokens.token(change.installation_id)
    else:
        token = github_token(deps.environ) or ""
    if not token:
        raise NoCredentials(
            f"no GitHub credentials for {change.project}: configure the GitHub App "
            "(MOCHI_GITHUB_APP_ID and MOCHI_GITHUB_APP_PRIVATE_KEY_FILE) or set GITHUB_TOKEN "
            "for `mochi worker`"
        )
    settings, templates = _settings(deps)
    client = GitHubClient.for_settings(deps.github_api_url, token, settings)
    root = Path(tempfile.mkdtemp(prefix="mochi-job-"))
    try:
        pull = fetch_pull(client, change.project, change.number)
        if pull.state != "open":
            return Outcome(None, pull.head_sha, skipped=f"pull request is {pull.state}")
        done = reviewed_head(deps.engine, change.project, change.number, pull.head_sha)
        if done is not None:
            return Outcome(
                done, pull.head_sha, skipped=f"head {pull.head_sha[:12]} was reviewed already (review {done})"
            )
        recorder = _recorder(deps, change, job_id)
        ctx = GitHubContext(
            client=client,
            repo=change.project,
            git=None,
            root=root,
            settings=settings,
            stdout=io.StringIO(),
            actions=None,
            progress=deps.progress,
            dry_run=False,
            check_run=app_install,  # only an App's installation token may create check runs
        )
        _publish(deps, GitHubPullRequest(ctx, pull), settings, templates, root, recorder, change)
        return Outcome(recorder.review_id, pull.head_sha)
    finally:
        client.http.close()
        shutil.rmtree(root, ignore_errors=True)


DEVELOPER = 30  # GitLab's access level of a developer: who may push, so who may ask for a review


def _gitlab_developer(client: Any, project: str, username: str) -> bool:
    """Whether `username` is at least a developer of the project (inherited membership included). A
    note's payload does not say: a `/mochi review` on a public project may come from anyone."""
    from urllib.parse import quote

    if not username:
        return False
    members = client.paginate(
        f"/projects/{quote(project, safe='')}/members/all", {"query": username}, max_pages=5
    )
    return any(
        isinstance(m, dict) and m.get("username") == username and int(m.get("access_level") or 0) >= DEVELOPER
        for m in members
    )


def _gitlab(deps: WorkerDeps, change: Change, *, job_id: int) -> Outcome:
    from mochi.events.gitlab import gitlab_token
    from mochi.platforms.gitlab.adapter import GitLabContext, GitLabMergeRequestChange
    from mochi.platforms.gitlab.client import GitLabClient
    from mochi.queue.records import reviewed_head

    token, _job_only = gitlab_token(deps.environ)
    api_url = (deps.environ.get("GITLAB_API_URL") or "").rstrip("/")
    if token is None or not api_url:
        raise NoCredentials(
            f"no GitLab credentials for {change.project}: set MOCHI_GITLAB_TOKEN (a project or group access "
            "token with the api scope) and GITLAB_API_URL (https://gitlab.example.com/api/v4) "
            "for `mochi worker`"
        )
    if change.api_url and change.api_url.rstrip("/") != api_url:
        # the token goes only to the configured GitLab, whatever a delivery says its URL is
        raise NoCredentials(
            f"the delivery for {change.project} comes from {change.api_url}, not from GITLAB_API_URL "
            f"({api_url}): this worker reviews only the GitLab it has a token for"
        )
    project = str(change.project_id) if change.project_id is not None else change.project
    settings, templates = _settings(deps)
    client = GitLabClient.for_settings(api_url, token.get_secret_value(), settings)
    root = Path(tempfile.mkdtemp(prefix="mochi-job-"))
    try:
        from urllib.parse import quote

        mr = client.request(
            "GET", f"/projects/{quote(project, safe='')}/merge_requests/{change.number}"
        ).json()
        head = str(mr.get("sha") or "")
        if mr.get("state") != "opened":
            return Outcome(None, head or None, skipped=f"merge request is {mr.get('state')}")
        if change.action == "note" and not _gitlab_developer(client, project, change.sender):
            return Outcome(
                None,
                head or None,
                skipped=f"{change.sender} may not ask for a review (not a developer of the project)",
            )
        done = reviewed_head(deps.engine, change.project, change.number, head)
        if done is not None:
            return Outcome(done, head, skipped=f"head {head[:12]} was reviewed already (review {done})")
        recorder = _recorder(deps, change, job_id)
        ctx = GitLabContext(
            client=client,
            project_id=project,
            git=None,
            root=root,
            settings=settings,
            progress=deps.progress,
            dry_run=False,
        )
        adapter = GitLabMergeRequestChange(
            ctx,
            change.number,
            title=str(mr.get("title") or ""),
            source_branch=str(mr.get("source_branch") or ""),
            target_branch=str(mr.get("target_branch") or ""),
            url=str(mr.get("web_url") or ""),
            description=str(mr.get("description") or ""),
        )
        _publish(deps, adapter, settings, templates, root, recorder, change)
        return Outcome(recorder.review_id, head)
    finally:
        client.http.close()
        shutil.rmtree(root, ignore_errors=True)
