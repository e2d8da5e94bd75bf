"""GitLab CI/CD variables -> what to review: a merge request, or a branch pipeline's push.

A merge request pipeline (`rules: - if: $CI_PIPELINE_SOURCE == "merge_request_event"`) has
CI_MERGE_REQUEST_IID and CI_MERGE_REQUEST_DIFF_BASE_SHA; it gets inline discussions, a sticky
summary note and a Code Quality report. A branch pipeline has neither: it gets the Code Quality
report only, for the commits of the push (CI_COMMIT_BEFORE_SHA..CI_COMMIT_SHA).

In a merged-results pipeline CI_COMMIT_SHA is a merge commit GitLab made for the pipeline, which
no diff position can point at: the MR's head is CI_MERGE_REQUEST_SOURCE_BRANCH_SHA, and the
publisher takes the exact base/start/head from the MR's `versions` anyway.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from pydantic import SecretStr

from mochi.errors import ConfigError, EventError
from mochi.models import ReviewTarget, TargetKind
from mochi.platforms.gitlab.client import TOKEN_HELP

ZERO_SHA = "0" * 40
TOKEN_VARIABLES = ("MOCHI_GITLAB_TOKEN", "GITLAB_TOKEN")


@dataclass(frozen=True)
class GitLabEvent:
    """The facts of one GitLab pipeline that a review needs. `token` is None when none was given."""

    api_url: str  # CI_API_V4_URL, e.g. https://gitlab.example.com/api/v4
    server_url: str  # CI_SERVER_URL
    project_id: str  # numeric id (CI_MERGE_REQUEST_PROJECT_ID or CI_PROJECT_ID) or the full path
    head_sha: str  # the commit to review: the MR's source branch head, or CI_COMMIT_SHA
    project_path: str = ""  # CI_PROJECT_PATH: group/subgroup/project
    mr_iid: int | None = None  # None: a branch pipeline, no merge request
    base_sha: str | None = None  # CI_MERGE_REQUEST_DIFF_BASE_SHA, or the push's before-sha
    target_branch: str = ""
    source_branch: str = ""
    title: str = ""
    description: str = ""
    default_branch: str = ""
    token: SecretStr | None = None
    job_token_only: bool = False  # only CI_JOB_TOKEN is available (or the token given is it)

    @property
    def is_merge_request(self) -> bool:
        return self.mr_iid is not None

    @property
    def mr_url(self) -> str:
        if self.mr_iid is None or not self.project_path:
            return ""
        return f"{self.server_url.rstrip('/')}/{self.project_path}/-/merge_requests/{self.mr_iid}"

    def require_token(self) -> SecretStr:
        """The API token; ConfigError (saying which token to create) when there is none usable."""
        if self.token is not None and not self.job_token_only:
            return self.token
        if self.job_token_only:
            raise ConfigError(
                "CI_JOB_TOKEN cannot post merge request notes or discussions (GitLab allows the job "
                f"token on a few endpoints only): {TOKEN_HELP}"
            )
        raise ConfigError(f"no GitLab token to post the review with: {TOKEN_HELP}")

    def target(self, repo: str | None = None) -> ReviewTarget:
        """The ReviewTarget of this pipeline (a pull request for an MR, a range otherwise)."""
        if self.is_merge_request:
            return ReviewTarget(
                kind=TargetKind.PULL_REQUEST,
                number=self.mr_iid,
                base=self.target_branch or None,
                head=self.source_branch or None,
                base_sha=self.base_sha,
                head_sha=self.head_sha,
                title=self.title or None,
                description=self.description or None,
                url=self.mr_url or None,
                branch=self.source_branch or None,
                repo=repo,
            )
        return ReviewTarget(
            kind=TargetKind.RANGE,
            base=self.base_sha,
            head=self.head_sha,
            base_sha=self.base_sha,
            head_sha=self.head_sha,
            branch=self.source_branch or None,
            repo=repo,
        )


def gitlab_token(environ: Mapping[str, str]) -> tuple[SecretStr | None, bool]:
    """(token, job_token_only) from MOCHI_GITLAB_TOKEN or GITLAB_TOKEN.

    job_token_only is True when the only credential is CI_JOB_TOKEN, or when the variable given
    holds the job token itself (`GITLAB_TOKEN: $CI_JOB_TOKEN`), which GitLab refuses for notes.
    """
    job = environ.get("CI_JOB_TOKEN") or ""
    for name in TOKEN_VARIABLES:
        value = (environ.get(name) or "").strip()
        if value:
            return SecretStr(value), bool(job) and value == job
    return None, bool(job)


def gitlab_event(environ: Mapping[str, str]) -> GitLabEvent:
    """Read the pipeline from GitLab's predefined CI/CD variables (see the module docstring)."""
    server = (environ.get("CI_SERVER_URL") or "").rstrip("/")
    api = (environ.get("CI_API_V4_URL") or (f"{server}/api/v4" if server else "")).rstrip("/")
    if not api:
        raise EventError("CI_API_V4_URL and CI_SERVER_URL are not set: run mochi ci inside a GitLab CI job")
    project = environ.get("CI_MERGE_REQUEST_PROJECT_ID") or environ.get("CI_PROJECT_ID") or ""
    if not project:
        raise EventError("CI_PROJECT_ID is not set: run mochi ci inside a GitLab CI job")
    commit = environ.get("CI_COMMIT_SHA") or ""
    if not commit:
        raise EventError("CI_COMMIT_SHA is not set: run mochi ci inside a GitLab CI job")
    token, job_only = gitlab_token(environ)
    event = GitLabEvent(
        api_url=api,
        server_url=server or api.removesuffix("/api/v4"),
        project_id=project,
        head_sha=commit,
        project_path=environ.get("CI_MERGE_REQUEST_PROJECT_PATH") or environ.get("CI_PROJECT_PATH") or "",
        default_branch=environ.get("CI_DEFAULT_BRANCH") or "",
        token=token,
        job_token_only=job_only,
    )
    iid = environ.get("CI_MERGE_REQUEST_IID") or ""
    if iid:
        try:
            number = int(iid)
        except ValueError:
            raise EventError(f"CI_MERGE_REQUEST_IID must be a number, not {iid!r}") from None
        return replace(
            event,
            mr_iid=number,
            # a merged-results pipeline runs on a merge commit: the MR's head is the source sha
            head_sha=environ.get("CI_MERGE_REQUEST_SOURCE_BRANCH_SHA") or commit,
            base_sha=environ.get("CI_MERGE_REQUEST_DIFF_BASE_SHA") or None,
            target_branch=environ.get("CI_MERGE_REQUEST_TARGET_BRANCH_NAME") or "",
            source_branch=environ.get("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME") or "",
            title=environ.get("CI_MERGE_REQUEST_TITLE") or "",
            description=environ.get("CI_MERGE_REQUEST_DESCRIPTION") or "",
        )
    before = environ.get("CI_COMMIT_BEFORE_SHA") or ""
    return replace(
        event,
        base_sha=before if before and before != ZERO_SHA else None,
        source_branch=environ.get("CI_COMMIT_BRANCH") or environ.get("CI_COMMIT_REF_NAME") or "",
    )
