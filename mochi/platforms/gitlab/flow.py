"""A review on GitLab CI: merge request -> version -> diff -> pipeline -> discussions, summary, Code Quality.

`run_gitlab` serves `mochi ci` inside a GitLab job; `review_merge_request` also serves Jenkins
builds of GitLab merge requests. Everything comes in as arguments (mochi/commands/ci_other.py
reads the environment). The Code Quality report is written on every run, merge request or not,
before anything is posted, so the MR widget has it even when posting fails.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from mochi import findings as findings_mod
from mochi import pipeline
from mochi.diff.git import Git
from mochi.diff.select import attributes_for, select_files
from mochi.diff.sources import RawDiff, git_range, has_commit
from mochi.errors import MochiError, PublishError
from mochi.events.gitlab import GitLabEvent
from mochi.models import Anchor, Diff, Review, ReviewTarget, TargetKind
from mochi.platforms.gitlab import diff as gl_diff
from mochi.platforms.gitlab.client import GitLabClient
from mochi.platforms.gitlab.publish import GitLabMergeRequest
from mochi.publish.files import render, write_output
from mochi.settings import Settings

if TYPE_CHECKING:
    from mochi.store.recorder import Recorder

logger = logging.getLogger(__name__)


@dataclass
class GitLabRun:
    """Where this run reads and writes: the checkout, the API (None without a token), the outputs."""

    root: Path
    git: Git | None
    client: GitLabClient | None
    stdout: IO[str]
    build_provider: Callable[[Settings], Any]
    progress: Callable[[str], None] = lambda _m: None
    dry_run: bool = False
    full_review: bool = False  # ignore the last reviewed head: review the whole merge request
    outputs: Sequence[tuple[str, Path]] = ()  # extra FORMAT=PATH files (e.g. junit for Jenkins)
    review: Review | None = field(default=None)  # the last review made, for the caller
    project: str = ""  # the project's path, for the record
    templates: Mapping[str, str] | None = None  # stored templates (`mochi templates`)
    recorder: Recorder | None = None  # the review record, when a database is configured


def run_gitlab(event: GitLabEvent, settings: Settings, run: GitLabRun) -> int:
    """Review this pipeline: a merge request (posted), or a branch push (Code Quality only)."""
    if event.mr_iid is None:
        return review_branch(event, settings, run)
    return review_merge_request(
        event.project_id,
        event.mr_iid,
        settings,
        run,
        title=event.title,
        source_branch=event.source_branch,
        target_branch=event.target_branch,
        url=event.mr_url,
        description=event.description,
    )


def review_merge_request(
    project_id: str,
    iid: int,
    settings: Settings,
    run: GitLabRun,
    *,
    title: str = "",
    source_branch: str = "",
    target_branch: str = "",
    url: str = "",
    description: str = "",
) -> int:
    """Review merge request `iid` against its latest version and post discussions and the summary."""
    assert run.client is not None, "a merge request review needs the API"
    mr = GitLabMergeRequest(run.client, project_id, iid)
    version = gl_diff.latest_version(run.client, project_id, iid)
    state = mr.state(drafts=settings.gitlab_draft_notes)
    full = gl_diff.mr_diff(run.client, run.git, project_id, iid, version)
    raw, since = full, None
    if state.reviewed_head and state.reviewed_head != version.head_sha and not run.full_review:
        newer = _since(run, project_id, state.reviewed_head, version.head_sha)
        if newer is not None:
            raw, since = newer, state.reviewed_head
    scope = (
        f"the changes since {since[:12]}" if since else f"{version.base_sha[:12]}...{version.head_sha[:12]}"
    )
    run.progress(f"merge request !{iid}: reviewing {scope} ({raw.source})")
    target = ReviewTarget(
        kind=TargetKind.PULL_REQUEST,
        repo=run.root,
        number=iid,
        base=target_branch or None,
        head=source_branch or None,
        base_sha=since or version.base_sha,
        head_sha=version.head_sha,
        title=title or None,
        description=description or None,
        url=url or None,
        branch=source_branch or None,
    )
    diff = _select(raw, settings, run.git)
    if not diff.files:
        run.progress(f"nothing to review in {scope}: every changed file was skipped or had no diff")
        _write_reports(settings, run, None, Diff())
        return 0
    outcome = _review(target, diff, settings, run, head_sha=version.head_sha)
    review = outcome.review
    if since:
        # earlier commits were reviewed already: keep what is on the new commits' lines
        kept = tuple(f for f in review.findings if f.anchored is Anchor.INLINE or f.line is None)
        review = review.model_copy(update={"findings": kept})
    run.review = review
    _write_reports(settings, run, review, outcome.diff)
    if run.dry_run:
        run.progress(f"dry run: {len(review.findings)} finding(s) not posted")
    else:
        report = mr.publish(
            review,
            Diff(files=full.files),
            version,
            state,
            drafts=settings.gitlab_draft_notes,
            incremental_from=since,
        )
        if run.recorder is not None:
            for fingerprint, note_id in report.note_ids.items():
                run.recorder.posted(fingerprint, comment_id=note_id)
        verb = "created" if report.summary_created else "updated"
        run.progress(
            f"posted {report.posted} discussion(s) on !{iid}"
            + (f", {report.already_there} already there" if report.already_there else "")
            + (f", {len(report.unanchored)} in the summary" if report.unanchored else "")
            + f"; summary note {verb}"
        )
    return _exit(review, settings, outcome.provider_error)


def review_branch(event: GitLabEvent, settings: Settings, run: GitLabRun) -> int:
    """A branch pipeline (no merge request): the push's commits, for the Code Quality report only."""
    git = run.git
    if git is None:
        raise MochiError(f"{run.root} is not a git checkout: a branch pipeline is reviewed from its checkout")
    base = event.base_sha if has_commit(git, event.base_sha) else None
    if base is None and event.default_branch:
        ref = f"origin/{event.default_branch}"
        if git.returncode("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}") == 0:
            base = git.merge_base(ref, event.head_sha)
    if base is None or base == event.head_sha:
        run.progress(
            "nothing to compare this push with (a new branch in a shallow clone?): empty Code Quality report"
        )
        _write_reports(settings, run, None, Diff())
        return 0
    raw = git_range(git, base, event.head_sha)
    target = event.target(str(run.root)).model_copy(update={"base_sha": base, "base": base})
    diff = _select(raw, settings, git)
    if not diff.files:
        _write_reports(settings, run, None, Diff())
        return 0
    run.progress(f"branch pipeline: reviewing {base[:12]}...{event.head_sha[:12]} (Code Quality report only)")
    outcome = _review(target, diff, settings, run, head_sha=event.head_sha)
    run.review = outcome.review
    _write_reports(settings, run, outcome.review, outcome.diff)
    return _exit(outcome.review, settings, outcome.provider_error)


# --------------------------------------------------------------------------- pieces


def _since(run: GitLabRun, project_id: str, old: str, new: str) -> RawDiff | None:
    """The changes pushed since `old`, or None when they cannot be told apart (a force-push)."""
    git = run.git
    if git is not None and has_commit(git, old) and has_commit(git, new):
        if git.returncode("merge-base", "--is-ancestor", old, new) != 0:
            return None  # history was rewritten: review the whole merge request again
        return git_range(git, old, new)
    if run.client is None:
        return None
    return gl_diff.api_compare(run.client, project_id, old, new)


def _select(raw: RawDiff, settings: Settings, git: Git | None) -> Diff:
    attrs = attributes_for(git, [f.path for f in raw.files]) if git is not None and raw.files else None
    diff = select_files(
        list(raw.files),
        include=settings.include,
        exclude=settings.exclude,
        attributes=attrs,
        max_file_lines=settings.max_file_lines,
    )
    return diff.model_copy(update={"skipped": diff.skipped + raw.skipped}) if raw.skipped else diff


def _review(
    target: ReviewTarget, diff: Diff, settings: Settings, run: GitLabRun, *, head_sha: str
) -> pipeline.Outcome:
    from mochi.review import run_hosted

    git = run.git
    local_head = has_commit(git, head_sha)

    def read_changed(path: str) -> str | None:
        # the object database, never the working tree (which may be a merge commit Jenkins made)
        return git.show_file(head_sha, path) if git is not None and local_head else None

    def read_repo(path: str) -> str | None:
        if git is None:
            return None
        return git.show_file(head_sha, path) if local_head else git.show_file(None, path)

    return run_hosted(
        target,
        diff,
        settings,
        git=git,
        read_changed=read_changed,
        read_repo=read_repo,
        templates_root=run.root,
        build_provider=run.build_provider,
        progress=run.progress,
        templates=run.templates,
        recorder=run.recorder,
        repository=run.project,
    )


def _write_reports(settings: Settings, run: GitLabRun, review: Review | None, diff: Diff) -> None:
    """The Code Quality report (always), the extra outputs, and the review on stdout."""
    from mochi.publish.codequality import render_codequality

    if review is None:
        review = Review(target=ReviewTarget(kind=TargetKind.PULL_REQUEST))
        stdout_too = False
    else:
        stdout_too = True
    path = run.root / settings.codequality_report
    write_output(path, render_codequality(review))
    run.progress(f"Code Quality report: {path} ({len(review.findings)} issue(s))")
    failed: list[str] = []
    for fmt, out in run.outputs:
        try:
            write_output(out, render(fmt, review, diff=diff))
        except PublishError as exc:
            failed.append(str(exc))
    if stdout_too:
        run.stdout.write(render(settings.format, review, diff=diff))
        run.stdout.flush()
    if failed:
        raise PublishError("; ".join(failed))


def _exit(review: Review, settings: Settings, provider_error: MochiError | None) -> int:
    if provider_error is not None:
        # in CI a failed model is an error, after the built-in findings were written and posted
        raise provider_error
    if settings.fail_on is not None and findings_mod.at_or_above(review.findings, settings.fail_on):
        return 1
    return 0
