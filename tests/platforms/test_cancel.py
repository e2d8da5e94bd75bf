"""A cancelled job (SIGTERM, as GitHub and GitLab send it) closes the check run and records FAILED."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.fakes.github_server import FakeGitHub
from tests.fakes.llm_servers import FakeOllama
from tests.gitrepo import GitRepo
from tests.platforms.test_hosted_cli import REPO, _actions_env

ROOT = Path(__file__).resolve().parents[2]


def _divide(tmp_path: Path) -> tuple[GitRepo, str, str]:
    """A pull request that turns `return a` into `return a / b`."""
    repo = GitRepo(tmp_path / "app")
    repo.write("src/calc.py", "def ratio(a, b):\n    return a\n")
    base = repo.commit("base")
    repo.run("checkout", "-q", "-b", "feature")
    repo.write("src/calc.py", "def ratio(a, b):\n    return a / b\n")
    head = repo.commit("divide")
    return repo, base, head


@pytest.mark.slow
def test_sigterm_mid_review_closes_the_check_run_and_marks_the_record_failed(tmp_path: Path) -> None:
    repo, base, head = _divide(tmp_path)
    database = f"sqlite:///{tmp_path / 'record.db'}"
    with FakeGitHub.start(repo.path, REPO) as gh, FakeOllama.start() as ollama:
        gh.add_pull(7, base_ref="main", base_sha=base, head_sha=head)
        ollama.enqueue_chat('{"comments": []}', delay=60)  # a slow model: the job is cancelled meanwhile
        env = {k: v for k, v in os.environ.items() if not k.startswith(("MOCHI_", "GITHUB_", "CI", "GITLAB"))}
        env.pop("JENKINS_URL", None)
        env.update(
            _actions_env(gh, repo, base, head, OLLAMA_HOST=ollama.url, MOCHI_PROVIDER="ollama"),
            MOCHI_DATABASE_URL=database,
            PYTHONPATH=str(ROOT),
        )
        proc = subprocess.Popen(
            [sys.executable, "-m", "mochi", "ci"],
            cwd=repo.path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 30
        while not ollama.requests_to("/api/chat") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert ollama.requests_to("/api/chat"), "the review never reached the model"
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=30)
        took = time.monotonic() - started
        (check,) = gh.check_runs.values()
    assert proc.returncode == 143, err
    assert took < 10  # it did not wait for the model call in flight
    assert check["status"] == "completed" and check["conclusion"] == "failure"
    listed = subprocess.run(
        [sys.executable, "-m", "mochi", "reviews", "list", "--all", "--json"],
        env={**env, "GITHUB_ACTIONS": ""},
        capture_output=True,
        text=True,
        timeout=60,
    )
    (row,) = json.loads(listed.stdout)["reviews"]
    assert row["status"] == "FAILED", listed.stdout


@pytest.mark.slow
def test_two_runs_on_one_pull_request_at_once_post_each_finding_and_the_summary_once(tmp_path: Path) -> None:
    """Two pushes in a row: the first run is still waiting for its model when the second posts."""
    repo, base, head = _divide(tmp_path)
    answer = json.dumps(
        {
            "comments": [
                {
                    "file": "src/calc.py",
                    "line": 2,
                    "type": "bug",
                    "severity": "high",
                    "message": "b may be 0.",
                }
            ],
            "summary": {"overall_assessment": "One risk.", "key_concerns": [], "recommendations": []},
        }
    )
    with FakeGitHub.start(repo.path, REPO) as gh, FakeOllama.start() as ollama:
        gh.add_pull(7, base_ref="main", base_sha=base, head_sha=head)
        ollama.enqueue_chat(answer, delay=4)  # the first run's model is slow
        ollama.enqueue_chat(answer)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("MOCHI_", "GITHUB_", "CI", "GITLAB"))}
        env.pop("JENKINS_URL", None)
        env.update(
            _actions_env(gh, repo, base, head, OLLAMA_HOST=ollama.url, MOCHI_PROVIDER="ollama"),
            MOCHI_RECORD="false",
            PYTHONPATH=str(ROOT),
        )

        def start() -> subprocess.Popen[str]:
            return subprocess.Popen(
                [sys.executable, "-m", "mochi", "ci"], cwd=repo.path, env=env, text=True,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            )  # fmt: skip

        first = start()
        deadline = time.monotonic() + 30
        while not ollama.requests_to("/api/chat") and time.monotonic() < deadline:
            time.sleep(0.05)
        second = start()
        results = [p.communicate(timeout=60) for p in (second, first)]
        comments, summaries = list(gh.review_comments), list(gh.issue_comments)
    assert second.returncode == 0 and first.returncode == 0, results
    assert [(c["path"], c["line"]) for c in comments] == [("src/calc.py", 2)]
    assert len(summaries) == 1
