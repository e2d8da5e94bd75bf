"""The provider's word reaches the review (issue 13): a finish reason of "length" flags the answer as
cut off even when its JSON looks complete, and an assumed context window is a notice in the JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fakes.hosted_servers import FakeOpenAI
from tests.gitrepo import GitRepo
from tests.test_cli import mochi

KEY = "sk-test-0123456789abcdef"


@pytest.mark.slow
def test_a_length_finish_and_an_assumed_window_are_notices(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "r")
    repo.write("src/App.java", "class App {\n    int f() { return 1; }\n}\n")
    repo.commit("base")
    repo.write("src/App.java", "class App {\n    int f() { return 1 / 0; }\n}\n")
    answer = {
        "comments": [{"file": "src/App.java", "line": 2, "type": "bug", "severity": "high",
                      "category": "correctness", "message": "Dividing by zero always throws here."}],
        "summary": {"overall_assessment": "One bug.", "key_concerns": [], "recommendations": []},
    }  # fmt: skip
    with FakeOpenAI.start(api_key=KEY) as fake:
        fake.enqueue_chat(json.dumps(answer), finish_reason="length")
        env = {"MOCHI_PROVIDER": "openai", "MOCHI_MODEL": "local-coder", "OPENAI_BASE_URL": fake.url,
               "OPENAI_API_KEY": KEY, "MOCHI_MAX_RETRIES": "0"}  # fmt: skip
        proc = mochi("review", "--format", "json", "--no-record", cwd=repo.path, env=env)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    notices = " | ".join(doc["notices"])
    assert "cut off" in notices, notices
    assert "8,192" in notices or "assum" in notices, notices  # the window the server did not tell
