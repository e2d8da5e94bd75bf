"""A PostgreSQL that stops answering mid-review costs the record, never the review."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.fakes.llm_servers import FakeOllama
from tests.fakes.tcp_proxy import FreezableProxy
from tests.gitrepo import GitRepo
from tests.store.pg import pg_url  # noqa: F401  (a fixture)

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.postgres
@pytest.mark.slow
def test_a_database_that_hangs_mid_review_does_not_hang_the_review(tmp_path: Path, pg_url: str) -> None:  # noqa: F811
    repo = GitRepo(tmp_path / "app")
    repo.write("src/calc.py", "def ratio(a, b):\n    return a\n")
    repo.commit("base")
    repo.run("checkout", "-q", "-b", "feature")
    repo.write("src/calc.py", "def ratio(a, b):\n    return a / b\n")
    host_port = pg_url.split("@", 1)[1].split("/", 1)[0]
    with (
        FreezableProxy.start(("127.0.0.1", int(host_port.rsplit(":", 1)[1]))) as proxy,
        FakeOllama.start() as ollama,
    ):
        ollama.enqueue_chat('{"comments": []}', delay=1.0)
        url = pg_url.replace(host_port, f"127.0.0.1:{proxy.port}")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("MOCHI_", "GITHUB_", "GITLAB"))}
        env.update(
            MOCHI_DATABASE_URL=url,
            OLLAMA_HOST=ollama.url,
            MOCHI_PROVIDER="ollama",
            PYTHONPATH=str(ROOT),
        )

        def freeze_when_the_model_is_asked() -> None:
            deadline = time.monotonic() + 60
            while not ollama.requests_to("/api/chat") and time.monotonic() < deadline:
                time.sleep(0.02)
            proxy.frozen = True  # the record's row exists; its results will never be written

        watcher = threading.Thread(target=freeze_when_the_model_is_asked, daemon=True)
        watcher.start()
        started = time.monotonic()
        proc = subprocess.run(
            [sys.executable, "-m", "mochi", "review", "--base", "main", "--format", "json"],
            cwd=repo.path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        took = time.monotonic() - started
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["version"] == 1  # the review was printed
    assert "could not" in proc.stderr and "record" in proc.stderr  # one warning about the record
    assert took < 60, took
