"""`mochi ci` under GitLab CI and Jenkins: read the environment, compose, run (issue 7).

The GitHub `mochi ci` (mochi/commands/github.py) hands over here when mochi.events.detect says
the job runs on GitLab or Jenkins. Like cli.py this is a composition root: it reads the
environment it is given; the modules it calls take everything as arguments.

    GitLab:  GITLAB_CI, CI_API_V4_URL, CI_SERVER_URL, CI_PROJECT_ID, CI_PROJECT_DIR, CI_COMMIT_SHA,
             CI_MERGE_REQUEST_IID, CI_MERGE_REQUEST_DIFF_BASE_SHA, ... and MOCHI_GITLAB_TOKEN or GITLAB_TOKEN
    Jenkins: JENKINS_URL, WORKSPACE, CHANGE_ID, CHANGE_TARGET, CHANGE_BRANCH, CHANGE_URL, GIT_URL,
             GIT_COMMIT, and GITHUB_TOKEN or GITLAB_TOKEN for the change's platform
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from mochi.errors import UsageError

_SETTING_FLAGS = ("provider", "model", "fail_on")


def other_ci(
    params: Mapping[str, Any], environ: Mapping[str, str], *, sleep: Callable[[float], None] | None = None
) -> int:
    """The body of `mochi ci` on GitLab CI or Jenkins, with the environment passed in."""
    from mochi.events.detect import CIPlatform, detect_platform
    from mochi.settings import CONFIG_FILE, load

    platform = detect_platform(environ)
    root_var = "CI_PROJECT_DIR" if platform is CIPlatform.GITLAB else "WORKSPACE"
    root = Path(environ.get(root_var) or Path.cwd())
    git = _git(root)
    if git is not None:
        root = Path(git.toplevel())
    flags = {k: params.get(k) for k in _SETTING_FLAGS}
    dry_run = bool(params.get("dry_run"))
    from mochi.store.session import open_for_review

    # the record only when a database URL is given (in CI), the default model and stored templates
    store = open_for_review(*load(environ, flags, root / CONFIG_FILE), in_ci=True, record=not dry_run)
    settings = store.settings
    progress = _progress
    if platform is CIPlatform.GITLAB:
        return _gitlab(environ, settings, root, git, progress, _provider_builder(), dry_run, sleep, store)
    if platform is CIPlatform.JENKINS:
        from mochi.events.gitlab import gitlab_token
        from mochi.events.jenkins import jenkins_change
        from mochi.platforms.jenkins import JenkinsRun, run_jenkins

        change = jenkins_change(environ)
        gl_token, _ = gitlab_token(environ)
        gh = environ.get("GITHUB_TOKEN") or environ.get("GH_TOKEN") or ""
        from pydantic import SecretStr

        run = JenkinsRun(
            root=root,
            git=git,
            stdout=sys.stdout,
            build_provider=_provider_builder(),
            progress=progress,
            gitlab_token=gl_token,
            github_token=SecretStr(gh) if gh else None,
            json_path=params.get("json_output"),
            dry_run=dry_run,
            sleep=sleep,
            templates=store.templates,
            recorder=store.recorder,
        )
        return run_jenkins(change, settings, run)
    raise UsageError(
        "mochi ci runs inside GitHub Actions, GitLab CI or Jenkins; use `mochi review` elsewhere"
    )


def _progress(message: str) -> None:
    sys.stderr.write(f"mochi: {message}\n")
    sys.stderr.flush()


def _provider_builder() -> Callable[[Any], Any]:
    def build(settings: Any) -> Any:
        from mochi.providers.registry import build_provider_chain

        return build_provider_chain(settings)

    return build


def _git(root: Path) -> Any:
    from mochi.diff.git import Git
    from mochi.errors import NotARepositoryError

    try:
        return Git(root)
    except NotARepositoryError:
        return None


def _gitlab(
    environ: Mapping[str, str],
    settings: Any,
    root: Path,
    git: Any,
    progress: Callable[[str], None],
    build_provider: Callable[[Any], Any],
    dry_run: bool,
    sleep: Callable[[float], None] | None,
    store: Any,
) -> int:
    from mochi.events.gitlab import gitlab_event
    from mochi.platforms.gitlab.client import GitLabClient, make_http
    from mochi.platforms.gitlab.flow import GitLabRun, run_gitlab

    event = gitlab_event(environ)
    client = None
    if event.is_merge_request:
        token = event.require_token()  # CI_JOB_TOKEN cannot post notes: says which token to create
        http = make_http(event.api_url, token.get_secret_value(), timeout_s=min(settings.timeout_s, 60.0))
        client = GitLabClient(http, sleep=sleep or time.sleep)
    run = GitLabRun(
        root=root,
        git=git,
        client=client,
        stdout=sys.stdout,
        build_provider=build_provider,
        progress=progress,
        dry_run=dry_run,
        project=event.project_id,
        templates=store.templates,
        recorder=store.recorder,
    )
    return run_gitlab(event, settings, run)
