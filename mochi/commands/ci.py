"""`mochi ci` and `mochi review --pr`: read the CI's environment, compose a hosted review, run it.

Like cli.py, this is a composition root: it reads the environment it is given and builds the
settings, the store, the API client, the adapter and the outputs once; mochi.platforms does the
rest. `mochi ci` dispatches on the CI it runs in through PLATFORMS.

    GitHub:  GITHUB_EVENT_NAME, GITHUB_EVENT_PATH, GITHUB_REPOSITORY, GITHUB_API_URL, GITHUB_TOKEN,
             GITHUB_WORKSPACE, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, RUNNER_TEMP
    GitLab:  GITLAB_CI, CI_API_V4_URL, CI_PROJECT_ID, CI_PROJECT_DIR, CI_COMMIT_SHA,
             CI_MERGE_REQUEST_IID, ... and MOCHI_GITLAB_TOKEN or GITLAB_TOKEN
    Jenkins: JENKINS_URL, WORKSPACE, CHANGE_ID, CHANGE_TARGET, CHANGE_BRANCH, CHANGE_URL, GIT_URL,
             GIT_COMMIT, and GITHUB_TOKEN or GITLAB_TOKEN for the change's platform
(+ the usual OLLAMA_HOST, MOCHI_*, INPUT_* settings)
"""

from __future__ import annotations

import re
import sys
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from mochi.commands.compose import Composed, compose, repository_root, workflow_log
from mochi.commands.runtime import progress
from mochi.errors import ConfigError, UsageError

if TYPE_CHECKING:
    from mochi.platforms.github.client import GitHubClient
    from mochi.settings import Settings

_PR_SPEC = re.compile(r"^(?P<repo>[\w.-]+/[\w.-]+)#(?P<number>\d+)$")
SETTING_FLAGS = ("provider", "model", "fail_on", "min_severity")
Sleep = Callable[[float], None]


def _flags(params: Mapping[str, Any]) -> dict[str, Any]:
    flags = {k: params.get(k) for k in SETTING_FLAGS}
    flags["include_design_patterns"] = params.get("design_patterns")  # None: the settings decide
    if params.get("no_cache"):
        flags["cache"] = False  # ask the model again, even about a head it reviewed
    return flags


def _compose(
    environ: Mapping[str, str], params: Mapping[str, Any], workspace: str | None, *, read_file: bool = True
) -> Composed:
    """The CI job's checkout (its workspace variable, else the current directory), settings and record.

    The checkout's `.mochi.toml` is the change's own: it tunes the review, but where credentials,
    code and reports go comes from the environment, the inputs or the stored configuration.
    """
    git, root = repository_root(Path(workspace) if workspace else None)
    dry_run = bool(params.get("dry_run"))
    return compose(
        environ, _flags(params), git=git, root=root, in_ci=True, dry_run=dry_run, read_file=read_file
    )


# --------------------------------------------------------------------------- GitHub


def github_token(environ: Mapping[str, str]) -> str | None:
    for name in ("GITHUB_TOKEN", "INPUT_GITHUB_TOKEN", "GH_TOKEN"):
        if environ.get(name):
            return environ[name]
    return None


def github_client(
    environ: Mapping[str, str], settings: Settings, *, api_url: str | None = None, sleep: Sleep | None = None
) -> GitHubClient:
    from mochi.platforms.github.client import DEFAULT_API_URL, GitHubClient

    token = github_token(environ)
    if not token:
        raise UsageError(
            "no GitHub token: set GITHUB_TOKEN (in a workflow: `env: GITHUB_TOKEN: ${{ github.token }}`; "
            "on a laptop: a token with pull-requests: write, e.g. `export GITHUB_TOKEN=$(gh auth token)`; "
            "in Jenkins: bind it with withCredentials)"
        )
    url = api_url or environ.get("GITHUB_API_URL") or DEFAULT_API_URL
    return GitHubClient.for_settings(url, token, settings, sleep=sleep)


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


def github_ci(params: Mapping[str, Any], environ: Mapping[str, str], *, sleep: Sleep | None = None) -> int:
    """`mochi ci` in GitHub Actions: the event's pull request or push."""
    from mochi.events.github import load_payload, parse_event, skip_reason_for
    from mochi.platforms.github.adapter import GitHubPullRequest, GitHubPush, fetch_pull
    from mochi.platforms.github.plan import base_branch_files
    from mochi.platforms.hosted import exit_status, run_hosted
    from mochi.platforms.outputs import report_file

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
        text = Path(path).read_bytes().decode("utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read the event payload {path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        from mochi.errors import EventError

        raise EventError(
            f"the event payload {path} is not UTF-8 text (byte {exc.start}): GitHub writes webhook "
            "payloads as UTF-8 JSON; check GITHUB_EVENT_PATH"
        ) from None
    payload = load_payload(text, source=str(path))
    # pull_request_target: the settings come from the base branch's file, below, never the checkout's
    target_event = name == "pull_request_target"
    composed = _compose(environ, params, environ.get("GITHUB_WORKSPACE"), read_file=not target_event)
    settings = composed.settings
    log, actions = workflow_log(environ)
    event = parse_event(name, payload, review_drafts=settings.github.review_drafts)
    if event.kind == "skip":
        log.notice(f"Sonar-Mochi: nothing to do: {event.reason}")
        return 0
    repo = event.repository or environ.get("GITHUB_REPOSITORY") or ""
    client = github_client(environ, settings, sleep=sleep)
    json_path = params.get("json_output") or default_json_path(
        environ.get("RUNNER_TEMP"), environ.get("GITHUB_WORKSPACE")
    )
    templates_root = None
    if event.base_is_trusted and event.pull is not None:
        # pull_request_target: settings and templates from the base commit, never the PR's
        trusted = base_branch_files(
            composed.git, client, repo, event.pull.base_sha, Path(tempfile.mkdtemp("-mochi-base"))
        )
        # the base's .mochi.toml (when it has one) in place of the checkout's
        flags = _flags(params)
        base = compose(
            environ, flags, git=composed.git, root=trusted, in_ci=True, record=False, trust_file=True
        )
        settings = base.settings
        composed.settings = settings
        templates_root = trusted
    ctx = composed.github(client, repo, actions, check_run=True, trusted_base=templates_root is not None)
    deps = composed.deps(
        log,
        [report_file("json", Path(json_path))],
        repository=repo,
        actions=actions,
        templates_root=templates_root,
    )
    if event.kind == "push":
        assert event.after is not None
        change: Any = GitHubPush(ctx, before=event.before, after=event.after, ref=event.ref)
    else:
        assert event.number is not None
        pull = event.pull or fetch_pull(client, repo, event.number)
        if event.pull is None:
            why = skip_reason_for(pull, review_drafts=settings.github.review_drafts)
            if why:
                log.notice(f"Sonar-Mochi: nothing to do: {why}")
                return 0
        change = GitHubPullRequest(ctx, pull)
    return exit_status(run_hosted(change, deps, full_review=event.full_review), settings)


def review_pr(params: Mapping[str, Any], environ: Mapping[str, str], flags: Mapping[str, Any]) -> int:
    """`mochi review --pr owner/repo#N [--dry-run]`: review a PR from anywhere; post unless dry-run."""
    from mochi.platforms.github.adapter import GitHubPullRequest, fetch_pull
    from mochi.platforms.hosted import exit_status, run_hosted
    from mochi.platforms.outputs import report_file

    match = _PR_SPEC.match(str(params["pr"]).strip())
    if match is None:
        raise UsageError(f"--pr {params['pr']!r}: write it as owner/repo#123")
    repo, number = match.group("repo"), int(match.group("number"))
    resume_id = click.get_current_context().meta.get("mochi.retry_of")  # `mochi reviews retry`
    git, root = repository_root(params.get("repo"))
    composed = compose(
        environ,
        flags,
        git=git,
        root=root,
        in_ci=False,
        config_path=params.get("config_path"),
        dry_run=bool(params.get("dry_run")),
        resume_id=resume_id,
    )
    settings = composed.settings
    log, actions = workflow_log(environ)
    client = github_client(environ, settings)
    json_path = default_json_path(environ.get("RUNNER_TEMP"), environ.get("GITHUB_WORKSPACE"))
    ctx = composed.github(client, repo, actions, check_run=False)  # a personal token cannot create check runs
    deps = composed.deps(log, [report_file("json", json_path)], repository=repo, actions=actions)
    pull = fetch_pull(client, repo, number)
    result = run_hosted(GitHubPullRequest(ctx, pull), deps, full_review=True)
    if "json" in result.report.files:
        sys.stdout.write(f"mochi: findings written to {result.report.files['json']}\n")
    return exit_status(result, settings)


# --------------------------------------------------------------------------- GitLab


def gitlab_ci(params: Mapping[str, Any], environ: Mapping[str, str], *, sleep: Sleep | None = None) -> int:
    """`mochi ci` in GitLab CI: a merge request (posted) or a branch push (Code Quality only)."""
    from mochi.events.gitlab import gitlab_event
    from mochi.platforms.gitlab.adapter import GitLabBranch, GitLabMergeRequestChange
    from mochi.platforms.gitlab.client import GitLabClient
    from mochi.platforms.hosted import exit_status, run_hosted
    from mochi.platforms.outputs import gitlab_outputs

    composed = _compose(environ, params, environ.get("CI_PROJECT_DIR"))
    settings = composed.settings
    event = gitlab_event(environ)
    client = None
    if event.is_merge_request:
        token = event.require_token()  # CI_JOB_TOKEN cannot post notes: says which token to create
        client = GitLabClient.for_settings(event.api_url, token.get_secret_value(), settings, sleep=sleep)
    ctx = composed.gitlab(client, event.project_id)
    log, _ = workflow_log(environ)
    outputs = gitlab_outputs(settings, composed.root, sys.stdout, [])
    deps = composed.deps(log, outputs, repository=event.project_id)
    if event.mr_iid is None:
        change: Any = GitLabBranch(ctx, event)
    else:
        change = GitLabMergeRequestChange(
            ctx,
            event.mr_iid,
            title=event.title,
            source_branch=event.source_branch,
            target_branch=event.target_branch,
            url=event.mr_url,
            description=event.description,
        )
    return exit_status(run_hosted(change, deps), settings)


# --------------------------------------------------------------------------- Jenkins


def jenkins_ci(params: Mapping[str, Any], environ: Mapping[str, str], *, sleep: Sleep | None = None) -> int:
    """`mochi ci` in a Jenkins multibranch build: Jenkins only picks the change's platform's adapter
    and adds the JUnit report; the head comes from that platform's API, never GIT_COMMIT."""
    from mochi.events.jenkins import jenkins_change
    from mochi.platforms.hosted import exit_status, run_hosted
    from mochi.platforms.jenkins import head_note, junit_output
    from mochi.platforms.outputs import gitlab_outputs, report_file

    composed = _compose(environ, params, environ.get("WORKSPACE"))
    settings, root = composed.settings, composed.root
    change = jenkins_change(environ)
    log, _ = workflow_log(environ)
    if change.git_commit:
        progress(head_note(change))
    adapter: Any
    if change.platform == "gitlab":
        from mochi.platforms.gitlab.adapter import GitLabMergeRequestChange
        from mochi.platforms.gitlab.client import GitLabClient

        token = _jenkins_gitlab_token(environ)
        client = GitLabClient.for_settings(change.api_url, token, settings, sleep=sleep)
        adapter = GitLabMergeRequestChange(
            composed.gitlab(client, change.project),
            change.number,
            title=change.title,
            source_branch=change.source_branch,
            target_branch=change.target_branch,
            url=change.change_url,
        )
        outputs = gitlab_outputs(settings, root, sys.stdout, junit_output(settings, root))
    else:
        from mochi.platforms.github.adapter import GitHubPullRequest, fetch_pull
        from mochi.platforms.github.client import GitHubClient

        token = github_token(environ) or ""
        if not token:
            raise ConfigError(
                "no GitHub token to post the review with: bind a token with pull-requests: write (a "
                "fine-grained token, or the GitHub App credential of the branch source) as GITHUB_TOKEN "
                "with withCredentials"
            )
        github = GitHubClient.for_settings(change.api_url, token, settings, sleep=sleep)
        ctx = composed.github(github, change.project, None, check_run=False)
        adapter = GitHubPullRequest(ctx, fetch_pull(github, change.project, change.number))
        json_path = (
            params.get("json_output") or Path(tempfile.gettempdir()) / f"mochi-review-{change.number}.json"
        )
        outputs = [report_file("json", Path(json_path)), *junit_output(settings, root)]
    deps = composed.deps(log, outputs, repository=change.project)
    return exit_status(run_hosted(adapter, deps), settings)


def _jenkins_gitlab_token(environ: Mapping[str, str]) -> str:
    from mochi.events.gitlab import gitlab_token
    from mochi.platforms.gitlab.client import TOKEN_HELP

    token, _ = gitlab_token(environ)
    if token is None:
        raise ConfigError(
            f"no GitLab token to post the review with: {TOKEN_HELP}; in Jenkins, bind it with "
            "withCredentials([string(credentialsId: ..., variable: 'GITLAB_TOKEN')])"
        )
    return token.get_secret_value()


# --------------------------------------------------------------------------- mochi ci

PLATFORMS: dict[str, Callable[..., int]] = {
    "github": github_ci,
    "gitlab": gitlab_ci,
    "jenkins": jenkins_ci,
    "local": github_ci,  # outside a known CI: says which variables are missing
}


def run_ci(params: Mapping[str, Any], environ: Mapping[str, str], *, sleep: Sleep | None = None) -> int:
    """The body of `mochi ci`, with the environment passed in."""
    from mochi.events.detect import detect_platform

    return PLATFORMS[detect_platform(environ).value](params, environ, sleep=sleep)


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
@click.option(
    "--provider",
    help="LLM provider: ollama, openai, azure, anthropic, builtin (default: the stored default model, "
    "else ollama; see `mochi config show`).",
)
@click.option("--model", help="Model name.")
@click.option(
    "--fail-on", type=click.Choice(("low", "medium", "high", "critical")), help="Check run fails at this."
)
@click.option(
    "--min-severity",
    type=click.Choice(("low", "medium", "high", "critical")),
    help="Post and write only findings at or above this severity (stats count the others).",
)
@click.option(
    "--design-patterns/--no-design-patterns",
    "design_patterns",
    default=None,
    help="Check the change against the design patterns the repository's code uses (findings of "
    "category `design`; setting include_design_patterns, default off).",
)
@click.option("--dry-run", is_flag=True, help="Print what would be posted; post nothing.")
@click.option(
    "--no-cache", is_flag=True, help="Ask the model again, even about a head whose review completed."
)
@click.option("-v", "--verbose", count=True, help="More logging on stderr.")
@click.option("-q", "--quiet", is_flag=True, help="No progress lines on stderr (warnings and errors show).")
def ci(**params: Any) -> None:
    """Review this CI run's pull request, merge request or push and post the results (GitHub Actions,
    GitLab CI, or a Jenkins multibranch build of a GitHub or GitLab change).

    \b
    Exit status: 0 ok (or nothing to review); 1 a finding at or above fail_on; 2 configuration
    (or a token the host refused); 3 the model failed (built-in findings were still posted);
    4 a bad event payload, or a change the host cannot find; 6 something could not be posted (the
    findings are in the job summary and the JSON file).
    """
    import os

    from mochi.commands.runtime import errors, set_quiet, setup_logging

    setup_logging(params["verbose"])
    set_quiet(params["quiet"])
    with errors():
        code = run_ci(params, os.environ)
    sys.exit(code)
