"""`mochi ci` on GitHub Actions and `mochi review --pr owner/repo#N`: read the environment, compose, run.

Like cli.py, this is a composition root: the only place besides cli.py that reads the
environment. Heavy modules are imported inside the functions so `mochi --version` stays fast.

    mochi ci            GITHUB_EVENT_NAME, GITHUB_EVENT_PATH, GITHUB_REPOSITORY, GITHUB_API_URL,
                        GITHUB_TOKEN, GITHUB_WORKSPACE, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, RUNNER_TEMP
                        (+ the usual OLLAMA_HOST, MOCHI_*, INPUT_* settings)
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from mochi.errors import UsageError

if TYPE_CHECKING:
    from mochi.platforms.github.flow import GitHubRun
    from mochi.settings import Settings
    from mochi.store.session import ReviewStore

_PR_SPEC = re.compile(r"^(?P<repo>[\w.-]+/[\w.-]+)#(?P<number>\d+)$")
_SETTING_FLAGS = ("provider", "model", "fail_on")


def _token(environ: Mapping[str, str]) -> str | None:
    for name in ("GITHUB_TOKEN", "INPUT_GITHUB_TOKEN", "GH_TOKEN"):
        if environ.get(name):
            return environ[name]
    return None


def _git(path: Path) -> Any:
    from mochi.diff.git import Git
    from mochi.errors import NotARepositoryError

    try:
        return Git(path)
    except NotARepositoryError:
        return None  # no checkout: the diff comes from the API


def _settings(
    environ: Mapping[str, str],
    flags: Mapping[str, Any],
    config: Path,
    *,
    in_ci: bool,
    record: bool,
    resume_id: int | None = None,
) -> ReviewStore:
    """Settings with the record's default model and stored templates, and the recorder (in CI only
    when a database URL is given; `resume_id` re-runs a recorded review in its own row)."""
    from mochi.settings import load
    from mochi.store.session import open_for_review

    return open_for_review(*load(environ, flags, config), in_ci=in_ci, record=record, resume_id=resume_id)


def _run(
    *,
    repo: str,
    root: Path,
    git: Any,
    settings: Settings,
    environ: Mapping[str, str],
    json_path: Path | None,
    dry_run: bool,
    check_run: bool,
) -> GitHubRun:
    from mochi.cli import _progress, _provider_builder
    from mochi.platforms.github.actions import Actions
    from mochi.platforms.github.client import DEFAULT_API_URL, GitHubClient, make_http
    from mochi.platforms.github.flow import GitHubRun, default_json_path

    api_url = environ.get("GITHUB_API_URL") or DEFAULT_API_URL
    token = _token(environ)
    if not token:
        raise UsageError(
            "no GitHub token: set GITHUB_TOKEN (in a workflow: `env: GITHUB_TOKEN: ${{ github.token }}`; "
            "on a laptop: a token with pull-requests: write, e.g. `export GITHUB_TOKEN=$(gh auth token)`)"
        )
    http = make_http(api_url, token, timeout_s=min(settings.timeout_s, 60.0))
    client = GitHubClient(http, max_wait_s=settings.github_max_wait_s)
    output = environ.get("GITHUB_OUTPUT")
    summary = environ.get("GITHUB_STEP_SUMMARY")
    actions = Actions(
        sys.stdout,
        output_path=Path(output) if output else None,
        summary_path=Path(summary) if summary else None,
    )
    return GitHubRun(
        repo=repo,
        client=client,
        git=git,
        root=root,
        actions=actions,
        json_path=json_path or default_json_path(environ.get("RUNNER_TEMP"), environ.get("GITHUB_WORKSPACE")),
        stdout=sys.stdout,
        build_provider=_provider_builder(),
        progress=_progress(sys.stderr),
        dry_run=dry_run,
        check_run=check_run,
    )


@click.command()
@click.option("--event-name", help="The event (default: $GITHUB_EVENT_NAME).")
@click.option(
    "--event-path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Its payload (default: $GITHUB_EVENT_PATH).",
)
@click.option(
    "--json-output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the findings JSON (default: $RUNNER_TEMP/mochi-review.json, or in the "
    "workspace when RUNNER_TEMP is not mounted, as in a container action).",
)
@click.option("--provider", help="LLM provider: ollama (default), openai, azure, anthropic, builtin.")
@click.option("--model", help="Model name.")
@click.option(
    "--fail-on", type=click.Choice(("low", "medium", "high", "critical")), help="Check run fails at this."
)
@click.option("--dry-run", is_flag=True, help="Print what would be posted; post nothing.")
@click.option("-v", "--verbose", count=True, help="More logging on stderr.")
def ci(**params: Any) -> None:
    """Review this CI run's pull request, merge request or push and post the results (GitHub Actions,
    GitLab CI, or a Jenkins multibranch build of a GitHub or GitLab change).

    \b
    Exit status: 0 ok (or nothing to review); 1 a finding at or above fail_on; 2 configuration;
    3 the model failed (built-in findings were still posted); 4 a bad event payload or diff;
    6 something could not be posted (the findings are in the job summary and the JSON file).
    """
    from mochi.cli import _errors, _setup_logging

    _setup_logging(params["verbose"])
    with _errors():
        from mochi.events.detect import CIPlatform, detect_platform

        if detect_platform(os.environ) in (CIPlatform.GITLAB, CIPlatform.JENKINS):  # issue 7
            from mochi.commands.ci_other import other_ci

            code = other_ci(params, os.environ)
        else:
            code = github_ci(params, os.environ)
    sys.exit(code)


def github_ci(params: Mapping[str, Any], environ: Mapping[str, str]) -> int:
    """The body of `mochi ci` (GitHub), with the environment passed in."""
    from mochi.events.detect import CIPlatform, detect_platform
    from mochi.events.github import load_payload, parse_event
    from mochi.platforms.github.flow import run_event
    from mochi.platforms.github.plan import base_branch_files
    from mochi.settings import CONFIG_FILE

    if detect_platform(environ) in (CIPlatform.GITLAB, CIPlatform.JENKINS):
        from mochi.commands.ci_other import other_ci  # issue 7: GitLab CI and Jenkins

        return other_ci(params, environ)
    name = params.get("event_name") or environ.get("GITHUB_EVENT_NAME") or ""
    path = params.get("event_path") or (
        Path(environ["GITHUB_EVENT_PATH"]) if environ.get("GITHUB_EVENT_PATH") else None
    )
    if not name or path is None:
        raise UsageError(
            "no CI event found (GITHUB_EVENT_NAME/GITHUB_EVENT_PATH, GitLab's CI_* or Jenkins' CHANGE_* "
            "are not set): `mochi ci` runs inside GitHub Actions, GitLab CI or a Jenkins multibranch "
            "build; elsewhere use `mochi review`, or `mochi review --pr owner/repo#N` for a pull request"
        )
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read the event payload {path}: {exc.strerror}") from exc
    payload = load_payload(text, source=str(path))
    root = Path(environ.get("GITHUB_WORKSPACE") or Path.cwd())
    git = _git(root)
    flags = {k: params.get(k) for k in _SETTING_FLAGS}
    dry_run = bool(params.get("dry_run"))
    store = _settings(environ, flags, root / CONFIG_FILE, in_ci=True, record=not dry_run)
    settings = store.settings
    event = parse_event(name, payload, review_drafts=settings.review_drafts)
    repo = event.repository or environ.get("GITHUB_REPOSITORY") or ""
    run = _run(
        repo=repo,
        root=root,
        git=git,
        settings=settings,
        environ=environ,
        json_path=params.get("json_output"),
        dry_run=dry_run,
        check_run=True,
    )
    run.templates, run.recorder = store.templates, store.recorder
    if event.base_is_trusted and event.pull is not None:
        # pull_request_target: settings and templates from the base commit, never the PR's
        trusted = base_branch_files(
            git, run.client, repo, event.pull.base_sha, Path(tempfile.mkdtemp("-mochi-base"))
        )
        settings = _settings(environ, flags, trusted / CONFIG_FILE, in_ci=True, record=False).settings
        run.templates_root = trusted
    return run_event(event, settings, run)


def review_pr(params: Mapping[str, Any], environ: Mapping[str, str], flags: Mapping[str, Any]) -> int:
    """`mochi review --pr owner/repo#N [--dry-run]`: review a PR from anywhere; post unless dry-run."""
    from mochi.platforms.github.flow import fetch_pull, run_pull_request
    from mochi.settings import CONFIG_FILE

    match = _PR_SPEC.match(str(params["pr"]).strip())
    if match is None:
        raise UsageError(f"--pr {params['pr']!r}: write it as owner/repo#123")
    repo, number = match.group("repo"), int(match.group("number"))
    root = Path(params.get("repo") or Path.cwd())
    git = _git(root)
    if git is not None:
        root = Path(git.toplevel())
    dry_run = bool(params.get("dry_run"))
    config = Path(params.get("config_path") or root / CONFIG_FILE)
    resume_id = click.get_current_context().meta.get("mochi.retry_of")  # `mochi reviews retry`
    store = _settings(environ, flags, config, in_ci=False, record=not dry_run, resume_id=resume_id)
    settings = store.settings
    run = _run(
        repo=repo,
        root=root,
        git=git,
        settings=settings,
        environ=environ,
        json_path=None,
        dry_run=dry_run,
        check_run=False,
    )
    run.templates, run.recorder = store.templates, store.recorder
    pull = fetch_pull(run.client, repo, number)
    code = run_pull_request(pull, settings, run, full_review=True)
    run.stdout.write(f"mochi: findings written to {run.json_path}\n")
    return code
