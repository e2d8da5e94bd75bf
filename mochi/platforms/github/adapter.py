"""GitHub's adapters of the HostedChange protocol: a pull request, and a push (check run only).

A pull request is reviewed from the merge-base of its base and head; on a later push only the
commits after the head recorded in mochi's summary comment (see plan.py). Its publisher posts one
review (inline comments, 422 fallback into the body), edits the sticky summary comment and
completes the check run; a push gets the check run only. Files are read from the checkout's object
database at the head (never the working tree, which under pull_request_target is the base), or,
without the commits, through the contents API at the head, so manifests are read and frameworks
detected in API-only mode too.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from mochi.diff.git import Git
from mochi.diff.reader import CachedReader, GitBlobReader
from mochi.diff.sources import has_commit
from mochi.errors import GitHubAPIError, HostAPIError
from mochi.events.github import PullRequest, pull_from_json
from mochi.findings import at_or_above
from mochi.models import Diff, Review, ReviewTarget, Severity, TargetKind
from mochi.platforms.github import review as gh_review
from mochi.platforms.github import state as gh_state
from mochi.platforms.github.actions import Actions
from mochi.platforms.github.check import CheckRun, Conclusion
from mochi.platforms.github.client import GitHubClient
from mochi.platforms.github.plan import plan_pull_request, plan_push
from mochi.platforms.github.summary import summary_body, upsert_summary
from mochi.platforms.hosted import (
    ChangeState,
    DiffPlan,
    HostPublisher,
    PublishReport,
    Readers,
    fails,
)
from mochi.publish.markdown import render_markdown
from mochi.settings import Settings

logger = logging.getLogger(__name__)

# Without a checkout every file is a request: read the few the context needs, not a whole tree.
API_READS = 60


def fetch_pull(client: GitHubClient, repo: str, number: int) -> PullRequest:
    """GET pulls/N as a PullRequest; a pull request that is not there says which one."""
    try:
        data = client.get(f"/repos/{repo}/pulls/{number}")
    except GitHubAPIError as exc:
        if exc.status == 404:
            raise GitHubAPIError(
                f"pull request {repo}#{number} was not found on GitHub: check the repository name and the "
                "number, and that GITHUB_TOKEN can read the repository (a private repository answers 404 "
                "to a token without access)",
                status=404,
                method="GET",
            ) from None
        raise
    return pull_from_json(data, where=f"pulls/{number}")


def api_reader(client: GitHubClient, repo: str, ref: str, *, limit: int = API_READS) -> CachedReader:
    """Files at `ref` through the contents API, cached; at most `limit` requests."""
    count = [0]

    def fetch(path: str) -> str | None:
        if path.startswith(("/", "../")) or "/../" in path or count[0] >= limit:
            return None
        count[0] += 1
        try:
            data = client.get(f"/repos/{repo}/contents/{path}", {"ref": ref})
        except HostAPIError as exc:
            if exc.status in (404, 403):
                return None  # not there (or too large for the contents API)
            logger.info("could not read %s at %s through the API: %s", path, ref[:12], exc)
            return None
        if not isinstance(data, Mapping) or data.get("type") != "file" or data.get("encoding") != "base64":
            return None
        try:
            return base64.b64decode(str(data.get("content") or "")).decode("utf-8", "replace")
        except ValueError:
            return None

    return CachedReader(fetch)


def _no_file(_path: str) -> str | None:
    return None


@dataclass
class GitHubContext:
    """Where a GitHub review reads and posts."""

    client: GitHubClient
    repo: str  # owner/name
    git: Git | None
    root: Path  # the checkout (GITHUB_WORKSPACE) or the current directory
    settings: Settings
    stdout: IO[str]
    actions: Actions | None  # workflow commands (only inside GitHub Actions)
    progress: Callable[[str], None]
    dry_run: bool = False
    check_run: bool = True  # False from a laptop or Jenkins: those tokens cannot create check runs
    trusted_base: bool = False  # pull_request_target: context files from the base commit only

    def reader_at(self, sha: str, *, worktree_ok: bool = True) -> Callable[[str], str | None]:
        """The files at `sha`: the checkout's objects when it has the commit; else its working tree
        (`worktree_ok`: a shallow checkout of the change); else the contents API."""
        if self.git is not None and has_commit(self.git, sha):
            return GitBlobReader(self.git, sha)
        if self.git is not None and worktree_ok:
            return GitBlobReader(self.git, None)
        return api_reader(self.client, self.repo, sha)


class GitHubPullRequest:
    """A pull request (HostedChange)."""

    def __init__(self, ctx: GitHubContext, pull: PullRequest) -> None:
        self.ctx = ctx
        self.pull = pull
        self.me: gh_state.Identity | None = None
        self.label = f"pull request {ctx.repo}#{pull.number}"

    def load_state(self) -> ChangeState:
        """Mochi's identity, the PR's comments and threads, the posted fingerprints, the summary."""
        ctx, pull = self.ctx, self.pull
        me = self.me = gh_state.identity(ctx.client, bot_login=ctx.settings.github.bot_login)
        native = gh_state.load_pr_state(ctx.client, ctx.repo, pull.number, me)
        target = ReviewTarget(
            kind=TargetKind.PULL_REQUEST,
            repo=ctx.root,
            base=pull.base_ref,
            head=pull.head_ref,
            head_sha=pull.head_sha,
            title=pull.title,
            description=gh_state.pull_request_description(pull.body, pull.labels, pull.author),
            url=pull.html_url or None,
            number=pull.number,
            branch=pull.head_ref or None,
        )
        return ChangeState(
            target=target,
            head_sha=pull.head_sha,
            feedback=gh_state.feedback_section(native.comments),
            posted=native.posted,
            last_reviewed=native.last_reviewed_sha,
            answers=native.answers,
            native=native,
        )

    def plan_diff(self, state: ChangeState, *, full_review: bool) -> DiffPlan:
        """The whole PR, or the commits after the last review."""
        ctx = self.ctx
        return plan_pull_request(
            self.pull,
            repo=ctx.repo,
            client=ctx.client,
            git=ctx.git,
            last_reviewed=state.last_reviewed,
            full_review=full_review,
        )

    def readers(self, state: ChangeState) -> Readers:
        """Changed files at the head; context files at the head, or at the base when only it is trusted."""
        ctx = self.ctx
        local = ctx.git is not None and has_commit(ctx.git, state.head_sha)
        head = ctx.reader_at(state.head_sha)
        repo = ctx.reader_at(self.pull.base_sha, worktree_ok=False) if ctx.trusted_base else head
        # without the head's objects the checks rebuild changed files from the hunks
        return Readers(changed=head if local else _no_file, repo=repo, head=head)

    def publisher(self, report: PublishReport) -> HostPublisher:
        """The review, the sticky summary comment and the check run."""
        return PullRequestPublisher(self.ctx, self.pull, report, reload=self.reload_state)

    def reload_state(self) -> gh_state.PullRequestState | None:
        """What is on the PR now: another run on it (two pushes in a row) may have posted meanwhile."""
        if self.me is None:
            return None
        try:
            return gh_state.load_pr_state(self.ctx.client, self.ctx.repo, self.pull.number, self.me)
        except GitHubAPIError as exc:
            logger.warning("could not read the pull request again before posting (%s)", exc)
            return None


class GitHubPush:
    """A push to a branch (HostedChange): reviewed for the check run only."""

    def __init__(self, ctx: GitHubContext, *, before: str | None, after: str, ref: str) -> None:
        self.ctx = ctx
        self.before = before
        self.after = after
        self.ref = ref
        self.label = f"push to {ref.removeprefix('refs/heads/') or after[:7]}"

    def load_state(self) -> ChangeState:
        """Nothing is on a push but its commits."""
        target = ReviewTarget(
            kind=TargetKind.RANGE,
            repo=self.ctx.root,
            head=self.after,
            head_sha=self.after,
            branch=self.ref.removeprefix("refs/heads/") or None,
        )
        return ChangeState(target=target, head_sha=self.after)

    def plan_diff(self, state: ChangeState, *, full_review: bool) -> DiffPlan:
        """before..after, or from the default branch for a new branch."""
        ctx = self.ctx
        return plan_push(ctx.git, ctx.client, ctx.repo, self.before, self.after)

    def readers(self, state: ChangeState) -> Readers:
        """The files at the pushed commit."""
        ctx = self.ctx
        local = ctx.git is not None and has_commit(ctx.git, self.after)
        head = ctx.reader_at(self.after)
        return Readers(changed=head if local else _no_file, repo=head)

    def publisher(self, report: PublishReport) -> HostPublisher:
        """The check run."""
        return CheckPublisher(self.ctx, self.after, report)


# --------------------------------------------------------------------------- publishers


def conclusion(review: Review, settings: Settings) -> Conclusion:
    """The check run's conclusion: failure at or above fail_on; without the model pass, neutral
    (or `check_on_model_failure`), never a green check for a review that did not happen."""
    if fails(review, settings):
        return "failure"
    if review.llm_error is not None:
        return settings.github.check_on_model_failure
    return "success"


class CheckPublisher:
    """The "Sonar-Mochi" check run: in progress from the start, completed with the review."""

    def __init__(self, ctx: GitHubContext, head_sha: str, report: PublishReport) -> None:
        self.ctx = ctx
        self.report = report
        self.check: CheckRun | None = None
        if ctx.check_run and not ctx.dry_run:
            self.check = CheckRun(ctx.client, ctx.repo, head_sha, ctx.actions)

    def start(self) -> None:
        """Create the run as in_progress."""
        if self.check is not None:
            self.report.attempt("check run", self.check.start)

    def prepare(self, state: ChangeState, plan: DiffPlan) -> None:
        """Nothing to prepare."""

    def publish(self, review: Review, diff: Diff) -> None:
        """Complete the run with the conclusion, the report and the annotations."""
        check = self.check
        if check is None:
            return
        verdict = conclusion(review, self.ctx.settings)
        self.report.attempt("check run", lambda: check.complete(review, verdict, render_markdown(review)))
        if check.url:
            self.report.urls["check_run_url"] = check.url

    def abort(self, message: str) -> None:
        """Close the run as failed."""
        if self.check is not None:
            self.check.abort(message)


class PullRequestPublisher(CheckPublisher):
    """One review with the new findings, the sticky summary comment, and the check run."""

    def __init__(
        self,
        ctx: GitHubContext,
        pull: PullRequest,
        report: PublishReport,
        *,
        reload: Callable[[], gh_state.PullRequestState | None] = lambda: None,
    ) -> None:
        super().__init__(ctx, pull.head_sha, report)
        self.pull = pull
        self.state: ChangeState | None = None
        self.plan: DiffPlan | None = None
        self._reload = reload
        self._now: gh_state.PullRequestState | None = None  # the PR as read right before posting

    def prepare(self, state: ChangeState, plan: DiffPlan) -> None:
        """Remember the posted fingerprints, the whole diff and the summary comment."""
        self.state, self.plan = state, plan

    def publish(self, review: Review, diff: Diff) -> None:
        """Review and summary (unless post_review is off), then the check run."""
        if self.ctx.settings.github.post_review:
            # re-read what is on the PR: a run that started after this one may have posted already
            self._now = None if self.ctx.dry_run else self._reload()
            posted = self._post_review(review)
            self.report.attempt("summary comment", lambda: self._post_summary(review, complete=posted))
        super().publish(review, diff)

    def _post_review(self, review: Review) -> bool:
        """Post the new findings; False when they could not all be posted."""
        ctx, pull = self.ctx, self.pull
        assert self.state is not None and self.plan is not None
        settings = ctx.settings
        event: gh_review.ReviewEvent = "COMMENT"
        if settings.github.review_event == "REQUEST_CHANGES" and at_or_above(
            review.findings, settings.fail_on or Severity.HIGH
        ):
            event = "REQUEST_CHANGES"
        rplan = gh_review.plan_review(
            review,
            gh_review.PositionIndex(self.plan.full_files),
            self.state.posted | (self._now.posted if self._now is not None else frozenset()),
            head_sha=pull.head_sha,
            event=event,
        )
        if rplan.already_posted:
            ctx.progress(
                f"{rplan.already_posted} finding(s) are already on the pull request; not posting them again"
            )
        if rplan.empty:
            ctx.progress("no new findings to post")
            return True
        if ctx.dry_run:
            ctx.stdout.write("----- would post this review -----\n")
            ctx.stdout.write(json.dumps(rplan.payload(), indent=2, ensure_ascii=False) + "\n")
            return True

        def post() -> None:
            result = gh_review.post_review(ctx.client, ctx.repo, pull.number, rplan)
            if result.url:
                self.report.urls["review_url"] = result.url
            if result.moved_after_422 and ctx.actions is not None:
                ctx.actions.warning("GitHub refused the inline comments; they are in the review body instead")
            self._where_posted(result)

        return self.report.attempt("review", post)

    def _where_posted(self, result: gh_review.PostedReview) -> None:
        """Where each finding was posted, for the record (a failure to read it back costs a warning)."""
        try:
            where = gh_review.posted_comments(self.ctx.client, self.ctx.repo, self.pull.number, result)
        except GitHubAPIError as exc:
            logger.warning("could not read back the posted comments for the record: %s", exc)
            return
        for fingerprint, (comment_id, url) in where.items():
            self.report.posted[fingerprint] = (str(comment_id), url or None)

    def _post_summary(self, review: Review, *, complete: bool) -> None:
        ctx, pull = self.ctx, self.pull
        assert self.state is not None and self.plan is not None
        native: gh_state.PullRequestState = self.state.native
        if self._now is not None and self._now.summary_comment_id is not None:
            native = self._now  # edit the summary another run created meanwhile, not a second one
        # the head the next push is reviewed from moves on only when these commits were really
        # reviewed: the model ran (or none was asked for) and every finding was posted
        head = pull.head_sha if complete and review.llm_error is None else self.state.last_reviewed
        answers = self.report.llm_record if head == pull.head_sha else None
        scope = f"Sonar-Mochi reviewed {self.plan.scope}."
        body = summary_body(review, head_sha=head, scope=scope, answers=answers)
        if ctx.dry_run:
            action = "update" if native.summary_comment_id else "create"
            ctx.stdout.write(f"----- would {action} the summary comment -----\n{body}")
            return
        posted = upsert_summary(ctx.client, ctx.repo, pull.number, body, comment_id=native.summary_comment_id)
        if posted.url:
            self.report.urls["summary_url"] = posted.url
