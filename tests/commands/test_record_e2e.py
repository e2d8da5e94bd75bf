"""`mochi review` records what it did, as a user sees it: real processes, a real git repository,
Ollama on loopback, and the database given by MOCHI_DATABASE_URL (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from mochi.store.db import make_engine
from tests.fakes.llm_servers import FakeOllama
from tests.gitrepo import GitRepo
from tests.test_cli import closed_port, mochi, review_answer


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The management commands in-process (they are fast; `mochi review` runs as a real process)."""
    from click.testing import CliRunner

    from mochi.cli import main

    result = CliRunner().invoke(main, list(args), env={"MOCHI_DATA_DIR": "/nonexistent", **env})
    return subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)


APP = "src/main/java/App.java"


@pytest.fixture
def change(tmp_path: Path) -> GitRepo:
    repo = GitRepo(tmp_path / "svc")
    head = "package app;\n\npublic class App {\n    public int total(int a, int b) {\n"
    head += "        return a + b;\n    }\n"
    repo.write(APP, head + "}\n")
    repo.commit("base")
    repo.write(APP, head + "\n    public int ratio(int a, int b) {\n        return a / b;\n    }\n}\n")
    return repo


def _json(proc: subprocess.CompletedProcess[str]) -> dict:  # type: ignore[type-arg]
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)  # type: ignore[no-any-return]


@pytest.mark.slow
def test_a_review_is_recorded_and_reviews_list_and_show_display_it(change: GitRepo, db_url: str) -> None:
    env = {"MOCHI_DATABASE_URL": db_url}
    with FakeOllama.start() as ollama:
        ollama.enqueue_chat(
            review_answer(APP, 9, "`b` may be zero: ArithmeticException."),
            prompt_eval_count=812,
            eval_count=96,
        )
        proc = mochi("review", "--format", "json", cwd=change.path, env={**env, "OLLAMA_HOST": ollama.url})
    assert "`b` may be zero" in json.dumps(_json(proc)["findings"])
    [listed] = _json(cli("reviews", "list", "--all", "--json", env=env))["reviews"]
    assert listed["status"] == "COMPLETED" and listed["repository"] == str(change.path)
    assert (listed["provider"], listed["model"]) == ("ollama", "qwen2.5-coder:7b")
    assert (listed["review_type"], listed["repo_path"], listed["ai_model"]) == (
        "LOCAL",
        str(change.path),
        "ollama/qwen2.5-coder:7b",
    )
    assert listed["head_commit"] and listed["github_owner"] is None
    assert (listed["prompt_tokens"], listed["completion_tokens"]) == (812, 96)
    shown = cli("reviews", "show", str(listed["id"]), env=env)
    assert shown.returncode == 0, shown.stderr
    assert "COMPLETED" in shown.stdout and "`b` may be zero: ArithmeticException." in shown.stdout
    assert f"{APP}:9" in shown.stdout
    review = _json(cli("reviews", "show", str(listed["id"]), "--json", env=env))["review"]
    assert [h["action"] for h in review["history"]] == ["CREATED", "STARTED", "COMPLETED"]
    assert any(c["source"].startswith("llm:ollama") and c["line_number"] == 9 for c in review["comments"])


@pytest.mark.postgres
@pytest.mark.slow
def test_two_reviews_at_once_on_one_postgresql_do_not_conflict(change: GitRepo, pg_url: str) -> None:
    with FakeOllama.start() as ollama:
        for _ in range(2):  # both wait in the model call at the same time
            ollama.enqueue_chat(review_answer(APP, 9, "`b` may be zero."), delay=0.5)
        env = {"MOCHI_DATABASE_URL": pg_url, "OLLAMA_HOST": ollama.url}
        base = {k: v for k, v in os.environ.items() if not k.startswith(("MOCHI_", "CI"))}
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "mochi", "review", "--format", "json"],
                cwd=change.path,
                env={**base, **env},
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        outs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err for _, err in outs]
    assert all("warning" not in err.lower() for _, err in outs), outs
    rows = _json(cli("reviews", "list", "--all", "--json", env={"MOCHI_DATABASE_URL": pg_url}))["reviews"]
    assert len({r["id"] for r in rows}) == 2 and {r["status"] for r in rows} == {"COMPLETED"}
    assert all(r["findings_count"] >= 1 for r in rows)


@pytest.mark.slow
def test_a_database_that_is_down_costs_a_warning_and_the_review_still_completes(change: GitRepo) -> None:
    url = f"postgresql+psycopg://postgres:pw@127.0.0.1:{closed_port()}/mochi"
    proc = mochi(
        "review",
        "--provider",
        "builtin",
        "--format",
        "json",
        cwd=change.path,
        env={"MOCHI_DATABASE_URL": url},
    )
    assert proc.returncode == 0, proc.stderr
    assert "review goes on without the record" in proc.stderr and "pw@" not in proc.stderr
    assert json.loads(proc.stdout)["version"] == 1


@pytest.mark.postgres
@pytest.mark.slow
def test_a_crashed_review_is_left_in_progress_and_retry_completes_it(change: GitRepo, pg_url: str) -> None:
    env = {"MOCHI_DATABASE_URL": pg_url}
    engine = make_engine(pg_url)
    with FakeOllama.start() as ollama:
        ollama.enqueue_chat(review_answer(APP, 9, "slow answer"), delay=30)
        base = {k: v for k, v in os.environ.items() if not k.startswith(("MOCHI_", "CI"))}
        proc = subprocess.Popen(
            [sys.executable, "-m", "mochi", "review"],
            cwd=change.path,
            env={**base, **env, "OLLAMA_HOST": ollama.url},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not ollama.requests_to("/api/chat"):
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)  # a crash: nothing gets to clean up
        proc.wait(timeout=10)
        with engine.connect() as conn:
            review_id, status = conn.execute(text("SELECT id, status FROM reviews")).one()
        assert status == "IN_PROGRESS"
        ollama.enqueue_chat(review_answer(APP, 9, "`b` may be zero."))
        retried = mochi(
            "reviews", "retry", str(review_id), "--format", "json", env={**env, "OLLAMA_HOST": ollama.url}
        )
    assert retried.returncode == 0, retried.stderr
    assert "`b` may be zero." in retried.stdout
    data = _json(cli("reviews", "show", str(review_id), "--json", env=env))["review"]
    assert (data["status"], data["attempts"]) == ("COMPLETED", 2)
    assert [h["action"] for h in data["history"]] == ["CREATED", "STARTED", "STARTED", "COMPLETED"]


@pytest.mark.slow
def test_the_default_model_and_a_stored_template_are_used(change: GitRepo, tmp_path: Path) -> None:
    env = {"MOCHI_DATABASE_URL": f"sqlite:///{tmp_path / 'record.db'}"}
    with FakeOllama.start(models={"team-coder:1b": 32768, "qwen2.5-coder:7b": 32768}) as ollama:
        assert (
            mochi(
                "models",
                "add",
                "team",
                "--provider",
                "ollama",
                "--model",
                "team-coder:1b",
                "--base-url",
                ollama.url,
                "--default",
                env=env,
            ).returncode
            == 0
        )
        added = mochi(
            "templates",
            "add",
            "java-team",
            "--language",
            "java",
            "--content",
            "TEAM-JAVA-RULES for {{ language }}",
            env=env,
        )
        assert added.returncode == 0, added.stderr
        assert _json(mochi("review", "--format", "json", cwd=change.path, env=env))["version"] == 1
        # a flag wins over the default model (and the template still applies)
        flagged = mochi(
            "review",
            "--model",
            "qwen2.5-coder:7b",
            "--format",
            "json",
            cwd=change.path,
            env={**env, "OLLAMA_HOST": ollama.url},
        )
        assert flagged.returncode == 0, flagged.stderr
        chats = ollama.requests_to("/api/chat")
    assert [c.body["model"] for c in chats] == ["team-coder:1b", "qwen2.5-coder:7b"]
    user = chats[0].body["messages"][-1]["content"]
    assert "TEAM-JAVA-RULES for java" in user
    # `mochi prompt` shows exactly that prompt: the stored template, and no row is recorded for it
    before = _json(mochi("reviews", "list", "--all", "--json", env=env))["reviews"]
    shown = mochi("prompt", cwd=change.path, env=env)
    assert shown.returncode == 0, shown.stderr
    assert "TEAM-JAVA-RULES for java" in shown.stdout
    assert _json(mochi("reviews", "list", "--all", "--json", env=env))["reviews"] == before


@pytest.mark.slow
def test_no_record_and_ci_without_a_url_write_nothing(change: GitRepo, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    proc = mochi(
        "review",
        "--provider",
        "builtin",
        "--no-record",
        cwd=change.path,
        env={"MOCHI_DATA_DIR": str(data_dir)},
    )
    assert proc.returncode == 0, proc.stderr
    assert not data_dir.exists()
    proc = mochi(
        "review",
        "--provider",
        "builtin",
        cwd=change.path,
        env={"MOCHI_DATA_DIR": str(data_dir), "CI": "true"},
    )
    assert proc.returncode == 0, proc.stderr
    assert not data_dir.exists()
    proc = mochi("review", "--provider", "builtin", cwd=change.path, env={"MOCHI_DATA_DIR": str(data_dir)})
    assert proc.returncode == 0, proc.stderr
    assert (data_dir / "mochi.db").is_file()  # locally, by default, with nothing to set up
    listed = _json(cli("reviews", "list", "--all", "--json", env={"MOCHI_DATA_DIR": str(data_dir)}))[
        "reviews"
    ]
    assert [r["status"] for r in listed] == ["COMPLETED"]


@pytest.mark.slow
def test_reviews_list_shows_this_checkouts_reviews_unless_all(change: GitRepo, tmp_path: Path) -> None:
    env = {"MOCHI_DATABASE_URL": f"sqlite:///{tmp_path / 'record.db'}"}
    proc = mochi("review", "--provider", "builtin", "--format", "json", cwd=change.path, env=env)
    assert proc.returncode == 0, proc.stderr
    other = GitRepo(tmp_path / "other")
    other.write("README.md", "other\n")
    other.commit("base")
    here = json.loads(mochi("reviews", "list", "--json", cwd=change.path / "src", env=env).stdout)["reviews"]
    there = mochi("reviews", "list", cwd=other.path, env=env)
    every = json.loads(mochi("reviews", "list", "--all", "--json", cwd=other.path, env=env).stdout)["reviews"]
    assert [r["repository"] for r in here] == [str(change.path)]
    assert there.returncode == 0 and f"no recorded reviews of {other.path} (--all" in there.stdout
    assert [r["repository"] for r in every] == [str(change.path)]
