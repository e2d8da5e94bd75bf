"""A password inside a configured URL never reaches a message, a notice, a log line or `config show`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mochi.urls import mask_credentials
from tests.fakes.llm_servers import FakeOllama
from tests.gitrepo import GitRepo
from tests.test_cli import closed_port, mochi
from tests.test_cli_context import refund_branch  # noqa: F401  (a fixture)

PASSWORD = "s3cret-pw-0042"


def test_mask_credentials() -> None:
    assert mask_credentials(f"at https://bob:{PASSWORD}@jira.example.com/rest") == (
        "at https://****@jira.example.com/rest"
    )
    assert mask_credentials("postgresql://u:p@db:5432/x and http://ghp_TOKEN@h/") == (
        "postgresql://****@db:5432/x and http://****@h/"
    )
    assert mask_credentials("mail bob@example.com at https://jira.example.com") == (
        "mail bob@example.com at https://jira.example.com"
    )


def test_config_show_masks_the_password_in_a_url(tmp_path: Path) -> None:
    env = {
        "JIRA_URL": f"https://bob:{PASSWORD}@jira.example.com",
        "OLLAMA_HOST": f"http://u:{PASSWORD}@gpu:11434",
    }
    text = mochi("config", "show", cwd=tmp_path, env=env)
    as_json = mochi("config", "show", "--json", cwd=tmp_path, env=env)
    assert text.returncode == 0 and as_json.returncode == 0, text.stderr + as_json.stderr
    assert PASSWORD not in text.stdout + as_json.stdout
    shown = json.loads(as_json.stdout)["settings"]
    assert shown["jira_url"] == "https://****@jira.example.com"
    assert shown["ollama_host"] == "http://****@gpu:11434"


@pytest.mark.slow
def test_errors_notices_and_logs_never_show_the_password(refund_branch: GitRepo) -> None:  # noqa: F811
    jira = f"http://dev:{PASSWORD}@127.0.0.1:{closed_port()}"
    with FakeOllama.start() as ollama:
        env = {
            "JIRA_URL": jira,
            "JIRA_EMAIL": "dev@example.com",
            "JIRA_API_TOKEN": "t",
            "OLLAMA_HOST": ollama.url,
        }
        down = mochi("review", "--base", "main", "--format", "json", "-v", cwd=refund_branch.path, env=env)
    assert down.returncode == 0, down.stderr
    notices = json.loads(down.stdout)["notices"]
    assert any("Jira is not reachable" in n for n in notices)  # said, without the password
    assert PASSWORD not in down.stdout + down.stderr
    # the chosen provider at a URL with a password, not answering: exit 3, masked
    env = {"OLLAMA_HOST": f"http://u:{PASSWORD}@127.0.0.1:{closed_port()}", "MOCHI_PROVIDER": "ollama"}
    failed = mochi("review", "--base", "main", "-v", cwd=refund_branch.path, env=env)
    assert failed.returncode == 3, failed.stderr
    assert "****@127.0.0.1" in failed.stderr and PASSWORD not in failed.stdout + failed.stderr
