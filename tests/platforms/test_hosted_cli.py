"""Hosted reviews as a user meets them: host errors exit with what to fix, logs without workflow
commands outside GitHub Actions, and framework guidelines without a checkout.

GitHub and GitLab are loopback fakes answering in their documented formats; `mochi` runs in-process
through Click's runner with a controlled environment.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from mochi.cli import main
from tests.fakes.github_server import FakeGitHub
from tests.fakes.gitlab_server import FakeGitLab
from tests.fakes.http_fake import Reply
from tests.fakes.llm_servers import FakeOllama
from tests.gitlab_scenario import IID, Scenario, make_repo, serve
from tests.gitrepo import GitRepo

REPO = "acme/shop"
_CI_VARS = ("CI", "GITHUB_ACTIONS", "GITLAB_CI", "JENKINS_URL", "BUILD_ID", "BUILD_TAG", "CHANGE_ID")

POM = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <parent>
    <groupId>org.springframework.boot</groupId>
    <artifactId>spring-boot-starter-parent</artifactId>
    <version>3.3.4</version>
  </parent>
  <artifactId>shop</artifactId>
</project>
"""
SERVICE_BASE = """package com.acme.shop;

public class OrderService {
    int total(int a, int b) {
        return a + b;
    }
}
"""
SERVICE_HEAD = SERVICE_BASE.replace(
    "return a + b;",
    "return a + b;\n    }\n\n    int ratio(int a, int b) {\n"
    "        try {\n            return a / b;\n        } catch (ArithmeticException e) {\n"
    "            e.printStackTrace();\n            return 0;\n        }",
)  # java.print-stack-trace: one built-in finding, medium


def run(env: Mapping[str, str | None], *args: str, cwd: Path) -> Result:
    """`mochi ARGS` in `cwd` with `env` over an environment cleared of CI and mochi variables."""
    clean: dict[str, str | None] = {
        k: None for k in os.environ if k.startswith(("MOCHI_", "INPUT_", "GITHUB_", "GITLAB", "CI_"))
    }
    clean.update({k: None for k in _CI_VARS})
    clean.update(MOCHI_RECORD="false", MOCHI_PROVIDER="builtin")
    clean.update(env)
    old = Path.cwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(main, list(args), env=clean, catch_exceptions=False)
    finally:
        os.chdir(old)


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[tuple[GitRepo, str, str]]:
    repo = GitRepo(tmp_path / "shop")
    repo.write("pom.xml", POM)
    repo.write("src/main/java/com/acme/shop/OrderService.java", SERVICE_BASE)
    base = repo.commit("base")
    repo.run("checkout", "-q", "-b", "feature")
    repo.write("src/main/java/com/acme/shop/OrderService.java", SERVICE_HEAD)
    head = repo.commit("ratio")
    yield repo, base, head


def _workflow_commands(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.lstrip().startswith("::")]


# --------------------------------------------------------------------------- host errors


def test_review_pr_of_a_missing_pull_request_exits_4_and_names_it(
    shop: tuple[GitRepo, str, str], tmp_path: Path
) -> None:
    repo, base, head = shop
    with FakeGitHub.start(repo.path, REPO) as gh:
        gh.add_pull(7, base_ref="main", base_sha=base, head_sha=head)
        env = {"GITHUB_TOKEN": "ghp_test", "GITHUB_API_URL": gh.url}
        result = run(env, "review", "--pr", f"{REPO}#999", cwd=repo.path)
    assert result.exit_code == 4, result.output
    assert f"pull request {REPO}#999 was not found" in result.stderr
    assert "GITHUB_TOKEN" in result.stderr and "ghp_test" not in result.output + result.stderr


def test_review_pr_with_a_refused_token_exits_2_and_names_the_token(
    shop: tuple[GitRepo, str, str], tmp_path: Path
) -> None:
    repo, base, head = shop
    with FakeGitHub.start(repo.path, REPO) as gh:
        gh.add_pull(7, base_ref="main", base_sha=base, head_sha=head)
        gh.enqueue("pulls/get", Reply(401, {"message": "Bad credentials"}))
        env = {"GITHUB_TOKEN": "ghp_revoked", "GITHUB_API_URL": gh.url}
        result = run(env, "review", "--pr", f"{REPO}#7", cwd=repo.path)
    assert result.exit_code == 2, result.output
    assert "Bad credentials" in result.stderr and "check GITHUB_TOKEN" in result.stderr
    assert "ghp_revoked" not in result.output + result.stderr


@pytest.fixture
def scenario(tmp_path: Path) -> Scenario:
    return make_repo(tmp_path / "repo")


def _gitlab_env(gl: FakeGitLab, s: Scenario, *, iid: int = IID, token: str | None = None) -> dict[str, str]:
    return {
        "GITLAB_CI": "true",
        "CI": "true",
        "CI_SERVER_URL": gl.url,
        "CI_API_V4_URL": gl.url + "/api/v4",
        "CI_PROJECT_ID": gl.project_id,
        "CI_PROJECT_PATH": "group/app",
        "CI_PROJECT_DIR": str(s.repo.path),
        "CI_COMMIT_SHA": s.head,
        "CI_MERGE_REQUEST_IID": str(iid),
        "CI_MERGE_REQUEST_DIFF_BASE_SHA": s.base,
        "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main",
        "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": "feature",
        "GITLAB_TOKEN": token or gl.token,
    }


def test_gitlab_a_missing_merge_request_exits_4_and_names_it(scenario: Scenario) -> None:
    with FakeGitLab.start() as gl:
        serve(gl, scenario)
        result = run(_gitlab_env(gl, scenario, iid=999), "ci", cwd=scenario.repo.path)
    assert result.exit_code == 4, result.output
    assert f"merge request !999 of project {gl.project_id} was not found" in result.stderr
    assert gl.token not in result.output + result.stderr


def test_gitlab_a_refused_token_exits_2_and_says_which_token_to_create(scenario: Scenario) -> None:
    with FakeGitLab.start() as gl:
        serve(gl, scenario)
        result = run(_gitlab_env(gl, scenario, token="glpat-expired"), "ci", cwd=scenario.repo.path)
    assert result.exit_code == 2, result.output
    assert "401" in result.stderr and "project access token" in result.stderr
    assert "glpat-expired" not in result.output + result.stderr


# --------------------------------------------------------------------------- workflow commands


def test_review_pr_on_a_laptop_prints_no_workflow_commands(shop: tuple[GitRepo, str, str]) -> None:
    repo, base, head = shop
    with FakeGitHub.start(repo.path, REPO) as gh:
        gh.add_pull(7, base_ref="main", base_sha=base, head_sha=head)
        env = {"GITHUB_TOKEN": "ghp_test", "GITHUB_API_URL": gh.url, "RUNNER_TEMP": str(repo.path.parent)}
        result = run(env, "review", "--pr", f"{REPO}#7", cwd=repo.path)
        posted = gh.reviews
    assert result.exit_code == 0, result.output
    assert len(posted) == 1  # java.print-stack-trace was posted
    assert _workflow_commands(result.stdout + result.stderr) == []
    # the same run inside Actions does talk to the runner
    with FakeGitHub.start(repo.path, REPO) as gh:
        gh.add_pull(7, base_ref="main", base_sha=base, head_sha=head)
        env = {"GITHUB_TOKEN": "ghp_test", "GITHUB_API_URL": gh.url, "GITHUB_ACTIONS": "true"}
        inside = run(env, "review", "--pr", f"{REPO}#7", "--dry-run", cwd=repo.path)
    assert inside.exit_code == 0, inside.output
    groups = [line for line in inside.stdout.splitlines() if line.startswith(("::group::", "::endgroup::"))]
    assert len(groups) >= 4 and groups == [
        "::endgroup::" if i % 2 else g for i, g in enumerate(groups)
    ]  # one after the other: the Actions log cannot nest groups


def test_a_jenkins_build_prints_no_workflow_commands(shop: tuple[GitRepo, str, str]) -> None:
    repo, base, head = shop
    with FakeGitHub.start(repo.path, REPO) as gh:
        gh.add_pull(7, base_ref="main", base_sha=base, head_sha=head)
        env = {
            "JENKINS_URL": "http://jenkins.example.com/",
            "BUILD_TAG": "jenkins-shop-PR-7-1",
            "WORKSPACE": str(repo.path),
            "CHANGE_ID": "7",
            "CHANGE_TARGET": "main",
            "CHANGE_BRANCH": "feature",
            "CHANGE_URL": f"https://github.com/{REPO}/pull/7",
            "GIT_URL": f"https://github.com/{REPO}.git",
            "GITHUB_API_URL": gh.url,
            "GITHUB_TOKEN": "ghp_test",
            "MOCHI_JUNIT_REPORT": "mochi-junit.xml",
        }
        result = run(env, "ci", cwd=repo.path)
        posted = gh.reviews
    assert result.exit_code == 0, result.output
    assert len(posted) == 1 and (repo.path / "mochi-junit.xml").is_file()
    assert _workflow_commands(result.stdout + result.stderr) == []


# --------------------------------------------------------------------------- API-only mode


def test_without_a_checkout_a_spring_boot_pull_request_gets_the_spring_boot_guidelines(
    shop: tuple[GitRepo, str, str], tmp_path: Path
) -> None:
    repo, base, head = shop
    elsewhere = tmp_path / "not-a-checkout"
    elsewhere.mkdir()
    with FakeGitHub.start(repo.path, REPO) as gh, FakeOllama.start() as ollama:
        gh.add_pull(7, base_ref="main", base_sha=base, head_sha=head)
        env = {
            "GITHUB_TOKEN": "ghp_test",
            "GITHUB_API_URL": gh.url,
            "OLLAMA_HOST": ollama.url,
            "MOCHI_PROVIDER": "ollama",
        }
        result = run(env, "review", "--pr", f"{REPO}#7", "--dry-run", cwd=elsewhere)
        chats = ollama.requests_to("/api/chat")
        reads = list(gh.content_reads)
    assert result.exit_code == 0, result.output
    # the manifest came through the contents API at the head; each file once, a bounded number
    assert "pom.xml" in reads and len(reads) == len(set(reads)) <= 60
    prompt = "\n".join(m["content"] for m in chats[0].body["messages"])
    assert "### Spring Boot" in prompt and "@Transactional" in prompt
    assert json.loads(json.dumps(chats[0].body))["model"]  # a real chat request, not a stub


def test_without_a_checkout_a_gitlab_merge_request_reads_its_manifests_through_the_api(
    shop: tuple[GitRepo, str, str], tmp_path: Path
) -> None:
    from tests.fakes.gitlab_server import entries_from_git

    repo, base, head = shop
    elsewhere = tmp_path / "empty-project-dir"
    elsewhere.mkdir()
    with FakeGitLab.start() as gl, FakeOllama.start() as ollama:
        gl.push_version(IID, base=base, start=base, head=head, entries=entries_from_git(repo, base, head))
        gl.add_files(repo, head)
        env = {
            **_gitlab_env(gl, Scenario(repo=repo, base=base, head=head)),
            "CI_PROJECT_DIR": str(elsewhere),
            "OLLAMA_HOST": ollama.url,
            "MOCHI_PROVIDER": "ollama",
        }
        result = run(env, "ci", cwd=elsewhere)
        chats = ollama.requests_to("/api/chat")
        reads = list(gl.file_reads)
    assert result.exit_code == 0, result.output
    assert "pom.xml" in reads and len(reads) == len(set(reads)) <= 60  # each file once, bounded
    prompt = "\n".join(m["content"] for m in chats[0].body["messages"])
    assert "### Spring Boot" in prompt


def test_another_apps_comment_with_a_summary_marker_is_not_mochis(shop: tuple[GitRepo, str, str]) -> None:
    """With a token that cannot read /user (Actions, an App), mochi is github-actions[bot], not any bot;
    and /user failing with a 5xx costs a warning, not the review."""
    repo, base, head = shop
    with FakeGitHub.start(repo.path, REPO) as gh:  # user=None: /user answers 403 like GITHUB_TOKEN
        gh.add_pull(7, base_ref="main", base_sha=base, head_sha=head)
        foreign = f"<!-- mochi:summary head={head} -->\nThe other app's status comment."
        gh.issue_comments.append(
            {
                "id": 900,
                "body": foreign,
                "user": {"login": "other-app[bot]", "id": 7, "type": "Bot"},
                "html_url": f"https://github.com/{REPO}/pull/7#issuecomment-900",
                "_issue": 7,
            }
        )
        for _ in range(5):  # every attempt of GET /user fails: the retries give up
            gh.enqueue("users/get-authenticated", Reply(502, {"message": "Server Error"}))
        env = {"GITHUB_TOKEN": "ghs_x", "GITHUB_API_URL": gh.url, "MOCHI_GITHUB_MAX_WAIT_S": "0"}
        result = run(env, "review", "--pr", f"{REPO}#7", cwd=repo.path)
        comments = list(gh.issue_comments)
    assert result.exit_code == 0, result.output
    assert comments[0]["body"] == foreign  # the other app's comment was not edited
    (ours,) = comments[1:]
    assert ours["user"]["login"] == "github-actions[bot]" and f"head={head}" in ours["body"]
    assert "did not say who the token is" in result.stderr


def test_a_502_after_github_wrote_the_post_posts_nothing_twice(shop: tuple[GitRepo, str, str]) -> None:
    """A proxy's 502 after GitHub applied the POST: a blind retry would post a second review, summary
    and check run; mochi looks for what it posted instead."""
    repo, base, head = shop
    with FakeGitHub.start(repo.path, REPO) as gh:
        gh.add_pull(7, base_ref="main", base_sha=base, head_sha=head)
        for op in ("pulls/create-review", "issues/create-comment", "checks/create"):
            gh.enqueue(op, Reply(502, {"message": "Bad Gateway"}, after_applying=True))
        result = run(_actions_env(gh, repo, base, head), "ci", cwd=repo.path)
        reviews, summaries, checks = list(gh.reviews), list(gh.issue_comments), dict(gh.check_runs)
    assert result.exit_code == 0, result.output
    assert len(reviews) == 1 and len(summaries) == 1 and len(checks) == 1
    (check,) = checks.values()
    assert check["status"] == "completed"  # the run found again was completed, not left in progress


def tmp_event(repo: Path, base: str, head: str) -> Path:
    """A pull_request.opened payload (the real fixture) for PR 7 of REPO at base..head."""
    from tests.fixtures_path import FIXTURES

    event = json.loads((FIXTURES / "github" / "events" / "pull_request.opened.json").read_text())
    pr = event["pull_request"]
    pr.update(number=7, draft=False, state="open")
    pr["head"]["sha"], pr["base"]["sha"], pr["base"]["ref"] = head, base, "main"
    event.update(number=7)
    event["repository"]["full_name"] = REPO
    path = repo.parent / "event.json"
    path.write_text(json.dumps(event))
    return path


def _actions_env(gh: FakeGitHub, repo: GitRepo, base: str, head: str, **extra: str) -> dict[str, str]:
    event = tmp_event(repo.path, base, head)
    return {
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_REPOSITORY": REPO,
        "GITHUB_WORKSPACE": str(repo.path),
        "GITHUB_TOKEN": "ghs_x",
        "GITHUB_API_URL": gh.url,
        "RUNNER_TEMP": str(event.parent),
        **extra,
    }


def test_a_failed_model_pass_is_a_neutral_check_says_so_and_does_not_mark_the_commits_reviewed(
    shop: tuple[GitRepo, str, str],
) -> None:
    repo, base, head = shop
    with FakeGitHub.start(repo.path, REPO) as gh, FakeOllama.start() as ollama:
        gh.add_pull(7, base_ref="main", base_sha=base, head_sha=head)
        for _ in range(10):
            ollama.enqueue_error("chat", 500, "model runner crashed")
        env = _actions_env(
            gh, repo, base, head, OLLAMA_HOST=ollama.url, MOCHI_PROVIDER="ollama", MOCHI_MAX_RETRIES="0"
        )
        failed = run(env, "ci", cwd=repo.path)
        (check,) = gh.check_runs.values()
        (summary,) = gh.issue_comments
        inline = [c["path"] for c in gh.review_comments]
    assert failed.exit_code == 3, failed.output  # the model failed: an error, after posting
    assert check["status"] == "completed" and check["conclusion"] == "neutral"
    assert "model pass did not run" in summary["body"]
    assert "head=" not in summary["body"]  # these commits still need the model's review
    assert inline == ["src/main/java/com/acme/shop/OrderService.java"]  # the built-in finding


def test_a_failed_review_post_does_not_mark_the_commits_reviewed(shop: tuple[GitRepo, str, str]) -> None:
    repo, base, head = shop
    with FakeGitHub.start(repo.path, REPO) as gh:
        gh.add_pull(7, base_ref="main", base_sha=base, head_sha=head)
        gh.enqueue("pulls/create-review", Reply(403, {"message": "Resource not accessible by integration"}))
        result = run(_actions_env(gh, repo, base, head), "ci", cwd=repo.path)
        (summary,) = gh.issue_comments
    assert result.exit_code == 6, result.output
    assert "head=" not in summary["body"] and "printStackTrace" in summary["body"]


def test_a_502_on_completing_the_check_run_still_completes_it(shop: tuple[GitRepo, str, str]) -> None:
    repo, base, head = shop
    for applied in (False, True):
        with FakeGitHub.start(repo.path, REPO) as gh:
            gh.add_pull(7, base_ref="main", base_sha=base, head_sha=head)
            gh.enqueue("checks/update", Reply(502, {"message": "Bad Gateway"}, after_applying=applied))
            result = run(_actions_env(gh, repo, base, head), "ci", cwd=repo.path)
            (check,) = gh.check_runs.values()
            updates = len(gh.check_run_updates)
        assert result.exit_code == 0, result.output
        assert check["status"] == "completed" and check["conclusion"] == "success"
        assert updates == 1  # re-sent only when the first did not land; never twice


def test_gitlab_a_502_after_a_note_was_written_posts_it_once(scenario: Scenario) -> None:
    from tests.fakes.http_fake import Reply as FakeReply

    with FakeGitLab.start() as gl, FakeOllama.start() as ollama:
        serve(gl, scenario)
        ollama.enqueue_chat(
            json.dumps(
                {
                    "comments": [
                        {
                            "file": "src/App.java",
                            "line": 5,
                            "type": "bug",
                            "severity": "high",
                            "message": "This subtracts b from a where the method name says it adds them.",
                        }
                    ],
                    "summary": {"overall_assessment": "ok", "key_concerns": [], "recommendations": []},
                }
            )
        )
        gl.enqueue("post_discussion", FakeReply(502, {"message": "502 Bad Gateway"}, after_applying=True))
        gl.enqueue("notes", FakeReply(502, {"message": "502 Bad Gateway"}, after_applying=True))
        env = {**_gitlab_env(gl, scenario), "OLLAMA_HOST": ollama.url, "MOCHI_PROVIDER": "ollama"}
        result = run(env, "ci", cwd=scenario.repo.path)
        notes = gl.notes(IID)
    assert result.exit_code == 0, result.output
    assert len([n for n in notes if n["type"] == "DiffNote"]) == 1
    assert len([n for n in notes if n["type"] is None]) == 1  # one summary note
