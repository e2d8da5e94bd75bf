"""The Docker image, built with podman and run the way GitHub runs a container action.

The action reviews a pull request against loopback fakes of the GitHub API (FakeGitHub, which
validates every request against GitHub's OpenAPI description) and of Ollama, with the inputs
action.yml declares, a workspace owned by another uid (the runner's), the event payload and the
file-command files where the runner mounts them. Outside CI these tests skip when podman is
missing; under CI (CI=true) a missing podman fails them: `.ci/run` prepares it.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.container.podman import (
    ACTION_YML,
    ROOT,
    build_image,
    chown_tree,
    in_ci,
    podman_environ,
    run_action,
    run_image,
)
from tests.fakes.github_server import FakeGitHub
from tests.fakes.llm_servers import FakeOllama
from tests.fixtures_path import FIXTURES
from tests.gitrepo import GitRepo

EVENTS = FIXTURES / "github" / "events"
REPOSITORY = "Codertocat/Hello-World"  # the fixture payloads' repository
MODEL = "qwen2.5-coder:7b"
APP = "src/main/java/App.java"
TOKEN = "ghs_containertest0123456789"


@pytest.fixture(scope="module")
def podman() -> dict[str, str]:
    env = podman_environ()
    if env is None:
        if in_ci():
            pytest.fail(
                "podman is not installed or not set up: CI runs the container tests, so .ci/run must "
                "`source ../shared/scripts/container-env.sh` before them"
            )
        pytest.skip(
            "podman is not installed or not set up (CONTAINERS_CONF): "
            "`source ../shared/scripts/container-env.sh` to run these tests"
        )
    return env


@pytest.fixture(scope="module")
def image(podman: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> str:
    return build_image(podman, tmp_path_factory.mktemp("image"))


def java_pull_request(tmp: Path) -> tuple[GitRepo, GitRepo, dict[str, str]]:
    """An origin with main and a feature branch, and the runner's checkout of the PR's merge commit.

    main moves on after the branch point, so the PR's merge-base, its base sha and the synthetic
    merge commit in GITHUB_SHA are three different commits.
    """
    origin = GitRepo(tmp / "origin")
    origin.write("pom.xml", "<project><artifactId>app</artifactId></project>\n")
    head = "package app;\n\npublic class App {\n"
    head += "    public int total(int a, int b) {\n        return a + b;\n    }\n"
    origin.write(APP, head + "}\n")
    merge_base = origin.commit("base")
    origin.run("checkout", "-q", "-b", "feature")
    origin.write(APP, head + "\n    public int ratio(int a, int b) {\n        return a / b;\n    }\n}\n")
    head_sha = origin.commit("add ratio")
    origin.checkout("main")
    origin.write("README.md", "# app\n")
    base_sha = origin.commit("readme")
    # actions/checkout of a pull_request: refs/pull/N/merge, detached, full history (fetch-depth: 0)
    work = GitRepo.clone(origin.path, tmp / "workspace")
    work.run("checkout", "-q", "--detach", base_sha)
    work.run("merge", "-q", "--no-ff", "--no-edit", head_sha)
    shas = {"merge_base": merge_base, "base": base_sha, "head": head_sha, "merge": work.head()}
    return origin, work, shas


def pull_request_event(number: int, shas: dict[str, str]) -> dict[str, Any]:
    """The real `pull_request.opened` payload, pointed at our pull request."""
    event: dict[str, Any] = copy.deepcopy(json.loads((EVENTS / "pull_request.opened.json").read_text()))
    event["number"] = number
    pr = event["pull_request"]
    pr.update(number=number, draft=False, state="open", title="Add ratio", body="Adds App.ratio.")
    pr["head"].update(sha=shas["head"], ref="feature")
    pr["base"].update(sha=shas["base"], ref="main")
    return event


def model_answer(path: str, line: int, message: str, severity: str) -> str:
    return json.dumps(
        {
            "comments": [
                {"file": path, "line": line, "end_line": None, "type": "bug", "severity": severity,
                 "category": "correctness", "message": message, "suggestion": None},
            ],
            "summary": {"overall_assessment": "One division can fail.", "key_concerns": ["division by zero"],
                        "recommendations": ["guard b == 0"]},
        }
    )  # fmt: skip


@pytest.mark.slow
def test_action_reviews_a_pull_request_as_github_runs_it(
    image: str, podman: dict[str, str], tmp_path: Path
) -> None:
    origin, work, shas = java_pull_request(tmp_path)
    foreign_owner = chown_tree(work.path)  # git must accept it: safe.directory in the image
    message = "`b` may be zero: ArithmeticException."
    with (
        FakeGitHub.start(origin.path, REPOSITORY) as gh,
        FakeOllama.start(models={}) as ollama,  # not installed yet: pull_model pulls it
    ):
        gh.add_pull(7, base_ref="main", base_sha=shas["base"], head_sha=shas["head"], title="Add ratio")
        ollama.enqueue_chat(model_answer(APP, 9, message, "high"))
        step = run_action(
            podman,
            image,
            workspace=work.path,
            event_name="pull_request",
            event=pull_request_event(7, shas),
            inputs={"ollama_host": ollama.url, "model": MODEL, "pull_model": "true", "fail_on": "high"},
            github_api_url=gh.url,
            repository=REPOSITORY,
            github_sha=shas["merge"],
            token=TOKEN,
            tmp=tmp_path / "runner",
        )
        pulls = [r.body for r in ollama.requests_to("/api/pull")]
        chats = ollama.requests_to("/api/chat")
        api_paths = [r.path for r in gh.requests]
        auth = {r.headers.get("authorization", "") for r in gh.requests}

    log = f"stdout:\n{step.stdout}\nstderr:\n{step.stderr}"
    # a high finding with fail_on: high fails the step, after everything was posted
    assert step.returncode == 1, log
    assert gh.violations == [], gh.violations

    # the model was pulled (pull_model) and asked once, at the Ollama the inputs named
    assert [p["model"] for p in pulls] == [MODEL], log
    assert len(chats) == 1 and chats[0].body["model"] == MODEL

    # one review, on the head commit, with the finding inline on its line
    assert len(gh.reviews) == 1, log
    review = gh.reviews[0]
    assert review["commit_id"] == shas["head"] and review["state"] == "COMMENTED"
    inline = [(c["path"], c["line"], c["side"]) for c in gh.review_comments if message in c["body"]]
    assert inline == [(APP, 9, "RIGHT")]
    # the diff came from the checkout (merge-base..head), which git read although another uid owns it
    if foreign_owner:
        assert not any(p.endswith("/pulls/7/files") for p in api_paths), api_paths

    # the check run on the head commit failed; the sticky summary comment is there
    (check,) = gh.check_runs.values()
    assert (check["name"], check["head_sha"], check["conclusion"]) == ("Sonar-Mochi", shas["head"], "failure")
    (summary_comment,) = gh.issue_comments
    assert message in summary_comment["body"] or "division" in summary_comment["body"]

    # the token came from the github_token input's default (${{ github.token }})
    assert auth and all(TOKEN in a for a in auth), auth

    # GITHUB_OUTPUT holds exactly the outputs action.yml declares
    declared = set(yaml.safe_load(ACTION_YML.read_text())["outputs"])
    assert set(step.outputs) == declared, log
    counts = {s: int(step.outputs[s]) for s in ("critical", "high", "medium", "low")}
    assert counts["high"] >= 1 and int(step.outputs["findings"]) == sum(counts.values())
    assert step.outputs["conclusion"] == "failure"
    assert step.outputs["review_url"] == review["html_url"]
    assert step.outputs["check_run_url"] == check["html_url"]
    assert step.outputs["summary_url"] == summary_comment["html_url"]
    # the job summary shows the finding
    assert message in step.summary
    # RUNNER_TEMP is not mounted in a container action: the findings JSON lands in the workspace,
    # where a later step (upload-artifact) can read it
    assert step.outputs["json_path"] == "/github/workspace/mochi-review.json", log
    assert json.loads((work.path / "mochi-review.json").read_text())["version"] == 1


@pytest.mark.slow
def test_image_reviews_a_checkout_owned_by_another_user_like_the_installed_cli(
    image: str, podman: dict[str, str], tmp_path: Path
) -> None:
    """`docker run ... --entrypoint mochi IMAGE review` finds what `mochi review` finds on the host."""
    repo = tmp_path / "demo"
    subprocess.run(
        ["bash", str(ROOT / "examples" / "demo" / "make-demo.sh"), str(repo)], check=True, capture_output=True
    )
    args = ("review", "--provider", "builtin", "--format", "json")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MOCHI_", "INPUT_", "GITHUB_"))}
    env["MOCHI_RECORD"] = "false"  # no local record of this run in the user's data directory
    host = subprocess.run(
        [sys.executable, "-m", "mochi", *args], cwd=repo, env=env, capture_output=True, text=True, timeout=120
    )
    assert host.returncode == 0, host.stderr
    chown_tree(repo)  # now git in the image must accept a repository another uid owns
    proc = run_image(podman, image, *args, workspace=repo, entrypoint="mochi")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["version"] == 1 and out["stats"]["files_reviewed"] > 0
    assert out["findings"] and all(f["source"].startswith("builtin") for f in out["findings"])

    def key(f: dict[str, Any]) -> tuple[str, int, str]:
        return (f["path"], f["line"] or 0, f["fingerprint"])

    assert sorted(map(key, out["findings"])) == sorted(map(key, json.loads(host.stdout)["findings"]))
