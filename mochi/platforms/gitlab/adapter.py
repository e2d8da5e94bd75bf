"""GitLab's adapters of the HostedChange protocol: a merge request, and a branch pipeline.

A merge request is reviewed against its latest diff version (never CI_COMMIT_SHA, a merge commit
in merged-results pipelines); on a later push only what changed since the head recorded in mochi's
summary note. Its publisher posts inline discussions (or draft notes) and edits the summary note.
A branch pipeline (no merge request) reviews the push's commits for the Code Quality report only.
Files are read from the checkout's objects at the head, never its working tree (which may be a
merge commit Jenkins made), or through the repository files API without a checkout.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from mochi.diff.git import Git
from mochi.diff.reader import CachedReader, GitBlobReader
from mochi.diff.sources import RawDiff, git_range, has_commit
from mochi.errors import GitLabAPIError, HostAPIError, MochiError
from mochi.events.gitlab import GitLabEvent
from mochi.models import Diff, Review, ReviewTarget, TargetKind
from mochi.platforms.gitlab import diff as gl_diff
from mochi.platforms.gitlab.client import GitLabClient, project_path
from mochi.platforms.gitlab.publish import GitLabMergeRequest, MRState
from mochi.platforms.hosted import (
    ChangeState,
    DiffPlan,
    HostPublisher,
    NullPublisher,
    PublishReport,
    Readers,
)
from mochi.settings import Settings

logger = logging.getLogger(__name__)

API_READS = 60  # without a checkout every file is a request


@dataclass
class GitLabContext:
    """Where a GitLab review reads and posts."""

    client: GitLabClient | None  # None without a token (a branch pipeline needs none)
    project_id: str
    git: Git | None
    root: Path
    settings: Settings
    progress: Callable[[str], None]
    dry_run: bool = False

    def reader_at(self, sha: str) -> Callable[[str], str | None]:
        """The files at `sha`: the checkout's objects, else its working tree, else the files API."""
        if self.git is not None:
            return GitBlobReader(self.git, sha if has_commit(self.git, sha) else None)
        if self.client is not None:
            return api_reader(self.client, self.project_id, sha)
        return _no_file


def _no_file(_path: str) -> str | None:
    return None


def api_reader(client: GitLabClient, project_id: str, ref: str, *, limit: int = API_READS) -> CachedReader:
    """Files at `ref` through `/repository/files/:path/raw`, cached; at most `limit` requests."""
    count = [0]

    def fetch(path: str) -> str | None:
        if path.startswith(("/", "../")) or "/../" in path or count[0] >= limit:
            return None
        count[0] += 1
        url = f"{project_path(project_id)}/repository/files/{quote(path, safe='')}/raw"
        try:
            response = client.request("GET", url, params={"ref": ref})
        except HostAPIError as exc:
            if exc.status not in (404, 403):
                logger.info("could not read %s at %s through the API: %s", path, ref[:12], exc)
            return None
        return response.content.decode("utf-8", "replace")

    return CachedReader(fetch)


class GitLabMergeRequestChange:
    """A merge request (HostedChange)."""

    def __init__(
        self,
        ctx: GitLabContext,
        iid: int,
        *,
        title: str = "",
        source_branch: str = "",
        target_branch: str = "",
        url: str = "",
        description: str = "",
    ) -> None:
        if ctx.client is None:
            raise MochiError("a merge request review needs the GitLab API: give mochi a GitLab token")
        self.ctx = ctx
        self.client: GitLabClient = ctx.client
        self.iid = iid
        self.mr = GitLabMergeRequest(ctx.client, ctx.project_id, iid)
        self.meta = (title, source_branch, target_branch, url, description)
        self.label = f"merge request !{iid}"

    def load_state(self) -> ChangeState:
        """The latest diff version and what mochi left on the merge request."""
        ctx = self.ctx
        try:
            version = gl_diff.latest_version(self.client, ctx.project_id, self.iid)
        except GitLabAPIError as exc:
            if exc.status != 404:
                raise
            raise GitLabAPIError(
                f"merge request !{self.iid} of project {ctx.project_id} was not found on GitLab: check the "
                "number and CI_PROJECT_ID, and that the token can see the project (GitLab answers 404 to a "
                "token without access)",
                status=404,
                method="GET",
            ) from None
        native = self.mr.state(drafts=ctx.settings.gitlab.draft_notes)
        title, source, target_branch, url, description = self.meta
        target = ReviewTarget(
            kind=TargetKind.PULL_REQUEST,
            repo=ctx.root,
            number=self.iid,
            base=target_branch or None,
            head=source or None,
            base_sha=version.base_sha,
            head_sha=version.head_sha,
            title=title or None,
            description=description or None,
            url=url or None,
            branch=source or None,
        )
        return ChangeState(
            target=target,
            head_sha=version.head_sha,
            posted=frozenset(native.fingerprints),
            last_reviewed=native.reviewed_head,
            answers=native.answers,
            native=(native, version),
        )

    def plan_diff(self, state: ChangeState, *, full_review: bool) -> DiffPlan:
        """The latest version's diff, or the changes since the reviewed head."""
        ctx = self.ctx
        _, version = state.native
        full = gl_diff.mr_diff(self.client, ctx.git, ctx.project_id, self.iid, version)
        last = state.last_reviewed
        if last and last != version.head_sha and not full_review:
            newer = self._since(last, version.head_sha)
            if newer is not None:
                return DiffPlan(newer, full.files, last, True, f"the changes since {last[:12]}")
        scope = f"{version.base_sha[:12]}...{version.head_sha[:12]}"
        return DiffPlan(full, full.files, version.base_sha, False, scope)

    def _since(self, old: str, new: str) -> RawDiff | None:
        """The changes pushed since `old`, or None when they cannot be told apart (a force-push)."""
        git = self.ctx.git
        if git is not None and has_commit(git, old) and has_commit(git, new):
            if git.returncode("merge-base", "--is-ancestor", old, new) != 0:
                return None  # history was rewritten: review the whole merge request again
            return git_range(git, old, new)
        return gl_diff.api_compare(self.client, self.ctx.project_id, old, new)

    def readers(self, state: ChangeState) -> Readers:
        """The files at the version's head."""
        head = self.ctx.reader_at(state.head_sha)
        local = self.ctx.git is not None and has_commit(self.ctx.git, state.head_sha)
        return Readers(changed=head if local else _no_file, repo=head, head=head)

    def publisher(self, report: PublishReport) -> HostPublisher:
        """Inline discussions and the summary note."""
        return MergeRequestPublisher(self, report)


class MergeRequestPublisher:
    """Discussions (or draft notes) for the new findings, then the sticky summary note."""

    def __init__(self, change: GitLabMergeRequestChange, report: PublishReport) -> None:
        self.change = change
        self.report = report
        self.state: ChangeState | None = None
        self.plan: DiffPlan | None = None

    def start(self) -> None:
        """Nothing: GitLab shows the pipeline's own status."""

    def prepare(self, state: ChangeState, plan: DiffPlan) -> None:
        """Remember the version, the posted fingerprints and the whole diff."""
        self.state, self.plan = state, plan

    def publish(self, review: Review, diff: Diff) -> None:
        """Post, unless this is a dry run."""
        change, ctx = self.change, self.change.ctx
        assert self.state is not None and self.plan is not None
        if ctx.dry_run:
            ctx.progress(f"dry run: {len(review.findings)} finding(s) not posted")
            return
        native, version = self.state.native
        assert isinstance(native, MRState)
        plan = self.plan

        def post() -> None:
            posted = change.mr.publish(
                review,
                Diff(files=plan.full_files),
                version,
                native,
                drafts=ctx.settings.gitlab.draft_notes,
                incremental_from=plan.range_base if plan.incremental else None,
                answers=self.report.llm_record,
            )
            for fingerprint, note_id in posted.note_ids.items():
                self.report.posted[fingerprint] = (note_id, None)
            verb = "created" if posted.summary_created else "updated"
            self.report.notes.append(
                f"posted {posted.posted} discussion(s) on !{change.iid}"
                + (f", {posted.already_there} already there" if posted.already_there else "")
                + (f", {len(posted.unanchored)} in the summary" if posted.unanchored else "")
                + f"; summary note {verb}"
            )

        self.report.attempt("merge request discussions", post)

    def abort(self, message: str) -> None:
        """Nothing: the failed job says it."""


class GitLabBranch:
    """A branch pipeline (HostedChange): the push's commits, for the Code Quality report only."""

    def __init__(self, ctx: GitLabContext, event: GitLabEvent) -> None:
        if ctx.git is None:
            raise MochiError(
                f"{ctx.root} is not a git checkout: a branch pipeline is reviewed from its checkout"
            )
        self.ctx = ctx
        self.git: Git = ctx.git
        self.event = event
        self.label = f"branch pipeline of {event.source_branch or event.head_sha[:12]}"

    def load_state(self) -> ChangeState:
        """The pipeline's commit; nothing was posted on a branch."""
        return ChangeState(target=self.event.target(str(self.ctx.root)), head_sha=self.event.head_sha)

    def plan_diff(self, state: ChangeState, *, full_review: bool) -> DiffPlan:
        """before..head, or from the default branch when the push created the branch."""
        git, event = self.git, self.event
        base = event.base_sha if has_commit(git, event.base_sha) else None
        if base is None and event.default_branch:
            ref = f"origin/{event.default_branch}"
            if git.returncode("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}") == 0:
                base = git.merge_base(ref, event.head_sha)
        if base is None or base == event.head_sha:
            return DiffPlan(
                RawDiff(files=()),
                (),
                None,
                False,
                "nothing (no earlier commit to compare this push with; a new branch in a shallow clone?)",
            )
        raw = git_range(git, base, event.head_sha)
        scope = f"{base[:12]}...{event.head_sha[:12]} (Code Quality report only)"
        return DiffPlan(raw, raw.files, base, False, scope)

    def readers(self, state: ChangeState) -> Readers:
        """The files at the pipeline's commit."""
        head = self.ctx.reader_at(state.head_sha)
        return Readers(changed=head, repo=head)

    def publisher(self, report: PublishReport) -> HostPublisher:
        """Nothing is posted for a branch."""
        return NullPublisher()
