"""A review on GitHub: event -> target -> diff -> context -> pipeline -> review, summary, check run.

`run_event` serves `mochi ci` inside Actions; `run_pull_request` serves both it and
`mochi review --pr owner/repo#N` from a laptop. Everything comes in as arguments (the command
module reads the environment). Whatever happens to the posting, the findings are written to the
job summary and to a JSON file, and the exit status tells what went wrong:
0 ok, 1 a finding at or above fail_on, 3 the model failed (built-in results still posted),
6 something could not be posted.
"""

from __future__ import annotations

import json
import logging
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from mochi import findings as findings_mod
from mochi import pipeline
from mochi.diff.git import Git
from mochi.diff.sources import has_commit
from mochi.errors import GitHubAPIError, MochiError, PublishError
from mochi.events.github import GitHubEvent, PullRequest, pull_from_json, skip_reason_for
from mochi.models import Anchor, Review, ReviewTarget, Severity, TargetKind
from mochi.platforms.github import review as gh_review
from mochi.platforms.github import state as gh_context
from mochi.platforms.github.actions import Actions
from mochi.platforms.github.check import CheckRun, Conclusion
from mochi.platforms.github.client import GitHubClient
from mochi.platforms.github.plan import DiffPlan, plan_pull_request, plan_push, select
from mochi.platforms.github.summary import summary_body, upsert_summary
from mochi.publish.files import write_output
from mochi.publish.json_out import render_json
from mochi.publish.markdown import render_markdown
from mochi.settings import Settings

if TYPE_CHECKING:
    from mochi.store.recorder import Recorder

logger = logging.getLogger(__name__)


@dataclass
class GitHubRun:
    """Where this run posts and writes: the repository, the checkout, the Actions files."""

    repo: str  # owner/name
    client: GitHubClient
    git: Git | None
    root: Path  # the checkout (GITHUB_WORKSPACE) or the current directory
    actions: Actions
    json_path: Path
    stdout: IO[str]
    build_provider: Callable[[Settings], Any]
    progress: Callable[[str], None] = lambda _m: None
    dry_run: bool = False
    check_run: bool = True  # False from a laptop: a personal token cannot create check runs
    templates_root: Path | None = None  # pull_request_target: the base branch's .mochi/prompts
    templates: Mapping[str, str] | None = None  # stored templates (`mochi templates`)
    recorder: Recorder | None = None  # the review record, when a database is configured
    failures: list[str] = field(default_factory=list)
    urls: dict[str, str] = field(default_factory=dict)


def fetch_pull(client: GitHubClient, repo: str, number: int) -> PullRequest:
    """GET pulls/N as a PullRequest."""
    data = client.get(f"/repos/{repo}/pulls/{number}")
    return pull_from_json(data, where=f"pulls/{number}")


def run_event(event: GitHubEvent, settings: Settings, run: GitHubRun) -> int:
    """Review what `event` asks for; a skipped event prints a notice and returns 0."""
    if event.kind == "skip":
        run.actions.notice(f"Sonar-Mochi: nothing to do: {event.reason}")
        return 0
    if event.kind == "push":
        assert event.after is not None
        return _review_push(event, settings, run)
    assert event.number is not None
    pull = event.pull or fetch_pull(run.client, run.repo, event.number)
    if event.pull is None:
        why = skip_reason_for(pull, review_drafts=settings.review_drafts)
        if why:
            run.actions.notice(f"Sonar-Mochi: nothing to do: {why}")
            return 0
    return run_pull_request(pull, settings, run, full_review=event.full_review)


def run_pull_request(pull: PullRequest, settings: Settings, run: GitHubRun, *, full_review: bool) -> int:
    """Review one pull request and post one review, the sticky summary and the check run."""
    check = _start_check(run, pull.head_sha)
    try:
        with run.actions.group("Sonar-Mochi: reading the pull request"):
            me = gh_context.identity(run.client)
            state = gh_context.load_pr_state(run.client, run.repo, pull.number, me)
            plan = plan_pull_request(
                pull,
                repo=run.repo,
                client=run.client,
                git=run.git,
                last_reviewed=state.last_reviewed_sha,
                full_review=full_review,
            )
            run.progress(f"reviewing {plan.scope}")
        target = ReviewTarget(
            kind=TargetKind.PULL_REQUEST,
            repo=run.root,
            base=pull.base_ref,
            head=pull.head_ref,
            base_sha=plan.range_base,
            head_sha=pull.head_sha,
            title=pull.title,
            description=gh_context.pull_request_description(pull.body, pull.labels, pull.author),
            url=pull.html_url or None,
            number=pull.number,
            branch=pull.head_ref or None,
        )
        feedback = gh_context.feedback_section(state.comments)
        with run.actions.group("Sonar-Mochi: review"):
            trusted = pull.base_sha if run.templates_root is not None else None
            outcome = _review(
                target, plan, settings, run, feedback=feedback, head_sha=pull.head_sha, trusted_base=trusted
            )
    except MochiError as exc:
        if check is not None:
            check.abort(str(exc))
        raise
    review = outcome.review
    conclusion = _conclusion(review, settings)
    report = render_markdown(review)
    with run.actions.group("Sonar-Mochi: publishing"):
        if settings.post_review:
            _post_review(run, pull, review, plan, state.posted, settings)
            _attempt(run, "summary comment", lambda: _post_summary(run, pull, review, plan, state))
        _finish_check(run, check, review, conclusion, report)
    return _finish(run, review, settings, outcome.provider_error)


def _review_push(event: GitHubEvent, settings: Settings, run: GitHubRun) -> int:
    assert event.after is not None
    check = _start_check(run, event.after)
    try:
        plan = plan_push(run.git, run.client, run.repo, event.before, event.after)
        target = ReviewTarget(
            kind=TargetKind.RANGE,
            repo=run.root,
            base=plan.range_base,
            head=event.after,
            base_sha=plan.range_base,
            head_sha=event.after,
            branch=event.ref.removeprefix("refs/heads/") or None,
        )
        with run.actions.group("Sonar-Mochi: review"):
            outcome = _review(target, plan, settings, run, feedback="", head_sha=event.after)
    except MochiError as exc:
        if check is not None:
            check.abort(str(exc))
        raise
    review = outcome.review
    with run.actions.group("Sonar-Mochi: publishing"):
        _finish_check(run, check, review, _conclusion(review, settings), render_markdown(review))
    return _finish(run, review, settings, outcome.provider_error)


# --------------------------------------------------------------------------- the review itself


def _review(
    target: ReviewTarget,
    plan: DiffPlan,
    settings: Settings,
    run: GitHubRun,
    *,
    feedback: str,
    head_sha: str,
    trusted_base: str | None = None,
) -> pipeline.Outcome:
    from mochi.review import run_hosted

    diff = select(plan.review_raw, settings, run.git)
    local_head = has_commit(run.git, head_sha)
    git = run.git

    def read_changed(path: str) -> str | None:
        # the object database, never the working tree: under pull_request_target that is the base
        return git.show_file(head_sha, path) if git is not None and local_head else None

    def read_repo(path: str) -> str | None:
        # repository instructions and manifests: from the base when the base is what is trusted
        if git is None:
            return None
        if trusted_base is not None:
            return git.show_file(trusted_base, path) if has_commit(git, trusted_base) else None
        return git.show_file(head_sha, path) if local_head else git.show_file(None, path)

    outcome = run_hosted(
        target,
        diff,
        settings,
        git=git,
        read_changed=read_changed,
        read_repo=read_repo,
        templates_root=run.templates_root or run.root,
        build_provider=run.build_provider,
        progress=run.progress,
        feedback=feedback,
        templates=run.templates,
        recorder=run.recorder,
        repository=run.repo,
    )
    if plan.incremental:
        # earlier commits were reviewed already: keep what is on the new commits' lines
        kept = tuple(f for f in outcome.review.findings if f.anchored is Anchor.INLINE or f.line is None)
        outcome.review = outcome.review.model_copy(update={"findings": kept})
    return outcome


def _conclusion(review: Review, settings: Settings) -> Conclusion:
    if settings.fail_on is not None and findings_mod.at_or_above(review.findings, settings.fail_on):
        return "failure"
    return "success"


# --------------------------------------------------------------------------- publishing


def _attempt(run: GitHubRun, what: str, action: Callable[[], None]) -> None:
    try:
        action()
    except GitHubAPIError as exc:
        run.failures.append(f"{what}: {exc}")
        run.actions.error(f"Sonar-Mochi could not post the {what}: {exc}")


def _start_check(run: GitHubRun, head_sha: str) -> CheckRun | None:
    if not run.check_run or run.dry_run:
        return None
    check = CheckRun(run.client, run.repo, head_sha, run.actions)
    _attempt(run, "check run", check.start)
    return check


def _finish_check(
    run: GitHubRun, check: CheckRun | None, review: Review, conclusion: Conclusion, report: str
) -> None:
    if check is None:
        return
    _attempt(run, "check run", lambda: check.complete(review, conclusion, report))
    if check.url:
        run.urls["check_run_url"] = check.url


def _post_review(
    run: GitHubRun,
    pull: PullRequest,
    review: Review,
    plan: DiffPlan,
    posted: frozenset[str],
    settings: Settings,
) -> None:
    event: gh_review.ReviewEvent = "COMMENT"
    if settings.review_event == "REQUEST_CHANGES" and findings_mod.at_or_above(
        review.findings, settings.fail_on or Severity.HIGH
    ):
        event = "REQUEST_CHANGES"
    rplan = gh_review.plan_review(
        review, gh_review.PositionIndex(plan.full_files), posted, head_sha=pull.head_sha, event=event
    )
    if rplan.already_posted:
        run.progress(
            f"{rplan.already_posted} finding(s) are already on the pull request; not posting them again"
        )
    if rplan.empty:
        run.progress("no new findings to post")
        return
    if run.dry_run:
        run.stdout.write("----- would post this review -----\n")
        run.stdout.write(json.dumps(rplan.payload(), indent=2, ensure_ascii=False) + "\n")
        return

    def post() -> None:
        result = gh_review.post_review(run.client, run.repo, pull.number, rplan)
        if result.url:
            run.urls["review_url"] = result.url
        if result.moved_after_422:
            run.actions.warning("GitHub refused the inline comments; they are in the review body instead")
        if run.recorder is not None:
            _record_posted(run, pull.number, result)

    _attempt(run, "review", post)


def _record_posted(run: GitHubRun, number: int, result: gh_review.PostedReview) -> None:
    """Where each finding was posted, for the record (a failure to read it back only costs a warning)."""
    assert run.recorder is not None
    try:
        where = gh_review.posted_comments(run.client, run.repo, number, result)
    except GitHubAPIError as exc:
        logger.warning("could not read back the posted comments for the record: %s", exc)
        return
    for fingerprint, (comment_id, url) in where.items():
        run.recorder.posted(fingerprint, comment_id=comment_id, url=url or None)


def _post_summary(
    run: GitHubRun, pull: PullRequest, review: Review, plan: DiffPlan, state: gh_context.PullRequestState
) -> None:
    body = summary_body(review, head_sha=pull.head_sha, scope=f"Sonar-Mochi reviewed {plan.scope}.")
    if run.dry_run:
        action = "update" if state.summary_comment_id else "create"
        run.stdout.write(f"----- would {action} the summary comment -----\n{body}")
        return
    posted = upsert_summary(run.client, run.repo, pull.number, body, comment_id=state.summary_comment_id)
    if posted.url:
        run.urls["summary_url"] = posted.url


def _finish(run: GitHubRun, review: Review, settings: Settings, provider_error: MochiError | None) -> int:
    """Job summary, JSON file and outputs (always), then the exit status."""
    counts = {s.value: sum(1 for f in review.findings if f.severity is s) for s in Severity}
    json_written = True
    try:
        write_output(run.json_path, render_json(review))
    except PublishError as exc:
        json_written = False
        run.failures.append(str(exc))
    job = render_markdown(review)
    links = [f"- [{name.replace('_url', '').replace('_', ' ')}]({url})" for name, url in run.urls.items()]
    if links:
        job += "\n" + "\n".join(links) + "\n"
    if run.failures:
        job += "\n> [!WARNING]\n> Not everything could be posted: " + "; ".join(run.failures) + "\n"
    outputs: dict[str, str] = {
        "findings": str(len(review.findings)),
        **{k: str(v) for k, v in counts.items()},
        "review_url": run.urls.get("review_url", ""),
        "check_run_url": run.urls.get("check_run_url", ""),
        "summary_url": run.urls.get("summary_url", ""),
        "json_path": str(run.json_path) if json_written else "",
        "conclusion": _conclusion(review, settings),
    }
    try:
        run.actions.write_summary(job)
        run.actions.set_outputs(outputs)
    except PublishError as exc:
        run.failures.append(str(exc))
    if run.failures:
        run.actions.error("Sonar-Mochi: " + "; ".join(run.failures))
        where = f" The findings are in {run.json_path}." if json_written else ""
        raise PublishError("could not post everything: " + "; ".join(run.failures) + "." + where)
    if provider_error is not None:
        run.actions.error(
            f"Sonar-Mochi: the model failed ({provider_error}); only built-in findings were posted"
        )
        raise provider_error
    return 1 if _conclusion(review, settings) == "failure" else 0


def default_json_path(runner_temp: str | None, workspace: str | None = None) -> Path:
    """Where the findings JSON goes when nothing else is configured.

    RUNNER_TEMP when it exists. In a container action GitHub passes the runner's host path, which
    is not mounted in the container: the workspace is the one directory later steps can read
    (`actions/upload-artifact` with `path: mochi-review.json`).
    """
    if runner_temp and Path(runner_temp).is_dir():
        return Path(runner_temp) / "mochi-review.json"
    if workspace and Path(workspace).is_dir():
        return Path(workspace) / "mochi-review.json"
    return Path(tempfile.gettempdir()) / "mochi-review.json"
