"""`mochi doctor` as a user runs it: a real process, a real repository, services on loopback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

from mochi.doctor import split_fix
from mochi.store.db import SCHEMA_REVISION
from tests.commands.fake_services import FakeGitHubJira
from tests.fakes.doctor_servers import FakeGitHubTokens, FakeGitLabTokens
from tests.fakes.llm_servers import FakeOllama
from tests.gitrepo import GitRepo
from tests.store.pg import pg_database, pg_url  # noqa: F401  (fixtures)
from tests.test_cli import closed_port, mochi

MODEL = "qwen2.5-coder:7b"
JIRA_TOKEN = "jira-api-token-5ecret"
GITHUB_TOKEN = "ghp_classicTokenWithRepo0123456789abcdef"
GITLAB_TOKEN = "glpat-doctorTestToken0123"
# the services and tokens a developer's shell may hold must not leak into these runs
_UNSET = ("GITHUB_TOKEN", "GH_TOKEN", "GITHUB_API_URL", "GITLAB_TOKEN", "CI_JOB_TOKEN", "CI_SERVER_URL",
          "CI_API_V4_URL", "JIRA_URL", "JIRA_EMAIL", "JIRA_API_TOKEN", "JIRA_PAT", "AZURE_OPENAI_API_KEY",
          "OPENAI_BASE_URL")  # fmt: skip


def lines(stdout: str) -> dict[str, list[tuple[str, str]]]:
    """name -> [(status, text)] of the text output."""
    out: dict[str, list[tuple[str, str]]] = {}
    for line in stdout.splitlines():
        status, rest = line[:6].strip(), line[6:]
        name, text = rest[:13].strip(), rest[13:].strip()
        out.setdefault(name, []).append((status, text))
    return out


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    repo = GitRepo(tmp_path / "repo")
    repo.write("src/app.js", "export const a = 1;\n")
    repo.commit("base")
    return repo


def doctor(repo: GitRepo, tmp_path: Path, *args: str, **env: str) -> Any:
    base = {name: "" for name in _UNSET}
    base["MOCHI_DATA_DIR"] = str(tmp_path / "data")
    return mochi("doctor", *args, cwd=repo.path, env={**base, **env})


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_good_set_up_is_green_in_text_and_json(
    backend: str, repo: GitRepo, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    key = Fernet.generate_key().decode()
    env = {"MOCHI_SECRET_KEY": key, "GITHUB_TOKEN": GITHUB_TOKEN, "GITLAB_TOKEN": GITLAB_TOKEN}
    if backend == "postgres":
        env["MOCHI_DATABASE_URL"] = request.getfixturevalue("pg_url")
    with (
        FakeOllama.start(models={MODEL: 32768}) as ollama,
        FakeGitHubJira.start(jira_email="dev@example.com", jira_token=JIRA_TOKEN) as jira,
        FakeGitHubTokens.start({GITHUB_TOKEN: ("octocat", "repo, workflow")}) as github,
        FakeGitLabTokens.start({GITLAB_TOKEN: ("mochi-reviewer", ["api"])}) as gitlab,
    ):
        env.update(OLLAMA_HOST=ollama.url, GITHUB_API_URL=github.url, MOCHI_GITLAB_URL=gitlab.url)
        # the Jira credentials are stored in the record, encrypted, as `mochi integrations set` does
        stored = mochi("integrations", "set", "jira", "--url", jira.url, "--email", "dev@example.com",
                       "--token", "-", cwd=repo.path, env={**env, "MOCHI_DATA_DIR": str(tmp_path / "data")},
                       stdin=JIRA_TOKEN + "\n")  # fmt: skip
        assert stored.returncode == 0, stored.stderr
        run = doctor(repo, tmp_path, **env)
        as_json = doctor(repo, tmp_path, "--json", "--no-prompt", **env)
        quiet = doctor(repo, tmp_path, "-q", "--no-prompt", **env)
    assert run.returncode == 0, run.stdout + run.stderr
    found = lines(run.stdout)
    assert list(found) == ["git", "repository", "base", "configuration", "provider", "fallback", "jira",
                           "github", "gitlab", "database", "secret key"]  # fmt: skip
    assert all(status in ("ok", "skip") for entries in found.values() for status, _ in entries), run.stdout
    provider = found["provider"][0][1]
    assert provider.startswith(
        f"ollama/{MODEL} at {ollama.url}: window 32,768 tokens, test prompt answered in"
    )
    assert ollama.requests_to("/api/chat"), "the test prompt was sent"
    assert found["jira"][0][1].endswith(
        "(stored integration): signed in as Dev Eloper with dev@example.com and an API token"
    )
    assert "octocat, a classic token (scopes: repo, workflow)" in found["github"][0][1]
    assert "token 'mochi-reviewer' (scopes: api)" in found["gitlab"][0][1]
    assert f"schema {SCHEMA_REVISION}, up to date" in found["database"][0][1]
    assert "decrypts the jira integration's credentials" in found["secret key"][0][1]
    for secret in (JIRA_TOKEN, GITHUB_TOKEN, GITLAB_TOKEN, key):
        assert secret not in run.stdout + run.stderr + as_json.stdout
    doc = json.loads(as_json.stdout)
    assert as_json.returncode == 0 and doc["ok"] is True
    assert [c["name"] for c in doc["checks"]] == list(found)
    for check in doc["checks"]:
        assert set(check) == {"name", "status", "detail", "fix"}
        assert check["status"] in ("ok", "skip") and check["fix"] is None
    assert "test prompt" not in next(c for c in doc["checks"] if c["name"] == "provider")["detail"]
    assert quiet.returncode == 0 and quiet.stdout == ""


@pytest.mark.slow
def test_ollama_down_is_a_provider_failure(repo: GitRepo, tmp_path: Path) -> None:
    run = doctor(repo, tmp_path, OLLAMA_HOST=f"http://127.0.0.1:{closed_port()}")
    assert run.returncode == 1
    [(status, text)] = lines(run.stdout)["provider"]
    assert status == "FAIL" and "Ollama is not reachable at http://127.0.0.1:" in text
    assert "start `ollama serve` or set OLLAMA_HOST" in text
    assert lines(run.stdout)["database"][0][0] == "ok"  # the other checks still ran


@pytest.mark.slow
def test_a_model_that_is_not_installed_is_named_with_the_pull_command(repo: GitRepo, tmp_path: Path) -> None:
    with FakeOllama.start(models={"llama3.2:1b": 131072}, pullable=False) as ollama:
        run = doctor(repo, tmp_path, OLLAMA_HOST=ollama.url, MOCHI_MODEL="qwen2.5-coder:14b")
        fallback = doctor(repo, tmp_path, "--no-prompt", OLLAMA_HOST=ollama.url, MOCHI_MODEL="llama3.2:1b",
                          MOCHI_FALLBACK="ollama:missing:1b")  # fmt: skip
    assert run.returncode == 1
    [(status, text)] = lines(run.stdout)["provider"]
    assert status == "FAIL" and "model 'qwen2.5-coder:14b' is not installed" in text
    assert "run `ollama pull qwen2.5-coder:14b`" in text
    assert not ollama.requests_to("/api/chat"), "no test prompt to a missing model"
    assert fallback.returncode == 1
    found = lines(fallback.stdout)
    assert found["provider"][0][0] == "ok" and "window 131,072 tokens" in found["provider"][0][1]
    assert found["fallback"][0][0] == "FAIL" and "`ollama pull missing:1b`" in found["fallback"][0][1]


@pytest.mark.slow
def test_a_jira_token_that_is_refused_fails_without_showing_it(repo: GitRepo, tmp_path: Path) -> None:
    with FakeGitHubJira.start(jira_email="dev@example.com", jira_token="the-right-one") as jira:
        env = {"JIRA_URL": jira.url, "JIRA_EMAIL": "dev@example.com", "JIRA_API_TOKEN": JIRA_TOKEN,
               "MOCHI_PROVIDER": "builtin"}  # fmt: skip
        run = doctor(repo, tmp_path, **env)
        as_json = doctor(repo, tmp_path, "--json", **env)
    assert run.returncode == 1
    [(status, text)] = lines(run.stdout)["jira"]
    assert status == "FAIL" and "Jira refused the credentials (HTTP 401" in text
    assert text.endswith("check JIRA_EMAIL and JIRA_API_TOKEN")
    assert JIRA_TOKEN not in run.stdout + run.stderr + as_json.stdout
    jira_check = next(c for c in json.loads(as_json.stdout)["checks"] if c["name"] == "jira")
    assert jira_check["status"] == "fail" and jira_check["fix"] == "check JIRA_EMAIL and JIRA_API_TOKEN"


@pytest.mark.slow
def test_a_database_that_is_down_fails_without_its_password(repo: GitRepo, tmp_path: Path) -> None:
    url = f"postgresql://mochi:pa55word-x@127.0.0.1:{closed_port()}/mochi"
    run = doctor(repo, tmp_path, MOCHI_DATABASE_URL=url, MOCHI_PROVIDER="builtin")
    assert run.returncode == 1
    [(status, text)] = lines(run.stdout)["database"]
    assert status == "FAIL" and "PostgreSQL postgresql+psycopg://****@127.0.0.1" in text
    assert ": not usable: connection failed" in text and "unset MOCHI_DATABASE_URL" in text
    assert "pa55word-x" not in run.stdout + run.stderr
    assert (
        "the stored default model and integrations were not read" in lines(run.stdout)["configuration"][0][1]
    )


@pytest.mark.slow
def test_an_invalid_mochi_toml_fails_and_the_other_checks_still_run(repo: GitRepo, tmp_path: Path) -> None:
    (repo.path / ".mochi.toml").write_text('model = "unclosed\n')
    run = doctor(repo, tmp_path, "--no-prompt", MOCHI_PROVIDER="builtin")
    assert run.returncode == 1
    found = lines(run.stdout)
    status, text = found["configuration"][0]
    assert status == "FAIL" and ".mochi.toml is not valid TOML" in text
    assert "(the other checks use the settings without .mochi.toml): Fix the file or remove it" in text
    assert found["provider"] == [("ok", "builtin: the built-in checks only, no model")]
    assert {"database", "secret key", "jira"} <= set(found)


@pytest.mark.slow
def test_github_tokens_scopes_and_a_refused_token(repo: GitRepo, tmp_path: Path) -> None:
    tokens = {"ghp_noRepoScope": ("octocat", "read:user, gist"), "github_pat_fine": ("octocat", None)}
    with FakeGitHubTokens.start(tokens) as github:
        env = {"GITHUB_API_URL": github.url, "MOCHI_PROVIDER": "builtin"}
        no_repo = doctor(repo, tmp_path, **env, GITHUB_TOKEN="ghp_noRepoScope")
        fine = doctor(repo, tmp_path, **env, GH_TOKEN="github_pat_fine")
        bad = doctor(repo, tmp_path, **env, GITHUB_TOKEN="ghp_revokedToken")
    assert no_repo.returncode == 0, no_repo.stdout
    [(status, text)] = lines(no_repo.stdout)["github"]
    assert status == "warn" and "without the repo scope" in text and "(scopes: read:user, gist)" in text
    [(status, text)] = lines(fine.stdout)["github"]
    assert status == "ok" and text.startswith("GH_TOKEN at") and "a fine-grained token" in text
    assert bad.returncode == 1
    [(status, text)] = lines(bad.stdout)["github"]
    assert status == "FAIL" and "HTTP 401" in text
    assert text.endswith("the token is invalid or expired: create a new one")
    assert "ghp_revokedToken" not in bad.stdout + bad.stderr


@pytest.mark.slow
def test_a_gitlab_token_without_the_api_scope_fails(repo: GitRepo, tmp_path: Path) -> None:
    with FakeGitLabTokens.start({GITLAB_TOKEN: ("read-only", ["read_api"])}) as gitlab:
        run = doctor(
            repo, tmp_path, MOCHI_PROVIDER="builtin", GITLAB_TOKEN=GITLAB_TOKEN, CI_SERVER_URL=gitlab.url
        )
        bad = doctor(
            repo, tmp_path, MOCHI_PROVIDER="builtin", GITLAB_TOKEN="glpat-nope-nope", CI_SERVER_URL=gitlab.url
        )
    assert run.returncode == 1
    [(status, text)] = lines(run.stdout)["gitlab"]
    assert status == "FAIL" and "token 'read-only' (scopes: read_api) without the api scope" in text
    [(status, text)] = lines(bad.stdout)["gitlab"]
    assert status == "FAIL" and "GitLab refused GITLAB_TOKEN (HTTP 401" in text
    assert GITLAB_TOKEN not in run.stdout and "glpat-nope-nope" not in bad.stdout


@pytest.mark.slow
def test_a_hosted_provider_without_its_key_names_the_variable(repo: GitRepo, tmp_path: Path) -> None:
    run = doctor(repo, tmp_path, "--no-prompt", MOCHI_PROVIDER="openai")
    assert run.returncode == 1
    [(status, text)] = lines(run.stdout)["provider"]
    assert (
        status == "FAIL" and "the openai provider needs an API key" in text and "set OPENAI_API_KEY" in text
    )


@pytest.mark.slow
def test_the_secret_key_must_read_what_is_stored(repo: GitRepo, tmp_path: Path) -> None:
    key = Fernet.generate_key().decode()
    env = {"MOCHI_DATA_DIR": str(tmp_path / "data"), "MOCHI_SECRET_KEY": key}
    stored = mochi("integrations", "set", "jira", "--url", "http://127.0.0.1:9", "--pat", "-", cwd=repo.path,
                   env=env, stdin="jira-pat-value\n")  # fmt: skip
    assert stored.returncode == 0, stored.stderr
    unset = doctor(repo, tmp_path, "--no-prompt", MOCHI_PROVIDER="builtin")
    other = doctor(repo, tmp_path, MOCHI_PROVIDER="builtin", MOCHI_SECRET_KEY=Fernet.generate_key().decode())
    broken = doctor(repo, tmp_path, MOCHI_PROVIDER="builtin", MOCHI_SECRET_KEY="not-a-key")
    for run in (unset, other, broken):
        assert run.returncode == 1, run.stdout
    [(status, text)] = lines(unset.stdout)["secret key"]
    assert (
        status == "FAIL" and "not set: the record's the jira integration's credentials cannot be read" in text
    )
    assert "set MOCHI_SECRET_KEY to the key they were stored with" in text
    [(status, text)] = lines(other.stdout)["secret key"]
    assert status == "FAIL" and "does not decrypt the jira integration's credentials" in text
    [(status, text)] = lines(broken.stdout)["secret key"]
    assert status == "FAIL" and "not a valid Fernet key" in text and "Fernet.generate_key()" in text
    assert "jira-pat-value" not in unset.stdout + other.stdout + broken.stdout


@pytest.mark.slow
def test_a_record_behind_this_mochi_is_a_warning_and_is_left_as_it_is(repo: GitRepo, tmp_path: Path) -> None:
    key = Fernet.generate_key().decode()
    env = {"MOCHI_DATA_DIR": str(tmp_path / "data"), "MOCHI_SECRET_KEY": key}
    stored = mochi("integrations", "set", "jira", "--url", "http://127.0.0.1:9", "--pat", "jira-pat-value",
                   cwd=repo.path, env=env)  # fmt: skip
    assert stored.returncode == 0, stored.stderr
    assert mochi("db", "downgrade", "--yes", cwd=repo.path, env=env).returncode == 0
    before = str(int(SCHEMA_REVISION) - 1).zfill(4)
    run = doctor(repo, tmp_path, MOCHI_PROVIDER="builtin", MOCHI_SECRET_KEY=key)
    assert run.returncode == 0, run.stdout
    [(status, text)] = lines(run.stdout)["database"]
    assert (
        status == "warn"
        and f"schema {before}, this mochi's is {SCHEMA_REVISION}: run `mochi db upgrade`" in text
    )
    # what the older schema stores encrypted is still found (under its older column names)
    [(status, text)] = lines(run.stdout)["secret key"]
    assert status == "ok" and "decrypts the jira integration's credentials" in text
    assert before in mochi("db", "current", cwd=repo.path, env=env).stdout  # doctor migrated nothing


@pytest.mark.slow
def test_outside_a_repository_and_with_a_wrong_repo(tmp_path: Path) -> None:
    outside = GitRepo(tmp_path / "plain", init=False)
    outside.path.mkdir()
    run = doctor(outside, tmp_path, MOCHI_PROVIDER="builtin")
    assert run.returncode == 0, run.stdout
    assert lines(run.stdout)["repository"][0][0] == "warn" and lines(run.stdout)["base"][0][0] == "skip"
    wrong = doctor(outside, tmp_path, "--repo", str(tmp_path / "plain"), MOCHI_PROVIDER="builtin")
    assert wrong.returncode == 1 and lines(wrong.stdout)["repository"][0][0] == "FAIL"


def test_mochi_messages_are_split_into_what_is_wrong_and_what_to_do() -> None:
    assert split_fix(
        "Ollama is not reachable at http://127.0.0.1:1: start `ollama serve` or set OLLAMA_HOST"
    ) == (
        "Ollama is not reachable at http://127.0.0.1:1",
        "start `ollama serve` or set OLLAMA_HOST",
    )
    assert split_fix("x.toml is not valid TOML: Expected '=' (at line 1). Fix the file or remove it.") == (
        "x.toml is not valid TOML: Expected '=' (at line 1)",
        "Fix the file or remove it",
    )
    assert split_fix("the database is not usable: connection refused") == (
        "the database is not usable: connection refused",
        None,
    )
