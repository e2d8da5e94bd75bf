"""`mochi ci` in a Jenkins multibranch build of a GitLab MR and of a GitHub PR.

The workspace is checked out at a merge commit Jenkins made (GIT_COMMIT), which exists nowhere
else: the review must be posted against the PR/MR head that the platform's API reports.
"""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from mochi.commands.ci import run_ci as other_ci
from tests.fakes.github_server import FakeGitHub
from tests.fakes.gitlab_server import FakeGitLab
from tests.fakes.llm_servers import FakeOllama
from tests.gitlab_scenario import IID, Scenario, make_repo, serve
from tests.test_ci_gitlab import MODEL, answer


@pytest.fixture
def scenario(tmp_path: Path) -> Scenario:
    return make_repo(tmp_path / "repo")


def merge_build(s: Scenario) -> str:
    """Check out what Jenkins builds for a PR by default: the head merged into the target."""
    s.repo.run("checkout", "-q", "main")
    s.repo.write("README.md", "target moved on\n")
    s.repo.commit("target")
    s.repo.run("merge", "-q", "--no-ff", "-m", "Merge feature into main (Jenkins)", "feature")
    return s.repo.head()


def jenkins_env(s: Scenario, ollama: FakeOllama, merge: str, **extra: str) -> dict[str, str]:
    env = {
        "JENKINS_URL": "http://jenkins.example.com/",
        "BUILD_TAG": "jenkins-app-PR-7-1",
        "WORKSPACE": str(s.repo.path),
        "CHANGE_ID": str(IID),
        "CHANGE_TARGET": "main",
        "CHANGE_BRANCH": "feature",
        "GIT_COMMIT": merge,
        "OLLAMA_HOST": ollama.url,
        "MOCHI_BUILTIN": "false",
        "MOCHI_JUNIT_REPORT": "mochi-junit.xml",
    }
    env.update(extra)
    return env


def test_jenkins_build_of_a_gitlab_merge_request(scenario: Scenario) -> None:
    s = scenario
    merge = merge_build(s)
    with FakeGitLab.start(project_id="group%2Fapp") as gl, FakeOllama.start(models=MODEL) as ollama:
        serve(gl, s)
        ollama.enqueue_chat(answer(("src/App.java", 5, "total now subtracts.")))
        env = jenkins_env(
            s,
            ollama,
            merge,
            CHANGE_URL=f"{gl.url}/group/app/-/merge_requests/{IID}",
            GIT_URL=f"{gl.url}/group/app.git",
            GITLAB_TOKEN=gl.token,
        )
        assert other_ci({}, env) == 0
        notes = gl.diff_notes(IID)
    assert [
        (n["position"]["head_sha"], n["position"]["base_sha"], n["position"]["new_line"]) for n in notes
    ] == [(s.head, s.base, 5)]
    assert merge not in json.dumps(notes)
    suite = ET.parse(s.repo.path / "mochi-junit.xml").getroot()
    assert suite.get("failures") == "1"


def test_jenkins_build_of_a_github_pull_request(scenario: Scenario) -> None:
    s = scenario
    merge = merge_build(s)
    with FakeGitHub.start(s.repo.path, "octo/app") as gh, FakeOllama.start(models=MODEL) as ollama:
        gh.add_pull(IID, base_ref="main", base_sha=s.base, head_sha=s.head, head_ref="feature")
        ollama.enqueue_chat(answer(("src/App.java", 5, "total now subtracts.")))
        env = jenkins_env(
            s,
            ollama,
            merge,
            CHANGE_URL=f"https://github.com/octo/app/pull/{IID}",
            GIT_URL="https://github.com/octo/app.git",
            GITHUB_API_URL=gh.url,
            GITHUB_TOKEN="ghp_test",
        )
        assert other_ci({}, env) == 0
        reviews, comments, violations = gh.reviews, gh.review_comments, gh.violations
    # what mochi sent is valid for GitHub's OpenAPI (the fake's own responses are its business)
    assert [v for v in violations if not v.startswith("response of")] == []
    assert [r["commit_id"] for r in reviews] == [s.head]
    assert [(c["path"], c["line"], c["commit_id"]) for c in comments] == [("src/App.java", 5, s.head)]
    assert ET.parse(s.repo.path / "mochi-junit.xml").getroot().get("failures") == "1"
