"""`mochi doctor` masks secret values, but not a placeholder such as `OPENAI_API_KEY=none` (a local
server's key) wherever the word appears."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_cli import mochi


@pytest.mark.slow
def test_a_placeholder_key_does_not_garble_the_lines(tmp_path: Path) -> None:
    env = {"MOCHI_PROVIDER": "builtin", "OPENAI_API_KEY": "none", "JIRA_API_TOKEN": "s3cr3t-jira-token-0042",
           "JIRA_URL": "http://127.0.0.1:9", "JIRA_EMAIL": "dev@example.com"}  # fmt: skip
    run = mochi("doctor", "--no-prompt", cwd=tmp_path, env=env)
    assert "none configured" in run.stdout, run.stdout
    assert "s3cr3t-jira-token-0042" not in run.stdout + run.stderr
