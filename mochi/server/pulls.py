"""Pull request reviews over the API: composed like `mochi review --pr OWNER/REPO#N`, run in the background.

The request is checked at once (the names against GitHub's rules, the server's GitHub token, the
model): those are the client's 400s, or a 503 when the server has no token. The review is recorded
PENDING (review_type PR) and a worker then reads the pull request through the GitHub API (no
checkout: GITHUB_API_URL and GITHUB_TOKEN come from the server's environment, never from the
request) and runs it through the hosted flow (mochi.platforms.hosted.run_hosted) with a full
review. Without `post_to_github` it is a dry run: nothing is posted, the findings are recorded.
With it, the review and the summary comment are posted as `mochi review --pr` posts them (no
check run: a personal token cannot create them). A GitHub failure (a missing pull request, a
refused token) ends the review FAILED with GitHub's reason in its error and history.
"""

from __future__ import annotations

import io
import logging
import re
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from mochi.errors import PublishError
from mochi.models import ReviewTarget, TargetKind
from mochi.server.envelope import ApiError

if TYPE_CHECKING:
    from mochi.server.jobs import Job

logger = logging.getLogger(__name__)

# GitHub's rules: an account is 1-39 alphanumerics or single inner hyphens; a repository 1-100
# of alphanumerics, '.', '-', '_' (not only dots). Both go into API paths: nothing else may.
OWNER_PATTERN = r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$"
REPO_PATTERN = r"^(?!\.+$)[A-Za-z0-9._-]{1,100}$"
_OWNER = re.compile(OWNER_PATTERN)
_REPO = re.compile(REPO_PATTERN)
MAX_PR_NUMBER = 2_147_483_647
NO_TOKEN = (
    "this server has no GitHub token to read pull requests with: start `mochi serve` with "
    "GITHUB_TOKEN set (a token with pull-requests: write to post, read to review only), and "
    "GITHUB_API_URL for GitHub Enterprise Server"
)


@dataclass(frozen=True)
class PullSpec:
    """Which pull request, where its API is, and whether to post."""

    owner: str
    repo: str
    number: int
    post: bool
    api_url: str
    token: str = field(repr=False)

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.repo}"


def check_names(owner: str, repo: str) -> None:
    """ApiError 400 unless `owner` and `repo` follow GitHub's naming rules."""
    if not _OWNER.match(owner):
        raise ApiError(
            400,
            f"owner {owner!r} is not a GitHub account name (1-39 letters, digits or single inner hyphens)",
        )
    if not _REPO.match(repo):
        raise ApiError(
            400,
            f"repo {repo!r} is not a GitHub repository name (1-100 letters, digits, '.', '-' or '_')",
        )


def pull_spec(environ: Mapping[str, str], owner: str, repo: str, number: int, *, post: bool) -> PullSpec:
    """The PullSpec, with the server's API URL and token; ApiError 503 without a token."""
    from mochi.commands.ci import github_token
    from mochi.platforms.github.client import DEFAULT_API_URL

    token = github_token(environ)
    if not token:
        raise ApiError(503, NO_TOKEN)
    api_url = environ.get("GITHUB_API_URL") or DEFAULT_API_URL
    return PullSpec(owner=owner, repo=repo, number=number, post=post, api_url=api_url, token=token)


def pull_target(spec: PullSpec) -> ReviewTarget:
    """What the PENDING row records before GitHub was asked anything (the worker fills in the rest)."""
    web = _web_url(spec.api_url)
    return ReviewTarget(
        kind=TargetKind.PULL_REQUEST,
        number=spec.number,
        url=f"{web}/{spec.full_name}/pull/{spec.number}" if web else None,
    )


def _web_url(api_url: str) -> str | None:
    """https://github.com for api.github.com; GHES' https://host for https://host/api/v3."""
    url = api_url.rstrip("/")
    if url == "https://api.github.com":
        return "https://github.com"
    if url.endswith("/api/v3"):
        return url.removesuffix("/api/v3")
    return None


def run_pull(job: Job) -> None:
    """Fetch the pull request and review it through the hosted flow (see the module docstring)."""
    from mochi.commands.compose import build_provider
    from mochi.platforms.github.adapter import GitHubContext, GitHubPullRequest, fetch_pull
    from mochi.platforms.github.client import GitHubClient
    from mochi.platforms.hosted import HostedDeps, PlainLog, run_hosted

    spec = job.pull
    assert spec is not None
    recorder = job.recorder

    def progress(line: str) -> None:
        logger.info("review %s: %s", job.review_id, line)

    recorder.started()  # IN_PROGRESS while GitHub is read; run_hosted's start is then a no-op
    recorder.hold = spec.post  # COMPLETED only once what was asked is posted (ServerRecorder.finished)
    # an empty directory: no checkout, so no .mochi/prompts of the server's working directory
    root = Path(tempfile.mkdtemp(prefix="mochi-pr-"))
    output = io.StringIO()  # a dry run's "would post" text: the record has the findings
    try:
        client = GitHubClient.for_settings(spec.api_url, spec.token, job.settings)
        try:
            ctx = GitHubContext(
                client=client,
                repo=spec.full_name,
                git=None,
                root=root,
                settings=job.settings,
                stdout=output,
                actions=None,
                progress=progress,
                dry_run=not spec.post,
                check_run=False,  # a personal token cannot create check runs
            )
            deps = HostedDeps(
                settings=job.settings,
                git=None,
                root=root,
                build_provider=partial(build_provider, breakers=job.breakers),
                progress=progress,
                stdout=output,
                log=PlainLog(progress),
                templates=job.templates,
                recorder=recorder,
                repository=spec.full_name,
            )
            pull = fetch_pull(client, spec.full_name, spec.number)
            result = run_hosted(GitHubPullRequest(ctx, pull), deps, full_review=True)
        finally:
            client.http.close()
        if result.report.failures:
            # the review is recorded FAILED with its findings: what was asked is not done
            message = "could not post everything: " + "; ".join(result.report.failures)
            logger.warning("review %s failed: %s", job.review_id, message)
            recorder.release(failure=message)
            return
        recorder.release()
    except Exception as exc:
        logger.warning("review %s failed: %s", job.review_id, exc)
        if recorder.holding:  # the results are known, the posting failed: FAILED with them
            recorder.release(failure=str(exc) or type(exc).__name__)
            return
        recorder.hold = False
        _fail(job, exc)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _fail(job: Job, exc: Exception) -> None:
    """FAILED with the reason, whether or not the review's results were recorded already."""
    recorder = job.recorder
    if not recorder.ended:
        recorder.failed(exc)
        return
    if isinstance(exc, PublishError) and not recorder.stopped:
        from mochi.store import reviews

        try:
            reviews.fail_review(
                recorder.engine, job.review_id, str(exc), details={"error_type": type(exc).__name__}
            )
        except Exception as err:
            logger.warning("could not mark review %s FAILED: %s", job.review_id, err)
