"""Creating and retrying reviews over the API: the request bodies, checks and composition.

Everything a client can get wrong is found before anything is recorded: the path (checkout.py),
the refs, the model, a pull request's names (pulls.py); then the review is recorded PENDING and
handed to the runner (jobs.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from fastapi import Request
from pydantic import BaseModel, ConfigDict, Field

from mochi.server.checkout import NO_ROOTS, check_ref, open_checkout
from mochi.server.envelope import ApiError
from mochi.server.jobs import Busy, Composer, Job, Runner, compose_review, compose_settings
from mochi.server.pulls import MAX_PR_NUMBER, check_names, pull_spec, pull_target
from mochi.store import reviews

Severity = Literal["low", "medium", "high", "critical"]


class ReviewOptions(BaseModel):
    """How to review (absent: the server's settings decide)."""

    model_config = ConfigDict(extra="forbid")

    ai_model: str | None = Field(
        None,
        min_length=1,
        max_length=320,
        description="'provider/model' (e.g. 'ollama/qwen2.5-coder:14b'), a provider ('builtin': the "
        "built-in checks only, no model), or the name of a stored model (`GET /api/models`).",
    )
    include_design_patterns: bool | None = None
    severity_level: Severity | None = Field(None, description="Report only findings at or above it.")
    include_jira_context: bool | None = Field(
        None, description="false: no Jira tickets in the prompt even when Jira is configured."
    )


class ReviewIn(BaseModel):
    """A local review of a checkout on the server's disk (repo_path, base_commit, head_commit), or a
    GitHub pull request (owner, repo, pr_number): exactly one of the two."""

    model_config = ConfigDict(extra="forbid")

    repo_path: str | None = Field(None, max_length=4096, description="Under a `mochi serve --repo-root`.")
    base_commit: str | None = Field(None, max_length=255)
    head_commit: str | None = Field(None, max_length=255)
    owner: str | None = Field(None, max_length=255, description="The pull request's GitHub account.")
    repo: str | None = Field(None, max_length=255, description="The pull request's repository name.")
    pr_number: int | None = Field(None, ge=1, le=MAX_PR_NUMBER)
    post_to_github: bool | None = Field(
        None,
        description="true: post the review and its summary comment on the pull request; false (the "
        "default): a dry run, the findings are recorded only.",
    )
    options: ReviewOptions = Field(default_factory=ReviewOptions)


class RetryIn(BaseModel):
    """What a retry may change (absent: the review's own settings)."""

    model_config = ConfigDict(extra="forbid")

    ai_model: str | None = Field(None, min_length=1, max_length=320)


def _composer(request: Request) -> Composer:
    composer = request.app.state.composer
    assert isinstance(composer, Composer)
    return composer


def _runner(request: Request) -> Runner:
    runner = request.app.state.runner
    assert isinstance(runner, Runner)
    return runner


def _check_open(runner: Runner) -> None:
    try:
        runner.check_open()
    except Busy as exc:
        raise ApiError(503, str(exc)) from None


def _user_id(request: Request) -> int | None:
    key = getattr(request.state, "api_key", None) or {}
    user_id = key.get("user_id")
    return int(user_id if user_id is not None else key["id"]) if key else None


def _options(opts: ReviewOptions) -> dict[str, Any]:
    return {
        "ai_model": opts.ai_model,
        "min_severity": opts.severity_level,
        "include_design_patterns": opts.include_design_patterns,
        "include_jira_context": opts.include_jira_context,
    }


def create(request: Request, body: ReviewIn) -> int:
    """Check, compose, record PENDING and queue the review; its id."""
    pull = body.owner is not None or body.repo is not None or body.pr_number is not None
    pull = pull or body.post_to_github is not None
    local = body.repo_path is not None or body.base_commit is not None or body.head_commit is not None
    if pull and local:
        raise ApiError(
            400,
            "give either repo_path, base_commit and head_commit (a checkout on the server), or owner, "
            "repo and pr_number (a GitHub pull request), not both",
        )
    if pull:
        return _create_pull(request, body)
    missing = [n for n in ("repo_path", "base_commit", "head_commit") if not getattr(body, n)]
    if missing:
        raise ApiError(
            400,
            f"missing: {', '.join(missing)} (a local review needs all three; a pull request review "
            "needs owner, repo and pr_number)",
        )
    assert body.repo_path and body.base_commit and body.head_commit
    composer, runner = _composer(request), _runner(request)
    _check_open(runner)
    git = open_checkout(body.repo_path, composer.roots, composer.environ)
    check_ref(git, "base_commit", body.base_commit)
    check_ref(git, "head_commit", body.head_commit)
    settings, target, templates = compose_review(
        composer, git, base=body.base_commit, head=body.head_commit, options=_options(body.options)
    )
    root = Path(git.toplevel())
    recorder = runner.recorder()
    recorder.created(target, settings, repository=str(root), user_id=_user_id(request))
    if recorder.review_id is None:
        raise ApiError(503, "the review could not be recorded: the database is not available")
    breakers = composer.breakers
    job = Job(recorder.review_id, settings, target, git, root, recorder, templates, breakers=breakers)
    _submit(runner, job)
    return recorder.review_id


def _create_pull(request: Request, body: ReviewIn) -> int:
    """A pull request review (mochi.server.pulls): checked here, read from GitHub in the background."""
    missing = [n for n in ("owner", "repo", "pr_number") if getattr(body, n) is None]
    if missing:
        raise ApiError(400, f"missing: {', '.join(missing)} (a pull request review needs all three)")
    assert body.owner is not None and body.repo is not None and body.pr_number is not None
    check_names(body.owner, body.repo)
    composer, runner = _composer(request), _runner(request)
    _check_open(runner)
    spec = pull_spec(composer.environ, body.owner, body.repo, body.pr_number, post=bool(body.post_to_github))
    settings, templates = compose_settings(composer, _options(body.options), root=None)
    target = pull_target(spec)
    recorder = runner.recorder()
    recorder.created(target, settings, repository=spec.full_name, user_id=_user_id(request))
    if recorder.review_id is None:
        raise ApiError(503, "the review could not be recorded: the database is not available")
    # what a retry needs to ask again: the options as given, and whether to post
    reviews.add_options(
        composer.engine, recorder.review_id, {**_options(body.options), "post_to_github": spec.post}
    )
    job = Job(
        recorder.review_id, settings, target, None, Path("."), recorder, templates, pull=spec,
        breakers=composer.breakers,
    )  # fmt: skip
    _submit(runner, job)
    return recorder.review_id


def retry(request: Request, review_id: int, body: RetryIn) -> None:
    """Check that the review is FAILED and can run again, then queue it in its own row."""
    composer, runner = _composer(request), _runner(request)
    data = reviews.get_review(composer.engine, review_id)
    if data["status"] != "FAILED":
        raise ApiError(409, f"review {review_id} is {data['status']}: only a FAILED review can be retried")
    target = data.get("target") or {}
    if data.get("review_type") == "PR":
        _retry_pull(request, data, body)
        return
    repo_path = data.get("repo_path") or target.get("repo")
    base = target.get("base_sha") or target.get("base")
    head = target.get("head_sha") or target.get("head")
    if target.get("kind") != "range" or not (repo_path and base and head):
        raise ApiError(
            400,
            f"review {review_id} is a {target.get('kind') or 'hosted'} review, not a range of commits: "
            f"retry it with `mochi reviews retry {review_id}`",
        )
    if not composer.roots:
        raise ApiError(403, NO_ROOTS, code="FORBIDDEN_PATH")
    _check_open(runner)
    git = open_checkout(str(repo_path), composer.roots, composer.environ)
    check_ref(git, "base_commit", str(base))
    check_ref(git, "head_commit", str(head))
    options = dict(data.get("options") or {})
    if body.ai_model:
        options["ai_model"] = body.ai_model
    settings, target_, templates = compose_review(
        composer, git, base=str(base), head=str(head), options=options
    )
    if not reviews.requeue_review(composer.engine, review_id):
        raise ApiError(409, f"review {review_id} is not FAILED any more (retried already?)")
    recorder = runner.recorder(resume_id=review_id)
    root = Path(git.toplevel())
    job = Job(review_id, settings, target_, git, root, recorder, templates, breakers=composer.breakers)
    _submit(runner, job)


def _retry_pull(request: Request, data: dict[str, Any], body: RetryIn) -> None:
    """A FAILED pull request review runs again in its own row, asked as it was first (its options,
    posting or not), with the server's GitHub token as it is now."""
    composer, runner = _composer(request), _runner(request)
    review_id = int(data["id"])
    owner, repo, number = data.get("github_owner"), data.get("github_repo"), data.get("pr_number")
    if not (owner and repo and number):
        raise ApiError(
            400,
            f"review {review_id} is not a GitHub pull request review: retry it with `mochi reviews retry`",
        )
    _check_open(runner)
    options = dict(data.get("options") or {})
    if body.ai_model:
        options["ai_model"] = body.ai_model
    spec = pull_spec(
        composer.environ, str(owner), str(repo), int(number), post=bool(options.get("post_to_github"))
    )
    settings, templates = compose_settings(composer, options, root=None)
    if not reviews.requeue_review(composer.engine, review_id):
        raise ApiError(409, f"review {review_id} is not FAILED any more (retried already?)")
    recorder = runner.recorder(resume_id=review_id)
    job = Job(
        review_id, settings, pull_target(spec), None, Path("."), recorder, templates, pull=spec,
        breakers=composer.breakers,
    )  # fmt: skip
    _submit(runner, job)


def _submit(runner: Runner, job: Job) -> None:
    try:
        runner.submit(job)
    except Busy as exc:
        reviews.fail_review(runner.engine, job.review_id, f"not run: {exc}")
        raise ApiError(503, str(exc)) from None
