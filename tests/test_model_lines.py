"""A model's line past the end of a modified file is no location (issue 13, item 5): the review reads
the file's length, so even a hunk in the middle of a long file cannot lend the line a place."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fakes.llm_servers import FakeOllama
from tests.gitrepo import GitRepo
from tests.test_cli import mochi


@pytest.mark.slow
def test_a_line_past_the_end_of_a_modified_file_is_file_level(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "r")
    body = "".join(f"    int f{i}() {{ return {i}; }}\n" for i in range(30))
    repo.write("src/App.java", "class App {\n" + body + "}\n")
    repo.commit("base")
    repo.write("src/App.java", "class App {\n" + body.replace("return 7;", "return 7 / 0;") + "}\n")
    answer = {
        "comments": [{"file": "src/App.java", "line": 420, "type": "bug", "severity": "high",
                      "category": "correctness", "message": "Division by zero always throws here."}],
        "summary": {"overall_assessment": "One arithmetic bug.", "key_concerns": [], "recommendations": []},
    }  # fmt: skip
    with FakeOllama.start(models={"qwen2.5-coder:7b": 32768}) as ollama:
        ollama.enqueue_chat(json.dumps(answer))
        env = {"OLLAMA_HOST": ollama.url}
        proc = mochi("review", "--format", "json", "--no-record", cwd=repo.path, env=env)
    assert proc.returncode == 0, proc.stderr
    (finding,) = [f for f in json.loads(proc.stdout)["findings"] if f["source"].startswith("llm:")]
    assert finding["line"] is None and finding["path"] == "src/App.java"
