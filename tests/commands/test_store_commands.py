"""Every `mochi db|reviews|models|templates|integrations` command, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import text

from mochi.cli import main
from mochi.models import ReviewTarget, TargetKind
from mochi.settings import Settings
from mochi.store.db import make_engine, open_engine
from mochi.store.recorder import Recorder
from tests.commands.fake_services import FakeGitHubJira
from tests.fakes.llm_servers import FakeOllama

Mochi = Callable[..., Result]


@pytest.fixture
def key() -> str:
    return Fernet.generate_key().decode()


@pytest.fixture
def mochi(db_url: str, key: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Mochi:
    monkeypatch.chdir(tmp_path)  # no .mochi.toml of this repository applies

    def run(*args: str, code: int = 0, env: dict[str, str] | None = None, stdin: str | None = None) -> Result:
        base = {
            "MOCHI_DATABASE_URL": db_url,
            "MOCHI_SECRET_KEY": key,
            "MOCHI_DATA_DIR": str(tmp_path / "data"),
        }
        result = CliRunner().invoke(main, list(args), env={**base, **(env or {})}, input=stdin)
        assert result.exit_code == code, (result.output, result.stderr, result.exception)
        return result

    return run


def js(result: Result) -> Any:
    data = json.loads(result.stdout)
    assert data["version"] == 1
    return data


def test_db_upgrade_current_downgrade(mochi: Mochi) -> None:
    assert js(mochi("db", "current", "--json"))["current"] is None
    up = js(mochi("db", "upgrade", "--json"))
    assert (up["from"], up["to"]) == (None, up["head"])
    assert "up to date" in mochi("db", "current").stdout
    down = js(mochi("db", "downgrade", "base", "--yes", "--json"))
    assert down["to"] is None
    assert mochi("db", "downgrade", "base", code=1, stdin="n\n").exit_code == 1  # asks, and "no" aborts


def _recorded(db_url: str, repo: Path) -> int:
    from mochi.models import Finding, Review, Severity, Stats

    rec = Recorder(open_engine(db_url))
    target = ReviewTarget(kind=TargetKind.WORKTREE, repo=repo, base="main")
    rec.created(target, Settings(provider="builtin"), repository="acme/api")
    rec.started()
    finding = Finding(path="App.java", line=3, severity=Severity.HIGH, message="NPE here", fingerprint="abc")
    rec.finished(
        Review(target=target, findings=(finding,), stats=Stats(prompt_tokens=10, completion_tokens=5))
    )
    assert rec.review_id is not None
    return rec.review_id


def test_reviews_list_show_comments_delete(mochi: Mochi, db_url: str, tmp_path: Path) -> None:
    assert "no recorded reviews" in mochi("reviews", "list", "--all").stdout
    first = _recorded(db_url, tmp_path)
    second = _recorded(db_url, tmp_path)
    listed = js(mochi("reviews", "list", "--all", "--json"))["reviews"]
    assert [r["id"] for r in listed] == [second, first]
    assert js(mochi("reviews", "list", "--repo", "acme", "--status", "completed", "--since", "1h", "--json"))[
        "reviews"
    ]
    assert js(mochi("reviews", "list", "--repo", "other/thing", "--json"))["reviews"] == []
    assert js(mochi("reviews", "list", "--since", "2999-01-01", "--json"))["reviews"] == []
    assert "acme/api" in mochi("reviews", "list", "--all").stdout
    shown = mochi("reviews", "show", str(first)).stdout
    assert "COMPLETED" in shown and "NPE here" in shown and "CREATED" in shown and "App.java:3" in shown
    data = js(mochi("reviews", "show", str(first), "--json"))["review"]
    # the design's names: a review recorded from a checkout's worktree is LOCAL
    assert (data["review_type"], data["github_owner"], data["github_repo"], data["ai_model"]) == (
        "LOCAL",
        "acme",
        "api",
        None,
    )
    [comment] = data["comments"]
    assert (comment["file_path"], comment["line_number"], comment["comment_type"], comment["message"]) == (
        "App.java",
        3,
        "suggestion",
        "NPE here",
    )
    assert [h["action"] for h in data["history"]] == ["CREATED", "STARTED", "COMPLETED"]
    # version 1's names are still there, as aliases, for one more release
    assert (comment["path"], comment["line"], comment["type"]) == ("App.java", 3, "suggestion")
    assert (
        data["history"][0]["event"] == "CREATED"
        and data["history"][0]["at"] == data["history"][0]["timestamp"]
    )
    assert "base_sha" in data and data["base_sha"] == data["base_commit"]
    comments = js(mochi("reviews", "comments", str(first), "--json"))["comments"]
    assert comments[0]["fingerprint"] == "abc" and comments[0]["metadata"]["anchored"] == "summary"
    mochi("reviews", "delete", str(first), "--yes")
    missing = mochi("reviews", "show", str(first), code=2)
    assert f"there is no review {first}" in missing.stderr
    with make_engine(db_url).connect() as conn:  # the cascade took its rows with it
        assert (
            conn.execute(
                text("SELECT count(*) FROM review_history WHERE review_id = :i"), {"i": first}
            ).scalar()
            == 0
        )


def test_models_add_list_update_default_remove_and_the_key_is_encrypted(
    mochi: Mochi, db_url: str, key: str
) -> None:
    added = js(
        mochi(
            "models",
            "add",
            "gpt",
            "--provider",
            "openai",
            "--model",
            "gpt-4o-mini",
            "--api-key",
            "-",
            "--param",
            "temperature=0.3",
            "--prompt-price",
            "0.15",
            "--json",
            stdin="sk-very-secret-123\n",
        )
    )
    listed = js(mochi("models", "list", "--json"))["models"]
    assert listed[0]["api_key"] == "********" and listed[0]["config"] == {"temperature": 0.3}
    assert (listed[0]["model_name"], listed[0]["is_active"]) == ("gpt-4o-mini", True)
    assert (listed[0]["model"], listed[0]["parameters"]) == ("gpt-4o-mini", {"temperature": 0.3})  # aliases
    assert "sk-very-secret" not in mochi("models", "list").stdout
    with make_engine(db_url).connect() as conn:
        stored = conn.execute(text("SELECT api_key_encrypted FROM ai_model_configs")).scalar_one()
    assert (
        "sk-very-secret" not in stored
        and Fernet(key.encode()).decrypt(stored.encode()) == b"sk-very-secret-123"
    )
    mochi("models", "update", "gpt", "--model", "gpt-4o", "--completion-price", "0.6")
    mochi("models", "set-default", str(added["id"]))
    [row] = js(mochi("models", "list", "--json"))["models"]
    assert (row["model_name"], row["is_default"], row["completion_price_per_1k"]) == ("gpt-4o", True, "0.6")
    assert "unknown model parameter" in mochi("models", "update", "gpt", "--param", "colour=3", code=2).stderr
    # an inactive model is kept, and is no longer the default
    updated = js(mochi("models", "update", "gpt", "--inactive", "--json"))["model"]
    assert (updated["is_active"], updated["is_default"]) == (False, False)
    assert "inactive" in mochi("models", "list").stdout
    refused = mochi("models", "set-default", "gpt", code=2)
    assert "`mochi models update gpt --active` first" in refused.stderr
    mochi("models", "update", "gpt", "--active")
    mochi("models", "remove", "gpt")
    assert js(mochi("models", "list", "--json"))["models"] == []


def test_storing_a_credential_without_a_key_says_how_to_make_one(mochi: Mochi) -> None:
    result = mochi(
        "models",
        "add",
        "x",
        "--provider",
        "openai",
        "--model",
        "m",
        "--api-key",
        "sk-1",
        env={"MOCHI_SECRET_KEY": ""},
        code=2,
    )
    assert "Fernet.generate_key()" in result.stderr
    assert js(mochi("models", "list", "--json"))["models"] == []


def test_models_test_makes_a_real_call(mochi: Mochi) -> None:
    with FakeOllama.start(models={"qwen2.5-coder:7b": 32768}) as ollama:
        mochi(
            "models",
            "add",
            "local",
            "--provider",
            "ollama",
            "--model",
            "qwen2.5-coder:7b",
            "--base-url",
            ollama.url,
        )
        out = js(mochi("models", "test", "local", "--json"))
        [chat] = ollama.requests_to("/api/chat")
    assert out["ok"] is True and out["model"] == "ollama/qwen2.5-coder:7b"
    assert chat.body["model"] == "qwen2.5-coder:7b" and chat.body["format"]["type"] == "object"
    with FakeOllama.start(models={}, pullable=False) as ollama:
        mochi("models", "update", "local", "--base-url", ollama.url)
        failed = mochi("models", "test", "local", code=3)
    assert "qwen2.5-coder:7b" in failed.stderr


def test_templates_add_list_show_update_remove(mochi: Mochi, tmp_path: Path) -> None:
    source = tmp_path / "java.md.j2"
    source.write_text("Team Java rules for {{ language }}: constructor injection.\n")
    mochi("templates", "add", "team-java", "--language", "java", "--file", str(source))
    broken = mochi("templates", "add", "bad", "--language", "rust", "--content", "{% if %}", code=2)
    assert "not valid Jinja" in broken.stderr
    clash = mochi("templates", "add", "other", "--language", "java", "--content", "x", code=2)
    assert "already replaces languages/java.md.j2" in clash.stderr
    [row] = js(mochi("templates", "list", "--json"))["templates"]
    assert row["replaces"] == "languages/java.md.j2" and row["active"] is True
    assert "constructor injection" in mochi("templates", "show", "team-java").stdout
    mochi("templates", "update", "team-java", "--content", "Only records.", "--inactive")
    data = js(mochi("templates", "show", "team-java", "--json"))["template"]
    assert (data["content"], data["active"]) == ("Only records.", False)
    mochi("templates", "remove", str(data["id"]))
    assert js(mochi("templates", "list", "--json"))["templates"] == []


def test_integrations_set_show_test_github_token_and_jira(mochi: Mochi, db_url: str) -> None:
    nothing = mochi("integrations", "test", "jira", code=2)  # a missing configuration, not a failing service
    assert "mochi integrations set jira" in nothing.stderr
    with FakeGitHubJira.start() as fake:
        mochi("integrations", "set", "github", "--url", fake.url, "--token", "-", stdin="ghp_good\n")
        mochi(
            "integrations",
            "set",
            "jira",
            "--url",
            fake.url,
            "--email",
            "dev@example.com",
            "--token",
            "jira-api-token",
        )
        shown = js(mochi("integrations", "show", "--json"))["integrations"]
        assert {(r["type"], r["name"]): r["credentials"] for r in shown} == {
            ("github", "github"): "********",
            ("jira", "jira"): "********",
        }
        assert {r["kind"]: r["url"] for r in shown} == {
            r["type"]: r["api_endpoint"] for r in shown
        }  # aliases
        assert shown[1]["config"] == {"email": "dev@example.com"} and shown[1]["is_active"] is True
        assert "ghp_good" not in mochi("integrations", "show").stdout
        assert js(mochi("integrations", "test", "github", "--json"))["as"] == "octocat"
        assert "as Dev Eloper" in mochi("integrations", "test", "jira").stdout
        mochi("integrations", "set", "github", "--url", fake.url, "--token", "ghp_revoked")
        refused = mochi("integrations", "test", "github", code=3)
        assert "refused the stored credentials (HTTP 401" in refused.stderr
        wrong_key = mochi(
            "integrations", "test", "jira", env={"MOCHI_SECRET_KEY": Fernet.generate_key().decode()}, code=2
        )
        assert "stored with another key" in wrong_key.stderr
        # a second, named GitHub integration: tested by its name; the one named "github" stays in use
        mochi("integrations", "set", "github", "--name", "bot", "--url", fake.url, "--token", "ghp_good",
              "--inactive")  # fmt: skip
        assert js(mochi("integrations", "test", "github", "--name", "bot", "--json"))["name"] == "bot"
        assert "refused" in mochi("integrations", "test", "github", code=3).stderr
        assert (
            "no github integration named 'x'"
            in mochi("integrations", "test", "github", "--name", "x", code=2).stderr
        )
        shown = js(mochi("integrations", "show", "--json"))["integrations"]
        assert [(r["type"], r["name"], r["is_active"]) for r in shown] == [
            ("github", "bot", False),
            ("github", "github", True),
            ("jira", "jira", True),
        ]
    with make_engine(db_url).connect() as conn:
        stored = " ".join(
            conn.execute(text("SELECT credentials_encrypted FROM integration_configs")).scalars()
        )
    assert "ghp_revoked" not in stored and "jira-api-token" not in stored


def test_integrations_test_github_app_signs_a_jwt(mochi: Mochi, tmp_path: Path) -> None:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = tmp_path / "app.pem"
    pem.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    with FakeGitHubJira.start(app_public_key=private.public_key()) as fake:
        mochi(
            "integrations",
            "set",
            "github",
            "--url",
            fake.url,
            "--app-id",
            "12345",
            "--private-key-file",
            str(pem),
        )
        assert js(mochi("integrations", "test", "github", "--json"))["as"] == "mochi-reviewer"
        [request] = fake.requests_to("/app")
    assert request.headers["authorization"].startswith("Bearer ey")
