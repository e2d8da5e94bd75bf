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
