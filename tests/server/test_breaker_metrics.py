"""/metrics shows the providers' circuit breakers: open or not, and their consecutive failures."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from mochi.errors import ProviderUnreachableError
from mochi.providers.breaker import BreakerRegistry
from mochi.server.app import create_app
from mochi.store.db import open_engine


def test_an_open_breaker_shows_in_metrics(tmp_path: Path) -> None:
    breakers = BreakerRegistry()
    down = breakers.get("ollama", "http://gpu:11434", "qwen2.5-coder:7b")
    breakers.get("openai", "https://api.openai.com/v1", "gpt-4o-mini")  # used, never failed

    def unreachable() -> None:
        raise ProviderUnreachableError("Ollama is not reachable at http://gpu:11434")

    for _ in range(3):
        with pytest.raises(ProviderUnreachableError):
            down.call(unreachable)
    app = create_app(open_engine(f"sqlite:///{tmp_path / 'record.db'}"), breakers=breakers)
    with TestClient(app) as client:
        text = client.get("/metrics").text
    families = {f.name: f for f in text_string_to_metric_families(text)}
    opened = {s.labels["provider"]: s.value for s in families["mochi_provider_breaker_open"].samples}
    failures = {s.labels["provider"]: s.value for s in families["mochi_provider_breaker_failures"].samples}
    assert len(opened) == 2
    assert [v for k, v in opened.items() if "ollama" in k] == [1.0]
    assert [v for k, v in opened.items() if "openai" in k] == [0.0]
    assert [v for k, v in failures.items() if "ollama" in k] == [3.0]


def test_reviews_created_over_the_api_go_through_the_apps_breakers(tmp_path: Path) -> None:
    """The registry given to create_app is the one its reviews' providers use (not the process's)."""
    import socket
    import time

    from mochi.providers.breaker import PROCESS_BREAKERS
    from mochi.store.apikeys import create_key
    from tests.gitrepo import GitRepo

    with socket.socket() as sock:  # a port nothing listens on: the provider is unreachable
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}/v1"
    repo = GitRepo(tmp_path / "repos" / "app")
    repo.write("src/App.java", "class App {}\n")
    repo.commit("base")
    base = repo.run("rev-parse", "HEAD").strip()
    repo.write("src/App.java", "class App {\n    void run() { System.out.println(1); }\n}\n")
    repo.commit("change")
    head = repo.run("rev-parse", "HEAD").strip()
    engine = open_engine(f"sqlite:///{tmp_path / 'record.db'}")
    _, key = create_key(engine, "reviewer", "reviewer")
    environ = {
        "MOCHI_PROVIDER": "openai", "OPENAI_BASE_URL": dead, "OPENAI_API_KEY": "sk-test",
        "MOCHI_MODEL": "gpt-4o-mini", "MOCHI_MAX_RETRIES": "0",
    }  # fmt: skip
    breakers = BreakerRegistry()
    before = [s.label for s in PROCESS_BREAKERS.statuses()]
    app = create_app(engine, breakers=breakers, environ=environ, repo_roots=[tmp_path / "repos"])
    with TestClient(app, headers={"Authorization": f"Bearer {key}"}) as client:
        body = {"repo_path": str(repo.path), "base_commit": base, "head_commit": head}
        created = client.post("/api/reviews", json=body)
        assert created.status_code == 202, created.text
        review_id = created.json()["data"]["id"]
        deadline = time.monotonic() + 60
        while client.get(f"/api/reviews/{review_id}").json()["data"]["status"] not in ("COMPLETED", "FAILED"):
            assert time.monotonic() < deadline
            time.sleep(0.1)
        text = client.get("/metrics").text
    statuses = breakers.statuses()
    assert [s.label for s in statuses] == ["openai/gpt-4o-mini"]
    assert statuses[0].failures >= 1 and statuses[0].last_error
    assert [s.label for s in PROCESS_BREAKERS.statuses()] == before  # the process's were not touched
    failures = {
        s.labels["provider"]: s.value
        for f in text_string_to_metric_families(text)
        if f.name == "mochi_provider_breaker_failures"
        for s in f.samples
    }
    assert [v for k, v in failures.items() if "openai" in k] == [float(statuses[0].failures)]
