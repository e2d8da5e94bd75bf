"""Broken model answers, end to end: fenced or damaged JSON is repaired; garbage gets one retry."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fakes.llm_servers import FakeOllama
from tests.gitrepo import GitRepo
from tests.test_cli import mochi, review_answer


@pytest.fixture
def change(tmp_path: Path) -> GitRepo:
    repo = GitRepo(tmp_path / "r")
    repo.write("calc.py", "def ratio(a, b):\n    return a\n")
    repo.commit("base")
    repo.write("calc.py", "def ratio(a, b):\n    return a / b\n")
    return repo


def run(change: GitRepo, *answers: str) -> tuple[int, dict[str, object], list[object], str]:
    with FakeOllama.start(models={"qwen2.5-coder:7b": 32768}) as ollama:
        for answer in answers:
            ollama.enqueue_chat(answer)
        proc = mochi("review", "--format", "json", cwd=change.path, env={"OLLAMA_HOST": ollama.url})
        chats = [r.body for r in ollama.requests_to("/api/chat")]
    out = json.loads(proc.stdout) if proc.stdout else {}
    return proc.returncode, out, chats, proc.stderr


@pytest.mark.slow
def test_a_fenced_answer_with_prose_and_a_trailing_comma_is_repaired(change: GitRepo) -> None:
    body = review_answer("calc.py", 2, "b may be zero.")
    damaged = "Here is my review:\n```json\n" + body[:-1] + ",}\n```\nHope this helps!"
    code, out, chats, err = run(change, damaged)
    assert code == 0, err
    assert len(chats) == 1
    assert [(f["path"], f["line"]) for f in out["findings"]] == [("calc.py", 2)]  # type: ignore[index]


@pytest.mark.slow
def test_garbage_gets_one_retry_that_asks_for_valid_json(change: GitRepo) -> None:
    code, out, chats, err = run(
        change, "I think the code is fine, no JSON for you.", review_answer("calc.py", 2, "zero")
    )
    assert code == 0, err
    assert len(chats) == 2
    retry_prompt = json.dumps(chats[1])
    assert "JSON" in retry_prompt and "no JSON for you" in retry_prompt
    assert out["stats"]["llm_calls"] == 2  # type: ignore[index]
    assert [f["line"] for f in out["findings"]] == [2]  # type: ignore[index]


@pytest.mark.slow
def test_garbage_twice_is_a_provider_failure_with_exit_3_when_the_provider_was_chosen(
    change: GitRepo,
) -> None:
    with FakeOllama.start(models={"qwen2.5-coder:7b": 32768}) as ollama:
        ollama.enqueue_chat("no")
        ollama.enqueue_chat("still no")
        proc = mochi("review", "--provider", "ollama", cwd=change.path, env={"OLLAMA_HOST": ollama.url})
    assert proc.returncode == 3
    assert "not valid review JSON" in proc.stderr
