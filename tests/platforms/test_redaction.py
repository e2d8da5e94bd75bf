"""What reaches the model, and what is posted back, holds no secret: the PR's own texts, URLs with a
password, the middle of a key, and a model that echoes a secret it saw."""

from __future__ import annotations

import json
from pathlib import Path

from tests.fakes.github_server import FakeGitHub
from tests.fakes.llm_servers import FakeOllama
from tests.gitrepo import GitRepo
from tests.platforms.test_hosted_cli import REPO, run

TOKEN = "ghp_" + "Z3kq9Lx2Vb7Nc4Mw8Pr1Ts6Yh0Jd5Fg3Ke2A"  # GitHub's token shape (not a real one)
DB_PASSWORD = "Xk82-pq9Lm-secret"
KEY_HEAD = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC"
KEY_LINES = [(KEY_HEAD + chr(65 + i) * 13)[:64] for i in range(6)]


def _key(lines: list[str]) -> str:
    return "-----BEGIN PRIVATE KEY-----\n" + "\n".join(lines) + "\nAB==\n-----END PRIVATE KEY-----\n"


def _repo(tmp_path: Path) -> tuple[GitRepo, str, str]:
    repo = GitRepo(tmp_path / "app")
    repo.write("deploy/server.key", _key(KEY_LINES))
    repo.write("app/settings.py", "DEBUG = False\n")
    base = repo.commit("base")
    repo.run("checkout", "-q", "-b", "feature")
    edited = [*KEY_LINES[:2], KEY_LINES[2][:-1] + "Q", *KEY_LINES[3:]]  # a line in the middle of the key
    repo.write("deploy/server.key", _key(edited))
    repo.write(
        "app/settings.py", f'DEBUG = False\nDATABASE_URL = "postgresql://app:{DB_PASSWORD}@db:5432/app"\n'
    )
    head = repo.commit("settings")
    return repo, base, head


def test_nothing_secret_reaches_the_model_or_comes_back(tmp_path: Path) -> None:
    repo, base, head = _repo(tmp_path)
    echo = json.dumps(
        {
            "comments": [
                {
                    "file": "app/settings.py",
                    "line": 2,
                    "type": "bug",
                    "severity": "high",
                    "category": "security",
                    "message": f"The description's token {TOKEN} must not be used here.",
                    "suggestion": None,
                }
            ],
            "summary": {"overall_assessment": f"Rotate {TOKEN}.", "key_concerns": [], "recommendations": []},
        }
    )
    with FakeGitHub.start(repo.path, REPO) as gh, FakeOllama.start() as ollama:
        gh.add_pull(
            7,
            base_ref="main",
            base_sha=base,
            head_sha=head,
            title=f"Use {TOKEN} for the deploy",
            body=f"Deploy with\ntoken = {TOKEN}\n",
        )
        for _ in range(3):
            ollama.enqueue_chat(echo)
        env = {
            "GITHUB_TOKEN": "ghs_x",
            "GITHUB_API_URL": gh.url,
            "OLLAMA_HOST": ollama.url,
            "MOCHI_PROVIDER": "ollama",
        }
        result = run(env, "review", "--pr", f"{REPO}#7", cwd=repo.path)
        prompts = "\n".join(m["content"] for r in ollama.requests_to("/api/chat") for m in r.body["messages"])
        posted = json.dumps([gh.reviews, gh.review_comments, gh.issue_comments])
    assert result.exit_code == 0, result.output
    assert prompts and "app/settings.py" in prompts
    for secret in (TOKEN, DB_PASSWORD, *KEY_LINES[3:]):
        assert secret not in prompts, secret
    assert TOKEN not in posted and DB_PASSWORD not in posted
    assert "secret redacted by mochi" in posted
