"""`mochi ci` in a GitLab merge request pipeline: detection, review, discussions, incremental pushes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mochi.commands.ci import run_ci as other_ci
from mochi.errors import ConfigError
from tests.fakes.gitlab_server import FakeGitLab, entries_from_git
from tests.fakes.llm_servers import FakeOllama
from tests.gitlab_scenario import IID, Scenario, make_repo, serve

MODEL = {"qwen2.5-coder:7b": 32768}


def answer(*comments: tuple[str, int, str]) -> str:
    return json.dumps(
        {
            "comments": [
                {
                    "file": p,
                    "line": n,
                    "type": "bug",
                    "severity": "high",
                    "category": "correctness",
                    "message": m,
                }
                for p, n, m in comments
            ],
            "summary": {"overall_assessment": "Looked at it.", "key_concerns": [], "recommendations": []},
        }
    )


def gitlab_env(gl: FakeGitLab, s: Scenario, head: str, ollama: FakeOllama, **extra: str) -> dict[str, str]:
    env = {
        "GITLAB_CI": "true",
        "CI": "true",
        "CI_SERVER_URL": gl.url,
        "CI_API_V4_URL": gl.url + "/api/v4",
        "CI_PROJECT_ID": gl.project_id,
        "CI_PROJECT_PATH": "group/app",
        "CI_PROJECT_DIR": str(s.repo.path),
        "CI_COMMIT_SHA": head,
        "CI_MERGE_REQUEST_IID": str(IID),
        "CI_MERGE_REQUEST_DIFF_BASE_SHA": s.base,
        "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main",
        "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": "feature",
        "CI_JOB_TOKEN": "job-token-value",
        "GITLAB_TOKEN": gl.token,
        "OLLAMA_HOST": ollama.url,
        "MOCHI_BUILTIN": "false",
    }
    env.update(extra)
    return env


@pytest.fixture
def scenario(tmp_path: Path) -> Scenario:
    return make_repo(tmp_path / "repo")


def _mochi_notes(gl: FakeGitLab) -> list[dict[str, object]]:
    return gl.diff_notes(IID)


def test_merge_request_review_then_an_incremental_push_then_a_rerun(
    scenario: Scenario, capsys: pytest.CaptureFixture[str]
) -> None:
    s = scenario
    with FakeGitLab.start() as gl, FakeOllama.start(models=MODEL) as ollama:
        serve(gl, s)
        ollama.enqueue_chat(answer(("src/App.java", 5, "total now subtracts.")))
        assert other_ci({}, gitlab_env(gl, s, s.head, ollama)) == 0
        assert [n["position"]["new_line"] for n in _mochi_notes(gl)] == [5]
        summary = [n for n in gl.notes(IID) if n["type"] is None]
        assert len(summary) == 1 and f"head={s.head}" in summary[0]["body"]
        report = json.loads((s.repo.path / "gl-code-quality-report.json").read_text())
        assert [(i["location"]["path"], i["location"]["lines"]["begin"]) for i in report] == [
            ("src/App.java", 5)
        ]

        # a push: only what changed since the reviewed head goes to the model
        s.repo.write("src/Extra.java", "class Extra {\n    int x = 1 / 0;\n}\n")
        head2 = s.repo.commit("extra")
        gl.push_version(
            IID, base=s.base, start=s.base, head=head2, entries=entries_from_git(s.repo, s.base, head2)
        )
        ollama.enqueue_chat(answer(("src/Extra.java", 2, "Division by zero.")))
        assert other_ci({}, gitlab_env(gl, s, head2, ollama)) == 0
        prompt = ollama.requests_to("/api/chat")[-1].body["messages"][-1]["content"]
        assert "Extra.java" in prompt and "int ratio" not in prompt
        notes = _mochi_notes(gl)
        assert [(n["position"]["new_path"], n["position"]["head_sha"]) for n in notes] == [
            ("src/App.java", s.head),
            ("src/Extra.java", head2),
        ]
        summary = [n for n in gl.notes(IID) if n["type"] is None]
        assert len(summary) == 1 and f"head={head2}" in summary[0]["body"]
        assert f"changes pushed since `{s.head[:12]}`" in summary[0]["body"]

        # the same pipeline again (a retried job): the model's answers of that head come back from the
        # summary note (mochi.llm_replay), so the model is not asked again and nothing is posted twice
        calls = len(ollama.requests_to("/api/chat"))
        assert other_ci({}, gitlab_env(gl, s, head2, ollama)) == 0
        assert len(ollama.requests_to("/api/chat")) == calls
        assert len(_mochi_notes(gl)) == 2 and len(gl.notes(IID)) == 3
        summary = [n for n in gl.notes(IID) if n["type"] is None]
        assert "mochi:answers=" in summary[0]["body"]
        assert gl.rejected_positions == []
    assert "posted 0 discussion(s)" in capsys.readouterr().err


def test_ci_job_token_cannot_post_and_the_error_says_which_token_to_create(scenario: Scenario) -> None:
    with FakeGitLab.start() as gl, FakeOllama.start(models=MODEL) as ollama:
        serve(gl, scenario)
        env = gitlab_env(gl, scenario, scenario.head, ollama)
        del env["GITLAB_TOKEN"]
        with pytest.raises(ConfigError) as info:
            other_ci({}, env)
        env["GITLAB_TOKEN"] = env["CI_JOB_TOKEN"]  # `GITLAB_TOKEN: $CI_JOB_TOKEN` is the same refusal
        with pytest.raises(ConfigError) as again:
            other_ci({}, env)
    for exc in (info.value, again.value):
        assert "CI_JOB_TOKEN cannot post" in str(exc)
        assert "project access token" in str(exc) and "`api` scope" in str(exc) and "GITLAB_TOKEN" in str(exc)
        assert "job-token-value" not in str(exc)
    assert gl.requests == []


def test_a_branch_pipeline_writes_code_quality_and_posts_nothing(scenario: Scenario) -> None:
    s = scenario
    with FakeGitLab.start() as gl, FakeOllama.start(models=MODEL) as ollama:
        ollama.enqueue_chat(answer(("src/App.java", 8, "b may be zero.")))
        env = gitlab_env(gl, s, s.head, ollama, CI_COMMIT_BEFORE_SHA=s.base, CI_COMMIT_BRANCH="feature")
        for name in ("CI_MERGE_REQUEST_IID", "CI_MERGE_REQUEST_DIFF_BASE_SHA", "GITLAB_TOKEN"):
            del env[name]
        assert other_ci({}, env) == 0
    report = json.loads((s.repo.path / "gl-code-quality-report.json").read_text())
    assert [(i["location"]["path"], i["location"]["lines"]["begin"], i["severity"]) for i in report] == [
        ("src/App.java", 8, "critical")
    ]
    assert gl.requests == []


@pytest.mark.slow
def test_mochi_ci_as_a_process_dispatches_to_gitlab(scenario: Scenario, tmp_path: Path) -> None:
    """The real command line: `mochi ci` in a GitLab MR pipeline posts a discussion and a note."""
    import os
    import subprocess
    import sys

    s = scenario
    with FakeGitLab.start() as gl, FakeOllama.start(models=MODEL) as ollama:
        serve(gl, s)
        ollama.enqueue_chat(answer(("src/App.java", 5, "total now subtracts.")))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "MOCHI_", "CHANGE_"))}
        db = f"sqlite:///{tmp_path / 'record.db'}"
        env.update(
            gitlab_env(gl, s, s.head, ollama), MOCHI_DATA_DIR=str(tmp_path / "data"), MOCHI_DATABASE_URL=db
        )
        proc = subprocess.run(
            [sys.executable, "-m", "mochi", "ci"], cwd=s.repo.path, env=env, capture_output=True, text=True
        )
        assert proc.returncode == 0, proc.stderr
        notes = _mochi_notes(gl)
        assert [n["position"]["new_line"] for n in notes] == [5]
        assert len([n for n in gl.notes(IID) if n["type"] is None]) == 1
    assert "job-token-value" not in proc.stdout + proc.stderr
    assert gl.token not in proc.stdout + proc.stderr
    # the run is in the record, with the note each finding was posted as
    listed = subprocess.run(
        [sys.executable, "-m", "mochi", "reviews", "list", "--all", "--json"],
        env=env,
        capture_output=True,
        text=True,
    )
    (row,) = json.loads(listed.stdout)["reviews"]
    assert (row["pr_number"], row["status"]) == (IID, "COMPLETED")
    shown = subprocess.run(
        [sys.executable, "-m", "mochi", "reviews", "comments", str(row["id"]), "--json"],
        env=env, capture_output=True, text=True,
    )  # fmt: skip
    posted = {c["line"]: c["posted_comment_id"] for c in json.loads(shown.stdout)["comments"]}
    assert posted[5] == str(notes[0]["id"])
