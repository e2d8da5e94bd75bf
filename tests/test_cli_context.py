"""`mochi` with the issue-5 context, as a user runs it: Jira on loopback, path instructions, history.

The ticket key is only in the branch name; Jira answers in the Cloud v3 (ADF) format.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.jira_server import FakeJira, adf_bullets, adf_doc, adf_heading, adf_paragraph, cloud_issue
from tests.fakes.llm_servers import FakeOllama
from tests.gitrepo import GitRepo
from tests.test_cli import closed_port, mochi

TOKEN = "atl-" + "api-token-xyz"
CRITERIA = ("A refund never exceeds the captured amount", "Every refund is written to the audit log")


@pytest.fixture
def refund_branch(tmp_path: Path) -> GitRepo:
    repo = GitRepo(tmp_path / "pay")
    repo.write("src/main/java/pay/Refunds.java", "package pay;\n\npublic class Refunds {\n}\n")
    repo.write(
        "src/main/java/pay/Ledger.java",
        "package pay;\n\npublic class Ledger {\n    public void record(long cents) { }\n}\n",
    )
    repo.write(
        ".mochi.toml",
        '[[path_instructions]]\npath = "src/main/java/**"\ninstructions = "Money is long cents."\n',
    )
    repo.commit("base")
    repo.checkout("-b", "feature/PAY-142-refunds")
    repo.write(
        "src/main/java/pay/Refunds.java",
        "package pay;\n\nimport pay.Ledger;\n\npublic class Refunds {\n"
        "    public long refund(long captured, long amount) {\n        return amount;\n    }\n}\n",
    )
    repo.commit("Refund endpoint")
    return repo


def _jira() -> Any:
    return FakeJira.start(version="3", email="dev@example.com", api_token=TOKEN)


def _issue() -> dict[str, object]:
    return cloud_issue(
        "PAY-142",
        "Refunds for card payments",
        adf_doc(
            adf_paragraph("Customers get their money back."),
            adf_heading("Acceptance criteria"),
            adf_bullets(*CRITERIA),
        ),
    )


def _env(jira_url: str, **extra: str) -> dict[str, str]:
    return {"JIRA_URL": jira_url, "JIRA_EMAIL": "dev@example.com", "JIRA_API_TOKEN": TOKEN, **extra}


@pytest.mark.slow
def test_prompt_shows_the_branch_tickets_criteria_and_path_instructions(refund_branch: GitRepo) -> None:
    with _jira() as jira:
        jira.add(_issue())
        proc = mochi("prompt", "--base", "main", cwd=refund_branch.path, env=_env(jira.url))
    assert proc.returncode == 0, proc.stderr
    assert "PAY-142: Refunds for card payments" in proc.stdout
    assert all(f"- {c}" in proc.stdout for c in CRITERIA)
    assert "ticket_compliance" in proc.stdout
    assert "Money is long cents." in proc.stdout
    assert "public void record(long cents)" in proc.stdout  # the imported Ledger's signature
    assert TOKEN not in proc.stdout + proc.stderr


@pytest.mark.slow
def test_review_shows_the_compliance_table(refund_branch: GitRepo, tmp_path: Path) -> None:
    answer = {
        "comments": [],
        "summary": {
            "overall_assessment": "Refunds are not capped.",
            "key_concerns": [],
            "recommendations": [],
        },
        "ticket_compliance": [
            {
                "ticket": "PAY-142",
                "criterion": CRITERIA[0],
                "status": "not_met",
                "reason": "refund() returns the requested amount without comparing it to captured.",
            },
        ],
    }
    with _jira() as jira, FakeOllama.start() as ollama:
        jira.add(_issue())
        ollama.enqueue_chat(json.dumps(answer))
        md = tmp_path / "review.md"
        proc = mochi(
            "review",
            "--base",
            "main",
            "--format",
            "json",
            "--output",
            f"markdown={md}",
            cwd=refund_branch.path,
            env=_env(jira.url, OLLAMA_HOST=ollama.url),
        )
        schema = ollama.requests_to("/api/chat")[0].body["format"]
    assert proc.returncode == 0, proc.stderr
    assert "ticket_compliance" in schema["required"]
    rows = json.loads(proc.stdout)["summary"]["ticket_compliance"]
    assert [(r["criterion"], r["status"]) for r in rows] == [
        (CRITERIA[0], "not_met"),
        (CRITERIA[1], "unclear"),
    ]
    markdown = md.read_text()
    assert "| Ticket | Criterion | Verdict | Reason |" in markdown and "❌ not met" in markdown
    with _jira() as jira, FakeOllama.start() as ollama:
        jira.add(_issue())
        ollama.enqueue_chat(json.dumps(answer))
        text = mochi(
            "review",
            "--base",
            "main",
            "--no-color",
            cwd=refund_branch.path,
            env=_env(jira.url, OLLAMA_HOST=ollama.url),
        ).stdout
    assert "Acceptance criteria:" in text and "not met" in text and CRITERIA[0] in text


@pytest.mark.slow
def test_jira_down_the_review_completes_with_a_warning(refund_branch: GitRepo) -> None:
    with FakeOllama.start() as ollama:
        env = _env(f"http://127.0.0.1:{closed_port()}", OLLAMA_HOST=ollama.url)
        proc = mochi("review", "--base", "main", "--format", "json", cwd=refund_branch.path, env=env)
        user = ollama.requests_to("/api/chat")[0].body["messages"][-1]["content"]
    assert proc.returncode == 0, proc.stderr
    notices = json.loads(proc.stdout)["notices"]
    assert any("Jira is not reachable" in n and "JIRA_URL" in n for n in notices)
    assert "PAY-142" not in user.split("## Diff")[0].split("Branch:")[0]  # no ticket section
    assert "## Tickets" not in user


@pytest.mark.slow
def test_a_stored_jira_integration_feeds_the_review(refund_branch: GitRepo, tmp_path: Path) -> None:
    """`mochi integrations set jira` once; later reviews find the ticket with no JIRA_* variables."""
    from cryptography.fernet import Fernet

    env = {
        "MOCHI_DATABASE_URL": f"sqlite:///{tmp_path / 'record.db'}",
        "MOCHI_SECRET_KEY": Fernet.generate_key().decode(),
    }
    with _jira() as jira:
        jira.add(_issue())
        stored = mochi(
            "integrations", "set", "jira", "--url", jira.url, "--email", "dev@example.com", "--token", "-",
            cwd=refund_branch.path, env=env, stdin=TOKEN + "\n",
        )  # fmt: skip
        assert stored.returncode == 0, stored.stderr
        proc = mochi("prompt", "--base", "main", cwd=refund_branch.path, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "PAY-142: Refunds for card payments" in proc.stdout
    assert all(f"- {c}" in proc.stdout for c in CRITERIA)
    assert TOKEN not in proc.stdout + proc.stderr


@pytest.mark.slow
def test_a_secret_pasted_into_a_ticket_never_reaches_the_model(refund_branch: GitRepo) -> None:
    key = "AKIA" + "Q3R7XN2PLM5KD8ZW"  # assembled: no credential-shaped literal in this file
    issue = cloud_issue(
        "PAY-142",
        "Refunds for card payments",
        adf_doc(
            adf_paragraph(f"Staging uses the access key {key} for the refund bucket."),
            adf_heading("Acceptance criteria"),
            adf_bullets(*CRITERIA),
        ),
    )
    with _jira() as jira:
        jira.add(issue)
        proc = mochi("prompt", "--base", "main", cwd=refund_branch.path, env=_env(jira.url))
    assert proc.returncode == 0, proc.stderr
    assert "PAY-142: Refunds for card payments" in proc.stdout
    assert key not in proc.stdout
    assert "[secret redacted by mochi]" in proc.stdout
    assert all(f"- {c}" in proc.stdout for c in CRITERIA)
