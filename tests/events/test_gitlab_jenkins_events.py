"""CI detection and the GitLab and Jenkins environments -> what to review."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mochi.errors import ConfigError, EventError
from mochi.events.detect import CIPlatform, detect_platform
from mochi.events.gitlab import gitlab_event
from mochi.events.jenkins import jenkins_change

ROOT = Path(__file__).resolve().parents[2]
MR_ENV = {
    "GITLAB_CI": "true",
    "CI_SERVER_URL": "https://gitlab.example.com",
    "CI_API_V4_URL": "https://gitlab.example.com/api/v4",
    "CI_PROJECT_ID": "42",
    "CI_PROJECT_PATH": "group/app",
    "CI_COMMIT_SHA": "c" * 40,
    "CI_MERGE_REQUEST_IID": "7",
    "CI_MERGE_REQUEST_DIFF_BASE_SHA": "b" * 40,
    "CI_JOB_TOKEN": "job",
    "GITLAB_TOKEN": "glpat-x",
}


def test_detect_platform() -> None:
    assert detect_platform({"GITLAB_CI": "true", "CI": "true"}) is CIPlatform.GITLAB
    assert detect_platform({"JENKINS_URL": "http://j/", "CHANGE_ID": "1"}) is CIPlatform.JENKINS
    assert detect_platform({"GITHUB_ACTIONS": "true"}) is CIPlatform.GITHUB
    assert detect_platform({"CI": "true"}) is CIPlatform.LOCAL


def test_gitlab_merge_request_pipeline() -> None:
    e = gitlab_event(MR_ENV)
    assert (e.mr_iid, e.project_id, e.base_sha, e.head_sha) == (7, "42", "b" * 40, "c" * 40)
    assert e.mr_url == "https://gitlab.example.com/group/app/-/merge_requests/7"
    assert e.require_token().get_secret_value() == "glpat-x"
    # merged-results pipelines run on a merge commit: the MR head is the source branch sha
    merged = gitlab_event({**MR_ENV, "CI_MERGE_REQUEST_SOURCE_BRANCH_SHA": "d" * 40})
    assert merged.head_sha == "d" * 40
    assert (
        gitlab_event({**MR_ENV, "MOCHI_GITLAB_TOKEN": "glpat-y"}).require_token().get_secret_value()
        == "glpat-y"
    )


def test_gitlab_branch_pipeline_and_job_token() -> None:
    env = {k: v for k, v in MR_ENV.items() if not k.startswith("CI_MERGE_REQUEST")}
    e = gitlab_event({**env, "CI_COMMIT_BEFORE_SHA": "0" * 40})
    assert not e.is_merge_request and e.base_sha is None
    only_job = gitlab_event({k: v for k, v in MR_ENV.items() if k != "GITLAB_TOKEN"})
    with pytest.raises(ConfigError, match="CI_JOB_TOKEN cannot post.*project access token"):
        only_job.require_token()
    with pytest.raises(EventError, match="CI_PROJECT_ID"):
        gitlab_event({"GITLAB_CI": "true", "CI_API_V4_URL": "https://g/api/v4"})


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        (
            {"CHANGE_URL": "https://github.com/octo/app/pull/12"},
            ("github", "octo/app", "https://api.github.com"),
        ),
        (
            {"CHANGE_URL": "https://ghe.corp/octo/app/pull/12"},
            ("github", "octo/app", "https://ghe.corp/api/v3"),
        ),
        (
            {"CHANGE_URL": "https://gitlab.corp/grp/sub/app/-/merge_requests/12"},
            ("gitlab", "grp/sub/app", "https://gitlab.corp/api/v4"),
        ),
        ({"GIT_URL": "git@gitlab.com:grp/app.git"}, ("gitlab", "grp/app", "https://gitlab.com/api/v4")),
        ({"GIT_URL": "https://github.com/octo/app.git"}, ("github", "octo/app", "https://api.github.com")),
        (
            {"GIT_URL": "https://scm.corp/team/app.git", "MOCHI_PLATFORM": "gitlab"},
            ("gitlab", "team/app", "https://scm.corp/api/v4"),
        ),
    ],
)
def test_jenkins_change_platform_project_and_api(env: dict[str, str], expected: tuple[str, str, str]) -> None:
    c = jenkins_change({"CHANGE_ID": "12", "GIT_COMMIT": "m" * 40, **env})
    assert (c.platform, c.project, c.api_url) == expected
    assert c.number == 12 and c.git_commit == "m" * 40


def test_jenkins_needs_a_change_and_a_known_platform() -> None:
    with pytest.raises(EventError, match="CHANGE_ID"):
        jenkins_change({"GIT_URL": "https://github.com/o/r.git"})
    with pytest.raises(EventError, match="MOCHI_PLATFORM"):
        jenkins_change({"CHANGE_ID": "3", "GIT_URL": "https://scm.corp/team/app.git"})


def test_gitlab_ci_example_is_valid_for_gitlab() -> None:
    beside = Path(sys.executable).parent / "check-jsonschema"
    exe = str(beside) if beside.exists() else shutil.which("check-jsonschema")
    if exe is None:
        pytest.skip("check-jsonschema is not installed (it is in the dev extras)")
    proc = subprocess.run(
        [exe, "--builtin-schema", "vendor.gitlab-ci", str(ROOT / "examples/gitlab/.gitlab-ci.yml")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
