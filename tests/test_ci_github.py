"""`mochi ci` as GitHub Actions runs it: real payloads, a real checkout, GitHub and Ollama on loopback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.github_server import FakeGitHub
from tests.fakes.http_fake import Reply
from tests.fakes.llm_servers import FakeOllama
from tests.fixtures_path import FIXTURES
from tests.gitrepo import GitRepo

ROOT = Path(__file__).resolve().parents[1]
EVENTS = FIXTURES / "github" / "events"
REPO = "octo/app"
PATH = "src/calc.py"


def _base_source() -> str:
    return "".join(f"def f{i}():\n    return {i}\n\n" for i in range(1, 8))  # 21 lines


@pytest.fixture
def pr(tmp_path: Path) -> dict[str, Any]:
    """A checkout with main and a feature branch that adds `ratio` at the end of src/calc.py."""
    repo = GitRepo(tmp_path / "workspace")
    repo.write(PATH, _base_source())
    base = repo.commit("base")
    repo.checkout("-b", "feature")
    repo.write(PATH, _base_source() + "def ratio(a, b):\n    return a / b\n")
    head = repo.commit("add ratio")
    return {"repo": repo, "base": base, "head": head}


def answer(*comments: tuple[str, int, str]) -> str:
    return json.dumps(
        {
            "comments": [
                {
                    "file": path,
                    "line": line,
                    "end_line": None,
                    "type": "bug",
                    "severity": "high",
                    "category": "correctness",
                    "message": message,
                    "suggestion": None,
                }
                for path, line, message in comments
            ],
            "summary": {
                "overall_assessment": "Looked at the change.",
                "key_concerns": [],
                "recommendations": [],
            },
        }
    )


def event(tmp_path: Path, name: str, fixture: str, **changes: Any) -> Path:
    """A real payload from the fixtures, adapted to the test repository."""
    payload = json.loads((EVENTS / fixture).read_text())
    payload["repository"]["full_name"] = REPO
    for dotted, value in changes.items():
        node = payload
        *parents, last = dotted.split("__")
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = value
    path = tmp_path / f"{name}-{len(list(tmp_path.glob('*.event.json')))}.event.json"
    path.write_text(json.dumps(payload))
    return path


def pr_event(
    tmp_path: Path, pr: dict[str, Any], fixture: str = "pull_request.opened.json", **more: Any
) -> Path:
    return event(
        tmp_path,
        "pr",
        fixture,
        number=7,
        pull_request__number=7,
        pull_request__head__sha=pr["head"],
        pull_request__base__sha=pr["base"],
        **{"pull_request__base__ref": "main", "pull_request__head__ref": "feature", **more},
    )


def run_ci(
    tmp_path: Path,
    gh: FakeGitHub,
    ollama: FakeOllama,
    event_name: str,
    event_path: Path,
    workspace: Path,
    *args: str,
    **env: str,
) -> subprocess.CompletedProcess[str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("MOCHI_", "INPUT_", "GITHUB_", "GITLAB", "CI"))
    }
    base.pop("JENKINS_URL", None)
    (tmp_path / "out").mkdir(exist_ok=True)
    base.update(
        GITHUB_ACTIONS="true",
        GITHUB_EVENT_NAME=event_name,
        GITHUB_EVENT_PATH=str(event_path),
        GITHUB_REPOSITORY=REPO,
        GITHUB_API_URL=gh.url,
        GITHUB_TOKEN="ghs_secret_token_value",
        GITHUB_WORKSPACE=str(workspace),
        GITHUB_OUTPUT=str(tmp_path / "out" / "output"),
        GITHUB_STEP_SUMMARY=str(tmp_path / "out" / "summary.md"),
        RUNNER_TEMP=str(tmp_path / "out"),
        OLLAMA_HOST=ollama.url,
        MOCHI_FAIL_ON="high",
    )
    base.update(env)
    return subprocess.run(
        [sys.executable, "-m", "mochi", "ci", *args],
        cwd=workspace,
        env=base,
        capture_output=True,
        text=True,
        timeout=120,
    )


def outputs(tmp_path: Path) -> dict[str, str]:
    text = (tmp_path / "out" / "output").read_text()
    result: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        name, _, delimiter = line.partition("<<")
        value = []
        for inner in lines:
            if inner == delimiter:
                break
            value.append(inner)
        result[name] = "\n".join(value)
    return result


@pytest.mark.slow
def test_pull_request_review_lands_once_and_a_rerun_posts_nothing_new(
    tmp_path: Path, pr: dict[str, Any]
) -> None:
    workspace = pr["repo"].path
    with FakeGitHub.start(workspace, REPO) as gh, FakeOllama.start() as ollama:
        gh.add_pull(7, base_ref="main", base_sha=pr["base"], head_sha=pr["head"], labels=("bug",))
        findings = answer((PATH, 23, "`b` may be zero."), (PATH, 2, "f1 returns a constant."))
        ollama.enqueue_chat(findings)
        first = run_ci(tmp_path, gh, ollama, "pull_request", pr_event(tmp_path, pr), workspace)
        assert first.returncode == 1, first.stderr  # a high finding with fail_on=high
        assert gh.violations == []
        assert len(gh.reviews) == 1
        assert [(c["path"], c["line"], c["side"]) for c in gh.review_comments] == [(PATH, 23, "RIGHT")]
        # line 2 is outside the diff: no 422, and it is in the review body
        review_posts = [r for r in gh.requests if r.method == "POST" and r.path.endswith("/reviews")]
        assert len(review_posts) == 1  # a 422 would have made mochi post the review a second time
        assert "f1 returns a constant" in gh.reviews[0]["body"]
        assert gh.reviews[0]["state"] == "COMMENTED"
        assert len(gh.issue_comments) == 1 and f"head={pr['head']}" in gh.issue_comments[0]["body"]
        (run,) = gh.check_runs.values()
        assert (
            run["name"] == "Sonar-Mochi" and run["status"] == "completed" and run["conclusion"] == "failure"
        )
        assert gh.check_run_updates[-1]["output"]["annotations"][0]["path"] == PATH
        out = outputs(tmp_path)
        assert out["findings"] == "2" and out["high"] == "2"
        assert out["review_url"].startswith("https://github.com/octo/app/pull/7#pullrequestreview-")
        assert out["check_run_url"] == run["html_url"]
        assert json.loads(Path(out["json_path"]).read_text())["findings"][0]["path"] == PATH
        assert "`b` may be zero" in (tmp_path / "out" / "summary.md").read_text()
        # a re-run on the same head: the review completed, so the model is not asked again
        second = run_ci(tmp_path, gh, ollama, "pull_request", pr_event(tmp_path, pr), workspace)
        calls_after_rerun = len(ollama.requests_to("/api/chat"))
        rerun_json = json.loads(Path(outputs(tmp_path)["json_path"]).read_text())
        summary_after_rerun = gh.issue_comments[0]["body"]
        # --no-cache asks again; the PR's labels and the model's earlier comments reach the prompt
        ollama.enqueue_chat(findings)
        third = run_ci(tmp_path, gh, ollama, "pull_request", pr_event(tmp_path, pr), workspace, "--no-cache")
        prompt = ollama.requests_to("/api/chat")[-1].body["messages"][-1]["content"]
    assert second.returncode == 1, second.stderr  # the same verdict as the review it repeats
    assert calls_after_rerun == 1  # 0 model calls on the re-run
    assert "reusing the model's answers (no model call)" in second.stderr
    assert rerun_json["stats"]["llm_calls"] == 0
    messages = sorted(f["message"] for f in rerun_json["findings"])
    assert messages == ["`b` may be zero.", "f1 returns a constant."]
    assert "`b` may be zero" in summary_after_rerun
    assert third.returncode == 1, third.stderr
    assert len(ollama.requests_to("/api/chat")) == 2
    assert len(gh.reviews) == 1 and len(gh.review_comments) == 1  # nothing new posted
    assert len(gh.issue_comments) == 1  # the summary was edited in place
    assert "Labels: bug" in prompt and "`b` may be zero" in prompt
    logs = first.stdout + first.stderr + second.stdout + second.stderr + third.stdout + third.stderr
    assert "ghs_secret_token_value" not in logs


@pytest.mark.slow
def test_synchronize_reviews_only_the_new_commit(tmp_path: Path, pr: dict[str, Any]) -> None:
    repo: GitRepo = pr["repo"]
    with FakeGitHub.start(repo.path, REPO) as gh, FakeOllama.start() as ollama:
        gh.add_pull(7, base_ref="main", base_sha=pr["base"], head_sha=pr["head"])
        ollama.enqueue_chat(answer((PATH, 23, "`b` may be zero.")))
        assert run_ci(tmp_path, gh, ollama, "pull_request", pr_event(tmp_path, pr), repo.path).returncode == 1
        repo.write(
            PATH, _base_source() + "def ratio(a, b):\n    return a / b\n\n\ndef half(a):\n    return a // 2\n"
        )
        head2 = repo.commit("add half")
        gh.add_pull(7, base_ref="main", base_sha=pr["base"], head_sha=head2)
        # the model repeats the old finding and adds one on the new commit
        ollama.enqueue_chat(answer((PATH, 23, "`b` may be zero."), (PATH, 27, "half truncates negatives.")))
        sync = pr_event(
            tmp_path, {**pr, "head": head2}, "pull_request.synchronize.json", before=pr["head"], after=head2
        )
        proc = run_ci(tmp_path, gh, ollama, "pull_request", sync, repo.path)
        prompt = ollama.requests_to("/api/chat")[-1].body["messages"][-1]["content"]
    assert proc.returncode == 1, proc.stderr
    # only the new commit was reviewed: `ratio` is context now, not an added line
    assert "26 + def half(a):" in prompt and "23       return a / b" in prompt and "23 +" not in prompt
    assert len(gh.reviews) == 2
    new = [c for c in gh.review_comments if c["pull_request_review_id"] == gh.reviews[1]["id"]]
    assert [(c["line"], "half truncates" in c["body"]) for c in new] == [(27, True)]
    assert f"head={head2}" in gh.issue_comments[0]["body"] and len(gh.issue_comments) == 1
    assert gh.violations == []


@pytest.mark.slow
def test_without_checks_permission_findings_become_workflow_annotations(
    tmp_path: Path, pr: dict[str, Any]
) -> None:
    with FakeGitHub.start(pr["repo"].path, REPO) as gh, FakeOllama.start() as ollama:
        gh.checks_forbidden = True
        gh.add_pull(7, base_ref="main", base_sha=pr["base"], head_sha=pr["head"])
        ollama.enqueue_chat(answer((PATH, 23, "`b` may be zero: division fails.")))
        proc = run_ci(tmp_path, gh, ollama, "pull_request", pr_event(tmp_path, pr), pr["repo"].path)
    assert proc.returncode == 1, proc.stderr
    assert f"::error file={PATH},line=23,title=Sonar-Mochi high bug::`b` may be zero%3A" not in proc.stdout
    assert (
        f"::error file={PATH},line=23,title=Sonar-Mochi high bug::`b` may be zero: division fails."
        in proc.stdout
    )
    assert "::notice::" in proc.stdout and "checks: write" in proc.stdout
    assert len(gh.reviews) == 1  # the review itself still lands


@pytest.mark.slow
def test_a_422_despite_the_checks_moves_the_comments_into_the_body(
    tmp_path: Path, pr: dict[str, Any]
) -> None:
    with FakeGitHub.start(pr["repo"].path, REPO) as gh, FakeOllama.start() as ollama:
        gh.add_pull(7, base_ref="main", base_sha=pr["base"], head_sha=pr["head"])
        gh.enqueue(
            "pulls/create-review",
            Reply(
                422,
                {
                    "message": "Unprocessable Entity",
                    "errors": ["Pull request review thread line must be part of the diff"],
                    "documentation_url": "x",
                },
            ),
        )
        ollama.enqueue_chat(answer((PATH, 23, "`b` may be zero.")))
        proc = run_ci(tmp_path, gh, ollama, "pull_request", pr_event(tmp_path, pr), pr["repo"].path)
        posts = [r for r in gh.requests if r.method == "POST" and r.path.endswith("/reviews")]
    assert proc.returncode == 1, proc.stderr
    assert len(posts) == 2 and "comments" in posts[0].body and "comments" not in posts[1].body
    assert "`b` may be zero" in gh.reviews[0]["body"] and "mochi:fp=" in gh.reviews[0]["body"]


@pytest.mark.slow
def test_when_posting_fails_the_findings_are_still_in_the_job_summary_and_json(
    tmp_path: Path, pr: dict[str, Any]
) -> None:
    with FakeGitHub.start(pr["repo"].path, REPO) as gh, FakeOllama.start() as ollama:
        gh.add_pull(7, base_ref="main", base_sha=pr["base"], head_sha=pr["head"])
        gh.enqueue("pulls/create-review", Reply(403, {"message": "Resource not accessible by integration"}))
        ollama.enqueue_chat(answer((PATH, 23, "`b` may be zero.")))
        proc = run_ci(
            tmp_path,
            gh,
            ollama,
            "pull_request",
            pr_event(tmp_path, pr),
            pr["repo"].path,
            "--json-output",
            str(tmp_path / "findings.json"),
        )
    assert proc.returncode == 6, proc.stderr
    assert "::error::" in proc.stdout and "could not post the review" in proc.stdout
    assert "`b` may be zero" in (tmp_path / "out" / "summary.md").read_text()
    assert json.loads((tmp_path / "findings.json").read_text())["findings"][0]["line"] == 23
    assert "findings.json" in proc.stderr


@pytest.mark.slow
def test_issue_comment_command_from_a_member_reviews_the_pr_from_the_api(
    tmp_path: Path, pr: dict[str, Any]
) -> None:
    # no checkout at all: the diff comes from pulls/N/files
    empty = tmp_path / "no-checkout"
    empty.mkdir()
    comment = event(
        tmp_path,
        "comment",
        "issue_comment.created.json",
        issue__number=7,
        issue__pull_request={"url": f"https://api.github.com/repos/{REPO}/pulls/7"},
        comment__body="/mochi full-review please",
        comment__author_association="MEMBER",
    )
    with FakeGitHub.start(pr["repo"].path, REPO) as gh, FakeOllama.start() as ollama:
        gh.add_pull(7, base_ref="main", base_sha=pr["base"], head_sha=pr["head"])
        ollama.enqueue_chat(answer((PATH, 23, "`b` may be zero.")))
        proc = run_ci(tmp_path, gh, ollama, "issue_comment", comment, empty)
        outsider = event(
            tmp_path,
            "comment",
            "issue_comment.created.json",
            issue__number=7,
            issue__pull_request={"url": "u"},
            comment__body="/mochi review",
            comment__author_association="CONTRIBUTOR",
        )
        skipped = run_ci(tmp_path, gh, ollama, "issue_comment", outsider, empty)
    assert proc.returncode == 1, proc.stderr
    assert [(c["path"], c["line"]) for c in gh.review_comments] == [(PATH, 23)]
    assert skipped.returncode == 0 and "::notice::" in skipped.stdout and "CONTRIBUTOR" in skipped.stdout
    assert len(gh.reviews) == 1


@pytest.mark.slow
def test_unhandled_and_broken_events(tmp_path: Path, pr: dict[str, Any]) -> None:
    with FakeGitHub.start(pr["repo"].path, REPO) as gh, FakeOllama.start() as ollama:
        other = run_ci(tmp_path, gh, ollama, "release", pr_event(tmp_path, pr), pr["repo"].path)
        tag_deleted = run_ci(tmp_path, gh, ollama, "push", EVENTS / "push.json", pr["repo"].path)
        broken = pr_event(tmp_path, pr)
        data = json.loads(broken.read_text())
        del data["pull_request"]["head"]["sha"]
        broken.write_text(json.dumps(data))
        bad = run_ci(tmp_path, gh, ollama, "pull_request", broken, pr["repo"].path)
        dispatch = run_ci(
            tmp_path, gh, ollama, "workflow_dispatch", EVENTS / "workflow_dispatch.json", pr["repo"].path
        )
    assert other.returncode == 0 and "::notice::" in other.stdout
    assert tag_deleted.returncode == 0 and "deleted" in tag_deleted.stdout
    assert bad.returncode == 4 and "pull_request.head.sha" in bad.stderr
    assert dispatch.returncode == 4 and "inputs.pr_number" in dispatch.stderr
    assert gh.reviews == [] and gh.check_runs == {}


@pytest.mark.slow
def test_push_gets_a_check_run_only(tmp_path: Path, pr: dict[str, Any]) -> None:
    push = event(
        tmp_path,
        "push",
        "push.json",
        ref="refs/heads/feature",
        before=pr["base"],
        after=pr["head"],
        deleted=False,
        created=False,
    )
    with FakeGitHub.start(pr["repo"].path, REPO) as gh, FakeOllama.start() as ollama:
        ollama.enqueue_chat(answer((PATH, 23, "`b` may be zero.")))
        proc = run_ci(tmp_path, gh, ollama, "push", push, pr["repo"].path, MOCHI_FAIL_ON="critical")
    assert proc.returncode == 0, proc.stderr
    (run,) = gh.check_runs.values()
    assert run["head_sha"] == pr["head"] and run["conclusion"] == "success"
    assert gh.reviews == [] and gh.issue_comments == []


@pytest.mark.slow
def test_review_pr_dry_run_posts_nothing(tmp_path: Path, pr: dict[str, Any]) -> None:
    with FakeGitHub.start(pr["repo"].path, REPO) as gh, FakeOllama.start() as ollama:
        gh.add_pull(7, base_ref="main", base_sha=pr["base"], head_sha=pr["head"])
        ollama.enqueue_chat(answer((PATH, 23, "`b` may be zero.")))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("MOCHI_", "GITHUB_", "CI"))}
        env.update(GITHUB_API_URL=gh.url, GITHUB_TOKEN="t", OLLAMA_HOST=ollama.url)
        proc = subprocess.run(
            [sys.executable, "-m", "mochi", "review", "--pr", f"{REPO}#7", "--dry-run"],
            cwd=pr["repo"].path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert proc.returncode == 0, proc.stderr
    assert "would post this review" in proc.stdout and "`b` may be zero" in proc.stdout
    # only reads: GETs, and the GraphQL query (a POST) that asks which threads are resolved
    assert {r.method for r in gh.requests if r.path != "/graphql"} == {"GET"}


@pytest.mark.slow
def test_pull_request_target_takes_settings_from_the_base_branch(tmp_path: Path, pr: dict[str, Any]) -> None:
    repo: GitRepo = pr["repo"]
    repo.write(".mochi.toml", 'provider = "builtin"\n')  # the PR tries to switch the model off
    head = repo.commit("PR settings")
    with FakeGitHub.start(repo.path, REPO) as gh, FakeOllama.start() as ollama:
        gh.add_pull(7, base_ref="main", base_sha=pr["base"], head_sha=head)
        ollama.enqueue_chat(answer((PATH, 23, "`b` may be zero.")))
        proc = run_ci(
            tmp_path, gh, ollama, "pull_request_target", pr_event(tmp_path, {**pr, "head": head}), repo.path
        )
        chats = ollama.requests_to("/api/chat")
    assert proc.returncode == 1, proc.stderr
    assert chats  # the base branch's settings (Ollama) applied, not the PR's
    assert [(c["path"], c["line"]) for c in gh.review_comments] == [(PATH, 23)]


@pytest.mark.slow
def test_a_pull_request_gets_its_jira_ticket_and_is_recorded(tmp_path: Path, pr: dict[str, Any]) -> None:
    """The PR's branch names a Jira ticket: its criteria reach the prompt; the run lands in the record."""
    from tests.fakes.jira_server import FakeJira, adf_bullets, adf_doc, adf_heading, cloud_issue

    workspace = pr["repo"].path
    db = tmp_path / "record.db"
    with (
        FakeGitHub.start(workspace, REPO) as gh,
        FakeOllama.start() as ollama,
        FakeJira.start(version="3", email="ci@example.com", api_token="jira-tok") as jira,
    ):
        jira.add(
            cloud_issue(
                "PAY-142",
                "Refunds",
                adf_doc(
                    adf_heading("Acceptance criteria"), adf_bullets("A refund never exceeds the capture")
                ),
            )
        )
        gh.add_pull(
            7, base_ref="main", base_sha=pr["base"], head_sha=pr["head"], head_ref="feature/PAY-142-x"
        )
        ollama.enqueue_chat(answer((PATH, 23, "`b` may be zero.")))
        proc = run_ci(
            tmp_path, gh, ollama, "pull_request",
            pr_event(tmp_path, pr, pull_request__head__ref="feature/PAY-142-x"), workspace,
            JIRA_URL=jira.url, JIRA_EMAIL="ci@example.com", JIRA_API_TOKEN="jira-tok",
            MOCHI_DATABASE_URL=f"sqlite:///{db}",
        )  # fmt: skip
        prompt = ollama.requests_to("/api/chat")[-1].body["messages"][-1]["content"]
    assert proc.returncode == 1, proc.stderr
    assert "PAY-142: Refunds" in prompt and "A refund never exceeds the capture" in prompt
    listing = subprocess.run(
        [sys.executable, "-m", "mochi", "reviews", "list", "--all", "--json"],
        env={**os.environ, "MOCHI_DATABASE_URL": f"sqlite:///{db}"},
        capture_output=True,
        text=True,
    )
    assert listing.returncode == 0, listing.stderr
    (row,) = json.loads(listing.stdout)["reviews"]
    assert (row["repository"], row["pr_number"], row["status"]) == (REPO, 7, "COMPLETED")
    # every recorded finding says where it was posted: the inline comment, or the review's body
    shown = subprocess.run(
        [sys.executable, "-m", "mochi", "reviews", "comments", str(row["id"]), "--json"],
        env={**os.environ, "MOCHI_DATABASE_URL": f"sqlite:///{db}"},
        capture_output=True,
        text=True,
    )
    assert shown.returncode == 0, shown.stderr
    comments = json.loads(shown.stdout)["comments"]
    inline = [c for c in comments if c["path"] == PATH and c["line"] == 23]
    assert inline and inline[0]["posted_url"] == (
        f"https://github.com/{REPO}/pull/7#discussion_r{inline[0]['posted_comment_id']}"
    )
    assert all(c["posted_comment_id"] for c in comments), comments


@pytest.mark.slow
def test_a_resolved_thread_is_marked_resolved_in_the_next_prompt(tmp_path: Path, pr: dict[str, Any]) -> None:
    workspace = pr["repo"].path
    with FakeGitHub.start(workspace, REPO) as gh, FakeOllama.start() as ollama:
        gh.add_pull(7, base_ref="main", base_sha=pr["base"], head_sha=pr["head"])
        ollama.enqueue_chat(answer((PATH, 23, "`b` may be zero.")))
        first = run_ci(tmp_path, gh, ollama, "pull_request", pr_event(tmp_path, pr), workspace)
        assert first.returncode == 1, first.stderr
        gh.resolved.add(gh.review_comments[0]["id"])  # a reviewer resolves mochi's thread
        ollama.enqueue_chat(answer())
        # the same head: --no-cache, or the completed review's answers would be reused unasked
        second = run_ci(tmp_path, gh, ollama, "pull_request", pr_event(tmp_path, pr), workspace, "--no-cache")
        prompt = ollama.requests_to("/api/chat")[-1].body["messages"][-1]["content"]
    assert second.returncode in (0, 1), second.stderr
    assert gh.violations == []
    line = next(ln for ln in prompt.splitlines() if "`b` may be zero" in ln)
    assert f"{PATH}:23 [resolved], mochi:" in line
    assert "do not reopen the resolved ones" in prompt


@pytest.mark.slow
def test_a_failed_pull_request_review_can_be_retried_from_the_record(
    tmp_path: Path, pr: dict[str, Any]
) -> None:
    """The model is down in CI (exit 3, recorded FAILED); `mochi reviews retry ID` re-runs it in its row."""
    workspace = pr["repo"].path
    db = f"sqlite:///{tmp_path / 'record.db'}"
    with FakeGitHub.start(workspace, REPO) as gh, FakeOllama.start() as ollama:
        gh.add_pull(7, base_ref="main", base_sha=pr["base"], head_sha=pr["head"])
        ollama.enqueue_error("chat", 500, "model runner crashed")
        ollama.enqueue_error("chat", 500, "model runner crashed")
        ollama.enqueue_error("chat", 500, "model runner crashed")
        ollama.enqueue_error("chat", 500, "model runner crashed")
        failed = run_ci(
            tmp_path, gh, ollama, "pull_request", pr_event(tmp_path, pr), workspace,
            MOCHI_DATABASE_URL=db, MOCHI_PROVIDER="ollama", MOCHI_MAX_RETRIES="0",
        )  # fmt: skip
        assert failed.returncode == 3, failed.stderr
        env = {k: v for k, v in os.environ.items() if not k.startswith(("MOCHI_", "GITHUB_", "CI", "INPUT_"))}
        env.update(
            MOCHI_DATABASE_URL=db, GITHUB_TOKEN="ghs_secret_token_value", GITHUB_API_URL=gh.url,
            OLLAMA_HOST=ollama.url,
        )  # fmt: skip

        def mochi_cli(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [sys.executable, "-m", "mochi", *args], cwd=workspace, env=env, capture_output=True, text=True
            )

        (row,) = json.loads(mochi_cli("reviews", "list", "--all", "--json").stdout)["reviews"]
        assert row["status"] == "FAILED"
        ollama.enqueue_chat(answer((PATH, 23, "`b` may be zero.")))
        retried = mochi_cli("reviews", "retry", str(row["id"]))
        assert retried.returncode in (0, 1), retried.stderr
        shown = json.loads(mochi_cli("reviews", "show", str(row["id"]), "--json").stdout)["review"]
    assert (shown["status"], shown["attempts"]) == ("COMPLETED", 2)
    assert any("`b` may be zero" in c["body"] for c in gh.review_comments)
    assert len(json.loads(mochi_cli("reviews", "list", "--all", "--json").stdout)["reviews"]) == 1
