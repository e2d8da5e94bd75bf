"""Inside GitHub Actions no text from others (the model, a server, the repository) can become a
workflow command (`::add-mask::`, `::error::`...) in anything mochi prints."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fakes.github_server import FakeGitHub
from tests.fakes.llm_servers import FakeOllama
from tests.gitrepo import GitRepo
from tests.platforms.test_hosted_cli import REPO, _actions_env, run

INJECTED = "Fine.\n::add-mask::leak\n  ::error file=a.py::pwned\n::set-output name=x::y"
MOCHI_OWN = ("::group::Sonar-Mochi", "::endgroup::", "::notice::Sonar-Mochi", "::warning::Sonar-Mochi")


def _hostile_answer(path: str, line: int) -> str:
    return json.dumps(
        {
            "comments": [
                {
                    "file": path,
                    "line": line,
                    "type": "bug",
                    "severity": "high",
                    "category": "correctness",
                    "message": INJECTED,
                    "suggestion": "::warning::suggested\n    return 0",
                }
            ],
            "summary": {"overall_assessment": INJECTED, "key_concerns": [INJECTED], "recommendations": []},
        }
    )


def _commands(*outputs: str) -> list[str]:
    return [ln.strip() for out in outputs for ln in out.splitlines() if ln.lstrip(" \t").startswith("::")]


@pytest.fixture
def change(tmp_path: Path) -> GitRepo:
    repo = GitRepo(tmp_path / "app")
    repo.write("src/calc.py", "def ratio(a, b):\n    return a\n")
    repo.commit("base")
    repo.run("checkout", "-q", "-b", "feature")
    repo.write("src/calc.py", "def ratio(a, b):\n    return a / b\n")
    repo.commit("divide")
    return repo


@pytest.mark.parametrize("fmt", ["text", "markdown", "junit", "json", "sarif"])
def test_review_output_in_actions_carries_no_workflow_command(change: GitRepo, fmt: str) -> None:
    with FakeOllama.start() as ollama:
        ollama.enqueue_chat(_hostile_answer("src/calc.py", 2))
        env = {"GITHUB_ACTIONS": "true", "OLLAMA_HOST": ollama.url, "MOCHI_PROVIDER": "ollama"}
        result = run(env, "review", "--base", "main", "--format", fmt, cwd=change.path)
    assert result.exit_code == 0, result.output
    assert "pwned" in result.stdout or fmt in ("json", "sarif")  # the text is there, inert
    assert _commands(result.stdout, result.stderr) == []


def test_a_servers_error_text_in_the_error_message_is_inert(change: GitRepo) -> None:
    with FakeOllama.start() as ollama:
        for _ in range(5):
            ollama.enqueue_error("chat", 500, "overloaded\n::add-mask::leak\n::error::pwned")
        env = {
            "GITHUB_ACTIONS": "true",
            "OLLAMA_HOST": ollama.url,
            "MOCHI_PROVIDER": "ollama",
            "MOCHI_MAX_RETRIES": "0",
        }
        result = run(env, "review", "--base", "main", cwd=change.path)
    assert result.exit_code == 3, result.output
    assert _commands(result.stdout, result.stderr) == []


def test_mochi_ci_dry_run_prints_only_mochis_own_commands(change: GitRepo) -> None:
    base = change.run("rev-parse", "main").strip()
    head = change.run("rev-parse", "feature").strip()
    with FakeGitHub.start(change.path, REPO) as gh, FakeOllama.start() as ollama:
        gh.add_pull(7, base_ref="main", base_sha=base, head_sha=head)
        ollama.enqueue_chat(_hostile_answer("src/calc.py", 2))
        env = _actions_env(gh, change, base, head, OLLAMA_HOST=ollama.url, MOCHI_PROVIDER="ollama")
        result = run(env, "ci", "--dry-run", cwd=change.path)
    assert result.exit_code == 0, result.output
    assert "would post this review" in result.stdout
    commands = _commands(result.stdout, result.stderr)
    assert commands and all(c.startswith(MOCHI_OWN) for c in commands), commands
